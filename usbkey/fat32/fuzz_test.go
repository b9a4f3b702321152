package fat32

import (
	"bytes"
	"encoding/binary"
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

// fuzzRegion is a piece of the volume that FuzzOpen's input can change:
// the boot sector and FSInfo, the start of each FAT and the start of the
// data area. Everything else reads as zeros.
type fuzzRegion struct{ at, n int64 }

var fuzzRegions = func() []fuzzRegion {
	g, err := NewGeometry(fuzzSize / SectorSize)
	if err != nil {
		panic(err)
	}
	fat := int64(reservedSectors) * SectorSize
	return []fuzzRegion{
		{0, 2 * SectorSize}, // boot sector and FSInfo
		{fat, 256},          // FAT 1: clusters 0 to 63
		{fat + int64(g.FATSectors)*SectorSize, 256},           // FAT 2
		{int64(g.DataStart) * SectorSize, 16 * g.ClusterSize}, // clusters 2 to 17
	}
}()

// fuzzSpace is the regions' bytes, one after the other.
type fuzzSpace []byte

// spaceOf reads the regions of a volume.
func spaceOf(v io.ReaderAt) fuzzSpace {
	var b []byte
	for _, r := range fuzzRegions {
		piece := make([]byte, r.n)
		v.ReadAt(piece, r.at)
		b = append(b, piece...)
	}
	return b
}

// FuzzOpen's input is a base, chosen by its first byte, and patches to
// its regions: each a 16-bit little-endian offset into fuzzSpace, a
// length and that many bytes. Small inputs so reach deep into a
// filesystem that opens, and the fuzzer minimises what it finds quickly.
func patched(bases []fuzzSpace, in []byte) fuzzSpace {
	if len(in) == 0 {
		return bytes.Clone(bases[0])
	}
	s := bytes.Clone(bases[int(in[0])%len(bases)])
	in = in[1:]
	for len(in) >= 3 {
		off := int(binary.LittleEndian.Uint16(in)) % len(s)
		n := min(int(in[2]), len(in)-3)
		copy(s[off:], in[3:3+n])
		in = in[3+n:]
	}
	return s
}

// patches is the input that turns base number base into s.
func patches(base int, from, to fuzzSpace) []byte {
	out := []byte{byte(base)}
	for i := 0; i < len(to); {
		if from[i] == to[i] {
			i++
			continue
		}
		j := i
		for j < len(to) && j-i < 255 && from[j] != to[j] {
			j++
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(i))
		out = append(out, byte(j-i))
		out = append(out, to[i:j]...)
		i = j
	}
	return out
}

// fuzzVolume is a volume whose regions hold a fuzzSpace; writes are kept,
// a sector at a time, so that what Repair and Commit write is read back.
type fuzzVolume struct {
	s       fuzzSpace
	written map[int64][]byte // by sector
}

func newFuzzVolume(s fuzzSpace) *fuzzVolume {
	return &fuzzVolume{s: s, written: map[int64][]byte{}}
}

func (v *fuzzVolume) Size() int64 { return fuzzSize }

func (v *fuzzVolume) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= fuzzSize {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), fuzzSize-off))
	clear(p[:n])
	in := v.s
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
	seeds, bases := seedImages(f)
	for _, s := range seeds {
		f.Add(s.b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		v := newFuzzVolume(patched(bases, in))
		fs, err := Open(v)
		if err != nil {
			return
		}
		walk(fs, "", 0, newWalkBudget())
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
		walk(again, "", 0, newWalkBudget())
	})
}

// walkBudget bounds a walk: a corrupt directory can list the same
// subdirectory, or the same long file, thousands of times.
type walkBudget struct{ entries, bytes int64 }

func newWalkBudget() *walkBudget { return &walkBudget{entries: 2000, bytes: 4 << 20} }

// walk reads every directory and file, within the budget.
func walk(fs *FS, dir string, depth int, budget *walkBudget) {
	if depth > 8 || budget.entries <= 0 {
		return
	}
	budget.entries--
	fis, err := fs.ReadDir(dir)
	if err != nil {
		return
	}
	for _, fi := range fis {
		if budget.entries--; budget.entries <= 0 {
			return
		}
		p := filepath.Join(dir, fi.Name)
		if fi.Dir {
			walk(fs, p, depth+1, budget)
			continue
		}
		if r, _, err := fs.Open(p); err == nil && budget.bytes > 0 {
			n, _ := io.Copy(io.Discard, io.LimitReader(r, min(budget.bytes, 64<<10)))
			budget.bytes -= n
		}
	}
}

// seedTree is small: the paths are those the mutations damage.
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

// seedClusters is how many clusters the bases' boot sectors claim.
const seedClusters = 2048

type seed struct {
	name string
	b    []byte
}

// seedImages are FuzzOpen's bases, an empty filesystem made by Format and
// one holding seedTree, and its seeds: each base as it is, and the second
// with each of the mutations Check must find.
func seedImages(f *testing.F) ([]seed, []fuzzSpace) { return seedImagesT(f) }

func seedImagesT(tb testing.TB) ([]seed, []fuzzSpace) {
	img := filepath.Join(tb.TempDir(), "seed.img")
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
	// The boot sector claims only the first seedClusters clusters, and
	// FSInfo no free count: every execution then walks a FAT of a few
	// thousand entries rather than 80,000.
	space := func(fl *os.File) fuzzSpace {
		s := spaceOf(fl)
		g, _ := NewGeometry(fuzzSize / SectorSize)
		binary.LittleEndian.PutUint32(s[0x20:], uint32(g.DataStart)+seedClusters)
		binary.LittleEndian.PutUint32(s[SectorSize+0x1E8:], unknownFree)
		return s
	}
	fill := func(fs *FS) {
		// The directories first, so that they take the clusters the
		// regions hold; the files' data lies past them and reads as
		// zeros, which Check does not mind.
		for _, fl := range seedTree() {
			if err := fs.MkdirAll(filepath.Dir(fl.path), epoch); err != nil {
				tb.Fatal(err)
			}
		}
		if err := fs.Commit(); err != nil {
			tb.Fatal(err)
		}
		for _, fl := range seedTree() {
			if err := fs.WriteFile(fl.path, bytes.NewReader(fl.data), int64(len(fl.data)), epoch); err != nil {
				tb.Fatal(err)
			}
		}
		if err := fs.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	fl, _ := fresh()
	empty := space(fl)
	fl.Close()
	fl, fs := fresh()
	fill(fs)
	full := space(fl)
	fl.Close()
	bases := []fuzzSpace{empty, full}
	seeds := []seed{{"seed-0", []byte{0}}, {"seed-1", []byte{1}}}
	for _, m := range mutations {
		if m.kinds == nil {
			continue
		}
		fl, fs := fresh()
		fill(fs)
		info := spaceOf(fl)[SectorSize+0x1E8:][:4]
		m.do(damage{t: tb, f: fl, fs: fs})
		s := space(fl)
		if raw := spaceOf(fl)[SectorSize+0x1E8:][:4]; !bytes.Equal(raw, info) {
			copy(s[SectorSize+0x1E8:], raw) // the mutation is FSInfo's
		}
		seeds = append(seeds, seed{"damage-" + m.name, patches(1, full, s)})
		fl.Close()
	}
	sort.Slice(seeds, func(i, j int) bool { return seeds[i].name < seeds[j].name })
	return slices.Clip(seeds), bases
}
