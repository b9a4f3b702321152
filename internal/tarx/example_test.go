package tarx_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"cntools/gztools/gztoolstest"
	"cntools/internal/tarx"
)

// Extract a tarball into a fresh directory; a hostile one is refused whole.
func ExampleExtract() {
	dir, _ := os.MkdirTemp("", "tarx-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	good := gztoolstest.TarGz(gztoolstest.Tools("1", "0b0b0b0b-0000-4000-8000-000000000001"))
	res, err := tarx.Extract(ctx, bytes.NewReader(good), filepath.Join(dir, "tools"), tarx.Options{})
	fmt.Println(res.Entries, err)

	evil := gztoolstest.Hostile()["symlink-escape"]
	_, err = tarx.Extract(ctx, bytes.NewReader(evil), filepath.Join(dir, "evil"), tarx.Options{})
	fmt.Println(errors.Is(err, tarx.ErrUnsafe), err)
	_, statErr := os.Stat(filepath.Join(dir, "evil"))
	fmt.Println(os.IsNotExist(statErr))
	// Output:
	// 26 <nil>
	// true entry "bin/out": unsafe entry: symlink to "../../../etc" points outside the tree
	// true
}
