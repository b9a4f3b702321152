package node

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// writeRoot writes files (slash paths relative to root) under a new root.
func writeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestFilesUnderRoot(t *testing.T) {
	ctx := context.Background()
	root := writeRoot(t, map[string]string{
		SysinfoFile:    `{"UUID": "u1", "Hostname": "cn1", "Setup": "true"}`,
		BootParamsFile: "headnode=true\n",
		MnttabFile:     "/dev/dsk/c1t0d0s2\t/mnt/usbkey\tpcfs\trw\t0\n",
		DiskinfoFile:   "USB\tc1t0d0\tSanDisk\tCruzer\t4000000000\tyes\tno\n",
		ZpoolListFile:  "zones\t1G\n\t/dev/dsk/c0t0d0\t1G\n",
	})
	f := NewFacts(root)

	s, err := f.Sysinfo(ctx)
	if err != nil || s.Hostname() != "cn1" {
		t.Errorf("Sysinfo() = %v, %v, want hostname cn1", s.Raw, err)
	}
	bp, err := f.BootParams(ctx)
	if err != nil || !reflect.DeepEqual(bp, map[string]string{"headnode": "true"}) {
		t.Errorf("BootParams() = %v, %v, want map[headnode:true]", bp, err)
	}
	m, err := f.Mounts(ctx)
	if err != nil || len(m) != 1 || m[0].MountPoint != "/mnt/usbkey" {
		t.Errorf("Mounts() = %+v, %v, want one mount at /mnt/usbkey", m, err)
	}
	d, err := f.Disks(ctx)
	if err != nil || len(d) != 1 || d[0].Name != "c1t0d0" {
		t.Errorf("Disks() = %+v, %v, want c1t0d0", d, err)
	}
	p, err := f.Pools(ctx)
	if err != nil || !reflect.DeepEqual(p, []Pool{{"zones", []string{"/dev/dsk/c0t0d0"}, []string{"/dev/dsk/c0t0d0"}}}) {
		t.Errorf("Pools() = %+v, %v, want zones on /dev/dsk/c0t0d0", p, err)
	}
}

// TestMissingFacts checks that a missing file refuses, names the file and
// says what writes it, instead of reading as "nothing".
func TestMissingFacts(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	f := NewFacts(root)
	for _, c := range []struct {
		name string
		call func() error
		file string
		want string
	}{
		{"Sysinfo", func() error { _, err := f.Sysinfo(ctx); return err }, SysinfoFile, "it holds the cache sysinfo writes (sysinfo -u)"},
		{"Disks", func() error { _, err := f.Disks(ctx); return err }, DiskinfoFile, "it holds the output of diskinfo -Hp"},
		{"Mounts", func() error { _, err := f.Mounts(ctx); return err }, MnttabFile, "it holds the mount table"},
		{"Pools", func() error { _, err := f.Pools(ctx); return err }, ZpoolListFile, "it holds the output of zpool list -H -v -P"},
		{"BootParams", func() error { _, err := f.BootParams(ctx); return err }, BootParamsFile, "it holds name=value lines"},
	} {
		err := c.call()
		path := filepath.Join(root, filepath.FromSlash(c.file))
		if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s() with no %s = %v, want a not-exist error naming %s and saying %q", c.name, c.file, err, path, c.want)
		}
	}
}

func TestCorruptFactNamesTheFact(t *testing.T) {
	root := writeRoot(t, map[string]string{DiskinfoFile: "garbage\n"})
	_, err := NewFacts(root).Disks(context.Background())
	want := `disks: diskinfo line 1: 1 fields, want 7 (TYPE DISK VID PID SIZE RMV SSD): "garbage"`
	if err == nil || err.Error() != want {
		t.Errorf("Disks() = %v, want %q", err, want)
	}
}

func TestCanceledContext(t *testing.T) {
	root := writeRoot(t, map[string]string{DiskinfoFile: ""})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewFacts(root).Disks(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Disks(canceled) = %v, want context.Canceled", err)
	}
}

func TestLiveNeedsIllumos(t *testing.T) {
	if runtime.GOOS == "illumos" {
		// The live node is the real one here; nothing to refuse.
		return
	}
	for _, root := range []string{"", "/", "//"} {
		_, err := NewFacts(root).Disks(context.Background())
		want := "disks: live node facts need illumos (this is " + runtime.GOOS + "): pass --root to read them from files"
		if err == nil || err.Error() != want {
			t.Errorf("NewFacts(%q).Disks() = %v, want %q", root, err, want)
		}
	}
}
