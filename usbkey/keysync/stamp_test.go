package keysync

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cntools/internal/fuzzcorpus"
	"cntools/usbkey/keycopy/keycopytest"
)

// A no-op sync of a source as stamped makes no manifest of it; any
// change to a file, even one that keeps its size and mtime, makes it; a
// source changed within the racy window is not stamped; a sync of some
// paths neither reads nor keeps a stamp.
func TestSyncStampedSource(t *testing.T) {
	s := startSSHDWithState(t)
	src, dst, cache := t.TempDir(), filepath.Join(t.TempDir(), "standby"), filepath.Join(t.TempDir(), "cache.json")
	keycopytest.Odd(t, src)
	// Every entry's ctime older than the racy window, as a /usbkey is.
	time.Sleep(2100 * time.Millisecond)
	const stamped, built, idle = "source as stamped", "source manifest", "nothing to plan"
	sync := func(mod func(*Options)) string {
		t.Helper()
		r, logs := syncLogged(t, s, src, dst, withCache(cache, mod))
		if !r.InStep() {
			t.Fatalf("sync = %+v:\n%s", r, logs)
		}
		return logs
	}
	if logs := sync(nil); strings.Contains(logs, stamped) || !strings.Contains(logs, built) {
		t.Fatalf("first sync took a stamp:\n%s", logs)
	}
	stampFile := strings.TrimSuffix(cache, ".json") + ".stamp"
	b, err := os.ReadFile(stampFile)
	if err != nil {
		t.Fatalf("no stamp kept: %v", err)
	}
	if fi, _ := os.Stat(stampFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("stamp mode %v, want 0600: it describes private/ too", fi.Mode())
	}
	sync(nil) // keeps the finding
	if logs := sync(nil); !strings.Contains(logs, stamped) || strings.Contains(logs, built) || !strings.Contains(logs, idle) {
		t.Fatalf("no-op sync made the manifest, or did not plan from the finding:\n%s", logs)
	}
	if again, _ := os.ReadFile(stampFile); string(again) != string(b) {
		t.Errorf("an unchanged source's stamp was rewritten: %q, was %q", again, b)
	}

	// The same size and mtime, other bytes (as cp -p or a restore
	// leaves them): the stamp differs, and the file is sent.
	p := filepath.Join(src, "boot/loader.conf")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	r, logs := syncLogged(t, s, src, dst, withCache(cache, nil))
	if !r.InStep() || r.Sent != 1 || strings.Contains(logs, stamped) || !strings.Contains(logs, built) {
		t.Fatalf("changed source = %+v, want the manifest made and one file sent:\n%s", r, logs)
	}
	sameTrees(t, src, dst)
	// That change was within the racy window: no stamp was kept for it.
	if logs := sync(nil); strings.Contains(logs, stamped) || !strings.Contains(logs, built) {
		t.Errorf("a stamp taken within the racy window was used:\n%s", logs)
	}

	// Stamped again once the change is older than the racy window.
	time.Sleep(2100 * time.Millisecond)
	sync(nil)
	if logs := sync(nil); !strings.Contains(logs, stamped) {
		t.Fatalf("a settled source was not stamped again:\n%s", logs)
	}
	kept, err := os.ReadFile(stampFile)
	if err != nil {
		t.Fatal(err)
	}

	// The target changed: the stamped source's manifest is made when the
	// plan needs it, and the sync is as before.
	writeTree(t, dst, map[string]string{"extra/added-on-the-cn": "x"})
	r, logs = syncLogged(t, s, src, dst, withCache(cache, nil))
	if !r.InStep() || !strings.Contains(logs, stamped) || strings.Contains(logs, idle) {
		t.Fatalf("changed target = %+v, want in step, planned from the stamped source's manifest made then:\n%s", r, logs)
	}
	sameTrees(t, src, dst)

	// Some paths: no stamp read, the one kept left as it is.
	if logs := sync(func(o *Options) { o.Paths = []string{"boot"} }); strings.Contains(logs, stamped) || !strings.Contains(logs, built) {
		t.Errorf("a sync of some paths used the stamp:\n%s", logs)
	}
	if again, _ := os.ReadFile(stampFile); string(again) != string(kept) {
		t.Errorf("a sync of some paths changed the stamp: %q, was %q", again, kept)
	}
}

// A stamp is the source's only for the build that kept it.
func TestKeptStamp(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cache.stamp")
	h, g := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	if err := keepStamp(p, stamp{binary: "v1:10:20", source: h, manifest: g}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		binary, source string
		ok             bool
	}{{"v1:10:20", h, true}, {"v1:10:21", h, false}, {"", h, false}, {"v1:10:20", g, false}} {
		if sum, ok := keptStamp(p, tc.binary, tc.source); ok != tc.ok || ok && sum != g {
			t.Errorf("keptStamp(%q, %q) = %q, %v; want ok %v", tc.binary, tc.source, sum, ok, tc.ok)
		}
	}
	if sum, _, err := stampSource(context.Background(), filepath.Join(t.TempDir(), "missing"), time.Now()); err == nil || sum != "" {
		t.Errorf("stamp of a missing source = %q, %v; want an error", sum, err)
	}
}

// FuzzParseStamp: whatever the file holds, parseStamp never panics, and
// what it accepts encodes back to the same stamp.
func FuzzParseStamp(f *testing.F) {
	for _, s := range stampSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := parseStamp(b)
		if !ok {
			return
		}
		again, ok := parseStamp(got.encode())
		if !ok || again != got {
			t.Fatalf("parseStamp(%q) = %+v, which encodes to %q and reads back as %+v, %v", b, got, got.encode(), again, ok)
		}
	})
}

func stampSeeds() map[string][]byte {
	h := strings.Repeat("ab", 32)
	return map[string][]byte{
		"stamp":     stamp{binary: "v1:20194244:1796205171302000000", source: h, manifest: h}.encode(),
		"version":   []byte("cntools-stamp 2 v1:1:1 " + h + " " + h + "\n"),
		"short":     []byte("cntools-stamp 1 v1:1:1 " + h + "\n"),
		"unended":   []byte("cntools-stamp 1 v1:1:1 " + h + " " + h),
		"not-a-sum": []byte("cntools-stamp 1 v1:1:1 " + h[:63] + "g " + h + "\n"),
	}
}

// TestFuzzParseStampSeedsCommitted keeps testdata/fuzz/FuzzParseStamp in
// step with stampSeeds; CNTOOLS_UPDATE=1 rewrites it.
func TestFuzzParseStampSeedsCommitted(t *testing.T) {
	fuzzcorpus.CheckBytes(t, "FuzzParseStamp", stampSeeds())
}

// Each seed is read as it should be.
func TestParseStampSeeds(t *testing.T) {
	for name, s := range stampSeeds() {
		if _, ok := parseStamp(s); ok != (name == "stamp") {
			t.Errorf("%s: parseStamp(%q) ok = %v", name, s, ok)
		}
	}
}
