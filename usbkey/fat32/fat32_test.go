package fat32

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newImage formats a sparse image file of the given size.
func newImage(t *testing.T, size int64, label string) (string, *os.File, *FS) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fs.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	fs, err := Format(f, uint64(size/SectorSize), label, epoch)
	if err != nil {
		t.Fatalf("Format: %v", err)
	}
	return p, f, fs
}

// fsck runs dosfstools' checker read-only; it exits non-zero on any problem.
func fsck(t *testing.T, img string) {
	t.Helper()
	out, err := exec.Command("fsck.fat", "-n", "-v", img).CombinedOutput()
	if err != nil {
		t.Fatalf("fsck.fat -n %s: %v\n%s", img, err, out)
	}
}

func mtools(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func content(seed, size int) []byte {
	b := make([]byte, size)
	rand.New(rand.NewSource(int64(seed))).Read(b)
	return b
}

func TestGeometryMatchesMkfsPcfs(t *testing.T) {
	// The ESP and the roots of the 1.94e9, 4e9, 8e9 (the Triton key) and
	// 16e9 images, with what mkfs_pcfs's compute_cluster_size gives them
	// (illumos mkfs.c:1289-1490; smartos-boot.md §1.8 as corrected): the
	// smallest power of two with volsize < spc * 0x400000, and the FAT
	// sized from volsize less the reserved sectors a second time. The 8e9
	// root's 4 and 29395 are what illumos wrote on a real key (issue 12);
	// the others come from a separate transliteration of the C.
	for _, tc := range []struct {
		bytes uint64
		spc   uint32
		fatsz uint32
	}{
		{268435456, 1, 4064}, {1660944384, 1, 25148}, {3720347648, 2, 28274},
		{7720665088, 4, 29395}, {15720251392, 8, 29955},
	} {
		g, err := NewGeometry(tc.bytes / SectorSize)
		if err != nil {
			t.Fatalf("NewGeometry(%d sectors): %v", tc.bytes/SectorSize, err)
		}
		if g.SecPerClus != tc.spc || g.FATSectors != tc.fatsz {
			t.Errorf("NewGeometry(%d sectors) = %d sectors a cluster, FAT of %d sectors; mkfs_pcfs gives %d and %d",
				tc.bytes/SectorSize, g.SecPerClus, g.FATSectors, tc.spc, tc.fatsz)
		}
	}
	if _, err := NewGeometry(1000); err == nil {
		t.Errorf("NewGeometry(1000) = nil error, want too small for FAT32")
	}
}

func TestGeometryFATCoversEveryCluster(t *testing.T) {
	// mkfs_pcfs takes the reserved sectors off twice when it sizes the FAT;
	// the FAT it gets must still hold an entry for every cluster of the
	// volume (compute_file_area_size, mkfs.c:1573-1604), or NewGeometry's
	// cap would leave clusters mkfs counts as free outside ours.
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		sectors := uint64(140000) + uint64(r.Int63n(int64(0xFFFFFFFF-140000)))
		if i < 64 {
			// Every cluster-size boundary, and a sector either side.
			sectors = uint64(32) + (uint64(1)<<(i/8))*0x400000 + uint64(i%3) - 1
		}
		g, err := NewGeometry(sectors)
		if err != nil {
			t.Fatalf("NewGeometry(%d): %v", sectors, err)
		}
		mkfsClusters := (sectors - g.DataStart) / uint64(g.SecPerClus)
		if uint64(g.Clusters) != mkfsClusters {
			t.Fatalf("NewGeometry(%d): %d clusters, mkfs_pcfs counts %d (FAT of %d sectors)", sectors, g.Clusters, mkfsClusters, g.FATSectors)
		}
	}
}

func TestLofiGeometry(t *testing.T) {
	// lofi's fake_disk_geometry for the files build_boot_image formats:
	// 600 sectors a track once the file is big, and dk_geom's unsigned
	// short cylinder count wrapping past 19 GiB.
	for _, tc := range []struct {
		dsize uint64
		spt   uint16
	}{
		{256 << 20, 600}, {7720665088, 600}, {15720251392, 600},
		{32 << 30, 1449}, {64 << 30, 4954},
	} {
		heads, spt := lofiGeometry(tc.dsize)
		if heads != 1 || spt != tc.spt {
			t.Errorf("lofiGeometry(%d) = %d heads, %d sectors a track; lofi gives 1 and %d", tc.dsize, heads, spt, tc.spt)
		}
	}
}

func TestFormatEmptyPassesFsck(t *testing.T) {
	img, _, _ := newImage(t, 256<<20, "system")
	fsck(t, img)
	out := mtools(t, "minfo", "-i", img, "::")
	if !strings.Contains(out, `disk label="SYSTEM     "`) {
		t.Errorf("minfo: label not SYSTEM:\n%s", out)
	}
	if !strings.Contains(out, "hidden sectors: 0") {
		t.Errorf("minfo: hidden sectors not 0:\n%s", out)
	}
}

type file struct {
	path string
	data []byte
}

func tree() []file {
	files := []file{
		{".joyliveusb", nil},
		{"config", []byte("hostname=headnode\n")},
		{"LICENSE", []byte("MPL\n")},
		{"boot/loader.conf", []byte("headnode=\"true\"\n")},
		{"boot/forth/menu.rc", content(1, 9000)},
		{"os/20260301T000000Z/platform/i86pc/amd64/boot_archive", content(2, 3<<20+17)},
		{"os/20260301T000000Z/platform/i86pc/amd64/boot_archive.hash", []byte("abc\n")},
		{"A Long Name With Spaces.tar.gz", content(3, 4096)},
	}
	for i := 0; i < 150; i++ { // enough entries to grow a directory past one cluster
		files = append(files, file{fmt.Sprintf("scripts/script-%03d.sh", i), content(100+i, i*37)})
	}
	return files
}

func populate(t *testing.T, fs *FS, files []file) {
	t.Helper()
	for _, fl := range files {
		if err := fs.MkdirAll(filepath.Dir(fl.path), epoch); err != nil {
			t.Fatalf("MkdirAll(%s): %v", filepath.Dir(fl.path), err)
		}
		if err := fs.WriteFile(fl.path, bytes.NewReader(fl.data), int64(len(fl.data)), epoch); err != nil {
			t.Fatalf("WriteFile(%s): %v", fl.path, err)
		}
	}
	if err := fs.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func readAll(t *testing.T, fs *FS, p string) []byte {
	t.Helper()
	r, _, err := fs.Open(p)
	if err != nil {
		t.Fatalf("Open(%s): %v", p, err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriteReadBack(t *testing.T) {
	img, f, fs := newImage(t, 64<<20, "SMARTOSBOOT")
	files := tree()
	populate(t, fs, files)
	fsck(t, img)

	// mtools, an independent reader, sees the long names and the data.
	dir := mtools(t, "mdir", "-i", img, "-/", "-a", "::")
	for _, want := range []string{".joyliveusb", "config", "A Long Name With Spaces.tar.gz", "boot_archive.hash"} {
		if !strings.Contains(dir, want) {
			t.Errorf("mdir: %q missing:\n%s", want, dir)
		}
	}
	out := filepath.Join(t.TempDir(), "out")
	mtools(t, "mcopy", "-i", img, "-s", "-n", "::/", out)
	for _, fl := range files {
		got, err := os.ReadFile(filepath.Join(out, fl.path))
		if err != nil {
			t.Fatalf("mcopy %s: %v", fl.path, err)
		}
		if !bytes.Equal(got, fl.data) {
			t.Errorf("mcopy %s: %d bytes differ from the %d written", fl.path, len(got), len(fl.data))
		}
	}

	// Our reader, on a fresh open, agrees.
	fs2, err := Open(f)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	for _, fl := range files {
		if got := readAll(t, fs2, fl.path); !bytes.Equal(got, fl.data) {
			t.Errorf("read %s: got %x, want %x", fl.path, sha256.Sum256(got), sha256.Sum256(fl.data))
		}
	}
	if st, err := fs2.Stat("CONFIG"); err != nil || st.Name != "config" {
		t.Errorf("Stat(CONFIG) = %+v, %v; want the file config (case folded)", st, err)
	}
}

func TestReplaceAndRemoveFreeClusters(t *testing.T) {
	img, f, fs := newImage(t, 64<<20, "SMARTOSBOOT")
	populate(t, fs, tree())
	free := fs.FreeClusters()

	fs2, err := Open(f)
	if err != nil {
		t.Fatal(err)
	}
	if fs2.FreeClusters() != free {
		t.Errorf("FreeClusters after reopen = %d, want %d", fs2.FreeClusters(), free)
	}
	big := "os/20260301T000000Z/platform/i86pc/amd64/boot_archive"
	small := []byte("smaller now")
	if err := fs2.WriteFile(big, bytes.NewReader(small), int64(len(small)), epoch); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 150; i += 2 {
		if err := fs2.Remove(fmt.Sprintf("scripts/script-%03d.sh", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs2.Remove("boot"); err == nil {
		t.Errorf("Remove(boot) = nil, want directory not empty")
	}
	if err := fs2.Commit(); err != nil {
		t.Fatal(err)
	}
	fsck(t, img)
	fs3, err := Open(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, fs3, big); !bytes.Equal(got, small) {
		t.Errorf("replaced file = %q, want %q", got, small)
	}
	if _, err := fs3.Stat("scripts/script-000.sh"); err == nil {
		t.Errorf("removed file still there")
	}
	if fs3.FreeClusters() <= free {
		t.Errorf("FreeClusters = %d after freeing, want more than %d", fs3.FreeClusters(), free)
	}
}

func TestReadsMtoolsWrittenFS(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "m.img")
	out, err := exec.Command("mkfs.vfat", "-F", "32", "-C", img, "65536").CombinedOutput()
	if err != nil {
		t.Fatalf("mkfs.vfat: %v\n%s", err, out)
	}
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "sub", "readme.txt"), []byte("lower case 8.3"), 0o644)
	os.WriteFile(filepath.Join(src, "empty"), nil, 0o644)
	mtools(t, "mcopy", "-i", img, "-s", filepath.Join(src, "sub"), filepath.Join(src, "empty"), "::")
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs, err := Open(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, fs, "sub/readme.txt"); string(got) != "lower case 8.3" {
		t.Errorf("read sub/readme.txt = %q", got)
	}
	if got := readAll(t, fs, "empty"); len(got) != 0 {
		t.Errorf("read empty = %q", got)
	}
	// Adding to a filesystem another tool wrote keeps it valid.
	if err := fs.WriteFile("sub/new file.bin", bytes.NewReader(content(9, 70000)), 70000, epoch); err != nil {
		t.Fatal(err)
	}
	if err := fs.Commit(); err != nil {
		t.Fatal(err)
	}
	fsck(t, img)
}

func TestRefusals(t *testing.T) {
	_, _, fs := newImage(t, 64<<20, "SMARTOSBOOT")
	for _, tc := range []struct {
		path string
		size int64
		want string
	}{
		{"big", MaxFileSize + 1, "up to 4 GiB - 1"},
		{"a:b", 1, "not allowed on FAT"},
		{"trailing.", 1, "ends in a dot"},
		{"nodir/file", 1, "does not exist"},
		{"huge", 63 << 20, "not enough free space"},
	} {
		err := fs.WriteFile(tc.path, bytes.NewReader(make([]byte, max(0, min(tc.size, 1<<26)))), tc.size, epoch)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("WriteFile(%q, %d) = %v, want an error containing %q", tc.path, tc.size, err, tc.want)
		}
	}
	before := fs.FreeClusters()
	if err := fs.WriteFile("short", bytes.NewReader([]byte("abc")), 10, epoch); err == nil {
		t.Errorf("WriteFile with a short source = nil, want an error")
	}
	if fs.FreeClusters() != before {
		t.Errorf("a failed write leaked clusters: %d free, want %d", fs.FreeClusters(), before)
	}
}

// pcfs finds a file by its 8.3 alias too, so writing that name replaces
// the file rather than adding a second one.
func TestShortAliasIsTheSameFile(t *testing.T) {
	img, f, fs := newImage(t, 64<<20, "SMARTOSBOOT")
	populate(t, fs, []file{{"longfilename.txt", []byte("long")}})
	fs2, err := Open(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs2.WriteFile("LONGFI~1.TXT", bytes.NewReader([]byte("alias")), 5, epoch); err != nil {
		t.Fatal(err)
	}
	if err := fs2.Commit(); err != nil {
		t.Fatal(err)
	}
	fsck(t, img)
	fis, _ := fs2.ReadDir("")
	if len(fis) != 1 {
		t.Errorf("ReadDir after writing the alias = %d entries, want 1", len(fis))
	}
}

// Files of many chunks stream through both buffers, with and without
// the read-back check, and read back whole.
func TestMultiChunkFiles(t *testing.T) {
	for _, verify := range []bool{false, true} {
		img, f, fs := newImage(t, 64<<20, "SMARTOSBOOT")
		fs.VerifyWrites = verify
		data := content(7, 3*copyChunk+12345)
		populate(t, fs, []file{{"big.bin", data}})
		fsck(t, img)
		again, err := Open(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, again, "big.bin"); !bytes.Equal(got, data) {
			t.Errorf("VerifyWrites=%v: a %d-byte file read back differently", verify, len(data))
		}
	}
}
