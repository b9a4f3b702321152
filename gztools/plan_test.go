package gztools_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cntools/gztools"
	"cntools/gztools/gztoolstest"
	"cntools/internal/node"
)

// snapshot lists every entry under root: type and mode, content hash or
// symlink target.
func snapshot(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		line := fmt.Sprintf("%v %s", fi.Mode(), rel)
		switch {
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %x", sha256.Sum256(b))
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A refused source or node changes nothing on the node: not the installed
// tools, not the usbkey copy, and no scratch left in /var/tmp.
func TestNewPlanRefusesChangingNothing(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	n := node.New(root)
	write := func(p string, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(n.Path(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(n.Path(p), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("/"+node.SysinfoFile, []byte(`{"UUID": "44454c4c-5000-1048-8058-b2c04f565031"}`))
	if err := gztoolstest.WriteUsbkeyCopy(n.Path(node.UsbkeyDir), "1", "0b0b0b0b-0000-4000-8000-000000000001", "1.39.0-20260301T000000Z"); err != nil {
		t.Fatal(err)
	}
	p, err := gztools.NewPlan(ctx, n, gztools.Request{}, gztools.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	p.Close()

	if err := gztoolstest.WriteUsbkeyCopy(n.Path("/hostile"), "2", "0b0b0b0b-0000-4000-8000-000000000002", "1.39.0-20260401T000000Z"); err != nil {
		t.Fatal(err)
	}
	write("/hostile/tools.tar.gz", gztoolstest.Hostile()["symlink-escape"])
	write("/evil.tgz", gztoolstest.Hostile()["absolute"])
	write("/notimage.tgz", gztoolstest.TarGz([]gztoolstest.Entry{gztoolstest.File("README", 0o644, "hello")}))
	if err := os.MkdirAll(n.Path("/empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, root)
	const layout = " (want gz-tools-<stamp>.tgz with gz-tools/{tools.tar.gz,cn_tools.tar.gz,scripts/}, or a usbkey copy)"

	for _, c := range []struct {
		req     gztools.Request
		want    string
		refused bool
	}{
		{gztools.Request{From: "/hostile", Yes: true}, n.Path("/hostile/tools.tar.gz") + `: entry "bin/out": unsafe entry: symlink to "../../../etc" points outside the tree`, true},
		{gztools.Request{From: "/evil.tgz"}, n.Path("/evil.tgz") + `: entry "/etc/passwd": unsafe entry: absolute name`, true},
		{gztools.Request{From: "/notimage.tgz"}, n.Path("/notimage.tgz") + ": not a gz-tools image or usbkey copy: it has no gz-tools/tools.tar.gz file" + layout, true},
		{gztools.Request{From: "/empty"}, n.Path("/empty") + ": not a gz-tools image or usbkey copy: it has no tools.tar.gz file" + layout, true},
		{gztools.Request{Sdcadm: "/" + node.SysinfoFile}, n.Path("/"+node.SysinfoFile) + ": no contents.tgz payload found: is this an sdcadm shar (sdcadm-<stamp>.sh)?", true},
		{gztools.Request{From: "/nowhere"}, "source: stat " + n.Path("/nowhere") + ": no such file or directory", false},
	} {
		p, err := gztools.NewPlan(ctx, n, c.req, gztools.Options{})
		if err == nil {
			p.Close()
			t.Errorf("NewPlan(%q) = a plan, want error %q", c.req.Args(), c.want)
			continue
		}
		if err.Error() != c.want || gztools.Refused(err) != c.refused {
			t.Errorf("NewPlan(%q) = %q (refused %v), want %q (refused %v)", c.req.Args(), err, gztools.Refused(err), c.want, c.refused)
		}
		if after := snapshot(t, root); !slices.Equal(after, before) {
			t.Fatalf("NewPlan(%q) changed the node:\nbefore:\n%s\nafter:\n%s", c.req.Args(), strings.Join(before, "\n"), strings.Join(after, "\n"))
		}
	}
}

// usbkeyNode is a node whose /usbkey holds a gz-tools usbkey copy, with
// the sysinfo sdcadm.conf needs; it returns the node.
func usbkeyNode(t *testing.T) *node.Node {
	t.Helper()
	root := t.TempDir()
	writeSysinfo(t, root)
	n := node.New(root)
	if err := gztoolstest.WriteUsbkeyCopy(n.Path(node.UsbkeyDir), "1", "0b0b0b0b-0000-4000-8000-000000000001", "1.39.0-20260301T000000Z"); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNewPlanLocks: a plan that writes stages the new tools tree and holds
// it over the confirmation prompt, so a second one is refused, naming the
// holder, until the first is closed; a read-only plan (-n, --check) is not.
func TestNewPlanLocks(t *testing.T) {
	ctx := context.Background()
	n := usbkeyNode(t)
	first, err := gztools.NewPlan(ctx, n, gztools.Request{}, gztools.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = gztools.NewPlan(ctx, n, gztools.Request{}, gztools.Options{})
	if err == nil || !strings.Contains(err.Error(), "another gztools-install is running on this node (gztools-install pid ") {
		t.Fatalf("second NewPlan: err = %v, want the first run named", err)
	}
	for _, ro := range []struct {
		req  gztools.Request
		opts gztools.Options
	}{{gztools.Request{}, gztools.Options{ReadOnly: true}}, {gztools.Request{Check: true}, gztools.Options{}}} {
		p, err := gztools.NewPlan(ctx, n, ro.req, ro.opts)
		if err != nil {
			t.Fatalf("read-only NewPlan while one is held: %v", err)
		}
		p.Close()
	}
	// The first run's staged tree is still whole: Apply installs it.
	if _, err := first.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	first.Close()
	again, err := gztools.NewPlan(ctx, n, gztools.Request{}, gztools.Options{})
	if err != nil {
		t.Fatalf("NewPlan after the first closed: %v", err)
	}
	again.Close()
	if _, err := os.Stat(filepath.Join(n.Path(gztools.LockDir), ".cntools-lock")); !os.IsNotExist(err) {
		t.Errorf("lock left behind after Close: %v", err)
	}
}

// TestApplyStopsWhenInterrupted: an interrupt that came while the
// operator was being asked stops Apply before it swaps anything in.
func TestApplyStopsWhenInterrupted(t *testing.T) {
	n := usbkeyNode(t)
	p, err := gztools.NewPlan(context.Background(), n, gztools.Request{}, gztools.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done, err := p.Apply(ctx)
	if err == nil || len(done) != 0 || !strings.Contains(err.Error(), "not installed: context canceled") {
		t.Fatalf("Apply after an interrupt = %v, %v; want nothing done and the interrupt named", done, err)
	}
	if _, err := os.Stat(n.Path("/opt/smartdc/bin")); !os.IsNotExist(err) {
		t.Errorf("/opt/smartdc/bin after an interrupted Apply: %v, want nothing installed", err)
	}
}
