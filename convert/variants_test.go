package convert_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"cntools/convert"
	"cntools/convert/converttest"
	"cntools/internal/node"
	"cntools/usbkey/config"
	"cntools/usbkey/keycopy"
	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

// convertNode runs the whole conversion in-process on the node at root.
func convertNode(t *testing.T, o *convert.Options) (*convert.Result, error) {
	t.Helper()
	res, j, err := convert.Prepare(context.Background(), o, false)
	if err != nil {
		return res, err
	}
	return res, convert.Execute(context.Background(), o, res, j)
}

// Every kind of CN comes out with a key whose config names only this
// node's links, with every tag it had; the whole key content; no other
// node's networking.json; and nothing else on the node changed.
func TestConvertEachVariant(t *testing.T) {
	for _, v := range converttest.Variants {
		t.Run(v.Name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "node")
			if err := converttest.WriteVariant(root, v); err != nil {
				t.Fatal(err)
			}
			before := untouched(t, root)
			o := &convert.Options{Node: node.New(root)}
			res, err := convertNode(t, o)
			o.Close()
			if err != nil {
				t.Fatalf("convert: %v\n%+v", err, res)
			}
			kt, err := keyTree(root)
			if err != nil {
				t.Fatal(err)
			}
			defer kt.Close()
			conf := readTree(t, kt, "config")
			f, err := config.Parse(conf)
			if err != nil {
				t.Fatal(err)
			}
			lines := map[string]bool{}
			for _, l := range strings.Split(string(conf), "\n") {
				lines[l] = true
			}
			for _, w := range append([]string{"hostname=" + converttest.Hostname, "admin_ip=" + converttest.AdminIP, "compute_node_ntp_hosts=" + converttest.AdminIP}, v.Want...) {
				if !lines[w] {
					t.Errorf("the key's config lacks %q:\n%s", w, conf)
				}
			}
			// The old headnode's links are gone whatever the variant.
			for _, k := range append([]string{"aggr9_aggr", "aggr9_lacp_mode"}, v.WantNot...) {
				if _, _, ok := f.Get(k); ok {
					t.Errorf("the key's config still has %s:\n%s", k, conf)
				}
			}
			for _, p := range []string{"default/config", "ur-scripts/agents-1.0.0.sh", "images/sdc-assets.zfs.gz", "zones/assets/zoneconfig",
				"services/sapi.json", "manifests/sdc-agents.manifest", "application.json", "banner", "version",
				"private/root.password." + converttest.Platform, "etc/version/boot", "tools.tar.gz", "sdcadm-install.sh", ".joyliveusb"} {
				if _, err := kt.Lstat(p); err != nil {
					t.Errorf("the key lacks %s: %v", p, err)
				}
			}
			for _, p := range []string{"extra", "boot/networking.json", "os/latest", "os/" + converttest.OldPlatform} {
				if _, err := kt.Lstat(p); err == nil {
					t.Errorf("the key has %s", p)
				}
			}
			// Nothing on the running CN changed but the key and the
			// scratch copy (and the conversion's journal, logs and caches).
			if after := untouched(t, root); after != before {
				t.Errorf("the conversion changed the running CN:\n%s", diffLines(before, after))
			}
			if es, err := os.ReadDir(filepath.Join(root, "var/svc/manifest/site")); err != nil || len(es) != 1 || es[0].Name() != filepath.Base(convert.FinishManifest) {
				t.Errorf("var/svc/manifest/site = %v, %v; want only the finish service", es, err)
			}
			for _, p := range []string{node.UsbkeyDir, node.SdcadmDir, "/opt/smartdc/bin/sdc", "/" + node.CommandsFile} {
				if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
					t.Errorf("the conversion made %s on the running CN", p)
				}
			}
			for _, c := range res.Verify {
				if !c.OK {
					t.Errorf("verify %s: %s", c.Name, c.Detail)
				}
			}
		})
	}
}

// A source whose content does not fit the key is refused before anything
// is written: the sparse key image stays all holes.
func TestUndersizedKeyRefusedFirst(t *testing.T) {
	root := newNode(t)
	for _, name := range []string{"a", "b"} {
		f, err := os.Create(filepath.Join(root, node.StandbyDir, "os", converttest.Platform, "platform", "big-"+name))
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(2 << 30)
		f.Close()
	}
	o := &convert.Options{Node: node.New(root)}
	defer o.Close()
	res, err := convertNode(t, o)
	if !errors.Is(err, convert.ErrPreflight) {
		t.Fatalf("convert = %v, want a failed preflight", err)
	}
	if got := failed(res); !strings.Contains(got, "the key holds the content: the key content needs") || !strings.Contains(got, "--platforms") {
		t.Errorf("failed checks:\n%s", got)
	}
	if blocks(t, filepath.Join(root, converttest.KeyPath)) != 0 {
		t.Errorf("the key image was written to")
	}
	if _, err := os.Stat(filepath.Join(root, node.CopyDir)); err == nil {
		t.Errorf("the usbkey copy was made")
	}
}

// A source with only platforms older than the running one is refused: an
// older platform may not import the pool, and headnode.sh would then build
// a new one over the disks.
func TestOlderPlatformRefused(t *testing.T) {
	root := newNode(t)
	standby := filepath.Join(root, node.StandbyDir)
	if err := os.RemoveAll(filepath.Join(standby, "os", converttest.Platform)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(standby, "os", "latest"))
	o := &convert.Options{Node: node.New(root)}
	defer o.Close()
	res, err := convertNode(t, o)
	if !errors.Is(err, convert.ErrPreflight) {
		t.Fatalf("convert = %v, want a failed preflight", err)
	}
	want := "the source's platform " + converttest.OldPlatform + " is older than the one this node runs (" + converttest.Platform + ")"
	if got := failed(res); !strings.Contains(got, want) {
		t.Errorf("failed checks:\n%s\nwant %q", got, want)
	}
	if blocks(t, filepath.Join(root, converttest.KeyPath)) != 0 {
		t.Errorf("the key image was written to")
	}
}

// Another plugged-in Triton key stops the conversion unless --force: the
// firmware could boot it, and a marked key boots its own headnode.
func TestOtherKeyRefusedUnlessForced(t *testing.T) {
	root := newNode(t)
	// A second USB disk holding a key: the old headnode's.
	other := filepath.Join(t.TempDir(), "other")
	if err := converttest.WriteNode(other); err != nil {
		t.Fatal(err)
	}
	o := &convert.Options{Node: node.New(other)}
	if _, err := convertNode(t, o); err != nil {
		t.Fatalf("making the other key: %v", err)
	}
	o.Close()
	if err := os.Rename(filepath.Join(other, converttest.KeyPath), filepath.Join(root, "/dev/rdsk/c2t0d0p0")); err != nil {
		t.Fatal(err)
	}
	diskinfo := filepath.Join(root, node.DiskinfoFile)
	b, _ := os.ReadFile(diskinfo)
	os.WriteFile(diskinfo, append(b, []byte("USB\tc2t0d0\tKingston\tDT\t4294967296\tyes\tno\n")...), 0o644)

	o = &convert.Options{Node: node.New(root), Key: converttest.KeyPath}
	res, err := convertNode(t, o)
	o.Close()
	if !errors.Is(err, convert.ErrPreflight) || !strings.Contains(failed(res), "/dev/rdsk/c2t0d0p0 holds a Triton key already (v2-loader, marker true") {
		t.Fatalf("convert = %v, failed checks:\n%s", err, failed(res))
	}
	o = &convert.Options{Node: node.New(root), Key: converttest.KeyPath, Force: true}
	defer o.Close()
	if _, err := convertNode(t, o); err != nil {
		t.Fatalf("convert --force: %v", err)
	}
}

// --bootpool follows joysetup's recipe through the node's commands: the
// dataset, the content, then bootfs and the boot blocks, recorded in order.
func TestBootPoolCommands(t *testing.T) {
	root := newNode(t)
	o := &convert.Options{Node: node.New(root), BootPool: "zones"}
	defer o.Close()
	if res, err := convertNode(t, o); err != nil {
		t.Fatalf("convert --bootpool: %v\n%s", err, failed(res))
	}
	got, err := os.ReadFile(filepath.Join(root, node.CommandsFile))
	if err != nil {
		t.Fatal(err)
	}
	want := "zfs create -o encryption=off zones/boot\n" +
		"installboot -m -b /zones/boot/boot/ /zones/boot/boot/pmbr /zones/boot/boot/gptzfsboot /dev/rdsk/c0t0d0s1\n" +
		"zpool set bootfs=zones/boot zones\n"
	if string(got) != want {
		t.Errorf("recorded commands:\n%s\nwant:\n%s", got, want)
	}
	loader, err := os.ReadFile(filepath.Join(root, "zones/boot/boot/loader.conf"))
	if err != nil || !strings.Contains(string(loader), `triton_bootpool="zones"`) || !strings.Contains(string(loader), `fstype="ufs"`) {
		t.Errorf("/zones/boot/boot/loader.conf = %q, %v", loader, err)
	}
	if blocks(t, filepath.Join(root, converttest.KeyPath)) != 0 {
		t.Errorf("a boot-pool conversion wrote the USB key")
	}
}

func failed(res *convert.Result) string {
	if res == nil || res.Preflight == nil {
		return ""
	}
	var out []string
	for _, c := range res.Preflight.Checks {
		if !c.OK {
			out = append(out, c.Name+": "+c.Detail)
		}
	}
	return strings.Join(out, "\n")
}

// blocks is how many 512-byte blocks a sparse file has allocated.
func blocks(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Blocks
}

func readTree(t *testing.T, kt keytree.Tree, p string) []byte {
	t.Helper()
	r, err := kt.Open(p)
	if err != nil {
		t.Fatalf("%s on the key: %v", p, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A standby copy a usbkey-sync is writing is not converted from: the two
// would interleave.
func TestStandbyInUseRefused(t *testing.T) {
	root := newNode(t)
	lock := filepath.Join(root, node.StandbyDir, keycopy.LockName)
	if err := os.WriteFile(lock, []byte("usbkey-sync pid 4242 on headnode0 since 2026-12-01T22:00:00Z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := &convert.Options{Node: node.New(root)}
	res, err := convertNode(t, o)
	o.Close()
	if !errors.Is(err, convert.ErrPreflight) || !strings.Contains(failed(res), "/zones/usbkey-standby is in use by usbkey-sync pid 4242 on headnode0 since 2026-12-01T22:00:00Z: wait for that run to finish, or, if it is gone, remove ") {
		t.Fatalf("convert = %v, failed checks:\n%s", err, failed(res))
	}
	if _, err := os.Stat(lock); err != nil {
		t.Errorf("the conversion removed the sync's lock: %v", err)
	}
	if blocks(t, filepath.Join(root, converttest.KeyPath)) != 0 {
		t.Errorf("the key image was written to")
	}
}

// untouched is a manifest of the node's root less what a conversion may
// write: the key, the scratch copy, its journal, logs, caches and scratch.
// Files are compared whole: content, mode and mtime.
func untouched(t *testing.T, root string) string {
	t.Helper()
	// The finish service's manifest is the one file it adds to the node,
	// inert on a CN; TestConvertEachVariant checks it apart.
	skip := regexp.MustCompile(`^(dev|zones/usbkey-copy|var/log|var/cn-tools|var/cache|var/tmp|var/svc)(/|$)`)
	m, err := manifest.Build(context.Background(), keytree.Dir(root), manifest.Options{Exclude: skip.MatchString})
	if err != nil {
		t.Fatal(err)
	}
	// A directory's mtime moves with the lock taken and let go in the
	// standby copy, and with the scratch copy made in /zones.
	for i := range m.Entries {
		if m.Entries[i].Type == manifest.TypeDir {
			m.Entries[i].MTime = time.Time{}
		}
	}
	var b strings.Builder
	m.Encode(&b)
	return b.String()
}
