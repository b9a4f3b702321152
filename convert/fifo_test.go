package convert_test

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"cntools/convert"
	"cntools/internal/node"
)

// A FIFO in the standby copy would block the copy forever: the conversion
// is refused, naming it, and ends; the key is not touched.
func TestConvertRefusesFIFOInStandby(t *testing.T) {
	root := newNode(t)
	fifo := filepath.Join(root, node.StandbyDir, "scripts", "pipe")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	before := devices(t, root)
	done := make(chan error, 1)
	var res *convert.Result
	go func() {
		o := &convert.Options{Node: node.New(root)}
		defer o.Close()
		var err error
		res, err = convertNode(t, o)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(failed(res), "scripts/pipe is a fifo") || !strings.Contains(failed(res), "remove it") {
			t.Fatalf("convert with a FIFO in the standby copy = %v\n%s\nwant refused by preflight naming scripts/pipe", err, failed(res))
		}
		if after := devices(t, root); after != before {
			t.Errorf("the key changed:\n%s\nwant\n%s", after, before)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("convert with a FIFO in the standby copy still running after 60 s")
	}
}

// devices lists the node's device files (the key image among them) with
// size and mtime.
func devices(t *testing.T, root string) string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(root, "dev"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %d %v", p, fi.Size(), fi.ModTime()))
		return nil
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("no key image under %s/dev: %v", root, err)
	}
	return strings.Join(out, "\n")
}
