package keysync

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"cntools/internal/node"
	"cntools/internal/sshconn"
)

func TestRequestArgs(t *testing.T) {
	for _, tc := range []struct {
		r    Request
		want string
	}{
		{Request{}, "usbkey-sync"},
		{
			Request{Targets: []string{"ssh://root@10.0.0.21:2222/zones/usbkey-standby", "admin@cn2:/x y"}, Delete: true},
			"usbkey-sync --target ssh://root@10.0.0.21:2222/zones/usbkey-standby --target 'admin@cn2:/x y' --delete",
		},
		{
			Request{
				DryRun: true, From: "/zones/usbkey-copy", TargetsFile: "/var/tmp/targets", Discover: true,
				SapiURL: "http://10.0.0.12", CnapiURL: "http://10.0.0.13", Jobs: 2, Files: 16, Force: true,
				Verify: VerifyReadBack, Identity: []string{"/root/.ssh/sync"}, KnownHosts: []string{"/root/kh"},
				ConnectTimeout: 90 * time.Second, Hook: HookPlatformInstall, HookVersion: "20260301T000000Z",
			},
			"usbkey-sync --dry-run --from /zones/usbkey-copy --targets-file /var/tmp/targets --discover" +
				" --sapi-url http://10.0.0.12 --cnapi-url http://10.0.0.13 --jobs 2 --files 16 --force --verify read-back" +
				" --identity /root/.ssh/sync --known-hosts /root/kh --connect-timeout 1m30s hook platform-install 20260301T000000Z",
		},
		{Request{Targets: []string{"root@cn1"}, Hook: HookGZTools}, "usbkey-sync --target root@cn1 hook gz-tools"},
	} {
		if got := tc.r.CommandLine(node.New("/")); got != tc.want {
			t.Errorf("%+v.CommandLine(live) = %q, want %q", tc.r, got, tc.want)
		}
	}
	r := Request{Targets: []string{"root@cn1"}}
	if got, want := r.CommandLine(node.New("/var/tmp/node")), "usbkey-sync --root /var/tmp/node --target root@cn1"; got != want {
		t.Errorf("CommandLine(simulated) = %q, want %q", got, want)
	}
}

func TestRequestCheck(t *testing.T) {
	for _, tc := range []struct {
		r   Request
		err string
	}{
		{Request{Targets: []string{"ssh://cn1"}}, ""},
		{Request{Targets: []string{"cn1"}}, `--target: target "cn1" is a path on this node`},
		{Request{Targets: []string{"cn1:/usbkey"}}, "/lib/sdc/config.sh"},
		{Request{From: "root@hn:/usbkey"}, "--from root@hn:/usbkey: a sync copies from a directory on this node"},
		{Request{From: "hn:bad"}, `--from: ssh target "hn:bad"`},
		{Request{Verify: "md5"}, `--verify "md5": want usbkey-sync, openssl, sha256sum, digest or read-back`},
		{Request{Hook: HookPlatformInstall}, "hook platform-install: want the platform VERSION"},
		{Request{Hook: "agents"}, `hook "agents": want platform-install VERSION, gz-tools or sdcadm`},
	} {
		err := tc.r.Check()
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%+v.Check() = %v, want %q", tc.r, err, tc.err)
		}
	}
}

func TestRequestPrepare(t *testing.T) {
	root := t.TempDir()
	n := node.New(root)
	writeTree(t, filepath.Join(root, "usbkey"), map[string]string{"config": "x", "tools.tar.gz": "t", "cn_tools.tar.gz": "c", "scripts/a.sh": "s"})
	ctx := context.Background()

	// No target: the targets file under the root; none there is refused.
	if _, err := (Request{}).Prepare(ctx, n, Env{}); err == nil || !strings.Contains(err.Error(), "no targets: pass --target") {
		t.Errorf("Prepare(no targets) = %v, want no targets", err)
	}
	tf := filepath.Join(root, DefaultTargetsFile)
	os.MkdirAll(filepath.Dir(tf), 0o755)
	os.WriteFile(tf, []byte("root@cn1\ncn2:2222:/zones/standby2\n"), 0o644)
	j, err := Request{Hook: HookGZTools, ConnectTimeout: time.Minute}.Prepare(ctx, n, Env{})
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	want := []sshconn.Target{{User: "root", Host: "cn1", Port: 22, Path: node.StandbyDir}, {User: "root", Host: "cn2", Port: 2222, Path: "/zones/standby2"}}
	if !reflect.DeepEqual(j.Targets, want) {
		t.Errorf("Prepare targets = %+v, want %+v", j.Targets, want)
	}
	o := j.Options
	if o.Source != filepath.Join(root, "usbkey") || !reflect.DeepEqual(o.Paths, []string{"tools.tar.gz", "cn_tools.tar.gz", "scripts"}) || o.SSH.ConnectTimeout != time.Minute {
		t.Errorf("Prepare options = %+v", o)
	}
	if want := filepath.Join(root, node.CacheDir, "usbkey-sync"+strings.ReplaceAll(filepath.Join(root, "usbkey"), "/", "_")+".json"); o.CachePath != want {
		t.Errorf("CachePath = %q, want %q", o.CachePath, want)
	}

	// --target wins over the file.
	j, err = Request{Targets: []string{"ssh://admin@cn3"}}.Prepare(ctx, n, Env{})
	if err != nil || len(j.Targets) != 1 || TargetName(j.Targets[0]) != "admin@cn3:22:/zones/usbkey-standby" {
		t.Errorf("Prepare(--target) = %+v, %v", j, err)
	}
}
