package fat32

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"slices"
	"testing"
)

// fsckClean runs `fsck.fat -n` and reports whether it found the volume
// clean; any exit status but 0 and 1 fails the test.
func fsckClean(t *testing.T, img string) (bool, string) {
	t.Helper()
	out, err := exec.Command("fsck.fat", "-n", img).CombinedOutput()
	if err == nil {
		return true, string(out)
	}
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		return false, string(out)
	}
	t.Fatalf("fsck.fat -n %s: %v\n%s", img, err, out)
	return false, ""
}

// damage is a volume being mutated by hand: raw FAT entries and directory
// entries, written as a corrupting tool or a torn write would.
type damage struct {
	t  testing.TB
	f  *os.File
	fs *FS
}

func (d damage) fatOff(copyNo int, c uint32) int64 {
	return (int64(d.fs.boot.RsvdSecCnt)+int64(copyNo)*int64(d.fs.g.FATSectors))*SectorSize + 4*int64(c)
}

// setFAT sets entry c in the given FAT copies (all when none is named).
func (d damage) setFAT(c, v uint32, copies ...int) {
	if len(copies) == 0 {
		copies = []int{0, 1}
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	for _, i := range copies {
		if _, err := d.f.WriteAt(b[:], d.fatOff(i, c)); err != nil {
			d.t.Fatal(err)
		}
	}
}

// chain is the committed chain of the file or directory p.
func (d damage) chain(p string) []uint32 {
	fi, err := d.fs.Stat(p)
	if err != nil {
		d.t.Fatal(err)
	}
	cs, err := d.fs.fat.chain(fi.Cluster)
	if err != nil {
		d.t.Fatal(err)
	}
	return cs
}

// entry returns the offset of p's short directory entry.
func (d damage) entry(p string) int64 {
	n, err := d.fs.lookup(p)
	if err != nil {
		d.t.Fatal(err)
	}
	buf := make([]byte, d.fs.g.ClusterSize)
	for _, c := range n.parent.clusters {
		off := d.fs.g.clusterOffset(c)
		d.f.ReadAt(buf, off)
		for i := 0; i < len(buf); i += dirEntrySize {
			if bytes.Equal(buf[i:i+11], n.short[:]) {
				return off + int64(i)
			}
		}
	}
	d.t.Fatalf("no entry for %s", p)
	return 0
}

func (d damage) setEntryCluster(p string, c uint32) {
	off := d.entry(p)
	var b [2]byte
	binary.LittleEndian.PutUint16(b[:], uint16(c>>16))
	d.f.WriteAt(b[:], off+20)
	binary.LittleEndian.PutUint16(b[:], uint16(c))
	d.f.WriteAt(b[:], off+26)
}

func (d damage) setEntrySize(p string, size uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], size)
	d.f.WriteAt(b[:], d.entry(p)+28)
}

// freeCluster is a cluster no file uses, the skip+1-th from the start.
func (d damage) freeCluster(skip int) uint32 {
	for c := uint32(2); c < d.fs.fat.len(); c++ {
		if d.fs.fat.get(c) == 0 {
			if skip == 0 {
				return c
			}
			skip--
		}
	}
	d.t.Fatal("no free cluster")
	return 0
}

// mutations are the damage the checker must find, each with the kinds it
// must name. They run on the volume tree() fills.
var mutations = []struct {
	name  string
	kinds []ProblemKind
	do    func(d damage)
}{
	{"clean", nil, func(d damage) {}},
	{"looping-chain", []ProblemKind{ChainLoop}, func(d damage) {
		cs := d.chain("boot/forth/menu.rc")
		d.setFAT(cs[len(cs)-1], cs[0])
	}},
	{"self-pointing-directory", []ProblemKind{DirLoop}, func(d damage) {
		d.setEntryCluster("os/20260301T000000Z", d.chain("os")[0])
	}},
	{"directory-points-at-ancestor", []ProblemKind{DirLoop}, func(d damage) {
		d.setEntryCluster("os/20260301T000000Z/platform/i86pc", d.chain("os")[0])
	}},
	{"cross-linked-files", []ProblemKind{CrossLinked}, func(d damage) {
		d.setEntryCluster("scripts/script-100.sh", d.chain("scripts/script-101.sh")[0])
	}},
	{"chain-out-of-range", []ProblemKind{ChainOutOfRange}, func(d damage) {
		cs := d.chain("os/20260301T000000Z/platform/i86pc/amd64/boot_archive")
		d.setFAT(cs[3], 0x0FFFFFF0)
	}},
	{"entry-out-of-range", []ProblemKind{ChainOutOfRange}, func(d damage) {
		d.setEntryCluster("config", d.fs.fat.len()+10)
	}},
	{"chain-reaches-free", []ProblemKind{ChainFree}, func(d damage) {
		cs := d.chain("boot/forth/menu.rc")
		d.setFAT(cs[1], 0)
	}},
	{"directory-chain-reaches-free", []ProblemKind{ChainFree}, func(d damage) {
		cs := d.chain("scripts")
		d.setFAT(cs[len(cs)-1], 0)
	}},
	{"lost-clusters", []ProblemKind{LostClusters}, func(d damage) {
		a, b := d.freeCluster(0), d.freeCluster(5)
		d.setFAT(a, b)
		d.setFAT(b, eoc)
	}},
	{"fats-differ", []ProblemKind{FATsDiffer}, func(d damage) {
		d.setFAT(d.freeCluster(0), eoc, 1)
	}},
	{"fat1-ahead", []ProblemKind{FATsDiffer, LostClusters}, func(d damage) {
		d.setFAT(d.freeCluster(0), eoc, 0)
	}},
	{"free-count-wrong", []ProblemKind{FreeCount}, func(d damage) {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], 16)
		d.f.WriteAt(b[:], int64(d.fs.boot.FSInfo)*SectorSize+0x1E8)
	}},
	{"size-past-chain", []ProblemKind{SizeMismatch}, func(d damage) {
		d.setEntrySize("LICENSE", uint32(d.fs.ClusterSize())*3)
	}},
	{"chain-past-size", []ProblemKind{SizeMismatch}, func(d damage) {
		d.setEntrySize("boot/forth/menu.rc", uint32(d.fs.ClusterSize()))
	}},
	{"wrong-dotdot", []ProblemKind{BadDots}, func(d damage) {
		// ".." of os/STAMP/platform is its second entry.
		off := d.fs.g.clusterOffset(d.chain("os/20260301T000000Z/platform")[0]) + dirEntrySize
		var b [2]byte
		binary.LittleEndian.PutUint16(b[:], uint16(d.chain("boot")[0]))
		d.f.WriteAt(b[:], off+26)
	}},
}

// readOnly is a volume as usbkey-status opens it: a write fails the test.
type readOnly struct {
	t *testing.T
	f *os.File
}

func (v readOnly) ReadAt(b []byte, off int64) (int, error) { return v.f.ReadAt(b, off) }
func (v readOnly) WriteAt(b []byte, off int64) (int, error) {
	v.t.Errorf("Check wrote %d bytes at %d", len(b), off)
	return 0, os.ErrPermission
}

// mutated returns a volume filled by tree(), with m done to it, reopened.
func mutated(t *testing.T, do func(d damage)) (string, *os.File) {
	img, f, fs := newImage(t, 64<<20, "SMARTOSBOOT")
	populate(t, fs, tree())
	do(damage{t: t, f: f, fs: fs})
	return img, f
}

func kinds(ps []Problem) []ProblemKind {
	var out []ProblemKind
	for _, p := range ps {
		if !slices.Contains(out, p.Kind) {
			out = append(out, p.Kind)
		}
	}
	return out
}

// Check names each kind of damage, agrees with fsck.fat -n on whether the
// volume is damaged, and Repair leaves a volume both call clean.
func TestCheckFindsWhatFsckFinds(t *testing.T) {
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			img, f := mutated(t, m.do)
			ro, err := Open(readOnly{t, f})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			ps, err := ro.Check()
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			got := kinds(ps)
			for _, k := range m.kinds {
				if !slices.Contains(got, k) {
					t.Errorf("Check() = %v, want it to name %q", ps, k)
				}
			}
			clean, out := fsckClean(t, img)
			if clean != (len(ps) == 0) {
				t.Errorf("Check() = %v, but fsck.fat -n says clean=%v:\n%s", ps, clean, out)
			}
			if m.kinds == nil {
				return
			}
			fs, err := Open(f)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if _, err := fs.Repair(); err != nil {
				t.Fatalf("Repair: %v", err)
			}
			if err := fs.Commit(); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			again, err := Open(f)
			if err != nil {
				t.Fatalf("Open after Repair: %v", err)
			}
			if ps, err := again.Check(); err != nil || len(ps) > 0 {
				t.Errorf("Check() after Repair = %v, %v; want clean", ps, err)
			}
			if clean, out := fsckClean(t, img); !clean {
				t.Errorf("fsck.fat -n after Repair:\n%s", out)
			}
		})
	}
}

// TestCheckComparesFATsToTheEnd: the FATs are compared a chunk at a time,
// so a difference in the last entry of a FAT of several chunks is found
// and named at its cluster.
func TestCheckComparesFATsToTheEnd(t *testing.T) {
	_, f, fs := newImage(t, 1<<30, "SMARTOSBOOT")
	if n := fs.fat.len() * 4; n < 3<<20 {
		t.Fatalf("FAT of %d bytes: want several 1 MiB chunks", n)
	}
	last := fs.fat.len() - 1
	damage{t: t, f: f, fs: fs}.setFAT(last, eoc, 1)
	ro, err := Open(readOnly{t, f})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := ro.Check()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) == 0 || ps[0].Kind != FATsDiffer || ps[0].Cluster != last {
		t.Errorf("Check() = %v, want the FATs to differ at cluster %d", ps, last)
	}
}
