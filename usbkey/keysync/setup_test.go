package keysync_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	keysync "cntools/usbkey/keysync"
)

func TestEnsureKeyOnceAndPrivate(t *testing.T) {
	priv := filepath.Join(t.TempDir(), "cn-tools", "id_ed25519")
	k, err := keysync.EnsureKey(priv)
	if err != nil || !k.Created {
		t.Fatalf("EnsureKey(new) = %+v, %v, want created", k, err)
	}
	fi, err := os.Stat(priv)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("EnsureKey(new): %s mode %v, %v, want 0600", priv, fi.Mode().Perm(), err)
	}
	if !strings.HasPrefix(k.Public, "ssh-ed25519 ") || !strings.HasSuffix(k.Public, " "+keysync.KeyComment) {
		t.Errorf("EnsureKey(new).Public = %q, want an ssh-ed25519 line ending %s", k.Public, keysync.KeyComment)
	}
	before, _ := os.ReadFile(priv)
	// The .pub is remade from the key; the key is never touched.
	os.Remove(priv + ".pub")
	k2, err := keysync.EnsureKey(priv)
	if err != nil || k2.Created || k2.Public != k.Public {
		t.Fatalf("EnsureKey(existing) = %+v, %v, want the same key, not created", k2, err)
	}
	after, _ := os.ReadFile(priv)
	pub, _ := os.ReadFile(priv + ".pub")
	if string(before) != string(after) || string(pub) != k.Public+"\n" {
		t.Errorf("EnsureKey(existing) changed the key or wrote .pub %q, want %q", pub, k.Public)
	}
	entries, _ := os.ReadDir(filepath.Dir(priv))
	if len(entries) != 2 {
		t.Errorf("EnsureKey left %d files, want the key and its .pub", len(entries))
	}
}

func TestEnsureKeyRefusesUnreadable(t *testing.T) {
	priv := filepath.Join(t.TempDir(), "id_ed25519")
	os.WriteFile(priv, []byte("not a key\n"), 0o600)
	if _, err := keysync.EnsureKey(priv); err == nil || !strings.Contains(err.Error(), "move it aside") {
		t.Errorf("EnsureKey(garbage) = %v, want a refusal that says to move it aside", err)
	}
	if b, _ := os.ReadFile(priv); string(b) != "not a key\n" {
		t.Errorf("EnsureKey(garbage) overwrote the file")
	}
}

// The install script, run by a real shell against stand-ins for the two
// files, adds the key once however often it runs, and never joins it to
// a last line without a newline.
func TestInstallKeyScriptIdempotent(t *testing.T) {
	dir := t.TempDir()
	persistent := filepath.Join(dir, "opt/smartdc/config/root.authorized_keys")
	now := filepath.Join(dir, "root/.ssh/authorized_keys")
	os.MkdirAll(filepath.Dir(now), 0o700)
	os.WriteFile(now, []byte("ssh-rsa AAAA operator"), 0o600) // no final newline
	const pub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK2s6aLxlMJXqrRnR8/903jXgG8QV0mifWrTgpIluqZ6 it's a key"
	script := strings.NewReplacer(keysync.CNPersistentAuthorizedKeys, persistent, keysync.CNAuthorizedKeys, now).Replace(keysync.InstallKeyScript(pub))
	for range 2 {
		if out, err := exec.Command("bash", "-c", script).CombinedOutput(); err != nil {
			t.Fatalf("install script: %v: %s", err, out)
		}
	}
	for f, want := range map[string]string{persistent: pub + "\n", now: "ssh-rsa AAAA operator\n" + pub + "\n"} {
		if b, _ := os.ReadFile(f); string(b) != want {
			t.Errorf("%s after two runs = %q, want %q", f, b, want)
		}
	}
}

// Setup prints one sdc-oneachnode line per target and runs nothing
// without Install.
func TestSetupCommands(t *testing.T) {
	root := t.TempDir()
	n := node.New(root)
	r := keysync.SetupRequest{Request: keysync.Request{Targets: []string{"root@cn1", "root@10.1.1.1"}}}
	key, res, err := r.Setup(context.Background(), n, keysync.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if key.Path != sshconn.PersistentIdentity || !key.Created {
		t.Errorf("Setup key = %+v, want %s created", key, sshconn.PersistentIdentity)
	}
	if _, err := os.Stat(n.Path(sshconn.PersistentIdentity)); err != nil {
		t.Errorf("Setup: %v", err)
	}
	want := node.CommandLine("sdc-oneachnode", "-n", "cn1", keysync.InstallKeyScript(key.Public))
	if len(res) != 2 || res[0].Command != want || res[0].Node != "cn1" || res[0].Note != "" {
		t.Fatalf("Setup results = %+v, want cn1's command %s", res, want)
	}
	if res[1].Node != "10.1.1.1" || !strings.Contains(res[1].Note, "hostname or UUID") {
		t.Errorf("Setup for an address = %+v, want a note that sdc-oneachnode needs a hostname or UUID", res[1])
	}
	if _, err := os.Stat(filepath.Join(root, node.CommandsFile)); err == nil {
		t.Errorf("Setup without Install ran a command")
	}
}

// The sdcadm hook packs the node's deployed sdcadm into the source and
// syncs only extra/sdcadm.
func TestSdcadmPaths(t *testing.T) {
	root := t.TempDir()
	n := node.New(root)
	src := filepath.Join(root, "usbkey")
	if _, err := keysync.SdcadmPaths(context.Background(), n, src, false, nil); err == nil || !strings.Contains(err.Error(), "no sdcadm at /opt/smartdc/sdcadm") {
		t.Errorf("SdcadmPaths without sdcadm = %v, want a refusal naming /opt/smartdc/sdcadm", err)
	}
	sd := n.Path(node.SdcadmDir)
	os.MkdirAll(filepath.Join(sd, "etc"), 0o755)
	os.WriteFile(filepath.Join(sd, "package.json"), []byte(`{"name":"sdcadm","version":"1.40.0"}`), 0o644)
	os.WriteFile(filepath.Join(sd, "etc/buildstamp"), []byte("master-20260401T000000Z-g0123456\n"), 0o644)
	if _, err := keysync.SdcadmPaths(context.Background(), n, src, true, nil); err == nil {
		t.Errorf("SdcadmPaths(dryRun) with nothing packed = nil error, want a refusal")
	}
	ps, err := keysync.SdcadmPaths(context.Background(), n, src, false, nil)
	if err != nil || len(ps) != 1 || ps[0] != "extra/sdcadm" {
		t.Fatalf("SdcadmPaths = %q, %v, want [extra/sdcadm]", ps, err)
	}
	if _, err := os.Stat(filepath.Join(src, "extra/sdcadm/sdcadm-1.40.0-master-20260401T000000Z-g0123456.tgz")); err != nil {
		t.Error(err)
	}
}
