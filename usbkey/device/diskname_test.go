package device

import "testing"

func TestDiskName(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"/dev/rdsk/c1t0d0p0", "c1t0d0", true},
		{"/dev/dsk/c1t0d0s2", "c1t0d0", true},
		{"/dev/dsk/c1t0d0p1", "c1t0d0", true},
		{"/dev/dsk/c1t0d0", "c1t0d0", true},
		{"/dev/dsk/c0t5000CCA01234ABCDd0s0", "c0t5000CCA01234ABCDd0", true},
		{"/dev/rdsk/c2d0p0", "c2d0", true}, // no target: IDE/NVMe-style names
		{"/dev/rdsk/c10t12d3s15", "c10t12d3", true},
		{"/dev/rdsk/../dsk/c1t0d0s2", "c1t0d0", true},
		{"/dev/rdsk/c1t0d0p", "", false},
		{"/dev/rdsk/c1t0d0q0", "", false},
		{"/dev/rdsk/c1t0", "", false},
		{"/dev/lofi/1", "", false},
		{"/dev/zvol/rdsk/zones/swap", "", false},
		{"/dev/loop0", "", false},
		{"c1t0d0p0", "", false},
		{"dev/rdsk/c1t0d0p0", "", false},
		{"/tmp/dev/rdsk/c1t0d0p0", "", false},
		{"zones/var", "", false},
		{"", "", false},
	} {
		got, ok := DiskName(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("DiskName(%q) = %q, %v, want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
