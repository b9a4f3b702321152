package keysync

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"cntools/internal/sshconn"
	"cntools/internal/sshconn/sshtest"
)

func startSSHD(t testing.TB) *sshtest.Server { return sshtest.ForTest(t) }

func sshOptions(s *sshtest.Server) sshconn.Options {
	return sshconn.Options{KnownHosts: []string{s.KnownHosts}, IdentityFiles: []string{s.IdentityFile}, ConnectTimeout: 10 * time.Second}
}

func targetOf(s *sshtest.Server, dir string) sshconn.Target {
	return sshconn.Target{User: s.User, Host: "127.0.0.1", Port: s.Port, Path: dir}
}

var mtime = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func writeTree(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		f := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

func syncOnce(t *testing.T, s *sshtest.Server, src, dst string, mod func(*Options)) *Result {
	t.Helper()
	o := Options{Source: src, SSH: sshOptions(s), CachePath: filepath.Join(t.TempDir(), "cache.json"), Now: func() time.Time { return mtime }}
	if mod != nil {
		mod(&o)
	}
	rs, err := Run(context.Background(), []sshconn.Target{targetOf(s, dst)}, o)
	if err != nil {
		t.Fatal(err)
	}
	return rs[0]
}

// syncLogged is syncOnce, returning the sync's debug log too.
func syncLogged(t *testing.T, s *sshtest.Server, src, dst string, mod func(*Options)) (*Result, string) {
	t.Helper()
	var logs bytes.Buffer
	r := syncOnce(t, s, src, dst, func(o *Options) {
		o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		if mod != nil {
			mod(o)
		}
	})
	return r, logs.String()
}

// withCache makes mod use the hash cache at cache, so that syncs share it.
func withCache(cache string, mod func(*Options)) func(*Options) {
	return func(o *Options) {
		o.CachePath = cache
		if mod != nil {
			mod(o)
		}
	}
}

func sameTrees(t *testing.T, a, b string) {
	t.Helper()
	err := filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		want, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: target has %q (%v), want %q", rel, got, err, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSyncCycle(t *testing.T) {
	s := startSSHD(t)
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "standby")
	writeTree(t, src, map[string]string{
		"config": "hostname=headnode0\n", "boot/loader.conf": "a\n", "os/20260301T000000Z/platform/unix": "unix",
		"tools.tar.gz": "tools", "extra/joysetup/cn_tools.tar.gz": "cn",
	})

	r := syncOnce(t, s, src, dst, nil)
	if !r.InStep() || r.Sent != 5 || r.Skipped != 0 {
		t.Fatalf("first sync = %+v, want 5 sent, in step", r)
	}
	sameTrees(t, src, dst)
	if _, err := os.Stat(filepath.Join(dst, ManifestFile)); err != nil {
		t.Errorf("no manifest on the target: %v", err)
	}
	fi, _ := os.Stat(filepath.Join(dst, "boot/loader.conf"))
	if !fi.ModTime().Equal(mtime) {
		t.Errorf("target mtime = %v, want %v", fi.ModTime(), mtime)
	}

	r = syncOnce(t, s, src, dst, nil)
	if !r.InStep() || r.Sent != 0 || r.Skipped != 5 {
		t.Fatalf("unchanged sync = %+v, want nothing sent, 5 skipped", r)
	}

	writeTree(t, src, map[string]string{"boot/loader.conf": "b changed\n"})
	r = syncOnce(t, s, src, dst, nil)
	if !r.InStep() || r.Sent != 1 || r.Bytes < 10 {
		t.Fatalf("one changed = %+v, want 1 sent", r)
	}
	sameTrees(t, src, dst)

	// The target's config changes: a conflict, left alone.
	os.WriteFile(filepath.Join(dst, "config"), []byte("hostname=cn1\n"), 0o644)
	writeTree(t, src, map[string]string{"config": "hostname=headnode0\nx=1\n"})
	r = syncOnce(t, s, src, dst, nil)
	if r.InStep() || !reflect.DeepEqual(r.Conflicting, []string{"config"}) {
		t.Fatalf("conflict sync = %+v, want config conflicting", r)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "config")); string(b) != "hostname=cn1\n" {
		t.Fatalf("conflicting config overwritten: %q", b)
	}
	// Again: still a conflict, the manifest kept the old entry.
	if r = syncOnce(t, s, src, dst, nil); len(r.Conflicting) != 1 {
		t.Fatalf("second conflict sync = %+v, want config conflicting", r)
	}
	r = syncOnce(t, s, src, dst, func(o *Options) { o.Force = true })
	want := "config.conflict-20260301T000000Z"
	if !r.InStep() || !reflect.DeepEqual(r.Kept, []string{want}) {
		t.Fatalf("forced sync = %+v, want in step, kept %s", r, want)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, want)); string(b) != "hostname=cn1\n" {
		t.Fatalf("conflict copy holds %q", b)
	}
	sameTrees(t, src, dst)

	// Delete: what the last sync sent and the source dropped goes; what
	// the target got otherwise, config and conflict copies stay.
	writeTree(t, dst, map[string]string{"extra/old": "old"})
	os.Remove(filepath.Join(src, "tools.tar.gz"))
	r = syncOnce(t, s, src, dst, func(o *Options) { o.Delete = true })
	if !r.InStep() || r.Deleted != 1 {
		t.Fatalf("delete sync = %+v, want 1 deleted", r)
	}
	if _, err := os.Stat(filepath.Join(dst, "tools.tar.gz")); err == nil {
		t.Errorf("tools.tar.gz not deleted")
	}
	for _, p := range []string{"config", want, "extra/old"} {
		if _, err := os.Stat(filepath.Join(dst, p)); err != nil {
			t.Errorf("%s deleted: %v", p, err)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(dst, "*", ".*.tmp-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestSyncVerifyMethods(t *testing.T) {
	s := startSSHD(t)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a": strings.Repeat("x", 3<<20), "b/c": "c", "b/-dash": "d", "b/it's": "q"})
	for _, m := range []string{VerifySHA256Sum, VerifyReadBack} {
		dst := filepath.Join(t.TempDir(), "standby")
		r := syncOnce(t, s, src, dst, func(o *Options) { o.Verify = m })
		if !r.InStep() || r.Sent != 4 || r.Verified != m {
			t.Errorf("sync with %s = %+v, want 4 sent, verified %s", m, r, m)
		}
		sameTrees(t, src, dst)
	}
}

func TestSyncPaths(t *testing.T) {
	s := startSSHD(t)
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "standby")
	writeTree(t, src, map[string]string{"os/A/unix": "a", "os/B/unix": "b", "boot/x": "x", "config": "c"})
	r := syncOnce(t, s, src, dst, func(o *Options) { o.Paths = []string{"os/B", "boot"} })
	if !r.InStep() || r.Sent != 2 {
		t.Fatalf("paths sync = %+v, want 2 sent", r)
	}
	var got []string
	filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			rel, _ := filepath.Rel(dst, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(got)
	if want := []string{"boot/x", "os/B/unix"}; !reflect.DeepEqual(got, want) {
		t.Errorf("target holds %v, want %v", got, want)
	}
	// The whole tree afterwards: the paths already sent are in step.
	if r = syncOnce(t, s, src, dst, nil); !r.InStep() || r.Sent != 2 || r.Skipped != 2 {
		t.Errorf("full sync after paths = %+v, want 2 sent, 2 skipped", r)
	}
}

func TestRefusesKeyPaths(t *testing.T) {
	for _, p := range []string{"/usbkey", "/usbkey/", "/mnt/usbkey", "/mnt/usbkey/os", "/"} {
		if _, err := Run(context.Background(), []sshconn.Target{{User: "root", Host: "h", Port: 22, Path: p}}, Options{Source: t.TempDir()}); err == nil {
			t.Errorf("Run(path %s) = nil error, want a refusal", p)
		}
	}
}
