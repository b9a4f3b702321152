package populate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cntools/usbkey/keytree"
)

// TestCopier reads files of every size that packs or splits a slab (none,
// small ones back to back, one that does not fit what is left, several
// slabs' worth), whether the writer lets the file write itself (WriteTo,
// as fat32 and a directory do) or pulls (Read), and hashes each.
func TestCopier(t *testing.T) {
	dir := t.TempDir()
	sizes := []int{0, 1, 4096, slabSize - 1, slabSize, slabSize + 1, 100, 2*slabSize + 12345, 0, 3}
	for i := range 40 {
		sizes = append(sizes, 1000+i*7919)
	}
	var as []Action
	var data [][]byte
	for i, size := range sizes {
		b := make([]byte, size)
		rand.New(rand.NewSource(int64(i))).Read(b)
		p := fmt.Sprintf("f%03d", i)
		if err := os.WriteFile(filepath.Join(dir, p), b, 0o644); err != nil {
			t.Fatal(err)
		}
		as = append(as, Action{Path: p, Size: int64(size)})
		data = append(data, b)
	}
	for _, pull := range []bool{false, true} {
		var ticks bytes.Buffer
		c := startCopy(context.Background(), keytree.Dir(dir), as, &ticks, nil)
		for i, a := range as {
			var out bytes.Buffer
			var err error
			if pull {
				_, err = io.Copy(&out, struct{ io.Reader }{c.file()})
			} else {
				_, err = io.Copy(&out, c.file())
			}
			want := sha256.Sum256(data[i])
			if sum := c.sum(i); err != nil || sum != hex.EncodeToString(want[:]) || !bytes.Equal(out.Bytes(), data[i]) {
				t.Errorf("copy of %s (%d bytes, pull %v) = %s, %d bytes, %v; want %x", a.Path, a.Size, pull, sum, out.Len(), err, want)
			}
		}
		c.stop()
		if total := int(totalOf(sizes)); ticks.Len() != total {
			t.Errorf("pull %v: %d bytes counted, want %d", pull, ticks.Len(), total)
		}
	}
}

func totalOf(xs []int) int64 {
	var n int64
	for _, x := range xs {
		n += int64(x)
	}
	return n
}

// TestCopierSourceChanged: a file that grew since it was listed gives the
// writer more bytes than its size, for the writer to refuse; one that is
// gone fails with the source named; the files after either still come.
func TestCopierSourceChanged(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		size int
	}{{"grew", 10}, {"next", 5}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), make([]byte, f.size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	as := []Action{{Path: "grew", Size: 9}, {Path: "gone", Size: 3}, {Path: "next", Size: 5}}
	c := startCopy(context.Background(), keytree.Dir(dir), as, nil, nil)
	defer c.stop()
	b, err := io.ReadAll(c.file())
	if err != nil || len(b) != 10 {
		t.Errorf("grown file: %d bytes, %v; want 10 (one past its size)", len(b), err)
	}
	_, err = io.ReadAll(c.file())
	if se := (*sourceError)(nil); err == nil || !strings.Contains(err.Error(), "read gone from the source") || !errors.As(err, &se) {
		t.Errorf("missing file: %v; want a sourceError naming it", err)
	}
	if b, err := io.ReadAll(c.file()); err != nil || len(b) != 5 {
		t.Errorf("next file: %d bytes, %v; want 5", len(b), err)
	}
}
