package populate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"cntools/usbkey/fat32"
	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

// poisoned is a sum no file here has: a copy that reports it took it from
// the cache rather than hashing.
const poisoned = "0000000000000000000000000000000000000000000000000000000000000000"

func sumOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// openStat is the file p of dir as the copy's reader describes it.
func openStat(t *testing.T, dir, p string) keytree.Info {
	t.Helper()
	fs := keytree.FilesOf(keytree.Dir(dir))
	defer fs.Close()
	r, err := fs.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	in, ok := keytree.StatOpen(r)
	if !ok {
		t.Fatalf("%s: no descriptor to describe", p)
	}
	return in
}

// changingTree is a directory whose file named changing reads as though
// it were written to while it was read: its descriptor says so.
type changingTree struct {
	keytree.Tree
	changing string
}

func (t changingTree) Files() keytree.Files {
	return changingFiles{keytree.FilesOf(t.Tree), t.changing}
}

type changingFiles struct {
	keytree.Files
	changing string
}

func (f changingFiles) Open(p string) (io.ReadCloser, error) {
	r, err := f.Files.Open(p)
	if err != nil || p != f.changing {
		return r, err
	}
	in, _ := keytree.StatOpen(r)
	return &changingFile{ReadCloser: r, in: in}, nil
}

type changingFile struct {
	io.ReadCloser
	in    keytree.Info
	calls int
}

func (f *changingFile) OpenStat() (keytree.Info, bool) {
	f.calls++
	in := f.in
	if f.calls > 1 {
		in.CTime++
	}
	return in, true
}

// TestCopierSourceCache: a file the source's cache knows, as it is, is not
// hashed (its sum is the cache's); one it knew before it was written to,
// one it never knew and one written to while it was read are hashed, and
// only the one that stayed put, and was not changed within the racy
// window of its stat, is learnt.
func TestCopierSourceCache(t *testing.T) {
	dir := t.TempDir()
	old := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	data := map[string][]byte{
		"known":     bytes.Repeat([]byte("k"), 2*slabSize+5),
		"rewritten": []byte("the same bytes, written again"),
		"new":       []byte("never hashed"),
		"changing":  []byte("written to while it was read"),
	}
	for p, b := range data {
		if err := os.WriteFile(filepath.Join(dir, p), b, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(filepath.Join(dir, p), old, old)
	}
	// Out of the racy window: changed (ctime) more than 2 s before the copy.
	time.Sleep(manifest.RacyWindow + 100*time.Millisecond)
	cache := &manifest.Cache{}
	for _, p := range []string{"known", "rewritten", "changing"} {
		in := openStat(t, dir, p)
		cache.Store(p, &in, time.Now(), poisoned)
	}
	// Written again with the same bytes and mtime: only its ctime tells.
	rewritten := filepath.Join(dir, "rewritten")
	if err := os.WriteFile(rewritten, data["rewritten"], 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(rewritten, old, old)

	as := []Action{{Path: "known", Size: int64(len(data["known"]))}, {Path: "rewritten", Size: int64(len(data["rewritten"]))},
		{Path: "new", Size: int64(len(data["new"]))}, {Path: "changing", Size: int64(len(data["changing"]))}}
	c := startCopy(context.Background(), changingTree{keytree.Dir(dir), "changing"}, as, nil, cache)
	for i, a := range as {
		var out bytes.Buffer
		if _, err := io.Copy(&out, c.file()); err != nil || !bytes.Equal(out.Bytes(), data[a.Path]) {
			t.Fatalf("copy of %s = %d bytes, %v; want its %d bytes", a.Path, out.Len(), err, len(data[a.Path]))
		}
		want := map[string]string{"known": poisoned, "rewritten": sumOf(data["rewritten"]), "new": sumOf(data["new"]), "changing": ""}[a.Path]
		if got := c.sum(i); got != want {
			t.Errorf("sum of %s = %q, want %q", a.Path, got, want)
		}
	}
	c.stop()
	in := openStat(t, dir, "new")
	if got, ok := cache.Lookup("new", &in); !ok || got != sumOf(data["new"]) {
		t.Errorf("the cache learnt new as %q (%v), want %s", got, ok, sumOf(data["new"]))
	}
	// Written to just before it was read: what was read may be half old.
	in = openStat(t, dir, "rewritten")
	if got, ok := cache.Lookup("rewritten", &in); ok {
		t.Errorf("the cache learnt a file changed within the racy window: %s", got)
	}
	in = openStat(t, dir, "changing")
	in.CTime++
	if got, ok := cache.Lookup("changing", &in); ok {
		t.Errorf("the cache learnt a file that changed while it was read: %s", got)
	}
}

// populateWith populates a fresh FAT image from src, reading back what
// it writes as a key device's writes are, and returns the manifest.
func populateWith(t *testing.T, src keytree.Tree, o Options) *manifest.Manifest {
	t.Helper()
	img := filepath.Join(t.TempDir(), "key.img")
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Truncate(crashImage)
	fs, err := fat32.Format(f, crashImage/fat32.SectorSize, "SMARTOSBOOT", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	fs.VerifyWrites = true
	fs.Sync = f.Sync
	ctx := context.Background()
	p, err := MakePlan(ctx, src, keytree.FAT(fs, f, img), Request{}, o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Apply(ctx)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res.Manifest
}

func manifestSum(m *manifest.Manifest, p string) string {
	for _, e := range m.Entries {
		if e.Path == p {
			return e.SHA256
		}
	}
	return "none"
}

// A second key from the same source takes the sums the first one learnt,
// and a file written to while it is copied gets the sum of what the key
// holds, read back after the copy.
func TestPopulateSourceCache(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	crashSource(t, src, 1)
	// The first run learns only files changed more than 2 s before.
	time.Sleep(manifest.RacyWindow + 100*time.Millisecond)
	o := Options{SourceCachePath: filepath.Join(t.TempDir(), "cache", "source.json")}
	first := populateWith(t, keytree.Dir(src), o)
	fi, err := os.Stat(o.SourceCachePath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the source's cache after a run: %v, %v; want a file of mode 0600", fi, err)
	}
	// Poisoned, the cache shows which sums the second run took from it.
	b, err := os.ReadFile(o.SourceCachePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"tools.tar.gz", "cn_tools.tar.gz"} {
		b = bytes.Replace(b, []byte(manifestSum(first, p)), []byte(poisoned), 1)
	}
	if err := os.WriteFile(o.SourceCachePath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	second := populateWith(t, changingTree{keytree.Dir(src), "tools.tar.gz"}, o)
	if got := manifestSum(second, "cn_tools.tar.gz"); got != poisoned {
		t.Errorf("cn_tools.tar.gz in the second key's manifest = %s, want the cache's %s", got, poisoned)
	}
	want, err := os.ReadFile(filepath.Join(src, "tools.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if got := manifestSum(second, "tools.tar.gz"); got != sumOf(want) {
		t.Errorf("tools.tar.gz, written to while copied, = %s in the manifest, want the key's %s", got, sumOf(want))
	}
	for _, e := range first.Entries {
		if e.Path != "tools.tar.gz" && e.Path != "cn_tools.tar.gz" && manifestSum(second, e.Path) != e.SHA256 {
			t.Errorf("%s: %s in the second key's manifest, %s in the first's", e.Path, manifestSum(second, e.Path), e.SHA256)
		}
	}
	// A target whose writes are not read back has no sum to fall back on:
	// it uses no cache, and hashes what it reads.
	dir := t.TempDir()
	p, err := MakePlan(context.Background(), keytree.Dir(src), keytree.Dir(dir), Request{}, o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := manifestSum(res.Manifest, "cn_tools.tar.gz"); got != manifestSum(first, "cn_tools.tar.gz") {
		t.Errorf("cn_tools.tar.gz copied to a directory = %s, want its own sum", got)
	}
}

// slowWarnings records the paths of the hash caches a run says it could
// not save, each a while after it is said: a run that returned before its
// caches were written would return before they are recorded.
type slowWarnings struct {
	mu    sync.Mutex
	paths []string
}

func (h *slowWarnings) Enabled(context.Context, slog.Level) bool { return true }
func (h *slowWarnings) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *slowWarnings) WithGroup(string) slog.Handler            { return h }

func (h *slowWarnings) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "hash cache not saved" {
		return nil
	}
	time.Sleep(200 * time.Millisecond)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "path" {
			h.mu.Lock()
			h.paths = append(h.paths, a.Value.String())
			h.mu.Unlock()
		}
		return true
	})
	return nil
}

// TestRunWaitsForItsCaches: the hash caches are written beside the run's
// last flushes (populate.go), and Run returns only once both are written
// or said not to be. Here neither can be: their directory is a symlink to
// nowhere, which reads as no cache and cannot be made.
func TestRunWaitsForItsCaches(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	crashSource(t, src, 1)
	// Only files changed more than 2 s before are learnt, and the source's
	// cache is saved only when it learnt something.
	time.Sleep(manifest.RacyWindow + 100*time.Millisecond)
	dir := filepath.Join(t.TempDir(), "cache")
	if err := os.Symlink(filepath.Join(t.TempDir(), "gone", "cache"), dir); err != nil {
		t.Fatal(err)
	}
	h := &slowWarnings{}
	o := Options{
		SourceCachePath: filepath.Join(dir, "source.json"),
		CachePath:       filepath.Join(dir, "key.json"),
		Log:             slog.New(h),
	}
	populateWith(t, keytree.Dir(src), o)
	h.mu.Lock()
	got := slices.Sorted(slices.Values(h.paths))
	h.mu.Unlock()
	if want := []string{o.CachePath, o.SourceCachePath}; !slices.Equal(got, want) {
		t.Errorf("caches said not saved by the time Run returned: %q, want %q", got, want)
	}
}
