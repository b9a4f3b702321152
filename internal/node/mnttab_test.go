package node

import (
	"reflect"
	"testing"
)

func TestParseMnttab(t *testing.T) {
	in := "/devices/ramdisk:a\t/\tufs\trw,intr,largefiles,logging,noxattr,onerror=panic,dev=15c0000\t1705500000\n" +
		"zones/var\t/var\tzfs\trw,devices,setuid,nonbmand,exec,xattr,atime,dev=4350007\t1705500010\n" +
		"/dev/dsk/c1t0d0s2\t/mnt/usbkey\tpcfs\trw,foldcase,hidden,clamptime,noatime,dev=1d80002\t1705500020\n" +
		"/zones/boot\t/mnt/usbkey2\tlofs\t\t1705500030\n"
	want := []Mount{
		{"/devices/ramdisk:a", "/", "ufs", []string{"rw", "intr", "largefiles", "logging", "noxattr", "onerror=panic", "dev=15c0000"}, 1705500000},
		{"zones/var", "/var", "zfs", []string{"rw", "devices", "setuid", "nonbmand", "exec", "xattr", "atime", "dev=4350007"}, 1705500010},
		{"/dev/dsk/c1t0d0s2", "/mnt/usbkey", "pcfs", []string{"rw", "foldcase", "hidden", "clamptime", "noatime", "dev=1d80002"}, 1705500020},
		{"/zones/boot", "/mnt/usbkey2", "lofs", nil, 1705500030},
	}
	got, err := ParseMnttab([]byte(in))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseMnttab(%q) = %+v, %v, want %+v", in, got, err, want)
	}
	for _, c := range []struct {
		m          Mount
		name, want string
		ok         bool
	}{
		{got[0], "onerror", "panic", true},
		{got[2], "foldcase", "", true},
		{got[2], "nofoldcase", "", false},
		{got[3], "rw", "", false},
	} {
		if v, ok := c.m.Option(c.name); v != c.want || ok != c.ok {
			t.Errorf("Mount{%s}.Option(%q) = %q, %v, want %q, %v", c.m.MountPoint, c.name, v, ok, c.want, c.ok)
		}
	}
}

func TestParseMnttabErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/dev/dsk/c1t0d0s2 /mnt/usbkey pcfs rw 0\n", `mnttab line 1: 1 fields, want 5 (special mount_point fstype options time): "/dev/dsk/c1t0d0s2 /mnt/usbkey pcfs rw 0"`},
		{"a\t/b\tzfs\trw\n", `mnttab line 1: 4 fields, want 5 (special mount_point fstype options time): "a\t/b\tzfs\trw"`},
		{"a\t/b\tzfs\trw\tnow\n", `mnttab line 1: /b: invalid time "now"`},
		{"\t/b\tzfs\trw\t0\n", `mnttab line 1: empty special, mount point or fstype: "\t/b\tzfs\trw\t0"`},
	} {
		got, err := ParseMnttab([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("ParseMnttab(%q) = %+v, %v, want error %q", c.in, got, err, c.want)
		}
	}
}
