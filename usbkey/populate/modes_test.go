package populate

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cntools/usbkey/keytree"
)

// Populating into a directory carries the source's modes: a script keeps
// its exec bit, and what holds secrets is never more open than the
// owner's, even when the source is wider (a FAT key reads 0644). The
// manifest, which holds every file's hash, is 0600; the -v log shows no
// hash of what holds secrets.
func TestPopulateDirModes(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	old := time.Now().Add(-time.Hour)
	files := []struct {
		path       string
		mode, want fs.FileMode
	}{
		{"config", 0o644, 0o600},
		{"config.inc/generic", 0o644, 0o644},
		{"scripts/headnode.sh", 0o755, 0o755},
		{"tools.tar.gz", 0o644, 0o644},
		{"cn_tools.tar.gz", 0o644, 0o644},
		{"boot/loader.conf", 0o644, 0o644},
		{"private/root.password.20260301T000000Z", 0o600, 0o600},
		{"private/answers.json", 0o644, 0o600},
		{"os/20260301T000000Z/platform/i86pc/kernel/amd64/unix", 0o755, 0o755},
	}
	for _, f := range files {
		p := filepath.Join(src, filepath.FromSlash(f.path))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(f.path), f.mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, f.mode)
		os.Chtimes(p, old, old)
	}
	var log strings.Builder
	o := Options{Log: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	p, err := MakePlan(context.Background(), keytree.Dir(src), keytree.Dir(dst), Request{}, o)
	if err != nil {
		t.Fatalf("MakePlan: %v", err)
	}
	if _, err := p.Apply(context.Background()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	for _, f := range files {
		fi, err := os.Stat(filepath.Join(dst, filepath.FromSlash(f.path)))
		if err != nil || fi.Mode().Perm() != f.want {
			t.Errorf("%s (source %v): mode %v, %v, want %v", f.path, f.mode, fi.Mode().Perm(), err, f.want)
		}
	}
	for p, want := range map[string]fs.FileMode{ManifestFile: 0o600, MarkerFile: 0o644, "private": 0o700, "scripts": 0o755} {
		fi, err := os.Stat(filepath.Join(dst, p))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v, want %v", p, fi.Mode().Perm(), err, want)
		}
	}
	if !strings.Contains(log.String(), "path=scripts/headnode.sh") {
		t.Fatalf("the -v log does not list the copies:\n%s", log.String())
	}
	for _, l := range strings.Split(log.String(), "\n") {
		if (strings.Contains(l, "path=private/") || strings.Contains(l, "path=config ")) && !strings.Contains(l, "not shown") {
			t.Errorf("a hash of a file that holds secrets in the log: %s", l)
		}
	}
}

// A copy an older cn-tools left world-readable is mended: the unchanged
// config is written again 0600 (reason "mode"), and a run after that finds
// nothing to do.
func TestPopulateDirMendsOpenModes(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	old := time.Now().Add(-time.Hour)
	for p, body := range map[string]string{"config": "hostname=hn\n", "config.inc/generic": "x\n", "scripts/headnode.sh": "#!/bin/sh\n",
		"tools.tar.gz": "t", "cn_tools.tar.gz": "c", "boot/loader.conf": "x\n", "os/20260301T000000Z/platform/i86pc/kernel/amd64/unix": "unix"} {
		for _, root := range []string{src, dst} {
			f := filepath.Join(root, filepath.FromSlash(p))
			os.MkdirAll(filepath.Dir(f), 0o755)
			os.WriteFile(f, []byte(body), 0o644)
			os.Chmod(f, 0o644)
			os.Chtimes(f, old, old)
		}
	}
	plan := func() *Plan {
		p, err := MakePlan(context.Background(), keytree.Dir(src), keytree.Dir(dst), Request{}, Options{Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("MakePlan: %v", err)
		}
		return p
	}
	p := plan()
	if len(p.Copy) != 1 || p.Copy[0].Path != "config" || p.Copy[0].Reason != "mode" {
		t.Fatalf("plan copies %+v, want config alone, for its mode", p.Copy)
	}
	if _, err := p.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dst, "config")); fi.Mode().Perm() != 0o600 {
		t.Errorf("config is %v after the run, want 0600", fi.Mode().Perm())
	}
	if p := plan(); len(p.Copy) != 0 {
		t.Errorf("a second run copies %+v, want nothing", p.Copy)
	}
}
