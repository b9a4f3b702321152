package device

import (
	"os"
	"path/filepath"
	"testing"
)

func TestUnchecked(t *testing.T) {
	img := filepath.Join(t.TempDir(), "key.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	want := "unchecked: this host runs linux, not illumos: whether /dev/sdb is mounted, in an imported zpool, the boot disk, or removable cannot be checked here"
	for _, tc := range []struct {
		goos string
		live bool
		p    string
		want string
	}{
		{"linux", true, "/dev/sdb", want},
		{"darwin", true, "/dev/null", "unchecked: this host runs darwin, not illumos: whether /dev/null is mounted, in an imported zpool, the boot disk, or removable cannot be checked here"},
		// The checks run: on illumos, or from the files of a simulated node.
		{"illumos", true, "/dev/rdsk/c1t0d0p0", ""},
		{"linux", false, "/dev/rdsk/c1t0d0p0", ""},
		// An image needs no node facts.
		{"linux", true, img, ""},
		{"linux", true, filepath.Join(filepath.Dir(img), "missing.img"), ""},
	} {
		r, err := unchecked(tc.goos, tc.live, tc.p)
		got := ""
		if r != nil {
			got = r.String()
		}
		if err != nil || got != tc.want {
			t.Errorf("unchecked(%s, live %v, %s) = %q, %v, want %q", tc.goos, tc.live, tc.p, got, err, tc.want)
		}
	}
}
