package keytree_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cntools/internal/sshconn"
	"cntools/internal/sshconn/sshtest"
	"cntools/usbkey/fat32"
	"cntools/usbkey/keytree"
)

// instance is one tree of a kind, holding the fixture.
type instance struct {
	tree keytree.Tree
	// raw is the local directory behind the tree (Dir, SFTP), for looking
	// past it at temporary files; "" when there is none.
	raw string
	// reopen opens what was flushed afresh, proving it is on disk and not
	// only in the tree's memory. Writable kinds only.
	reopen func(t *testing.T) keytree.Tree
}

// kind is one implementation of Tree under test.
type kind struct {
	name     string
	writable bool
	symlinks bool // the kind has symlinks (all but FAT)
	fifos    bool // a FIFO can be put in it (Dir, SFTP)
	raw      bool // a local directory is behind it (Dir, SFTP): instance.raw is set
	// exactSpace: Space shrinks by exactly what a write allocates (FAT,
	// whose free count nothing else changes).
	exactSpace bool
	// descriptors: the files it opens are described by StatOpen (Dir,
	// and a tarball, read from where it was extracted).
	descriptors bool
	// setup runs once per kind and returns what makes a fresh instance.
	setup func(t *testing.T) func(t *testing.T) instance
}

var kinds = []kind{
	{name: "dir", writable: true, symlinks: true, fifos: true, raw: true, descriptors: true, setup: setupDir},
	{name: "fat", writable: true, exactSpace: true, setup: setupFAT},
	{name: "sftp", writable: true, symlinks: true, fifos: true, raw: true, setup: setupSFTP},
	{name: "tarball", symlinks: true, descriptors: true, setup: setupTarball},
}

func setupDir(*testing.T) func(t *testing.T) instance {
	return func(t *testing.T) instance {
		dir := t.TempDir()
		writeFixtureDir(t, dir, true)
		return instance{
			tree:   keytree.Dir(dir),
			raw:    dir,
			reopen: func(*testing.T) keytree.Tree { return keytree.Dir(dir) },
		}
	}
}

func setupFAT(*testing.T) func(t *testing.T) instance {
	return func(t *testing.T) instance {
		img, f, fs := newFATImage(t)
		tr := keytree.FAT(fs, f, img)
		return instance{
			tree: tr,
			reopen: func(t *testing.T) keytree.Tree {
				fsck(t, img)
				again, err := fat32.Open(f)
				if err != nil {
					t.Fatalf("fat32.Open after Flush: %v", err)
				}
				return keytree.FAT(again, f, img)
			},
		}
	}
}

// setupSFTP starts one sshd for the kind; each instance is a directory of
// its own, opened through an Opener as an operator's location would be.
func setupSFTP(t *testing.T) func(t *testing.T) instance {
	s := sshtest.ForTest(t)
	o := &keytree.Opener{SSH: sshconn.Options{
		KnownHosts:     []string{s.KnownHosts},
		IdentityFiles:  []string{s.IdentityFile},
		ConnectTimeout: 10 * time.Second,
	}}
	open := func(t *testing.T, dir string) keytree.Writer {
		loc := keytree.Location{Raw: "sftp-under-test", Kind: keytree.KindSSH,
			SSH: sshconn.Target{User: s.User, Host: "127.0.0.1", Port: s.Port, Path: dir}}
		w, err := o.OpenWriter(context.Background(), loc, false)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := w.Close(); err != nil {
				t.Errorf("Close() = %v", err)
			}
		})
		return w
	}
	return func(t *testing.T) instance {
		dir := t.TempDir()
		writeFixtureDir(t, dir, true)
		return instance{
			tree:   open(t, dir),
			raw:    dir,
			reopen: func(t *testing.T) keytree.Tree { return open(t, dir) },
		}
	}
}

func setupTarball(*testing.T) func(t *testing.T) instance {
	return func(t *testing.T) instance {
		tgz := filepath.Join(t.TempDir(), "usbkey-base.tgz")
		writeTarball(t, tgz, "usbkey")
		tmp := t.TempDir()
		tr, err := keytree.Tarball(context.Background(), tgz, tmp)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := tr.Close(); err != nil {
				t.Errorf("Close() = %v", err)
			}
			if es, _ := os.ReadDir(tmp); len(es) != 0 {
				t.Errorf("scratch space after Close holds %d entries, want none", len(es))
			}
		})
		return instance{tree: tr}
	}
}
