package populate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"cntools/usbkey/fat32"
	"cntools/usbkey/keytree"
)

// The crash fixture's sources are a few hundred kilobytes: committing
// every 64 KiB puts many commits, begun and finished, among the writes a
// kill or a power cut may stop at.
func init() { commitEvery = 64 << 10 }

// crashImage is the size of the FAT32 image the crash tests fill: about
// the smallest FAT32 volume, so that each of the hundreds of runs is fast.
const crashImage = 36 << 20

// errKilled is what every write fails with once the process is "killed".
var errKilled = errors.New("killed")

// write is one WriteAt a run made, or (data nil) a Sync.
type write struct {
	off  int64
	data []byte
}

// crashVolume is an image file that counts writes: from the killAt-th on
// (1-based; 0 never) every write and sync fails and writes nothing, as
// though the process had been killed there. With rec, it records every
// write and sync.
type crashVolume struct {
	f      *os.File
	writes int
	killAt int
	rec    bool
	log    []write
	// due are the background flushes under way: each ends at the next
	// write or flush.
	due []chan error
}

// settle ends the background flushes under way.
func (v *crashVolume) settle() {
	for _, ch := range v.due {
		ch <- nil
	}
	v.due = nil
}

func (v *crashVolume) ReadAt(b []byte, off int64) (int, error) { return v.f.ReadAt(b, off) }
func (v *crashVolume) Size() int64                             { return crashImage }

func (v *crashVolume) WriteAt(b []byte, off int64) (int, error) {
	v.settle()
	v.writes++
	if v.killAt > 0 && v.writes >= v.killAt {
		return 0, errKilled
	}
	if v.rec {
		v.log = append(v.log, write{off, bytes.Clone(b)})
	}
	return v.f.WriteAt(b, off)
}

func (v *crashVolume) Sync() error {
	v.settle()
	if v.killAt > 0 && v.writes >= v.killAt {
		return errKilled
	}
	if v.rec {
		v.log = append(v.log, write{off: -1})
	}
	return nil
}

// StartSync is a flush in the background that ends before the next write
// or flush (the log's barrier, then, covers what was written before the
// call): a commit's finish comes a file later, the copy going on between
// its halves as on a key device. The order of a commit's own writes and
// flushes is fat32's tests' to hold.
func (v *crashVolume) StartSync() <-chan error {
	ch := make(chan error, 1)
	if err := v.Sync(); err != nil {
		ch <- err
		return ch
	}
	v.due = append(v.due, ch)
	return ch
}

// crashSource writes a headnode key source: version 1, or version 2 in
// which the config and platform are replaced, scripts changed, and new
// files in new directories added, so that a run frees, grows and creates.
func crashSource(t *testing.T, dir string, version int) {
	t.Helper()
	old := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(version) * time.Hour)
	w := func(p string, b []byte) {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	r := rand.New(rand.NewSource(int64(version)))
	blob := func(n int) []byte {
		b := make([]byte, n)
		r.Read(b)
		return b
	}
	w("boot/loader.conf", []byte(`platform-version="20260301T000000Z"`+"\n"))
	w("config", bytes.Repeat([]byte(fmt.Sprintf("key%d=value\n", version)), 50*version))
	w("config.inc/generic", []byte("generic\n"))
	w("tools.tar.gz", blob(3000))
	w("cn_tools.tar.gz", blob(2000))
	w("os/20260301T000000Z/platform/i86pc/amd64/boot_archive", blob(200<<10*version))
	for i := 0; i < 40; i++ {
		w(fmt.Sprintf("scripts/s%02d.sh", i), blob(100+i*40*version))
	}
	if version > 1 {
		for i := 0; i < 60; i++ {
			w(fmt.Sprintf("images/set-%d/image-with-a-long-name-%02d.json", i%6, i), blob(300+i*90))
		}
	}
}

// writeSparse writes img as the file p, skipping the blocks that are
// zero, which is most of a fresh image.
func writeSparse(t *testing.T, p string, img []byte) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(int64(len(img))); err != nil {
		t.Fatal(err)
	}
	const blk = 64 << 10
	zero := make([]byte, blk)
	for off := 0; off < len(img); off += blk {
		if b := img[off:min(off+blk, len(img))]; !bytes.Equal(b, zero[:len(b)]) {
			if _, err := f.WriteAt(b, int64(off)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// populateImage runs one plan and apply from src on the image through v.
func populateImage(v *crashVolume, src string) error {
	fs, err := fat32.Open(v)
	if err != nil {
		return err
	}
	dst := keytree.FAT(fs, v, "key.img")
	ctx := context.Background()
	p, err := MakePlan(ctx, keytree.Dir(src), dst, Request{}, Options{})
	if err != nil {
		return err
	}
	_, err = p.Apply(ctx)
	return err
}

// keyState opens the image afresh and reports whether it carries the
// marker and whether its files are those of src.
func keyState(t *testing.T, img, src string) (marked, same bool) {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs, err := fat32.Open(f)
	if err != nil {
		return false, false
	}
	_, err = fs.Stat(MarkerFile)
	marked = err == nil
	same = true
	filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || !same {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		want, _ := os.ReadFile(p)
		r, _, err := fs.Open(filepath.ToSlash(rel))
		if err != nil {
			same = false
			return nil
		}
		got, err := io.ReadAll(r)
		same = err == nil && bytes.Equal(got, want)
		return nil
	})
	return marked, same
}

// fsckFAT runs fsck.fat -n on the image.
func fsckFAT(t *testing.T, img string) error {
	t.Helper()
	out, err := exec.Command("fsck.fat", "-n", img).CombinedOutput()
	if err != nil {
		return fmt.Errorf("fsck.fat -n: %v\n%s", err, out)
	}
	return nil
}

// crashFixture is a key image populated from version 1, and version 2 of
// the source to populate it with.
type crashFixture struct {
	dir      string
	base     []byte // the image after version 1
	src1     string
	src2     string
	writes   int     // writes of a full run from base to version 2
	log      []write // those writes, and the syncs between them
	interval time.Duration
}

func newCrashFixture(t *testing.T) *crashFixture { return newFixture(t, true) }

// newFixture makes the fixture; without v1, the base is a freshly
// formatted image, as usbkey-format leaves it.
func newFixture(t *testing.T, v1 bool) *crashFixture {
	t.Helper()
	x := &crashFixture{dir: t.TempDir()}
	x.src1, x.src2 = filepath.Join(x.dir, "src1"), filepath.Join(x.dir, "src2")
	crashSource(t, x.src1, 1)
	crashSource(t, x.src2, 2)
	img := filepath.Join(x.dir, "base.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Truncate(crashImage)
	if _, err := fat32.Format(f, crashImage/fat32.SectorSize, "SMARTOSBOOT", time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	if v1 {
		if err := populateImage(&crashVolume{f: f}, x.src1); err != nil {
			t.Fatalf("populate version 1: %v", err)
		}
	}
	if x.base, err = os.ReadFile(img); err != nil {
		t.Fatal(err)
	}
	// A full run to version 2, recorded.
	v := &crashVolume{f: f, rec: true}
	start := time.Now()
	if err := populateImage(v, x.src2); err != nil {
		t.Fatalf("populate version 2: %v", err)
	}
	x.interval = time.Since(start)
	x.writes, x.log = v.writes, v.log
	if err := fsckFAT(t, img); err != nil {
		t.Fatalf("after a full run: %v", err)
	}
	return x
}

// rerun populates the image from version 2 and asserts that the key is
// then complete, marked and clean to fsck.fat and to Check.
func (x *crashFixture) rerun(t *testing.T, img, what string) {
	t.Helper()
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := populateImage(&crashVolume{f: f}, x.src2); err != nil {
		t.Fatalf("%s: the next run: %v", what, err)
	}
	if err := fsckFAT(t, img); err != nil {
		t.Fatalf("%s: after the next run: %v", what, err)
	}
	// The run itself checked the filesystem with fat32's Check before
	// it wrote the marker.
	if marked, same := keyState(t, img, x.src2); !marked || !same {
		t.Fatalf("%s: after the next run: marked %v, content is version 2: %v", what, marked, same)
	}
}

// checkAgrees asserts that fat32's Check and fsck.fat -n both call the
// image damaged, or both clean.
func checkAgrees(t *testing.T, img, what string) {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs, err := fat32.Open(f)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	ps, err := fs.Check()
	if err != nil {
		t.Fatalf("%s: Check: %v", what, err)
	}
	if fsckErr := fsckFAT(t, img); (fsckErr == nil) != (len(ps) == 0) {
		t.Fatalf("%s: Check() = %v, but %v", what, ps, fsckErr)
	}
}

// checkMarker asserts that a key that carries the marker is complete.
func (x *crashFixture) checkMarker(t *testing.T, img, what string) {
	t.Helper()
	marked, same2 := keyState(t, img, x.src2)
	if !marked || same2 {
		return
	}
	if _, same1 := keyState(t, img, x.src1); !same1 {
		t.Fatalf("%s: the key carries the marker but holds neither version 1 nor version 2", what)
	}
}

// killAt runs a populate to version 2 on a copy of the base, killed at
// write k, and checks what it leaves: the marker only on a complete key;
// with agree, Check and fsck.fat -n agreeing on whether it is damaged. Then
// the next run must complete it.
func (x *crashFixture) killAt(t *testing.T, k int, agree bool, what string) {
	t.Helper()
	img := filepath.Join(x.dir, "key.img")
	writeSparse(t, img, x.base)
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = populateImage(&crashVolume{f: f, killAt: k}, x.src2)
	f.Close()
	if !errors.Is(err, errKilled) {
		t.Fatalf("%s: run = %v, want it killed", what, err)
	}
	x.checkMarker(t, img, what)
	if agree {
		checkAgrees(t, img, what)
	}
	x.rerun(t, img, what)
}

// A run killed at any write leaves a key without the marker unless it is
// complete, and the next run completes it with a filesystem fsck.fat
// calls clean: no lost clusters, the two FATs equal.
func TestPopulateKilledAtEveryWrite(t *testing.T) {
	t.Parallel()
	x := newCrashFixture(t)
	if x.writes < 100 {
		t.Fatalf("a full run makes %d writes; the test needs 100 kill points", x.writes)
	}
	start := time.Now()
	for k := 1; k <= x.writes; k++ {
		// Check and fsck.fat -n are compared at a third of the points,
		// which keeps the test quick.
		x.killAt(t, k, k%3 == 0, fmt.Sprintf("killed at write %d of %d", k, x.writes))
	}
	t.Logf("%d kill points in %v (a full run: %v)", x.writes, time.Since(start), x.interval)
}

// So does a first run on a freshly formatted key, killed at every fourth
// write.
func TestPopulateKilledOnFreshKey(t *testing.T) {
	t.Parallel()
	x := newFixture(t, false)
	for k := 1; k <= x.writes; k += 4 {
		x.killAt(t, k, false, fmt.Sprintf("first run killed at write %d of %d", k, x.writes))
	}
	t.Logf("%d kill points of %d writes", (x.writes+3)/4, x.writes)
}

// A power cut keeps every write made before the last flush and any of the
// sectors written after it. Whatever it keeps, a key with the marker is complete
// and the next run completes the key with a clean filesystem.
func TestPopulatePowerCut(t *testing.T) {
	t.Parallel()
	x := newCrashFixture(t)
	img := filepath.Join(x.dir, "key.img")
	r := rand.New(rand.NewSource(15))
	const cuts = 50
	snap := make([]byte, len(x.base))
	start := time.Now()
	for i := 0; i < cuts; i++ {
		k := 1 + r.Intn(len(x.log))
		copy(snap, x.base)
		synced := 0
		for j, w := range x.log[:k] {
			if w.data == nil {
				synced = j
			}
		}
		// Of each write after the flush, any of its sectors may be on
		// the disk.
		kept := 0
		for j, w := range x.log[:k] {
			if w.data == nil {
				continue
			}
			for lo := 0; lo < len(w.data); lo += fat32.SectorSize {
				if j <= synced || r.Intn(2) == 0 {
					copy(snap[w.off+int64(lo):], w.data[lo:min(lo+fat32.SectorSize, len(w.data))])
					kept++
				}
			}
		}
		what := fmt.Sprintf("power cut %d at log entry %d of %d (last flush at %d, %d sectors kept)", i, k, len(x.log), synced, kept)
		writeSparse(t, img, snap)
		x.checkMarker(t, img, what)
		checkAgrees(t, img, what)
		x.rerun(t, img, what)
	}
	t.Logf("%d power cuts in %v", cuts, time.Since(start))
}
