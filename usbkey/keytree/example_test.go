package keytree_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"cntools/usbkey/keytree"
)

// Walk lists a whole tree, each directory right before its entries, and
// describes a symlink instead of following it.
func ExampleWalk() {
	dir, err := os.MkdirTemp("", "keytree-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	os.MkdirAll(filepath.Join(dir, "os", "20240101T000000Z"), 0o755)
	os.WriteFile(filepath.Join(dir, "config"), []byte("hostname=headnode\n"), 0o644)
	os.Symlink("20240101T000000Z", filepath.Join(dir, "os", "latest"))

	t := keytree.Dir(dir)
	defer t.Close()
	es, err := keytree.Walk(context.Background(), t)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range es {
		switch {
		case e.IsDir():
			fmt.Println(e.Path + "/")
		case e.IsSymlink():
			fmt.Println(e.Path, "->", e.Target)
		default:
			fmt.Println(e.Path, e.Size)
		}
	}
	// Output:
	// config 18
	// os/
	// os/20240101T000000Z/
	// os/latest -> 20240101T000000Z
}
