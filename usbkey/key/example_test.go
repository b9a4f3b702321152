package key_test

import (
	"fmt"
	"os"
	"path/filepath"

	"cntools/usbkey/bootfiles"
	"cntools/usbkey/bootfiles/bootfilestest"
	"cntools/usbkey/key"
)

// Format writes format_image's layout onto an image and returns its
// partition map; Inspect reads it back.
func Example() {
	dir, _ := os.MkdirTemp("", "key-example")
	defer os.RemoveAll(dir)
	bootfilestest.WriteDir(filepath.Join(dir, "boot"))
	boot, _ := bootfiles.FromDir(filepath.Join(dir, "boot"))

	f, _ := os.Create(filepath.Join(dir, "key.img"))
	defer f.Close()
	f.Truncate(4_000_000_000)
	res, err := key.Format(f, 4_000_000_000, key.FormatOptions{Boot: boot})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(res.PartitionMap)
	st, _ := key.Inspect(f, "key.img", 4_000_000_000)
	fmt.Println(st.Kind, st.RootLabel, st.Marker)
	// Output:
	// loader 12 1048576 268435456
	// boot 1 269484032 1048576
	// root 2 270532608 3720347648
	// reserved 11 3991594496 8388608
	// v2-loader SMARTOSBOOT false
}
