package fat32_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"cntools/usbkey/fat32"
)

// Check reads a volume without writing to it, as usbkey-status does; on
// a key it may write, Repair mends what Check finds and Commit writes it.
func ExampleFS_Check() {
	f, _ := os.CreateTemp("", "fat32-check")
	defer os.Remove(f.Name())
	f.Truncate(64 << 20)
	fs, _ := fat32.Format(f, (64<<20)/fat32.SectorSize, "SMARTOSBOOT", time.Unix(0, 0))
	fs.WriteFile("config", strings.NewReader("a=1\n"), 4, time.Unix(0, 0))
	fs.Commit()

	// A run killed between the two FAT copies: the second lacks the
	// entry of the file's cluster.
	g := fs.Geometry()
	fat2 := int64(g.DataStart-uint64(g.FATSectors)) * fat32.SectorSize
	st, _ := fs.Stat("config")
	f.WriteAt([]byte{0, 0, 0, 0}, fat2+4*int64(st.Cluster))

	again, _ := fat32.Open(f)
	problems, _ := again.Check()
	for _, p := range problems {
		fmt.Println(p)
	}
	again.Repair()
	again.Commit()
	problems, _ = again.Check()
	fmt.Println(len(problems), "problems after Repair")
	// Output:
	// FAT copies differ: FAT 2 differs from FAT 1 from cluster 3 on
	// 0 problems after Repair
}
