package keytree_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"cntools/usbkey/keytree"
)

var generatedAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

type generator interface {
	Generated(p string) ([]byte, bool)
}

func TestOverlayReplaces(t *testing.T) {
	dir := t.TempDir()
	writeFixtureDir(t, dir, false)
	const conf = "headnode=\"true\"\nipxe=\"false\"\n"
	// Another case than the tree's: pcfs folds case, so this is the same file.
	o := keytree.Overlay(keytree.Dir(dir), "BOOT/Loader.Conf", []byte(conf), generatedAt)
	infos, err := o.ReadDir("boot")
	if err != nil || len(infos) != 1 {
		t.Fatalf("ReadDir(boot) = %+v, %v, want one entry", infos, err)
	}
	want := keytree.Info{Name: "loader.conf", Mode: 0o644, Size: int64(len(conf)), MTime: generatedAt}
	if infos[0] != want {
		t.Errorf("ReadDir(boot) = %+v, want %+v", infos[0], want)
	}
	if fi, err := o.Lstat("boot/loader.conf"); err != nil || fi != want {
		t.Errorf("Lstat(boot/loader.conf) = %+v, %v, want %+v", fi, err, want)
	}
	if got := string(readFile(t, o, "boot/loader.conf")); got != conf {
		t.Errorf("Open(boot/loader.conf) = %q, want %q", got, conf)
	}
	if got := string(readFile(t, o, "config")); got != string(fixtureFiles["config"]) {
		t.Errorf("Open(config) through the overlay = %q, want the tree's", got)
	}
}

func TestOverlayAdds(t *testing.T) {
	dir := t.TempDir()
	writeFixtureDir(t, dir, false)
	o := keytree.Overlay(keytree.Dir(dir), "boot/networking.json", []byte("{}"), generatedAt)
	es, err := keytree.Walk(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range es {
		paths = append(paths, e.Path)
	}
	got := strings.Join(paths[:4], " ")
	if want := "boot boot/loader.conf boot/networking.json config"; got != want {
		t.Errorf("Walk starts %q, want %q", got, want)
	}
	if fi, err := o.Lstat("boot/networking.json"); err != nil || fi.Size != 2 || !fi.Mode.IsRegular() {
		t.Errorf("Lstat(boot/networking.json) = %+v, %v, want a regular file of 2 bytes", fi, err)
	}
}

// No directory is made up for an overlaid file.
func TestOverlayNeedsItsDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFixtureDir(t, dir, false)
	o := keytree.Overlay(keytree.Dir(dir), "nope/file", []byte("x"), generatedAt)
	if _, err := o.Lstat("nope/file"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Lstat(nope/file) = %v, want fs.ErrNotExist", err)
	}
	if _, err := o.Open("nope/file"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(nope/file) = %v, want fs.ErrNotExist", err)
	}
	infos, err := o.ReadDir("")
	if err != nil || names(infos) != "boot config empty os" {
		t.Errorf("ReadDir(\"\") = %q, %v, want the tree's own entries", names(infos), err)
	}
}

func TestOverlayStackedGenerated(t *testing.T) {
	dir := t.TempDir()
	writeFixtureDir(t, dir, false)
	base := keytree.Dir(dir)
	o := keytree.Overlay(keytree.Overlay(base, "config", []byte("generated config\n"), generatedAt),
		"boot/loader.conf", []byte("generated loader\n"), generatedAt)
	g, ok := o.(generator)
	if !ok {
		t.Fatalf("%T has no Generated", o)
	}
	for p, want := range map[string]string{"config": "generated config\n", "BOOT/LOADER.CONF": "generated loader\n"} {
		if got, ok := g.Generated(p); !ok || string(got) != want {
			t.Errorf("Generated(%q) = %q, %v, want %q, true", p, got, ok, want)
		}
		if got := string(readFile(t, o, strings.ToLower(p))); got != want {
			t.Errorf("Open(%q) = %q, want %q", p, got, want)
		}
	}
	if got, ok := g.Generated("empty"); ok {
		t.Errorf("Generated(empty) = %q, true, want false: it is the tree's own", got)
	}
	if o.String() != base.String() {
		t.Errorf("String() = %q, want the tree's %q", o, base)
	}
}

// An overlay's Files gives the overlaid file as Open does, and every other
// from the tree beneath, through its own Files.
func TestOverlayFiles(t *testing.T) {
	dir := t.TempDir()
	writeFixtureDir(t, dir, false)
	const conf = "headnode=\"true\"\n"
	o := keytree.Overlay(keytree.Dir(dir), "BOOT/Loader.Conf", []byte(conf), generatedAt)
	files := keytree.FilesOf(o)
	defer files.Close()
	for _, p := range []string{"config", "boot/loader.conf", "os/20240101T000000Z/boot_archive", "boot/loader.conf", "config"} {
		want := string(readFile(t, o, p))
		got, err := readAll(files.Open(p))
		if err != nil || string(got) != want {
			t.Errorf("Files.Open(%q) = %q, %v; want %q", p, got, err, want)
		}
	}
	if got, _ := readAll(files.Open("boot/loader.conf")); string(got) != conf {
		t.Errorf("the overlaid file read %q, want %q", got, conf)
	}
}
