package keysync

import (
	"cmp"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"cntools/internal/sshconn/sshtest"
)

// A sync carries every file's mode to the target, and what it keeps for
// itself (the target's manifest, the source's hash cache) holds the hash
// of every file, private/'s too: only its owner reads them.
func TestSyncModes(t *testing.T) {
	// Locked over SFTP, the create mode is learnt from the lock file;
	// held by the target's usbkey-sync and written over SFTP
	// (--verify sha256sum), from the first file written.
	for name, held := range map[string]bool{"sftp-lock": false, "held": true} {
		t.Run(name, func(t *testing.T) { testSyncModes(t, held) })
	}
}

func testSyncModes(t *testing.T, held bool) {
	var s *sshtest.Server
	verify := ""
	if held {
		s, verify = startSSHDWithState(t), VerifySHA256Sum
	} else {
		s = startSSHD(t)
	}
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "standby")
	writeTree(t, src, map[string]string{"config": "root_pw=x\n", "scripts/headnode.sh": "#!/bin/sh\n", "private/root.password.20260301T000000Z": "pw", "boot/loader.conf": "a\n"})
	modes := map[string]fs.FileMode{"config": 0o600, "scripts/headnode.sh": 0o755, "private/root.password.20260301T000000Z": 0o600, "boot/loader.conf": 0o644}
	for p, m := range modes {
		if err := os.Chmod(filepath.Join(src, p), m); err != nil {
			t.Fatal(err)
		}
	}
	cache := filepath.Join(t.TempDir(), "cache.json")
	// The cache and manifest an older run left 0644 are closed too.
	os.WriteFile(cache, []byte(`{"version":1,"entries":[]}`), 0o644)
	if r := syncOnce(t, s, src, dst, func(o *Options) { o.CachePath, o.Verify = cache, verify }); !r.InStep() || r.Verified != cmp.Or(verify, r.Verified) {
		t.Fatalf("sync = %+v", r)
	}
	modes[ManifestFile] = 0o600
	for p, want := range modes {
		fi, err := os.Stat(filepath.Join(dst, p))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("target %s: mode %v, %v, want %v", p, fi.Mode().Perm(), err, want)
		}
	}
	if fi, err := os.Stat(cache); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("hash cache: mode %v, %v, want 0600", fi.Mode().Perm(), err)
	}
}
