package atomicfile_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"cntools/internal/atomicfile"
)

func ExampleWriteFile() {
	dir, _ := os.MkdirTemp("", "atomicfile")
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "config")
	if err := atomicfile.WriteFile(p, []byte("hostname=headnode\n"), 0o644); err != nil {
		fmt.Println(err)
	}
	b, _ := os.ReadFile(p)
	fmt.Print(string(b))
	// Output: hostname=headnode
}

func ExampleCreate() {
	dir, _ := os.MkdirTemp("", "atomicfile")
	defer os.RemoveAll(dir)
	f, err := atomicfile.Create(filepath.Join(dir, "tools.tar.gz"), 0o644)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Abort() // removes the temporary file on every early return
	if _, err := io.Copy(f, strings.NewReader("streamed content")); err != nil {
		fmt.Println(err)
		return
	}
	if err := f.Commit(); err != nil {
		fmt.Println(err)
	}
	fi, _ := os.Stat(f.Name())
	fmt.Println(fi.Size())
	// Output: 16
}
