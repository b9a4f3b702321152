package gztools

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cntools/gztools/gztoolstest"
	"cntools/internal/tarx"
)

// stop is what a test hook panics with to end an install at a point, as a
// kill would.
type stop struct{}

// interrupt runs installTree and stops it at the hook set by arm.
func interrupt(t *testing.T, tgz, dest string, arm func(h *hooks)) {
	t.Helper()
	h := hooks{}
	arm(&h)
	defer func() {
		if r := recover(); r != nil && r != (stop{}) {
			panic(r)
		}
	}()
	installTree(context.Background(), tgz, dest, h)
	t.Fatalf("installTree(%s) was not interrupted", tgz)
}

func TestInstallTreeInterrupted(t *testing.T) {
	dir := t.TempDir()
	v1, v2 := filepath.Join(dir, "v1.tgz"), filepath.Join(dir, "v2.tgz")
	gztoolstest.WriteTarGz(v1, gztoolstest.Tools("1", "u1"))
	gztoolstest.WriteTarGz(v2, gztoolstest.Tools("2", "u2"))
	dest := filepath.Join(dir, "opt/smartdc")
	if _, err := installTree(context.Background(), v1, dest, hooks{}); err != nil {
		t.Fatalf("installTree(v1) = %v", err)
	}
	os.WriteFile(filepath.Join(dest, "bin/cn-tools"), []byte("ours"), 0o755)
	sdc := func() string { b, _ := os.ReadFile(filepath.Join(dest, "bin/sdc")); return string(b) }

	for _, tc := range []struct {
		name    string
		arm     func(h *hooks)
		pending bool   // a swap waits to be finished
		sdc     string // bin/sdc right after the interruption
	}{
		{"mid-extract", func(h *hooks) { h.afterEntry = func(*tarx.Entry) { panic(stop{}) } }, false, "# sdc 1"},
		{"mid-swap", func(h *hooks) { h.afterSwap = func(string) { panic(stop{}) } }, true, "# sdc 2"},
	} {
		interrupt(t, v2, dest, tc.arm)
		if got := pendingSwap(dest); got != tc.pending {
			t.Errorf("%s: pendingSwap = %v, want %v", tc.name, got, tc.pending)
		}
		if got := sdc(); !contains(got, tc.sdc) {
			t.Errorf("%s: bin/sdc = %q, want it to hold %q", tc.name, got, tc.sdc)
		}
		kept, err := installTree(context.Background(), v2, dest, hooks{})
		if err != nil {
			t.Fatalf("%s: installTree(v2) after it = %v", tc.name, err)
		}
		if got := sdc(); !contains(got, "# sdc 2") {
			t.Errorf("%s: bin/sdc after the rerun = %q, want version 2", tc.name, got)
		}
		if len(kept) != 1 || kept[0] != "bin/cn-tools" {
			t.Errorf("%s: installTree kept %q, want [bin/cn-tools]", tc.name, kept)
		}
		for _, n := range []string{stageDir, oldDir} {
			if exists(filepath.Join(dest, n)) {
				t.Errorf("%s: %s left behind", tc.name, n)
			}
		}
		// Back to version 1 for the next case.
		if _, err := installTree(context.Background(), v1, dest, hooks{}); err != nil {
			t.Fatal(err)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// A link kept from the live tree is part of the escape check: image A's
// lib/up -> .. stays when image B lacks it, and B's lib/x -> up/../etc
// would then point outside. B is refused whole and A stays installed.
func TestInstallTreeKeptLinkEscape(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.tgz"), filepath.Join(dir, "b.tgz")
	gztoolstest.WriteTarGz(a, []gztoolstest.Entry{gztoolstest.Dir("lib/", 0o755), gztoolstest.Symlink("lib/up", ".."), gztoolstest.File("lib/a", 0o644, "a")})
	gztoolstest.WriteTarGz(b, []gztoolstest.Entry{gztoolstest.Dir("lib/", 0o755), gztoolstest.Symlink("lib/x", "up/../etc"), gztoolstest.File("lib/a", 0o644, "b")})
	dest := filepath.Join(dir, "opt/smartdc")
	if _, err := installTree(context.Background(), a, dest, hooks{}); err != nil {
		t.Fatalf("installTree(a) = %v", err)
	}
	// Through a link beside the tarball's names too: top -> .. in dest.
	os.Symlink("..", filepath.Join(dest, "top"))
	c := filepath.Join(dir, "c.tgz")
	gztoolstest.WriteTarGz(c, []gztoolstest.Entry{gztoolstest.Dir("bin/", 0o755), gztoolstest.Symlink("bin/y", "../top/etc")})
	for tgz, want := range map[string]string{
		b: `entry "lib/x": unsafe entry: symlink to "up/../etc" points outside the tree once installed, through what ` + dest + ` already holds`,
		c: `entry "bin/y": unsafe entry: symlink to "../top/etc" points outside the tree once installed`,
	} {
		_, err := installTree(context.Background(), tgz, dest, hooks{})
		if !errors.Is(err, tarx.ErrUnsafe) || !strings.Contains(err.Error(), want) {
			t.Errorf("installTree(%s) = %v, want tarx.ErrUnsafe containing %q", filepath.Base(tgz), err, want)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "lib/a")); string(got) != "a" {
		t.Errorf("lib/a = %q after refused installs, want a's", got)
	}
	if _, err := os.Lstat(filepath.Join(dest, "lib/x")); err == nil {
		t.Errorf("lib/x installed")
	}
	if _, err := os.Lstat(filepath.Join(dest, stageDir)); err == nil {
		t.Errorf("the staged tree is left behind")
	}
	// A link that stays inside through the kept one is fine.
	d := filepath.Join(dir, "d.tgz")
	gztoolstest.WriteTarGz(d, []gztoolstest.Entry{gztoolstest.Dir("lib/", 0o755), gztoolstest.Symlink("lib/y", "up/lib/a"), gztoolstest.File("lib/a", 0o644, "d")})
	if _, err := installTree(context.Background(), d, dest, hooks{}); err != nil {
		t.Errorf("installTree(d) = %v, want nil", err)
	}
}
