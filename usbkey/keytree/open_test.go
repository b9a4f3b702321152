package keytree_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"cntools/internal/node"
	"cntools/usbkey/keytree"

	"golang.org/x/sys/unix"
)

// simulated returns a node root holding one of each kind of location.
func simulated(t *testing.T) *node.Node {
	t.Helper()
	root := t.TempDir()
	writeFixtureDir(t, filepath.Join(root, "zones", "usbkey-standby"), false)
	writeTarball(t, filepath.Join(root, "usbkey-base.tgz"), "usbkey")
	// A tarball named otherwise is told by its gzip magic.
	writeTarball(t, filepath.Join(root, "usbkey-base"), "")
	newKeyImage(t, filepath.Join(root, "key.img"))
	newV1KeyImage(t, filepath.Join(root, "grub.img"))
	if err := unix.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	return &node.Node{Root: root}
}

func local(p string) keytree.Location {
	return keytree.Location{Raw: p, Kind: keytree.KindLocal, Path: p}
}

// scratch lists the tarball extractions in the node's scratch space.
func scratch(t *testing.T, n *node.Node) []string {
	t.Helper()
	got, err := filepath.Glob(filepath.Join(n.Path(node.TmpDir), "keytree.*"))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestOpenerKinds(t *testing.T) {
	n := simulated(t)
	o := &keytree.Opener{Node: n}
	ctx := context.Background()
	for _, c := range []struct {
		path string
		want string // the type Open returns
	}{
		{"/zones/usbkey-standby", "*keytree.DirTree"},
		{"/usbkey-base.tgz", "*keytree.TarballTree"},
		{"/usbkey-base", "*keytree.TarballTree"},
		{"/key.img", "*keytree.FATTree"},
		{"/grub.img", "*keytree.FATTree"},
	} {
		tr, err := o.Open(ctx, local(c.path))
		if err != nil {
			t.Errorf("Open(%s) = %v", c.path, err)
			continue
		}
		if got := fmt.Sprintf("%T", tr); got != c.want || tr.String() != c.path {
			t.Errorf("Open(%s) = %s named %q, want %s named as given", c.path, got, tr, c.want)
		}
		if got := string(readFile(t, tr, "config")); got != string(fixtureFiles["config"]) {
			t.Errorf("Open(%s): config = %q, want %q", c.path, got, fixtureFiles["config"])
		}
		if err := tr.Close(); err != nil {
			t.Errorf("Open(%s): Close() = %v", c.path, err)
		}
	}
	if s := scratch(t, n); len(s) != 0 {
		t.Errorf("scratch space after the tarballs were closed = %q, want empty", s)
	}
}

func TestOpenerRefuses(t *testing.T) {
	n := simulated(t)
	o := &keytree.Opener{Node: n}
	ctx := context.Background()
	for _, c := range []struct {
		path  string
		write bool
		want  string
	}{
		{"/fifo", false, "/fifo: is a fifo: give a directory, key device or image, or tarball"},
		{"/fifo", true, "/fifo: is a fifo: give a directory, key device or image, or tarball"},
		{"/usbkey-base.tgz", true, "/usbkey-base.tgz: a tarball cannot be written to: give a directory, key device or image"},
		{"/grub.img", true, "/grub.img: a v1 (grub) key: cn-tools writes only v2 keys; reformat it with usbkey-format"},
	} {
		var err error
		if c.write {
			_, err = o.OpenWriter(ctx, local(c.path), false)
		} else {
			_, err = o.Open(ctx, local(c.path))
		}
		if err == nil || err.Error() != c.want {
			t.Errorf("open %s (write=%v) = %v, want %q", c.path, c.write, err, c.want)
		}
	}
	if _, err := o.Open(ctx, local("/nope")); !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "/nope: ") {
		t.Errorf("Open(/nope) = %v, want fs.ErrNotExist naming /nope", err)
	}
}

// A key opened to write is written without mounting; what Flush made
// durable is there when it is opened again.
func TestOpenerWritesKey(t *testing.T) {
	n := simulated(t)
	o := &keytree.Opener{Node: n}
	ctx := context.Background()
	for _, verify := range []bool{true, false} {
		w, err := o.OpenWriter(ctx, local("/key.img"), verify)
		if err != nil {
			t.Fatalf("OpenWriter(/key.img) = %v", err)
		}
		if w.VerifiesWrites() != verify {
			t.Errorf("OpenWriter(/key.img, %v).VerifiesWrites() = %v", verify, w.VerifiesWrites())
		}
		write(t, w, "config", []byte("written\n"))
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
	}
	r, err := o.Open(ctx, local("/key.img"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := string(readFile(t, r, "config")); got != "written\n" {
		t.Errorf("config on the key reopened = %q, want %q", got, "written\n")
	}
}

func TestOpenerShareExtractsOnce(t *testing.T) {
	n := simulated(t)
	ctx := context.Background()
	loc := local("/usbkey-base.tgz")

	// Without Share, each Open extracts: the count below can tell.
	plain := &keytree.Opener{Node: n}
	a, _ := plain.Open(ctx, loc)
	b, _ := plain.Open(ctx, loc)
	if s := scratch(t, n); len(s) != 2 {
		t.Errorf("scratch after two unshared Opens = %q, want two extractions", s)
	}
	a.Close()
	b.Close()

	o := &keytree.Opener{Node: n, Share: true}
	first, err := o.Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	// Another spelling of the same file is the same location.
	second, err := o.Open(ctx, local("/./usbkey-base.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	if s := scratch(t, n); len(s) != 1 {
		t.Errorf("scratch after two shared Opens = %q, want one extraction", s)
	}
	if err := first.Close(); err != nil {
		t.Errorf("Close() of a shared tree = %v", err)
	}
	if got := string(readFile(t, second, "config")); got != string(fixtureFiles["config"]) {
		t.Errorf("config after the other user closed = %q, want %q", got, fixtureFiles["config"])
	}
	if err := o.Close(); err != nil {
		t.Fatalf("Opener.Close() = %v", err)
	}
	if s := scratch(t, n); len(s) != 0 {
		t.Errorf("scratch after Opener.Close = %q, want empty", s)
	}
}
