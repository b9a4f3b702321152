package fat32

import (
	"bytes"
	"os"
	"slices"
	"testing"
)

// orderVolume names each write by what it lands on, and each flush.
type orderVolume struct {
	*os.File
	fs  *FS
	log []string
}

func (v *orderVolume) WriteAt(b []byte, off int64) (int, error) {
	g := v.fs.g
	what := "data"
	switch {
	case off < int64(v.fs.boot.RsvdSecCnt)*SectorSize:
		what = "fsinfo"
	case off < int64(g.DataStart)*SectorSize:
		what = "fat"
	case off == g.clusterOffset(v.fs.root.cluster):
		what = "root"
	}
	v.log = append(v.log, what)
	return v.File.WriteAt(b, off)
}

func (v *orderVolume) sync() error {
	v.log = append(v.log, "sync")
	return nil
}

// Commit writes the new chains and new directories, flushes, rewrites the
// directories that point at them, flushes, and only then frees what the
// old directories pointed at: so a power cut anywhere leaves no
// directory on disk pointing at a free cluster.
func TestCommitFlushesBetweenFATAndDirectories(t *testing.T) {
	_, f, fs := newImage(t, 64<<20, "SMARTOSBOOT")
	old := content(1, 5000)
	if err := fs.WriteFile("config", bytes.NewReader(old), int64(len(old)), epoch); err != nil {
		t.Fatal(err)
	}
	if err := fs.Commit(); err != nil {
		t.Fatal(err)
	}
	v := &orderVolume{File: f, fs: fs}
	fs.v, fs.Sync = v, v.sync
	fs.MkdirAll("scripts", epoch)
	for _, p := range []string{"config", "scripts/a.sh"} {
		if err := fs.WriteFile(p, bytes.NewReader([]byte(p)), int64(len(p)), epoch); err != nil {
			t.Fatal(err)
		}
	}
	v.log = nil
	if err := fs.Commit(); err != nil {
		t.Fatal(err)
	}
	want := []string{"fat", "fat", "data", "sync", "root", "sync", "fat", "fat", "fsinfo", "fsinfo"}
	if !slices.Equal(v.log, want) {
		t.Errorf("Commit wrote %v, want %v", v.log, want)
	}
	fsck(t, f.Name())
}
