package node

import (
	"reflect"
	"testing"
)

func TestParseDiskinfo(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []Disk
	}{
		{"", nil},
		{"\n", nil},
		{
			"USB\tc1t0d0\tSanDisk\tCruzer\t4000000000\tyes\tno\n",
			[]Disk{{Type: "USB", Name: "c1t0d0", Vendor: "SanDisk", Product: "Cruzer", Size: 4000000000, Removable: true}},
		},
		{
			"SCSI\tc0t5000CCA01234ABCDd0\tHGST\tHUH721010AL4200\t10000831348736\tno\tno\n" +
				"SCSI\tc0t1d0\tINTEL\tSSDSC2KB960G8\t960197124096\tno\tyes\n" +
				"USB\tc2t0d0\t\t\t0\tyes\tno\n", // a card reader without media
			[]Disk{
				{Type: "SCSI", Name: "c0t5000CCA01234ABCDd0", Vendor: "HGST", Product: "HUH721010AL4200", Size: 10000831348736},
				{Type: "SCSI", Name: "c0t1d0", Vendor: "INTEL", Product: "SSDSC2KB960G8", Size: 960197124096, SSD: true},
				{Type: "USB", Name: "c2t0d0", Removable: true},
			},
		},
		{
			"USB\tc1t0d0\tGeneric\tFlash Disk\t8000000000\tyes\tno", // no final newline
			[]Disk{{Type: "USB", Name: "c1t0d0", Vendor: "Generic", Product: "Flash Disk", Size: 8000000000, Removable: true}},
		},
	} {
		got, err := ParseDiskinfo([]byte(c.in))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseDiskinfo(%q) = %+v, %v, want %+v", c.in, got, err, c.want)
		}
	}
}

func TestParseDiskinfoErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"USB\tc1t0d0\tSanDisk\tCruzer\t4000000000\tyes\n", `diskinfo line 1: 6 fields, want 7 (TYPE DISK VID PID SIZE RMV SSD): "USB\tc1t0d0\tSanDisk\tCruzer\t4000000000\tyes"`},
		{"TYPE    DISK    VID PID SIZE RMV SSD\n", `diskinfo line 1: 1 fields, want 7 (TYPE DISK VID PID SIZE RMV SSD): "TYPE    DISK    VID PID SIZE RMV SSD"`},
		{"USB\tc1t0d0\tSanDisk\tCruzer\t3.73 GiB\tyes\tno\n", `diskinfo line 1: disk c1t0d0: invalid size "3.73 GiB" (diskinfo -p prints bytes)`},
		{"USB\tc1t0d0\tSanDisk\tCruzer\t-1\tyes\tno\n", `diskinfo line 1: disk c1t0d0: invalid size "-1" (diskinfo -p prints bytes)`},
		{"USB\tc1t0d0\tSanDisk\tCruzer\t1\ty\tno\n", `diskinfo line 1: disk c1t0d0: removable: "y" is neither yes nor no`},
		{"USB\tc1t0d0\tSanDisk\tCruzer\t1\tno\t-\n", `diskinfo line 1: disk c1t0d0: ssd: "-" is neither yes nor no`},
		{"USB\t\tSanDisk\tCruzer\t1\tno\tno\n", `diskinfo line 1: invalid disk name ""`},
		{"USB\t/dev/dsk/c1t0d0\tSanDisk\tCruzer\t1\tno\tno\n", `diskinfo line 1: invalid disk name "/dev/dsk/c1t0d0"`},
		{"\nUSB\tc1t0d0\tSanDisk\tCruzer\t1\tno\tno\tx\n", `diskinfo line 2: 8 fields, want 7 (TYPE DISK VID PID SIZE RMV SSD): "USB\tc1t0d0\tSanDisk\tCruzer\t1\tno\tno\tx"`},
	} {
		got, err := ParseDiskinfo([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("ParseDiskinfo(%q) = %+v, %v, want error %q", c.in, got, err, c.want)
		}
	}
}

func TestDiskPaths(t *testing.T) {
	d := Disk{Name: "c1t0d0"}
	if got, want := d.RawPath(), "/dev/rdsk/c1t0d0p0"; got != want {
		t.Errorf("Disk{c1t0d0}.RawPath() = %q, want %q", got, want)
	}
	want := []string{"/dev/dsk/c1t0d0", "/dev/rdsk/c1t0d0", "/dev/dsk/c1t0d0p0", "/dev/rdsk/c1t0d0p0"}
	if got := d.Paths(); !reflect.DeepEqual(got, want) {
		t.Errorf("Disk{c1t0d0}.Paths() = %q, want %q", got, want)
	}
}
