package fat32

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

// fuzzSize is the size of the volume FuzzOpen reads: the 40 MiB the seeds
// are formatted at.
const fuzzSize = 40 << 20

// fuzzRegion is where a piece of the fuzzer's input lies on the volume:
// the input is the reserved sectors, the start of each FAT and the start
// of the data area, one after the other, so that a small input reaches a
// whole filesystem. Everything else reads as zeros.
type fuzzRegion struct{ at, n int64 }

var fuzzRegions = func() []fuzzRegion {
	g, err := NewGeometry(fuzzSize / SectorSize)
	if err != nil {
		panic(err)
	}
	fat := int64(reservedSectors) * SectorSize
	return []fuzzRegion{
		{0, 4 << 10},   // boot sector, FSInfo and their backups
		{fat, 1 << 10}, // FAT 1: clusters 0 to 255
		{fat + int64(g.FATSectors)*SectorSize, 1 << 10},  // FAT 2
		{int64(g.DataStart) * SectorSize, fuzzSize >> 9}, // the data area, as far as the input goes
	}
}()

// fuzzVolume is a volume whose bytes are the fuzzer's input laid out by
// fuzzRegions; writes are kept, a sector at a time, so that what Repair
// and Commit write is read back.
type fuzzVolume struct {
	b       []byte
	written map[int64][]byte // by sector
}

func newFuzzVolume(b []byte) *fuzzVolume {
	return &fuzzVolume{b: b, written: map[int64][]byte{}}
}

func (v *fuzzVolume) Size() int64 { return fuzzSize }

func (v *fuzzVolume) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= fuzzSize {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), fuzzSize-off))
	clear(p[:n])
	in := v.b
	for _, r := range fuzzRegions {
		piece := in[:min(int64(len(in)), r.n)]
		in = in[len(piece):]
		lo, hi := max(off, r.at), min(off+int64(n), r.at+int64(len(piece)))
		if lo < hi {
			copy(p[lo-off:hi-off], piece[lo-r.at:hi-r.at])
		}
	}
	if len(v.written) > 0 {
		for s := off / SectorSize; s*SectorSize < off+int64(n); s++ {
			if w, ok := v.written[s]; ok {
				lo, hi := max(off, s*SectorSize), min(off+int64(n), (s+1)*SectorSize)
				copy(p[lo-off:hi-off], w[lo-s*SectorSize:hi-s*SectorSize])
			}
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (v *fuzzVolume) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > fuzzSize {
		return 0, io.ErrShortWrite
	}
	for s := off / SectorSize; s*SectorSize < off+int64(len(p)); s++ {
		w, ok := v.written[s]
		if !ok {
			w = make([]byte, SectorSize)
			v.ReadAt(w, s*SectorSize)
			v.written[s] = w
		}
		lo, hi := max(off, s*SectorSize), min(off+int64(len(p)), (s+1)*SectorSize)
		copy(w[lo-s*SectorSize:hi-s*SectorSize], p[lo-off:hi-off])
	}
	return len(p), nil
}

// FuzzOpen feeds corrupt filesystems to the reader that usbkey-status and
// usbkey-populate use on keys they did not write: any input gives an FS or
// an error, never a panic, a hang or an allocation the partition cannot
// justify. On what opens, Check writes nothing, and Repair then Commit
// leave a volume that opens again and that Check calls clean.
func FuzzOpen(f *testing.F) {
	for _, s := range seedImages(f) {
		f.Add(s.b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v := newFuzzVolume(b)
		fs, err := Open(v)
		if err != nil {
			return
		}
		budget := 2000
		walk(fs, "", 0, &budget)
		before, err := fs.Check()
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if len(v.written) > 0 {
			t.Fatalf("Check wrote %d sectors", len(v.written))
		}
		if _, err := fs.Repair(); err != nil {
			t.Fatalf("Repair: %v", err)
		}
		if err := fs.Commit(); err != nil {
			return // a directory that no longer fits, say
		}
		again, err := Open(v)
		if err != nil {
			t.Fatalf("Open after Repair and Commit: %v (Check found %v)", err, before)
		}
		if ps, err := again.Check(); err != nil || len(ps) > 0 {
			t.Fatalf("Check after Repair and Commit = %v, %v; want clean (it found %v)", ps, err, before)
		}
		budget = 2000
		walk(again, "", 0, &budget)
	})
}

// walk reads every directory and file, within a budget: a corrupt
// directory can list the same subdirectory thousands of times.
func walk(fs *FS, dir string, depth int, budget *int) {
	if depth > 8 || *budget <= 0 {
		return
	}
	*budget--
	fis, err := fs.ReadDir(dir)
	if err != nil {
		return
	}
	for _, fi := range fis {
		p := filepath.Join(dir, fi.Name)
		if fi.Dir {
			walk(fs, p, depth+1, budget)
			continue
		}
		if r, _, err := fs.Open(p); err == nil {
			io.Copy(io.Discard, io.LimitReader(r, 1<<20))
		}
	}
}

// seedTree is small and printable, so that the seeds stay small: the
// paths are those the mutations damage.
func seedTree() []file {
	text := func(s string, n int) []byte { return bytes.Repeat([]byte(s), n) }
	return []file{
		{".joyliveusb", nil},
		{"config", []byte("hostname=headnode\n")},
		{"LICENSE", []byte("MPL\n")},
		{"boot/forth/menu.rc", text("menu item\n", 150)},
		{"os/20260301T000000Z/platform/i86pc/amd64/boot_archive", text("archive ", 375)},
		{"os/20260301T000000Z/platform/i86pc/amd64/A Long File Name.txt", []byte("hello")},
		{"scripts/script-100.sh", text("echo 100\n", 80)},
		{"scripts/script-101.sh", text("echo 101\n", 100)},
	}
}

type seed struct {
	name string
	b    []byte
}

// seedImages are an empty filesystem made by Format, one holding
// seedTree, and that one with each of the mutations Check must find.
func seedImages(f *testing.F) []seed { return seedImagesT(f) }

func seedImagesT(tb testing.TB) []seed {
	img := filepath.Join(tb.TempDir(), "seed.img")
	var seeds []seed
	grab := func(name string, fl *os.File) {
		var b []byte
		for _, r := range fuzzRegions {
			piece := make([]byte, min(r.n, 16<<10))
			fl.ReadAt(piece, r.at)
			b = append(b, piece...)
		}
		seeds = append(seeds, seed{name, bytes.TrimRight(b, "\x00")})
	}
	fresh := func() (*os.File, *FS) {
		fl, err := os.Create(img)
		if err != nil {
			tb.Fatal(err)
		}
		fl.Truncate(fuzzSize)
		fs, err := Format(fl, fuzzSize/SectorSize, "SMARTOSBOOT", epoch)
		if err != nil {
			tb.Fatal(err)
		}
		return fl, fs
	}
	fill := func(fs *FS) {
		for _, fl := range seedTree() {
			if err := fs.MkdirAll(filepath.Dir(fl.path), epoch); err != nil {
				tb.Fatal(err)
			}
			if err := fs.WriteFile(fl.path, bytes.NewReader(fl.data), int64(len(fl.data)), epoch); err != nil {
				tb.Fatal(err)
			}
		}
		if err := fs.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	fl, _ := fresh()
	grab("seed-0", fl)
	fl.Close()
	fl, fs := fresh()
	fill(fs)
	grab("seed-1", fl)
	fl.Close()
	for _, m := range mutations {
		if m.kinds == nil {
			continue
		}
		fl, fs := fresh()
		fill(fs)
		m.do(damage{t: tb, f: fl, fs: fs})
		grab("damage-"+m.name, fl)
		fl.Close()
	}
	sort.Slice(seeds, func(i, j int) bool { return seeds[i].name < seeds[j].name })
	return slices.Clip(seeds)
}
