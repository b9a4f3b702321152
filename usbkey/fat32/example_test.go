package fat32_test

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"cntools/usbkey/fat32"
)

// A filesystem is formatted, written and committed once; a second Open
// reads it back.
func Example() {
	f, _ := os.CreateTemp("", "fat32-example")
	defer os.Remove(f.Name())
	f.Truncate(64 << 20)

	fs, err := fat32.Format(f, (64<<20)/fat32.SectorSize, "SMARTOSBOOT", time.Unix(0, 0))
	if err != nil {
		fmt.Println(err)
		return
	}
	fs.MkdirAll("boot", time.Unix(0, 0))
	conf := `headnode="true"` + "\n"
	fs.WriteFile("boot/loader.conf", strings.NewReader(conf), int64(len(conf)), time.Unix(0, 0))
	fs.Commit()

	again, _ := fat32.Open(f)
	r, size, _ := again.Open("BOOT/LOADER.CONF") // pcfs folds case
	b, _ := io.ReadAll(r)
	fmt.Println(again.Label(), size, strings.TrimSpace(string(b)))
	// Output: SMARTOSBOOT 16 headnode="true"
}
