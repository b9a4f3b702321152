package node

import (
	"strconv"
	"strings"
	"testing"
)

// The fuzz targets check that the parsers never panic and that what they
// accept is what a well-formed line would say: formatting the result again
// and parsing it gives the same result.

func FuzzParseDiskinfo(f *testing.F) {
	f.Add([]byte("USB\tc1t0d0\tSanDisk\tCruzer\t4000000000\tyes\tno\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		disks, err := ParseDiskinfo(b)
		if err != nil {
			return
		}
		var sb strings.Builder
		for _, d := range disks {
			if d.Name == "" || d.Size < 0 {
				t.Fatalf("ParseDiskinfo(%q) accepted %+v", b, d)
			}
			yn := map[bool]string{true: "yes", false: "no"}
			sb.WriteString(strings.Join([]string{d.Type, d.Name, d.Vendor, d.Product, itoa(d.Size), yn[d.Removable], yn[d.SSD]}, "\t") + "\n")
		}
		again, err := ParseDiskinfo([]byte(sb.String()))
		if err != nil || len(again) != len(disks) {
			t.Fatalf("ParseDiskinfo(format(ParseDiskinfo(%q))) = %+v, %v, want %+v", b, again, err, disks)
		}
		for i := range again {
			if again[i] != disks[i] {
				t.Fatalf("ParseDiskinfo(format(ParseDiskinfo(%q)))[%d] = %+v, want %+v", b, i, again[i], disks[i])
			}
		}
	})
}

func FuzzParseZpoolList(f *testing.F) {
	f.Add([]byte("zones\t1G\n\tmirror-0\t1G\n\t/dev/dsk/c0t0d0\t-\n\t/dev/dsk/c0t1d0\t-\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pools, err := ParseZpoolList(b)
		if err != nil {
			return
		}
		for _, p := range pools {
			if p.Name == "" || strings.ContainsAny(p.Name, " /\t\n") {
				t.Fatalf("ParseZpoolList(%q) accepted pool name %q", b, p.Name)
			}
			for _, d := range p.Devices {
				if !strings.HasPrefix(d, "/") || strings.ContainsAny(d, "\t\n") {
					t.Fatalf("ParseZpoolList(%q) accepted device %q", b, d)
				}
			}
		}
	})
}

func FuzzParseMnttab(f *testing.F) {
	f.Add([]byte("/dev/dsk/c1t0d0s2\t/mnt/usbkey\tpcfs\trw,foldcase\t1705500000\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		mounts, err := ParseMnttab(b)
		if err != nil {
			return
		}
		var sb strings.Builder
		for _, m := range mounts {
			sb.WriteString(strings.Join([]string{m.Special, m.MountPoint, m.FSType, strings.Join(m.Options, ","), itoa(m.Time)}, "\t") + "\n")
		}
		again, err := ParseMnttab([]byte(sb.String()))
		if err != nil || len(again) != len(mounts) {
			t.Fatalf("ParseMnttab(format(ParseMnttab(%q))) = %+v, %v, want %+v", b, again, err, mounts)
		}
		for i := range again {
			if again[i].Special != mounts[i].Special || again[i].MountPoint != mounts[i].MountPoint ||
				again[i].FSType != mounts[i].FSType || again[i].Time != mounts[i].Time ||
				strings.Join(again[i].Options, ",") != strings.Join(mounts[i].Options, ",") {
				t.Fatalf("ParseMnttab(format(ParseMnttab(%q)))[%d] = %+v, want %+v", b, i, again[i], mounts[i])
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
