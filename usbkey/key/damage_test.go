package key

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cntools/usbkey/fat32"
	"cntools/usbkey/parttable"
)

// damagedKey formats a 4 GB key, writes two files of several clusters on
// its root, and hands back the image with the root's geometry, for a test
// to damage.
func damagedKey(t *testing.T) (f *os.File, rootOff int64, g fat32.Geometry) {
	t.Helper()
	f = formatted(t, 4_000_000_000)
	l, err := parttable.V2Layout(4_000_000_000 / 512)
	if err != nil {
		t.Fatal(err)
	}
	rootOff = int64(l.Root.Start) * 512
	fs, err := fat32.Open(parttable.WindowAt(f, rootOff, int64(l.Root.Size)*512))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"os/a.bin", "os/b.bin"} {
		data := bytes.Repeat([]byte(p), 3000)
		if err := fs.MkdirAll("os", time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
		if err := fs.WriteFile(p, bytes.NewReader(data), int64(len(data)), time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.Commit(); err != nil {
		t.Fatal(err)
	}
	return f, rootOff, fs.Geometry()
}

// chains finds the contiguous chains (c -> c+1 -> ... -> end) in FAT 1.
func chains(t *testing.T, f *os.File, rootOff int64, g fat32.Geometry) [][]uint32 {
	fat := make([]byte, int64(g.FATSectors)*512)
	if _, err := f.ReadAt(fat, rootOff+32*512); err != nil {
		t.Fatal(err)
	}
	entry := func(c uint32) uint32 { return binary.LittleEndian.Uint32(fat[4*c:]) & 0x0FFFFFFF }
	var out [][]uint32
	for c := uint32(3); c < g.Clusters+2; c++ {
		if entry(c) != c+1 || (c > 3 && entry(c-1) == c) {
			continue // not the head of a contiguous chain
		}
		ch := []uint32{c}
		for n := entry(c); n == ch[len(ch)-1]+1; n = entry(n) {
			ch = append(ch, n)
		}
		if len(ch) >= 3 {
			out = append(out, ch)
		}
	}
	return out
}

func setFAT(t *testing.T, f *os.File, rootOff int64, g fat32.Geometry, fats []int, c, v uint32) {
	for _, i := range fats {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], v)
		if _, err := f.WriteAt(b[:], rootOff+32*512+int64(i)*int64(g.FATSectors)*512+4*int64(c)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestInspectFindsDamage damages a populated key's root the ways issue 15
// names and checks usbkey-status's reader lists each, as fsck.fat -n
// finds each on the same partition; an undamaged key lists none.
func TestInspectFindsDamage(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(f *os.File, off int64, g fat32.Geometry, chs [][]uint32)
		want   string
	}{
		{"clean", func(*os.File, int64, fat32.Geometry, [][]uint32) {}, ""},
		{"looping chain", func(f *os.File, off int64, g fat32.Geometry, chs [][]uint32) {
			ch := chs[0]
			setFAT(t, f, off, g, []int{0, 1}, ch[len(ch)-1], ch[0])
		}, "loops"},
		{"cross-linked files", func(f *os.File, off int64, g fat32.Geometry, chs [][]uint32) {
			a, b := chs[0], chs[1]
			setFAT(t, f, off, g, []int{0, 1}, a[1], b[1])
		}, "cross"},
		{"out-of-range cluster", func(f *os.File, off int64, g fat32.Geometry, chs [][]uint32) {
			setFAT(t, f, off, g, []int{0, 1}, chs[0][0], g.Clusters+100)
		}, "is not on the volume"},
		{"FATs differ", func(f *os.File, off int64, g fat32.Geometry, chs [][]uint32) {
			setFAT(t, f, off, g, []int{1}, chs[0][1], 0)
		}, "differ"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, off, g := damagedKey(t)
			chs := chains(t, f, off, g)
			if len(chs) < 2 {
				t.Fatalf("found %d chains of 3 clusters or more, want 2", len(chs))
			}
			c.damage(f, off, g, chs)
			st, err := Inspect(f, "key.img", 4_000_000_000)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(st.Problems, "; ")
			if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, "root partition: ") || !strings.Contains(got, c.want) {
				t.Errorf("Inspect problems = %q, want one naming %q", got, c.want)
			}
			// fsck.fat agrees on the same partition.
			l, _ := parttable.V2Layout(4_000_000_000 / 512)
			part := filepath.Join(t.TempDir(), "root.img")
			sparseCopy(t, part, io.NewSectionReader(f, off, int64(l.Root.Size)*512), int64(l.Root.Size)*512)
			err = exec.Command("fsck.fat", "-n", part).Run()
			if (err == nil) != (c.want == "") {
				t.Errorf("fsck.fat -n: %v, but Inspect found %q", err, got)
			}
		})
	}
}

// TestInspectPartitionPastTheEnd: a key whose image was cut short has its
// root partition end past the disk; status names it instead of reading.
func TestInspectPartitionPastTheEnd(t *testing.T) {
	f := formatted(t, 4_000_000_000)
	short := int64(3_000_000_000)
	st, err := Inspect(io.NewSectionReader(f, 0, short), "key.img", short)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(st.Problems, "; "); !strings.Contains(got, "outside the 5859375-sector disk") {
		t.Errorf("Inspect of a cut image: problems %q, want the table that no longer fits named", got)
	}
}

// sparseCopy copies size bytes of r to a new file at p, leaving holes
// where r reads zeros: a 3.7 GB partition of a fresh key is almost all
// hole, and fsck.fat needs it as a file of its own.
func sparseCopy(t *testing.T, p string, r io.ReaderAt, size int64) {
	t.Helper()
	out, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	buf := make([]byte, 1<<20)
	zero := make([]byte, len(buf))
	for off := int64(0); off < size; off += int64(len(buf)) {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if !bytes.Equal(buf[:n], zero[:n]) {
			if _, err := out.WriteAt(buf[:n], off); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := out.Truncate(size); err != nil {
		t.Fatal(err)
	}
}
