package gztools

import (
	"context"
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
