package drift

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	"cntools/internal/sshconn/sshtest"
	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

func startSSHD(t *testing.T) *sshtest.Server {
	return sshtest.ForTest(t)
}

func sshOptions(s *sshtest.Server) sshconn.Options {
	return sshconn.Options{KnownHosts: []string{s.KnownHosts}, IdentityFiles: []string{s.IdentityFile}, ConnectTimeout: 10 * time.Second}
}

// writeTree writes a small key tree with every kind of entry a manifest
// records: files with different modes, a symlink, an empty directory.
func writeTree(t *testing.T, root string) {
	t.Helper()
	files := map[string]string{
		"config":                 "hostname=hn0\nroot_shadow='$6$planted$x'\n",
		"boot/loader.conf":       "headnode=\"true\"\n",
		"scripts/headnode.sh":    "#!/bin/bash\n",
		"os/20260301T000000Z/pi": strings.Repeat("platform ", 200000),
	}
	for p, data := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "scripts/headnode.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("20260301T000000Z", filepath.Join(root, "os/latest")); err != nil {
		t.Fatal(err)
	}
}

// TestSFTPTreeMatchesDirTree checks that a tree read over SFTP from a real
// sshd gives the same manifest as the same tree read directly: the
// conformance of the two Trees a standby copy can be read through.
func TestSFTPTreeMatchesDirTree(t *testing.T) {
	s := startSSHD(t)
	root := t.TempDir()
	writeTree(t, root)
	want, err := manifest.Build(context.Background(), keytree.Dir(root), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sshconn.Dial(context.Background(), sshconn.Target{User: s.User, Host: "127.0.0.1", Port: s.Port}, sshOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := c.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	got, err := manifest.Build(context.Background(), keytree.SFTP(sc, root, root, nil), manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Build(SFTPTree) = %+v, want %+v", got.Entries, want.Entries)
	}
	// A symlink put in a file's place is not read through.
	if err := os.Remove(filepath.Join(root, "config")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("boot/loader.conf", filepath.Join(root, "config")); err != nil {
		t.Fatal(err)
	}
	if _, err := keytree.SFTP(sc, root, root, nil).Open("config"); !errors.Is(err, keytree.ErrNotRegular) {
		t.Errorf("Open(symlink) = %v, want keytree.ErrNotRegular", err)
	}
}

// TestLoadStandby reads a standby copy as usbkey-drift does: no
// usbkey-drift on the node, so over SFTP, config bytes included.
func TestLoadStandby(t *testing.T) {
	s := startSSHD(t)
	root := t.TempDir()
	writeTree(t, root)
	tg := sshconn.Target{User: s.User, Host: "127.0.0.1", Port: s.Port, Path: root}
	c, err := LoadStandby(context.Background(), tg, StandbyOptions{SSH: sshOptions(s)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(c.Configs["config"]), "hostname=hn0\nroot_shadow='$6$planted$x'\n"; got != want {
		t.Errorf("LoadStandby: config = %q, want %q", got, want)
	}
	if want := s.User + "@127.0.0.1:" + strings.TrimPrefix(s.Addr, "127.0.0.1:") + ":" + root; c.Name != want {
		t.Errorf("LoadStandby: name = %q, want %q", c.Name, want)
	}
	local, err := LoadDir(context.Background(), "usbkey", root, false, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := Compare(local, []*Copy{c}, Options{}); !r.InStep() {
		t.Errorf("Compare(dir, standby of the same dir) = %+v, want in step", r.Pairs[0].Drifts)
	}

	tg.Path = filepath.Join(root, "nothing")
	_, err = LoadStandby(context.Background(), tg, StandbyOptions{SSH: sshOptions(s)})
	if err == nil || !strings.Contains(err.Error(), "is not a directory there") {
		t.Errorf("LoadStandby(missing dir) = %v, want is not a directory there", err)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/zones/usbkey-standby": `'/zones/usbkey-standby'`,
		"/a b/it's":             `'/a b/it'\''s'`,
	} {
		if got := node.Quote(in); got != want {
			t.Errorf("node.Quote(%q) = %s, want %s", in, got, want)
		}
	}
}
