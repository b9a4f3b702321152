package fat32

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// fuzzVolume is a volume whose first bytes are the fuzzer's input and the
// rest, up to size, zeros; writes go nowhere.
type fuzzVolume struct {
	b    []byte
	size int64
}

func (v fuzzVolume) Size() int64 { return v.size }
func (v fuzzVolume) ReadAt(p []byte, off int64) (int, error) {
	if off >= v.size {
		return 0, io.EOF
	}
	n := len(p)
	if rest := v.size - off; int64(n) > rest {
		n = int(rest)
	}
	for i := range p[:n] {
		p[i] = 0
	}
	if off < int64(len(v.b)) {
		copy(p[:n], v.b[off:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
func (fuzzVolume) WriteAt(p []byte, off int64) (int, error) { return len(p), nil }

// FuzzOpen feeds corrupt filesystems to the reader that usbkey-status and
// usbkey-populate use on keys they did not write: any input gives an FS or
// an error, never a panic, a hang or an allocation the partition cannot
// justify.
func FuzzOpen(f *testing.F) {
	for _, seed := range seedImages(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := Open(fuzzVolume{b: b, size: 40 << 20})
		if err != nil {
			return
		}
		budget := 2000
		walk(fs, "", 0, &budget)
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

// seedImages are the leading bytes (boot sector, FSInfo, FAT and root
// directory) of small filesystems made by Format and WriteFile.
func seedImages(f *testing.F) [][]byte { return seedImagesT(f) }

func seedImagesT(f testing.TB) [][]byte {
	img := filepath.Join(f.TempDir(), "seed.img")
	fl, err := os.Create(img)
	if err != nil {
		f.Fatal(err)
	}
	defer fl.Close()
	fl.Truncate(40 << 20)
	fs, err := Format(fl, (40<<20)/SectorSize, "SMARTOSBOOT", epoch)
	if err != nil {
		f.Fatal(err)
	}
	var seeds [][]byte
	grab := func() {
		// The boot sector, FSInfo and the start of the first FAT, with the
		// root directory's first cluster moved up behind them: small seeds
		// keep the fuzzer fast, and the rest of the volume reads as zeros.
		g := fs.Geometry()
		b := make([]byte, 16<<10)
		fl.ReadAt(b[:12<<10], 0)
		fl.ReadAt(b[12<<10:], int64(g.DataStart)*SectorSize)
		seeds = append(seeds, bytes.Clone(b))
	}
	grab()
	fs.MkdirAll("os/20260301T000000Z", epoch)
	fs.WriteFile(".joyliveusb", bytes.NewReader(nil), 0, epoch)
	fs.WriteFile("os/20260301T000000Z/A Long File Name.txt", bytes.NewReader([]byte("hello")), 5, epoch)
	fs.Commit()
	grab()
	return seeds
}
