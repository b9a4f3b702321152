package fat32

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"time"
)

// ErrVerify means data read back differs from what was written.
var ErrVerify = errors.New("verify failed")

// MaxFileSize is the largest file FAT32 can hold: 4 GiB - 1.
const MaxFileSize = 1<<32 - 1

// copyChunk is how much file data one WriteAt carries: large writes keep a
// USB stick and the page cache streaming.
const copyChunk = 4 << 20

// parentOf finds the directory that holds p and p's last name.
func (f *FS) parentOf(p string) (*node, string, error) {
	parts := clean(p)
	if len(parts) == 0 {
		return nil, "", fmt.Errorf("fat32: %q: the root has no parent", p)
	}
	dir := path.Join(parts[:len(parts)-1]...)
	d, err := f.lookup(dir)
	if err != nil {
		return nil, "", err
	}
	if !d.isDir() {
		return nil, "", &fs.PathError{Op: "create", Path: p, Err: errors.New("parent is not a directory")}
	}
	if err := f.load(d); err != nil {
		return nil, "", err
	}
	name := parts[len(parts)-1]
	if err := validName(name); err != nil {
		return nil, "", fmt.Errorf("fat32: %s: %w", p, err)
	}
	return d, name, nil
}

// newEntry names a new child of d, with a short name no sibling has.
func (f *FS) newEntry(d *node, name string, attr uint8, mtime time.Time) (*node, error) {
	short, err := makeShort(name, func(s [11]byte) bool {
		for _, c := range d.children {
			if c.short == s {
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, fmt.Errorf("fat32: %w", err)
	}
	_, exact := exactShort(name)
	n := &node{name: name, parent: d, entry: entry{short: short, attr: attr, mtime: mtime}}
	n.hasLong = needsLong(name, short, exact)
	return n, nil
}

// Mkdir creates the directory p. Its parent must exist.
func (f *FS) Mkdir(p string, mtime time.Time) error {
	d, name, err := f.parentOf(p)
	if err != nil {
		return err
	}
	if c, err := f.child(d, name); err != nil {
		return err
	} else if c != nil {
		if c.isDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: p, Err: fs.ErrExist}
	}
	n, err := f.newEntry(d, name, attrDir, mtime)
	if err != nil {
		return err
	}
	n.children = []*node{}
	n.dirty = true
	d.children = append(d.children, n)
	d.dirty = true
	return nil
}

// MkdirAll creates p and every missing parent.
func (f *FS) MkdirAll(p string, mtime time.Time) error {
	parts := clean(p)
	for i := range parts {
		if err := f.Mkdir(path.Join(parts[:i+1]...), mtime); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile creates or replaces the file p with size bytes from r. The
// data goes straight to newly allocated clusters; an existing file keeps its
// clusters until Commit, so a failed or interrupted write loses nothing.
func (f *FS) WriteFile(p string, r io.Reader, size int64, mtime time.Time) error {
	if size < 0 || size > MaxFileSize {
		return fmt.Errorf("fat32: %s: %d bytes: FAT32 holds files up to 4 GiB - 1", p, size)
	}
	d, name, err := f.parentOf(p)
	if err != nil {
		return err
	}
	old, err := f.child(d, name)
	if err != nil {
		return err
	}
	if old != nil && old.isDir() {
		return &fs.PathError{Op: "write", Path: p, Err: errors.New("is a directory")}
	}
	cs, err := f.fat.alloc(f.ClustersFor(size))
	if err != nil {
		return fmt.Errorf("fat32: %s: need %d clusters, %d free: %w", p, f.ClustersFor(size), f.fat.free, err)
	}
	if err := f.stream(cs, r, size); err != nil {
		f.fat.release(cs)
		return fmt.Errorf("fat32: write %s: %w", p, err)
	}
	var first uint32
	if len(cs) > 0 {
		first = cs[0]
	}
	if old != nil {
		f.drop(old)
		old.name, old.cluster, old.size, old.mtime = name, first, uint32(size), mtime
		old.attr = attrArchive
		_, exact := exactShort(name)
		old.hasLong = needsLong(name, old.short, exact) || old.hasLong
	} else {
		n, err := f.newEntry(d, name, attrArchive, mtime)
		if err != nil {
			f.fat.release(cs)
			return err
		}
		n.cluster, n.size = first, uint32(size)
		d.children = append(d.children, n)
	}
	d.dirty = true
	return nil
}

// stream copies size bytes from r into the clusters, one run at a time.
func (f *FS) stream(cs []uint32, r io.Reader, size int64) error {
	buf := make([]byte, min(copyChunk, max(size, 1)))
	var back []byte
	if f.VerifyWrites {
		back = make([]byte, len(buf))
	}
	left := size
	for i := 0; i < len(cs) && left > 0; {
		j := i + 1
		for j < len(cs) && cs[j] == cs[j-1]+1 {
			j++
		}
		off := f.g.clusterOffset(cs[i])
		run := min(int64(j-i)*f.g.ClusterSize, left)
		for run > 0 {
			n := min(run, int64(len(buf)))
			if _, err := io.ReadFull(r, buf[:n]); err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return fmt.Errorf("source is shorter than %d bytes", size)
				}
				return err
			}
			if _, err := f.v.WriteAt(buf[:n], off); err != nil {
				return err
			}
			if back != nil {
				if _, err := f.v.ReadAt(back[:n], off); err != nil {
					return fmt.Errorf("read back: %w", err)
				}
				if !bytes.Equal(back[:n], buf[:n]) {
					return fmt.Errorf("%w: %d bytes at byte %d of the file read back differently", ErrVerify, n, size-left)
				}
			}
			off += n
			run -= n
			left -= n
		}
		i = j
	}
	// A source that grew while being copied would be truncated silently.
	var one [1]byte
	if n, _ := r.Read(one[:]); n > 0 {
		return fmt.Errorf("source is longer than %d bytes", size)
	}
	return nil
}

// drop schedules a file's clusters to be freed at Commit.
func (f *FS) drop(n *node) {
	if n.cluster == 0 {
		return
	}
	if cs, err := f.fat.chain(n.cluster); err == nil {
		f.pending = append(f.pending, cs...)
	}
	// A broken chain is left alone: freeing it could free another file's
	// clusters. fsck.fat reports it.
}

// Remove deletes the file or empty directory p.
func (f *FS) Remove(p string) error {
	d, name, err := f.parentOf(p)
	if err != nil {
		return err
	}
	n, err := f.child(d, name)
	if err != nil {
		return err
	}
	if n == nil {
		return &fs.PathError{Op: "remove", Path: p, Err: fs.ErrNotExist}
	}
	if n.isDir() {
		if err := f.load(n); err != nil {
			return err
		}
		if len(n.children) > 0 {
			return &fs.PathError{Op: "remove", Path: p, Err: errors.New("directory not empty")}
		}
		f.pending = append(f.pending, n.clusters...)
	} else {
		f.drop(n)
	}
	for i, c := range d.children {
		if c == n {
			d.children = append(d.children[:i], d.children[i+1:]...)
			break
		}
	}
	d.dirty = true
	return nil
}
