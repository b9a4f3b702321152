package sshconn_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"cntools/internal/sshconn"
)

// nodeRoot returns a simulated node root and the NodePath that resolves
// under it, as node.Node.Path does.
func nodeRoot(t *testing.T) (string, func(string) string) {
	root := t.TempDir()
	return root, func(p string) string { return filepath.Join(root, p) }
}

// With HOME empty, the persistent identity and known_hosts under the root
// are enough to log in: what a headnode has after a reboot wiped /root.
func TestDialPersistentDefaults(t *testing.T) {
	s := start(t)
	root, path := nodeRoot(t)
	copyFile(t, s.IdentityFile, filepath.Join(root, sshconn.PersistentIdentity))
	copyFile(t, s.KnownHosts, filepath.Join(root, sshconn.PersistentKnownHosts))
	env := map[string]string{"HOME": t.TempDir()}
	c := dial(t, s, sshconn.Options{Getenv: func(k string) string { return env[k] }, NodePath: path})
	var out bytes.Buffer
	if err := c.Run(context.Background(), "echo hello", &out); err != nil || out.String() != "hello\n" {
		t.Fatalf("Run(echo hello) = %q, %v, want \"hello\\n\"", out.String(), err)
	}
}

func TestDefaultFilesOrder(t *testing.T) {
	_, path := nodeRoot(t)
	o := sshconn.Options{Getenv: func(k string) string { return map[string]string{"HOME": "/home/op"}[k] }, NodePath: path}
	ids := o.DefaultIdentityFiles()
	if len(ids) == 0 || ids[0] != path(sshconn.PersistentIdentity) || ids[1] != "/home/op/.ssh/id_ed25519" {
		t.Errorf("DefaultIdentityFiles() = %q, want the persistent identity, then ~/.ssh's", ids)
	}
	kh := o.DefaultKnownHosts()
	want := []string{path(sshconn.PersistentKnownHosts), "/home/op/.ssh/known_hosts", sshconn.SystemKnownHosts}
	if strings.Join(kh, " ") != strings.Join(want, " ") {
		t.Errorf("DefaultKnownHosts() = %q, want %q", kh, want)
	}
	if got := (sshconn.Options{}).DefaultKnownHosts(); got[0] != sshconn.PersistentKnownHosts {
		t.Errorf("DefaultKnownHosts() without NodePath = %q, want the live %s first", got, sshconn.PersistentKnownHosts)
	}
}

// With nothing anywhere, the error names the persistent identity and how
// to make it.
func TestNoIdentityNamesPersistent(t *testing.T) {
	s := start(t)
	root, path := nodeRoot(t)
	copyFile(t, s.KnownHosts, filepath.Join(root, sshconn.PersistentKnownHosts))
	_, err := sshconn.Dial(context.Background(), target(s), sshconn.Options{NodePath: path})
	if err == nil || !strings.Contains(err.Error(), path(sshconn.PersistentIdentity)) || !strings.Contains(err.Error(), "usbkey-sync setup") {
		t.Fatalf("Dial with no identity = %v, want an error naming %s and usbkey-sync setup", err, path(sshconn.PersistentIdentity))
	}
}

func TestScanHostKey(t *testing.T) {
	s := start(t)
	key, err := sshconn.ScanHostKey(context.Background(), target(s), sshconn.Options{})
	if err != nil {
		t.Fatalf("ScanHostKey = %v", err)
	}
	want, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s.HostKeyLine[strings.Index(s.HostKeyLine, " ")+1:]))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(key.Marshal(), want.Marshal()) {
		t.Errorf("ScanHostKey = %s, want %s", ssh.FingerprintSHA256(key), ssh.FingerprintSHA256(want))
	}
	o := sshconn.Options{KnownHosts: []string{s.KnownHosts}}
	if err := sshconn.CheckHostKey(target(s), o, key); err != nil {
		t.Errorf("CheckHostKey(the server's key) = %v, want nil", err)
	}
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	o.KnownHosts = []string{empty}
	if err := sshconn.CheckHostKey(target(s), o, key); !errors.Is(err, sshconn.ErrUnknownHostKey) {
		t.Errorf("CheckHostKey with an empty known_hosts = %v, want ErrUnknownHostKey", err)
	}
}
