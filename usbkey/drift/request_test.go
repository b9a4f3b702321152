package drift

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"cntools/internal/node"
	"cntools/internal/sshconn"
)

func TestRequestArgs(t *testing.T) {
	for _, tc := range []struct {
		r    Request
		want string
	}{
		{Request{}, "usbkey-drift"},
		{
			Request{Key: None, Usbkey: "/zones/usbkey-copy", Standby: []string{"ssh://root@10.0.0.21:2222", "admin@cn2:/x y"}, SFTP: true},
			"usbkey-drift --key none --usbkey /zones/usbkey-copy --standby ssh://root@10.0.0.21:2222 --standby 'admin@cn2:/x y' --sftp",
		},
		{
			Request{Key: "/dev/rdsk/c1t0d0p0", All: true, IgnoreMTime: true, NoCache: true},
			"usbkey-drift --key /dev/rdsk/c1t0d0p0 --all --ignore-mtime --no-cache",
		},
	} {
		if got := tc.r.CommandLine(node.New("/")); got != tc.want {
			t.Errorf("%+v.CommandLine(live) = %q, want %q", tc.r, got, tc.want)
		}
	}
	if got, want := (Request{Key: None}).CommandLine(node.New("/var/tmp/hn")), "usbkey-drift --root /var/tmp/hn --key none"; got != want {
		t.Errorf("CommandLine(simulated) = %q, want %q", got, want)
	}
}

func TestRequestSources(t *testing.T) {
	root := t.TempDir()
	n := node.New(root)
	ctx := context.Background()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.MkdirAll(filepath.Join(root, "zones/standby"), 0o755)

	// The key's default is what the mount table says: nothing mounted,
	// no key.
	os.WriteFile(filepath.Join(root, node.MnttabFile), nil, 0o644)
	got, err := Request{Standby: []string{"ssh://cn1", "admin@[::1]:2222:/x", "/zones/standby"}}.Sources(ctx, n)
	want := []Source{
		{Name: "usbkey", Kind: DirSource, Path: filepath.Join(root, "usbkey")},
		{Kind: StandbySource, Target: sshconn.Target{User: "root", Host: "cn1", Port: 22, Path: node.StandbyDir}},
		{Kind: StandbySource, Target: sshconn.Target{User: "admin", Host: "::1", Port: 2222, Path: "/x"}},
		{Name: "/zones/standby", Kind: DirSource, Path: filepath.Join(root, "zones/standby")},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Sources = %+v, %v, want %+v", got, err, want)
	}

	// A key mounted at /mnt/usbkey is the first copy; --usbkey over SSH
	// defaults to the node's /usbkey.
	os.WriteFile(filepath.Join(root, node.MnttabFile), []byte("/dev/dsk/c1t0d0p1\t/mnt/usbkey\tpcfs\trw,foldcase\t1772323200\n"), 0o644)
	got, err = Request{Usbkey: "root@hn2"}.Sources(ctx, n)
	want = []Source{
		{Name: "key", Kind: KeySource, Path: filepath.Join(root, node.KeyMount)},
		{Name: "usbkey", Kind: StandbySource, Target: sshconn.Target{User: "root", Host: "hn2", Port: 22, Path: node.UsbkeyDir}},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Sources(--usbkey root@hn2) = %+v, %v, want %+v", got, err, want)
	}

	for _, tc := range []struct {
		r   Request
		err string
	}{
		{Request{Key: "root@hn2:/mnt/usbkey"}, "--key root@hn2:/mnt/usbkey: a key is read on the node it is in"},
		{Request{Key: None, Standby: []string{"cn1"}}, "--standby cn1: no such directory on this node; for a copy on the host cn1, write root@cn1, cn1:/zones/usbkey-standby or ssh://cn1"},
		{Request{Key: None, Standby: []string{"cn1:standby"}}, `--standby: ssh target "cn1:standby": port "standby"`},
		{Request{Key: None, Usbkey: "sftp://hn/usbkey"}, `--usbkey: ssh target "sftp://hn/usbkey": scheme "sftp" is not supported`},
	} {
		if _, err := tc.r.Sources(ctx, n); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v.Sources = %v, want %q", tc.r, err, tc.err)
		}
	}

	if _, err := (Request{Key: None}).Run(ctx, n, Env{}); !errors.Is(err, ErrTooFew) {
		t.Errorf("Run(one copy) = %v, want ErrTooFew", err)
	}
}
