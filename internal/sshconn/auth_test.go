package sshconn_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cntools/internal/sshconn"
)

// A stale SSH_AUTH_SOCK (the socket is gone) does not fail a login that
// the key files can make: it falls back to them and says so once, at WARN.
// With no key file at all, the agent's error is the error.
func TestStaleAgentFallsBackToKeyFiles(t *testing.T) {
	s := start(t)
	home := t.TempDir()
	copyFile(t, s.IdentityFile, filepath.Join(home, ".ssh", "id_ed25519"))
	copyFile(t, s.KnownHosts, filepath.Join(home, ".ssh", "known_hosts"))
	stale := filepath.Join(t.TempDir(), "agent.sock")
	env := map[string]string{"HOME": home, "SSH_AUTH_SOCK": stale}
	var log bytes.Buffer
	o := sshconn.Options{UseAgent: true, Getenv: func(k string) string { return env[k] }, Log: slog.New(slog.NewTextHandler(&log, nil))}
	for range 2 {
		c := dial(t, s, o)
		var out bytes.Buffer
		if err := c.Run(context.Background(), "echo hello", &out); err != nil || out.String() != "hello\n" {
			t.Fatalf("Run(echo hello) = %q, %v", out.String(), err)
		}
	}
	if got := strings.Count(log.String(), "level=WARN"); got != 1 || !strings.Contains(log.String(), "ssh-agent cannot be reached") || !strings.Contains(log.String(), stale) {
		t.Errorf("log = %q, want one WARN naming the agent's socket", log.String())
	}

	env["HOME"] = t.TempDir()
	o.KnownHosts = []string{s.KnownHosts}
	_, err := sshconn.Dial(context.Background(), target(s), o)
	if err == nil || !strings.Contains(err.Error(), "ssh-agent at "+stale) || !strings.Contains(err.Error(), "no identity file to fall back to") {
		t.Errorf("Dial with a stale agent and no key file = %v, want the agent's error", err)
	}
}

// A private key its group or others can read is refused as ssh(1)
// refuses it, naming the file and the fix. Named, it is an error; a
// default one is ignored with a WARN while another key logs in, and is the
// error when it is the only one.
func TestUnprotectedKeyRefused(t *testing.T) {
	s := start(t)
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
		key := filepath.Join(t.TempDir(), "id_ed25519")
		copyFile(t, s.IdentityFile, key)
		os.Chmod(key, mode)
		o := options(s)
		o.IdentityFiles = []string{key}
		_, err := sshconn.Dial(context.Background(), target(s), o)
		if !errors.Is(err, sshconn.ErrUnprotected) || !strings.Contains(err.Error(), "UNPROTECTED PRIVATE KEY FILE") || !strings.Contains(err.Error(), "chmod 600 "+key) {
			t.Errorf("Dial with a %04o key = %v, want UNPROTECTED PRIVATE KEY FILE naming chmod 600 %s", mode, err, key)
		}
	}

	home, root := t.TempDir(), t.TempDir()
	copyFile(t, s.IdentityFile, filepath.Join(home, ".ssh", "id_rsa"))
	os.Chmod(filepath.Join(home, ".ssh", "id_rsa"), 0o644)
	env := map[string]string{"HOME": home}
	var log bytes.Buffer
	o := sshconn.Options{KnownHosts: []string{s.KnownHosts}, Getenv: func(k string) string { return env[k] },
		NodePath: func(p string) string { return filepath.Join(root, p) }, Log: slog.New(slog.NewTextHandler(&log, nil))}
	_, err := sshconn.Dial(context.Background(), target(s), o)
	if !errors.Is(err, sshconn.ErrUnprotected) || !strings.Contains(err.Error(), "chmod 600 "+filepath.Join(home, ".ssh", "id_rsa")) {
		t.Errorf("Dial with only an unprotected default key = %v, want it refused", err)
	}
	// The persistent identity logs in; the unprotected default is ignored.
	copyFile(t, s.IdentityFile, o.NodePath(sshconn.PersistentIdentity))
	log.Reset()
	dial(t, s, o)
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "UNPROTECTED PRIVATE KEY FILE") {
		t.Errorf("log = %q, want a WARN for the ignored key", log.String())
	}
}
