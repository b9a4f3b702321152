package node

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseZpoolList(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want []Pool
	}{
		{"no pools", "", nil},
		{
			"one whole-disk vdev",
			"zones\t476G\t100G\t376G\t-\t-\t5%\t21%\t1.00x\tONLINE\t-\n" +
				"\t/dev/dsk/c0t0d0\t476G\t100G\t376G\t-\t-\t5%\t21%\n",
			[]Pool{{"zones", []string{"/dev/dsk/c0t0d0"}, []string{"/dev/dsk/c0t0d0"}}},
		},
		{
			"mirror, log, cache and spare",
			"zones\t928G\t1G\t927G\t-\t-\t0%\t0%\t1.00x\tONLINE\t-\n" +
				"\tmirror-0\t928G\t1G\t927G\t-\t-\t0%\t0%\n" +
				"\t/dev/dsk/c0t0d0\t-\t-\t-\t-\t-\t-\t-\n" +
				"\t/dev/dsk/c0t1d0\t-\t-\t-\t-\t-\t-\t-\n" +
				"\tlogs\t-\t-\t-\t-\t-\t-\t-\n" +
				"\t/dev/dsk/c0t2d0s0\t8G\t0\t8G\t-\t-\t0%\t0%\n" +
				"\tcache\t-\t-\t-\t-\t-\t-\t-\n" +
				"\t/dev/dsk/c0t3d0\t100G\t0\t100G\t-\t-\t0%\t0%\n" +
				"\tspare\t-\t-\t-\t-\t-\t-\t-\n" +
				"\t/dev/dsk/c0t4d0\t-\t-\t-\t-\t-\t-\t-\n" +
				"bootpool\t29G\t2G\t27G\t-\t-\t1%\t6%\t1.00x\tONLINE\t-\n" +
				"\t/dev/dsk/c1t0d0s1\t29G\t2G\t27G\t-\t-\t1%\t6%\n",
			[]Pool{
				{"zones", []string{"/dev/dsk/c0t0d0", "/dev/dsk/c0t1d0", "/dev/dsk/c0t2d0s0", "/dev/dsk/c0t3d0", "/dev/dsk/c0t4d0"}, []string{"/dev/dsk/c0t0d0", "/dev/dsk/c0t1d0"}},
				{"bootpool", []string{"/dev/dsk/c1t0d0s1"}, []string{"/dev/dsk/c1t0d0s1"}},
			},
		},
		{
			"non-scripted indentation",
			"data\t1T\t0\t1T\t-\t-\t0%\t0%\t1.00x\tONLINE\t-\n" +
				"  raidz1-0\t1T\t0\t1T\t-\t-\t0%\t0%\n" +
				"    /dev/dsk/c3t0d0\t-\t-\t-\t-\t-\t-\t-\n",
			[]Pool{{"data", []string{"/dev/dsk/c3t0d0"}, []string{"/dev/dsk/c3t0d0"}}},
		},
		{"pool without vdev lines", "zones\t1T\n", []Pool{{Name: "zones"}}},
	} {
		got, err := ParseZpoolList([]byte(c.in))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: ParseZpoolList(%q) = %+v, %v, want %+v", c.name, c.in, got, err, c.want)
		}
	}
}

func TestParseZpoolListErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"\t/dev/dsk/c0t0d0\t1G\n", `zpool list line 1: vdev line before any pool line: "\t/dev/dsk/c0t0d0\t1G"`},
		{"no pools available\n", `zpool list line 1: invalid pool name "no pools available"`},
		{"zones\t1G\n\t\n", `zpool list line 2: empty vdev name: "\t"`},
		{"\tzones\n", `zpool list line 1: vdev line before any pool line: "\tzones"`},
	} {
		got, err := ParseZpoolList([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("ParseZpoolList(%q) = %+v, %v, want error %q", c.in, got, err, c.want)
		}
	}
}

func TestParsePoolProps(t *testing.T) {
	got, err := ParsePoolProps([]byte("zones\t-\t-\nboot\tboot/boot\t268435456\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []PoolProps{{Name: "zones"}, {Name: "boot", Bootfs: "boot/boot", Bootable: true}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ParsePoolProps = %+v, want %+v", got, want)
	}
	if _, err := ParsePoolProps([]byte("zones -\n")); err == nil {
		t.Errorf("ParsePoolProps of a space-separated line = nil error")
	}
}

func TestParseZpoolListDataDevices(t *testing.T) {
	out := "zones\t476G\t100G\t376G\t-\t-\t5%\t21%\t1.00x\tONLINE\t-\n" +
		"\tmirror-0\t476G\t100G\t376G\t-\t-\t5%\t21%\n" +
		"\t/dev/dsk/c0t0d0s1\t-\t-\t-\t-\t-\t-\t-\n" +
		"\t/dev/dsk/c0t1d0s1\t-\t-\t-\t-\t-\t-\t-\n" +
		"logs\t-\t-\t-\t-\t-\t-\t-\n" +
		"\t/dev/dsk/c2t0d0\t-\t-\t-\t-\t-\t-\t-\n" +
		"cache\t-\t-\t-\t-\t-\t-\t-\n" +
		"\t/dev/dsk/c3t0d0\t-\t-\t-\t-\t-\t-\t-\n"
	pools, err := ParseZpoolList([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(pools) != 1 || strings.Join(pools[0].Data, " ") != "/dev/dsk/c0t0d0s1 /dev/dsk/c0t1d0s1" || len(pools[0].Devices) != 4 {
		t.Errorf("ParseZpoolList = %+v, want two data devices of four", pools)
	}
}
