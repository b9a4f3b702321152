package key

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"cntools/internal/node"
	"cntools/usbkey/bootfiles/bootfilestest"
	"cntools/usbkey/device"
	"cntools/usbkey/parttable"
)

// testNode is a simulated node: c1t0d0 a spare USB stick, c1t1d0 one that
// is mounted, c0t0d0 a fixed disk in zones, c2t0d0 too small, c9t0d0 one
// diskinfo does not list; the boot files in its usbkey copy.
func testNode(t *testing.T) *node.Node {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		node.DiskinfoFile: "USB\tc1t0d0\tSanDisk\tCruzer\t8000000000\tyes\tno\n" +
			"USB\tc1t1d0\tKingston\tDataTraveler\t8000000000\tyes\tno\n" +
			"SCSI\tc0t0d0\tINTEL\tSSDSC2KB48\t480103981056\tno\tyes\n" +
			"USB\tc2t0d0\tGeneric\tFlash\t2000000000\tyes\tno\n",
		node.MnttabFile:     "/dev/dsk/c1t1d0p1\t/mnt/stick\tpcfs\trw,foldcase\t1764590000\n",
		node.ZpoolListFile:  "zones\t476G\t100G\t376G\t-\t-\t5%\t21%\t1.00x\tONLINE\t-\n\t/dev/dsk/c0t0d0\t476G\t100G\t376G\t-\t-\t5%\t21%\n",
		node.BootParamsFile: "console=text\n",
	}
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := bootfilestest.WriteDir(filepath.Join(root, "usbkey")); err != nil {
		t.Fatal(err)
	}
	return node.New(root)
}

const patternChunk = 1 << 20

// patternAt is the pattern's chunk at off: every 8 bytes hold their own
// offset, scrambled, so no byte range is zero or repeats another.
func patternAt(off int64) []byte {
	b := make([]byte, patternChunk)
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], uint64(off+int64(i))^0xa5a5_5a5a_a5a5_5a5a)
	}
	return b
}

// patterned writes size bytes of the pattern to path, whole (no holes, so
// a write of zeros shows).
func patterned(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for off := int64(0); off < size; off += patternChunk {
		b := patternAt(off)[:min(patternChunk, size-off)]
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
}

// samePattern fails the test unless path holds exactly what patterned
// wrote: every byte, and no more.
func samePattern(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	if fi, _ := f.Stat(); fi.Size() != size {
		t.Fatalf("%s has %d bytes, want the %d it had", path, fi.Size(), size)
	}
	got := make([]byte, patternChunk)
	for off := int64(0); off < size; off += patternChunk {
		n := min(patternChunk, size-off)
		if _, err := f.ReadAt(got[:n], off); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if want := patternAt(off)[:n]; !bytes.Equal(got[:n], want) {
			i := 0
			for got[i] == want[i] {
				i++
			}
			t.Fatalf("%s was written at byte %d", path, off+int64(i))
		}
	}
}

func sum(t *testing.T, path string) [sha256.Size]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return [sha256.Size]byte(h.Sum(nil))
}

func codes(rs []device.Refusal) []string {
	var c []string
	for _, r := range rs {
		c = append(c, r.Code)
	}
	return c
}

// Every refusal comes before a byte is written: each target holds a
// pattern, compared whole afterwards; a target that did not exist still
// does not.
func TestPlanFormatRefusesChangingNothing(t *testing.T) {
	ctx := context.Background()
	n := testNode(t)
	const small = 1 << 20
	targets := []string{"/images/small.img", "/dev/rdsk/c1t1d0p0", "/dev/rdsk/c0t0d0p0", "/dev/rdsk/c2t0d0p0", "/dev/rdsk/c9t0d0p0"}
	for _, p := range targets {
		patterned(t, n.Path(p), small)
	}
	noEFI := n.Path("/noefi")
	if err := bootfilestest.WriteDir(noEFI); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(noEFI, "boot/loader64.efi"))
	img := n.Path("/images/small.img")

	for _, c := range []struct {
		req   FormatRequest
		want  string
		codes []string // for a *RefusedError
	}{
		{FormatRequest{Target: "/images/small.img"},
			"refusing to format /images/small.img: image " + img + " has 1048576 bytes, a key needs at least 4000000000; pass --force to format it anyway",
			[]string{device.CodeTooSmall}},
		{FormatRequest{Target: "/dev/rdsk/c1t1d0p0", Yes: true},
			"refusing to format /dev/rdsk/c1t1d0p0: disk c1t1d0 is mounted: /dev/dsk/c1t1d0p1 on /mnt/stick (pcfs); pass --force to format it anyway",
			[]string{device.CodeMounted}},
		{FormatRequest{Target: "/dev/rdsk/c0t0d0p0"},
			"refusing to format /dev/rdsk/c0t0d0p0: disk c0t0d0 (INTEL SSDSC2KB48) is not removable; disk c0t0d0 is in imported zpool zones (/dev/dsk/c0t0d0); pass --force to format it anyway",
			[]string{device.CodeNotRemovable, device.CodeZpool}},
		{FormatRequest{Target: "/dev/rdsk/c2t0d0p0"},
			"refusing to format /dev/rdsk/c2t0d0p0: disk c2t0d0 has 2000000000 bytes, a key needs at least 4000000000; pass --force to format it anyway",
			[]string{device.CodeTooSmall}},
		{FormatRequest{Target: "/dev/rdsk/c9t0d0p0"},
			"refusing to format /dev/rdsk/c9t0d0p0: disk c9t0d0 is not listed by diskinfo; pass --force to format it anyway",
			[]string{device.CodeUnknownDisk}},
		{FormatRequest{Target: "/images/new.img", Size: "1M"},
			"refusing to format /images/new.img: image " + n.Path("/images/new.img") + " has 1048576 bytes, a key needs at least 4000000000; pass --force to format it anyway",
			[]string{device.CodeTooSmall}},
		// Forced, the same image is still too small for the layout.
		{FormatRequest{Target: "/images/small.img", Force: true},
			"/images/small.img: disk of 2048 sectors (1048576 bytes) is too small for a v2 usb key: need at least 675873 sectors (346046976 bytes) for a 64 MiB root partition", nil},
		{FormatRequest{Target: "/images/small.img", BootDir: "/usbkey", BootTarball: "/boot.tgz"},
			"--boot-tarball and --boot-dir both given; pass one", nil},
		{FormatRequest{Target: "/images/small.img", Size: "8gb"},
			"/images/small.img exists with 1048576 bytes, not the 8000000000 --size asks for; drop --size or remove it", nil},
		{FormatRequest{Target: "/images/small.img", Size: "4potatoes"},
			`--size: size "4potatoes": unknown suffix "potatoes": use K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)`, nil},
		{FormatRequest{Target: "/images/small.img", ESPImage: "/nowhere.img"},
			"esp image: open " + n.Path("/nowhere.img") + ": no such file or directory", nil},
		{FormatRequest{Target: "/images/small.img", BootDir: "/noefi"},
			noEFI + ": boot/loader64.efi is missing: not a platform boot tree; use the boot-<stamp>.tgz from the platform build", nil},
		{FormatRequest{Target: "/dev/rdsk/c7t0d0p0", Size: "8G"},
			"/dev/rdsk/c7t0d0p0: no such device; check the name with diskinfo", nil},
		{FormatRequest{Target: "/images/none.img"},
			"/images/none.img does not exist; pass --size to create an image file of that size", nil},
	} {
		p, err := PlanFormat(ctx, n, c.req)
		if err == nil {
			p.Close()
			t.Errorf("PlanFormat(%q) = a plan, want error %q", c.req.Args(), c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("PlanFormat(%q) = %q, want %q", c.req.Args(), err, c.want)
		}
		var r *RefusedError
		if errors.As(err, &r) != (c.codes != nil) || r != nil && !slices.Equal(codes(r.Refusals), c.codes) {
			t.Errorf("PlanFormat(%q) = %#v, want a RefusedError with %q", c.req.Args(), err, c.codes)
		}
		for _, p := range targets {
			samePattern(t, n.Path(p), small)
		}
		for _, p := range []string{"/images/new.img", "/images/none.img", "/dev/rdsk/c7t0d0p0"} {
			if _, err := os.Stat(n.Path(p)); err == nil {
				t.Fatalf("PlanFormat(%q) left %s", c.req.Args(), p)
			}
		}
	}
}

// A key is refused for the key it holds, and refused unchanged.
func TestPlanFormatRefusesAKey(t *testing.T) {
	n := testNode(t)
	path := n.Path("/images/key.img")
	size := int64(parttable.MinSectors * parttable.SectorSize)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
	tg, err := device.OpenImage(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Format(tg, size, FormatOptions{Boot: bootSet(t)})
	tg.Close()
	if err != nil {
		t.Fatal(err)
	}
	before := sum(t, path)

	_, err = PlanFormat(context.Background(), n, FormatRequest{Target: "/images/key.img", Yes: true})
	want := fmt.Sprintf("refusing to format /images/key.img: image %s has %d bytes, a key needs at least 4000000000; /images/key.img holds a Triton key already (v2-loader, marker false); pass --force to format it anyway", path, size)
	if err == nil || err.Error() != want {
		t.Errorf("PlanFormat(a key) = %v, want %s", err, want)
	}
	if sum(t, path) != before {
		t.Errorf("PlanFormat(a key) changed it")
	}
	// --overwrite-key lets the key go, and nothing else: still too small.
	_, err = PlanFormat(context.Background(), n, FormatRequest{Target: "/images/key.img", OverwriteKey: true, Yes: true})
	want = fmt.Sprintf("refusing to format /images/key.img: image %s has %d bytes, a key needs at least 4000000000; pass --force to format it anyway", path, size)
	if err == nil || err.Error() != want {
		t.Errorf("PlanFormat(a key, OverwriteKey) = %v, want %s", err, want)
	}
	if sum(t, path) != before {
		t.Errorf("PlanFormat(a key, OverwriteKey) changed it")
	}

	has, err := ExistingKey(n, "/images/key.img")
	if err != nil || has == nil || *has != (device.Refusal{Code: device.CodeHasKey, Reason: "/images/key.img holds a Triton key already (v2-loader, marker false)"}) {
		t.Errorf("ExistingKey(a key) = %v, %v, want the has-key refusal", has, err)
	}
	for _, p := range []string{"/images/none.img", "/usbkey/boot/loader.conf"} {
		if has, err := ExistingKey(n, p); has != nil || err != nil {
			t.Errorf("ExistingKey(%s) = %v, %v, want nil, nil", p, has, err)
		}
	}
	rs, err := FormatRefusals(context.Background(), n, "/images/key.img", size)
	if err != nil || !slices.Equal(codes(rs), []string{device.CodeTooSmall, device.CodeHasKey}) {
		t.Errorf("FormatRefusals(a key) = %v, %v, want too-small and has-key", rs, err)
	}
}

// Forced, a refused disk is planned; a plan that is closed without Apply
// (a dry run, an answer "no") writes nothing, and Apply writes a key.
func TestPlanFormatForced(t *testing.T) {
	ctx := context.Background()
	n := testNode(t)
	size := int64(parttable.MinSectors * parttable.SectorSize)
	dev := n.Path("/dev/rdsk/c1t1d0p0")
	patterned(t, dev, size)

	if err := bootfilestest.WriteDir(n.Path("/nomb")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(n.Path("/nomb/boot/gptzfsboot"), make([]byte, 300<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := PlanFormat(ctx, n, FormatRequest{Target: "/dev/rdsk/c1t1d0p0", BootDir: "/nomb", Force: true})
	if err == nil || !strings.Contains(err.Error(), "gptzfsboot: no multiboot header") {
		t.Errorf("PlanFormat(gptzfsboot without a multiboot header) = %v, want that error", err)
	}
	samePattern(t, dev, size)

	req := FormatRequest{Target: "/dev/rdsk/c1t1d0p0", Force: true, Yes: true}
	p, err := PlanFormat(ctx, n, req)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/dev/rdsk/c1t1d0p0 (USB Kingston DataTraveler, 330.0 MiB) gets a new v2 key layout; everything on it is lost",
		"despite: disk c1t1d0 is mounted: /dev/dsk/c1t1d0p1 on /mnt/stick (pcfs)",
		"loader 12 1048576 268435456",
		"boot 1 269484032 1048576",
		"root 2 270532608 67108864",
		"reserved 11 337641472 8388608",
	}
	if got := p.Summary(); !slices.Equal(got, want) {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	p.Close()
	samePattern(t, dev, size)

	p, err = PlanFormat(ctx, n, req)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Apply(ctx); err == nil || !strings.HasPrefix(err.Error(), "BUG: ") {
		t.Errorf("Apply twice = %v, want a BUG", err)
	}
	if has, err := ExistingKey(n, req.Target); err != nil || has == nil {
		t.Errorf("ExistingKey after Apply = %v, %v, want a key", has, err)
	}
}

// An image that --size asks for is made by Apply, not by the plan, and a
// failed Apply removes it.
func TestPlanFormatCreatesTheImageOnlyInApply(t *testing.T) {
	ctx := context.Background()
	n := testNode(t)
	req := FormatRequest{Target: "/images/new.img", Size: "4gb", Yes: true}
	path := n.Path(req.Target)
	os.MkdirAll(filepath.Dir(path), 0o755)
	absent := func(when string) {
		t.Helper()
		if _, err := os.Stat(path); err == nil {
			t.Errorf("%s: %s exists", when, req.Target)
		}
	}

	p, err := PlanFormat(ctx, n, req)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Create || p.Size != 4_000_000_000 || p.Summary()[0] != "/images/new.img is created as an image file of 3.7 GiB and gets a new v2 key layout" {
		t.Errorf("PlanFormat(%q) = create %v, %d bytes, %q", req.Args(), p.Create, p.Size, p.Summary()[0])
	}
	absent("after PlanFormat")
	p.Close()
	absent("after Close")

	p, err = PlanFormat(ctx, n, req)
	if err != nil {
		t.Fatal(err)
	}
	// Enough for the GPT's five GUIDs, not for the stage2 UUID written
	// after them: the format fails once the image has content.
	p.Rand = io.MultiReader(bytes.NewReader(make([]byte, 5*16)), iotest.ErrReader(errors.New("no entropy")))
	_, err = p.Apply(ctx)
	if err == nil || !strings.HasSuffix(err.Error(), "stage2: generate uuid: no entropy; the new image is removed: run usbkey-format again") {
		t.Errorf("Apply with a failing Rand = %v, want the image removed", err)
	}
	absent("after a failed Apply")
	p.Close()

	p, err = PlanFormat(ctx, n, req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if res.PartitionMap != p.PartitionMap {
		t.Errorf("Apply wrote %q, the plan said %q", res.PartitionMap, p.PartitionMap)
	}
	if has, err := ExistingKey(n, req.Target); err != nil || has == nil {
		t.Errorf("ExistingKey after Apply = %v, %v, want a key", has, err)
	}
}

// TestPlanFormatRefusesImpossibleTargets: a 4Kn disk (an image standing in
// for one through device.ImageSectorSize, as DKIOCGMEDIAINFO or BLKSSZGET
// would report it) and a target over MaxSize are refused by the plan,
// before anything is written or created, and --force changes nothing.
func TestPlanFormatRefusesImpossibleTargets(t *testing.T) {
	ctx := context.Background()
	n := testNode(t)
	dev := n.Path("/dev/rdsk/c1t0d0p0")
	os.MkdirAll(filepath.Dir(dev), 0o755)
	if err := os.WriteFile(dev, patternAt(0), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(dev, 8_000_000_000); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func(old int64) { device.ImageSectorSize = old }(device.ImageSectorSize)
		device.ImageSectorSize = 4096
		for _, force := range []bool{false, true} {
			_, err := PlanFormat(ctx, n, FormatRequest{Target: "/dev/rdsk/c1t0d0p0", Force: force, Yes: true})
			want := "/dev/rdsk/c1t0d0p0 has 4096-byte logical sectors: a v2 usb key is laid out in 512-byte sectors"
			if err == nil || !strings.HasPrefix(err.Error(), want) || errors.As(err, new(*RefusedError)) {
				t.Errorf("PlanFormat(4Kn disk, force %v) = %v, want an error (not a refusal) starting %q", force, err, want)
			}
		}
	}()
	f, err := os.Open(dev)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, patternChunk)
	f.ReadAt(head, 0)
	f.Close()
	if !bytes.Equal(head, patternAt(0)) {
		t.Errorf("a refused 4Kn format changed the disk")
	}

	img := n.Path("/images/huge.img")
	os.MkdirAll(filepath.Dir(img), 0o755)
	_, err = PlanFormat(ctx, n, FormatRequest{Target: "/images/huge.img", Size: "3T", Force: true, Yes: true})
	if err == nil || !strings.HasSuffix(err.Error(), "a v2 key can be at most 2199302193152 bytes (2.0 TiB): use a smaller image or disk") {
		t.Errorf("PlanFormat(--size 3T) = %v, want a refusal naming the 2 TiB limit", err)
	}
	if _, err := os.Stat(img); err == nil {
		t.Errorf("PlanFormat(--size 3T) created %s", img)
	}
}

// abandonRand is crypto/rand's stand-in that calls AbandonCreated on its
// first read, as a second interrupt does in the middle of Apply.
type abandonRand struct {
	p    *FormatPlan
	once bool
}

func (r *abandonRand) Read(b []byte) (int, error) {
	if !r.once {
		r.once = true
		r.p.AbandonCreated()
	}
	clear(b)
	return len(b), nil
}

// TestAbandonCreated: an image Apply created is removed by AbandonCreated
// in the middle of the run; an image the operator gave never is.
func TestAbandonCreated(t *testing.T) {
	ctx := context.Background()
	n := testNode(t)
	os.MkdirAll(n.Path("/images"), 0o755)
	for _, tc := range []struct {
		name   string
		req    FormatRequest
		exists bool
	}{
		{"created", FormatRequest{Target: "/images/new.img", Size: "4gb", Yes: true}, false},
		{"given", FormatRequest{Target: "/images/given.img", Yes: true, Force: true}, true},
	} {
		if tc.exists {
			if err := os.WriteFile(n.Path(tc.req.Target), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			os.Truncate(n.Path(tc.req.Target), 4_000_000_000)
		}
		p, err := PlanFormat(ctx, n, tc.req)
		if err != nil {
			t.Fatal(err)
		}
		p.AbandonCreated() // before Apply: nothing of the run's to remove
		if _, err := os.Stat(n.Path(tc.req.Target)); (err == nil) != tc.exists {
			t.Errorf("%s: AbandonCreated before Apply: stat = %v", tc.name, err)
		}
		p.Rand = &abandonRand{p: p}
		if _, err := p.Apply(ctx); err != nil {
			t.Fatalf("%s: Apply = %v", tc.name, err)
		}
		p.Close()
		if _, err := os.Stat(n.Path(tc.req.Target)); (err == nil) != tc.exists {
			t.Errorf("%s: AbandonCreated during Apply: stat = %v, want the file there: %v", tc.name, err, tc.exists)
		}
	}
}

// TestFormatStopsWhenCancelled: a cancelled run stops between steps and
// says which step it did not start.
func TestFormatStopsWhenCancelled(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "key.img"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Truncate(4_000_000_000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Format(f, 4_000_000_000, FormatOptions{Boot: bootSet(t), Ctx: ctx})
	if want := "stopped before the loader partition: context canceled"; err == nil || err.Error() != want {
		t.Errorf("Format(cancelled) = %v, want %q", err, want)
	}
}
