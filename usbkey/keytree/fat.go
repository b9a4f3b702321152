package keytree

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"sync"
	"time"

	"cntools/usbkey/fat32"
)

// FAT has no Unix modes; these are what the tree reports, so that a FAT
// manifest is stable. Compare it with a tree that has modes ignoring them.
const (
	fatDirMode  = fs.ModeDir | 0o755
	fatFileMode = 0o644
)

// FATTree is a FAT32 filesystem, the root partition of a key or image,
// read and written without mounting it. FAT has no symlinks, no modes and
// no inode numbers (the first cluster stands in for one); mtimes have 2 s
// resolution; names are compared case-folded, as pcfs does.
type FATTree struct {
	// mu serialises every use of fs: fat32.FS loads directories into
	// memory as they are first read and is not safe for concurrent use.
	// The readers Open returns read through a ReaderAt and need no lock.
	mu     sync.Mutex
	fs     *fat32.FS
	dev    interface{ Sync() error }
	name   string
	closer io.Closer // the device, when the tree opened it
	// committing receives the result of the flush a commit begun by
	// StartCommit waits for; nil when none is under way.
	committing <-chan error
}

// FAT returns the tree of fs, whose device dev is flushed by Flush. name
// is how the operator gave the key or image.
//
// fs flushes dev between the steps of each commit, so that a power cut
// leaves a key Repair mends.
func FAT(fs *fat32.FS, dev interface{ Sync() error }, name string) *FATTree {
	if dev != nil && fs.Sync == nil {
		fs.Sync = dev.Sync
	}
	return &FATTree{fs: fs, dev: dev, name: name}
}

// FS is the filesystem, for what only a key has: its label, its geometry.
func (t *FATTree) FS() *fat32.FS { return t.fs }

func (t *FATTree) String() string { return t.name }

// Close closes the device when the tree opened it. It does not commit:
// what was not committed is meant to be lost.
func (t *FATTree) Close() error {
	if t.closer == nil {
		return nil
	}
	return t.closer.Close()
}

func (t *FATTree) where(p string) string { return t.name + ": " + rootName(p) }

func fatInfo(fi fat32.FileInfo) Info {
	in := Info{Name: fi.Name, Mode: fatFileMode, Size: fi.Size, MTime: fi.ModTime, Inode: uint64(fi.Cluster)}
	if fi.Dir {
		in.Mode, in.Size = fatDirMode, 0
	}
	return in
}

func (t *FATTree) Lstat(p string) (Info, error) {
	p, err := clean(p)
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", t, err)
	}
	t.mu.Lock()
	fi, err := t.fs.Stat(p)
	t.mu.Unlock()
	if err != nil {
		return Info{}, opError(t.where(p), "lstat", err)
	}
	// Name is as stored, which may differ in case from p; the root's is "".
	return fatInfo(fi), nil
}

// ReadDir sorts: fat32 lists a directory in on-disk order, which is the
// order files were added in.
func (t *FATTree) ReadDir(dir string) ([]Info, error) {
	dir, err := clean(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	t.mu.Lock()
	fis, err := t.fs.ReadDir(dir)
	t.mu.Unlock()
	if err != nil {
		return nil, opError(t.where(dir), "read directory", err)
	}
	infos := make([]Info, len(fis))
	for i, fi := range fis {
		infos[i] = fatInfo(fi)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	return infos, nil
}

func (t *FATTree) Open(p string) (io.ReadCloser, error) {
	p, err := clean(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fi, err := t.fs.Stat(p)
	if err != nil {
		return nil, opError(t.where(p), "lstat", err)
	}
	if fi.Dir {
		return nil, notRegular(t.where(p), fatDirMode)
	}
	r, _, err := t.fs.Open(p)
	if err != nil {
		return nil, opError(t.where(p), "open", err)
	}
	return io.NopCloser(r), nil
}

func (t *FATTree) MkdirAll(p string, mtime time.Time) error {
	p, err := clean(p)
	if err != nil {
		return fmt.Errorf("%s: %w", t, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.fs.MkdirAll(p, mtime); err != nil {
		return opError(t.where(p), "mkdir", err)
	}
	return nil
}

// WriteFile streams r into free clusters; the old file keeps its clusters
// until Commit, so a short source leaves it as it was. fat32 refuses a
// source shorter or longer than size.
func (t *FATTree) WriteFile(p string, r io.Reader, size int64, _ fs.FileMode, mtime time.Time) error {
	p, err := clean(p)
	if err != nil {
		return fmt.Errorf("%s: %w", t, err)
	}
	if p == "" {
		return fmt.Errorf("%s: write: the root is a directory", t)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.fs.WriteFile(p, r, size, mtime); err != nil {
		return opError(t.where(p), "write", err)
	}
	return nil
}

func (t *FATTree) Remove(p string) error {
	p, err := clean(p)
	if err != nil {
		return fmt.Errorf("%s: %w", t, err)
	}
	if p == "" {
		return fmt.Errorf("%s: remove: refusing to remove the root of the tree", t)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.fs.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return opError(t.where(p), "remove", err)
	}
	return nil
}

// Commit writes the FAT and directories, linking the files written so far.
// A commit StartCommit began is taken over.
func (t *FATTree) Commit() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.commit()
}

func (t *FATTree) commit() error {
	t.committing = nil
	if err := t.fs.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", t, err)
	}
	return nil
}

// StartCommit begins a commit whose flush runs in the background, on a
// device that flushes so (device.Target's StartSync): the copy goes on
// while the disk catches up, where Commit would wait for it. FinishCommit
// ends it. On any other device, and while a commit is under way, it is
// Commit.
func (t *FATTree) StartCommit() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	dev, ok := t.dev.(interface{ StartSync() <-chan error })
	if !ok || t.committing != nil {
		return t.commit()
	}
	if err := t.fs.StartCommit(); err != nil {
		return fmt.Errorf("%s: commit: %w", t, err)
	}
	if t.fs.Committing() {
		t.committing = dev.StartSync()
	}
	return nil
}

// FinishCommit ends the commit StartCommit began, once the flush it
// started has ended: the files it links are then on the disk. Unless wait,
// it does nothing while that flush is under way, and says so (false).
func (t *FATTree) FinishCommit(wait bool) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.committing == nil {
		return true, nil
	}
	var err error
	if wait {
		err = <-t.committing
	} else {
		select {
		case err = <-t.committing:
		default:
			return false, nil
		}
	}
	t.committing = nil
	if err != nil {
		return true, fmt.Errorf("%s: flush: %w", t, err)
	}
	if err := t.fs.FinishCommit(); err != nil {
		return true, fmt.Errorf("%s: commit: %w", t, err)
	}
	return true, nil
}

// Flush commits, then flushes the device.
func (t *FATTree) Flush() error {
	if err := t.Commit(); err != nil {
		return err
	}
	if t.dev == nil {
		return nil
	}
	if err := t.dev.Sync(); err != nil {
		return fmt.Errorf("%s: flush: %w", t, err)
	}
	return nil
}

// Check reads every directory and chain of the committed filesystem and
// returns the damage it finds, writing nothing.
func (t *FATTree) Check() ([]fat32.Problem, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ps, err := t.fs.Check()
	if err != nil {
		return nil, fmt.Errorf("%s: check: %w", t, err)
	}
	return ps, nil
}

// Repair mends the damage Check finds, in memory: the next Commit writes
// it. Every file it names lost content.
func (t *FATTree) Repair() ([]fat32.Problem, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ps, err := t.fs.Repair()
	if err != nil {
		return nil, fmt.Errorf("%s: repair: %w", t, err)
	}
	return ps, nil
}

func (t *FATTree) Space() (free, unit int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int64(t.fs.FreeClusters()) * t.fs.ClusterSize(), t.fs.ClusterSize()
}

func (t *FATTree) VerifiesWrites() bool { return t.fs.VerifyWrites }

// CheckSize confirms the committed file p has size bytes.
func (t *FATTree) CheckSize(p string, size int64) error {
	return checkSize(t, p, size, t.where(p), "on the key")
}
