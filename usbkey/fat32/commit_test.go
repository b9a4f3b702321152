package fat32

import (
	"bytes"
	"io"
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

// committedConfig is an image with a committed config (returned) and an
// empty scripts/ not yet committed, its writes and flushes logged by v.
func committedConfig(t *testing.T) (img string, f *os.File, fs *FS, v *orderVolume, config []byte) {
	t.Helper()
	img, f, fs = newImage(t, 64<<20, "SMARTOSBOOT")
	config = content(1, 5000)
	if err := fs.WriteFile("config", bytes.NewReader(config), int64(len(config)), epoch); err != nil {
		t.Fatal(err)
	}
	if err := fs.Commit(); err != nil {
		t.Fatal(err)
	}
	v = &orderVolume{File: f, fs: fs}
	fs.v, fs.Sync = v, v.sync
	fs.MkdirAll("scripts", epoch)
	return img, f, fs, v, config
}

// Commit writes the new chains and new directories, flushes, rewrites the
// directories that point at them, flushes, and only then frees what the
// old directories pointed at: so a power cut anywhere leaves no
// directory on disk pointing at a free cluster.
func TestCommitFlushesBetweenFATAndDirectories(t *testing.T) {
	_, f, fs, v, _ := committedConfig(t)
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

// onDisk lists the files an FS read afresh from the image finds: what a
// power cut would leave once every write so far reached the disk.
func onDisk(t *testing.T, f *os.File) map[string][]byte {
	t.Helper()
	fs, err := Open(f)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, p := range []string{"config", "scripts/a.sh", "scripts/b.sh", "tools.tar.gz"} {
		if r, _, err := fs.Open(p); err == nil {
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			got[p] = b
		}
	}
	return got
}

// StartCommit writes the new chains and new directories and no directory
// the disk already has; FinishCommit, after the flush, writes those
// directories as StartCommit found them: a file written in between is
// linked by the next commit, and the disk is whole (fsck.fat) at each end.
func TestStartCommitWritesDirectoriesOnlyWhenFinished(t *testing.T) {
	img, f, fs, v, config := committedConfig(t)
	a, tools := content(2, 3000), content(3, 70000)
	for p, b := range map[string][]byte{"scripts/a.sh": a, "tools.tar.gz": tools} {
		if err := fs.WriteFile(p, bytes.NewReader(b), int64(len(b)), epoch); err != nil {
			t.Fatal(err)
		}
	}
	v.log = nil
	if err := fs.StartCommit(); err != nil {
		t.Fatal(err)
	}
	// The new directory's content is written (nothing on the disk points
	// at it yet); the root, which would, is not.
	if want := []string{"fat", "fat", "data"}; !slices.Equal(v.log, want) || !fs.Committing() {
		t.Errorf("StartCommit wrote %v (committing %v), want %v and a commit under way", v.log, fs.Committing(), want)
	}
	if got := onDisk(t, f); len(got) != 1 || !bytes.Equal(got["config"], config) {
		t.Errorf("after StartCommit the disk holds %d files, want only the committed config", len(got))
	}
	b := content(4, 2000)
	if err := fs.WriteFile("scripts/b.sh", bytes.NewReader(b), int64(len(b)), epoch); err != nil {
		t.Fatal(err)
	}
	v.log = nil
	if err := fs.FinishCommit(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"root", "fsinfo", "fsinfo"}; !slices.Equal(v.log, want) || fs.Committing() {
		t.Errorf("FinishCommit wrote %v (committing %v), want %v", v.log, fs.Committing(), want)
	}
	got := onDisk(t, f)
	if !bytes.Equal(got["scripts/a.sh"], a) || !bytes.Equal(got["tools.tar.gz"], tools) || got["scripts/b.sh"] != nil {
		t.Errorf("after FinishCommit the disk holds %d files, want config, scripts/a.sh and tools.tar.gz, and not scripts/b.sh yet", len(got))
	}
	fsck(t, img)
	if err := fs.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := onDisk(t, f); !bytes.Equal(got["scripts/b.sh"], b) {
		t.Errorf("after the next Commit the disk has no scripts/b.sh")
	}
	fsck(t, img)
}

// A Commit while a commit is under way takes it over: its directories are
// written as they are now, after the flush.
func TestCommitTakesOverStartCommit(t *testing.T) {
	img, f, fs := newImage(t, 64<<20, "SMARTOSBOOT")
	v := &orderVolume{File: f, fs: fs}
	fs.v, fs.Sync = v, v.sync
	a, b := content(5, 100), content(6, 200)
	if err := fs.WriteFile("config", bytes.NewReader(a), int64(len(a)), epoch); err != nil {
		t.Fatal(err)
	}
	if err := fs.StartCommit(); err != nil {
		t.Fatal(err)
	}
	if err := fs.WriteFile("tools.tar.gz", bytes.NewReader(b), int64(len(b)), epoch); err != nil {
		t.Fatal(err)
	}
	if err := fs.Commit(); err != nil {
		t.Fatal(err)
	}
	if fs.Committing() {
		t.Errorf("Commit left the commit StartCommit began under way")
	}
	if got := onDisk(t, f); !bytes.Equal(got["config"], a) || !bytes.Equal(got["tools.tar.gz"], b) {
		t.Errorf("after Commit the disk holds %d files, want config and tools.tar.gz", len(got))
	}
	fsck(t, img)
}

// A Commit that takes over a commit under way flushes before it writes a
// directory even when nothing was allocated since: the flush StartCommit's
// chains wait for may not have ended. And Check refuses a volume between
// the halves, whose disk has the directories of before.
func TestCommitTakingOverFlushesFirst(t *testing.T) {
	_, _, fs, v, _ := committedConfig(t)
	a := content(7, 3000)
	if err := fs.WriteFile("scripts/a.sh", bytes.NewReader(a), int64(len(a)), epoch); err != nil {
		t.Fatal(err)
	}
	if err := fs.StartCommit(); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Check(); err == nil {
		t.Errorf("Check between StartCommit and FinishCommit = no error, want uncommitted changes refused")
	}
	v.log = nil
	if err := fs.Commit(); err != nil {
		t.Fatal(err)
	}
	if len(v.log) < 2 || v.log[0] != "sync" || !slices.Contains(v.log, "root") {
		t.Errorf("Commit taking over wrote %v, want a flush before the root", v.log)
	}
}
