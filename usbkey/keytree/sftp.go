package keytree

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"time"

	"github.com/pkg/sftp"

	"cntools/internal/atomicfile"
	"cntools/internal/sshconn"
)

// SFTPTree is a directory on another node, reached over SFTP: a core CN's
// standby copy. SFTP has no inode numbers, so a hash cache cannot tell a
// replaced file from the old one.
type SFTPTree struct {
	c      *sftp.Client
	root   string
	name   string
	closer io.Closer
}

// SFTP returns the tree of the directory root on the far side of c. name
// is how the operator gave it. Close closes c, then closer (the SSH
// connection under it) when it is not nil.
func SFTP(c *sftp.Client, root, name string, closer io.Closer) *SFTPTree {
	return &SFTPTree{c: c, root: root, name: name, closer: closer}
}

// DialSFTP connects to target and returns the tree of target.Path there.
// Its Close closes the SFTP session and the connection.
func DialSFTP(ctx context.Context, target sshconn.Target, o sshconn.Options) (*SFTPTree, error) {
	if target.Path == "" {
		return nil, fmt.Errorf("%s: no remote directory: add one (e.g. %s:/zones/usbkey-standby)", target, target.Host)
	}
	cl, err := sshconn.Dial(ctx, target, o)
	if err != nil {
		return nil, err
	}
	s, err := cl.SFTP()
	if err != nil {
		cl.Close()
		return nil, err
	}
	return SFTP(s, target.Path, target.URL(), cl), nil
}

func (t *SFTPTree) String() string { return t.name }

func (t *SFTPTree) Close() error {
	err := t.c.Close()
	if t.closer != nil {
		err = errors.Join(err, t.closer.Close())
	}
	return err
}

func (t *SFTPTree) abs(p string) string { return path.Join(t.root, p) }

func (t *SFTPTree) where(p string) string { return t.name + ": " + rootName(p) }

func (t *SFTPTree) info(p string, fi fs.FileInfo) (Info, error) {
	return infoOf(p, fi, func() (string, error) { return t.c.ReadLink(t.abs(p)) }, t.where(p))
}

func (t *SFTPTree) Lstat(p string) (Info, error) {
	p, err := clean(p)
	if err != nil {
		return Info{}, fmt.Errorf("%s: %w", t, err)
	}
	fi, err := t.c.Lstat(t.abs(p))
	if err != nil {
		return Info{}, opError(t.where(p), "lstat", err)
	}
	return t.info(p, fi)
}

// ReadDir relies on SSH_FXP_READDIR describing each entry itself, as
// OpenSSH's sftp-server does (lstat), so a symlink is listed as a symlink.
// It checks dir itself first: opendir would follow a symlink.
func (t *SFTPTree) ReadDir(dir string) ([]Info, error) {
	dir, err := clean(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	if fi, err := t.c.Lstat(t.abs(dir)); err != nil {
		return nil, opError(t.where(dir), "lstat", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s: %s, not a directory", t.where(dir), TypeName(fi.Mode()))
	}
	fis, err := t.c.ReadDir(t.abs(dir))
	if err != nil {
		return nil, opError(t.where(dir), "read directory", err)
	}
	infos := make([]Info, 0, len(fis))
	for _, fi := range fis {
		if fi.Name() == "." || fi.Name() == ".." {
			continue
		}
		in, err := t.info(join(dir, fi.Name()), fi)
		if err != nil {
			return nil, err
		}
		infos = append(infos, in)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name < infos[j].Name })
	return infos, nil
}

// Open refuses what is not a regular file before opening it: SFTP's open
// follows symlinks, and opening a FIFO would block the server's reply.
func (t *SFTPTree) Open(p string) (io.ReadCloser, error) {
	p, err := clean(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	fi, err := t.c.Lstat(t.abs(p))
	if err != nil {
		return nil, opError(t.where(p), "lstat", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(t.where(p), fi.Mode())
	}
	f, err := t.c.Open(t.abs(p))
	if err != nil {
		return nil, opError(t.where(p), "open", err)
	}
	return sftpReader{f}, nil
}

// sftpReader shows only Read, Close and WriteTo: WriteTo reads with many
// requests in flight, where a plain Read waits for each 32 KiB in turn,
// which is slow over any real round trip.
type sftpReader struct{ f *sftp.File }

func (r sftpReader) Read(b []byte) (int, error)         { return r.f.Read(b) }
func (r sftpReader) WriteTo(w io.Writer) (int64, error) { return r.f.WriteTo(w) }
func (r sftpReader) Close() error                       { return r.f.Close() }

// MkdirAll creates p and its parents. mtime is not kept: a directory's
// mtime changes with every file written into it afterwards.
func (t *SFTPTree) MkdirAll(p string, mtime time.Time) error {
	p, err := clean(p)
	if err != nil {
		return fmt.Errorf("%s: %w", t, err)
	}
	if err := t.c.MkdirAll(t.abs(p)); err != nil {
		return opError(t.where(p), "mkdir", err)
	}
	return secretDirs(p, func(d string) error { return t.c.Chmod(t.abs(d), DirMode(d)) })
}

// WriteFile writes a temporary file beside p and renames it into place
// with posix-rename@openssh.com, which replaces p in one step. The mode is
// set while the file is still empty, so its content is never readable
// under a wider one.
func (t *SFTPTree) WriteFile(p string, r io.Reader, size int64, mode fs.FileMode, mtime time.Time) (err error) {
	p, err = clean(p)
	if err != nil {
		return fmt.Errorf("%s: %w", t, err)
	}
	if p == "" {
		return fmt.Errorf("%s: write: the root is a directory", t)
	}
	if err := atomicfile.CheckName(path.Base(p)); err != nil {
		return fmt.Errorf("%s: %w", t.where(p), err)
	}
	tmp := atomicfile.TempName(t.abs(p))
	f, err := t.c.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return opError(t.where(p), "create temporary file", err)
	}
	// Concurrent writes can leave holes in a failed upload: the temporary
	// file goes whatever failed.
	defer func() {
		if err != nil {
			f.Close()
			t.c.Remove(tmp)
		}
	}()
	if err := f.Chmod(FileMode(p, mode)); err != nil {
		return opError(t.where(p), "chmod temporary file", err)
	}
	// A *io.LimitedReader tells ReadFrom the size, which it needs to send
	// many writes at once.
	n, err := f.ReadFrom(io.LimitReader(r, size))
	if err != nil {
		return opError(t.where(p), "write", err)
	}
	if n != size {
		return fmt.Errorf("%s: write: source gave %d bytes, want %d", t.where(p), n, size)
	}
	var one [1]byte
	if m, _ := r.Read(one[:]); m > 0 {
		return fmt.Errorf("%s: write: source is longer than %d bytes", t.where(p), size)
	}
	if err := t.checkWritten(f, p, size); err != nil {
		return err
	}
	// fsync@openssh.com is optional: servers without it (and pkg/sftp's
	// own test server) still get a file that is complete before the rename.
	if _, ok := t.c.HasExtension("fsync@openssh.com"); ok {
		if err := f.Sync(); err != nil {
			return opError(t.where(p), "sync", err)
		}
	}
	// Close before rename: a write error may be reported only at close.
	if err := f.Close(); err != nil {
		return opError(t.where(p), "close", err)
	}
	if err := t.c.Chtimes(tmp, mtime, mtime); err != nil {
		return opError(t.where(p), "set modification time", err)
	}
	if err := t.c.PosixRename(tmp, t.abs(p)); err != nil {
		return opError(t.where(p), "rename into place (the server needs posix-rename@openssh.com)", err)
	}
	return nil
}

// checkWritten catches a remote filesystem that took fewer bytes than it
// acknowledged (a full one) before the rename makes the short file real.
func (t *SFTPTree) checkWritten(f *sftp.File, p string, size int64) error {
	fi, err := f.Stat()
	if err != nil {
		return opError(t.where(p), "stat temporary file", err)
	}
	if fi.Size() != size {
		return fmt.Errorf("%s: temporary file holds %d bytes, %d were written: check free space", t.where(p), fi.Size(), size)
	}
	return nil
}

// Remove removes the file or empty directory p; one already gone is fine.
func (t *SFTPTree) Remove(p string) error {
	p, err := clean(p)
	if err != nil {
		return fmt.Errorf("%s: %w", t, err)
	}
	if p == "" {
		return fmt.Errorf("%s: remove: refusing to remove the root of the tree", t)
	}
	if err := t.c.Remove(t.abs(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return opError(t.where(p), "remove", err)
	}
	return nil
}

// Commit has nothing to do: each file is renamed into place as it is
// written.
func (t *SFTPTree) Commit() error { return nil }

// Flush has nothing to do: each file was synced before its rename, where
// the server can sync, and SFTP cannot sync a directory.
func (t *SFTPTree) Flush() error { return nil }

// Space asks the server with statvfs@openssh.com; without it the fit
// check cannot be made and the space is reported as unlimited.
func (t *SFTPTree) Space() (free, unit int64) {
	if _, ok := t.c.HasExtension("statvfs@openssh.com"); ok {
		if st, err := t.c.StatVFS(t.root); err == nil && st.Frsize > 0 {
			return int64(st.Bavail * st.Frsize), int64(st.Frsize)
		}
	}
	return 1 << 62, 4096
}

// VerifiesWrites is false: reading back over SFTP would read the remote
// page cache, so a copy is verified by hashing it there afterwards.
func (t *SFTPTree) VerifiesWrites() bool { return false }

// CheckSize confirms the committed file p has size bytes.
func (t *SFTPTree) CheckSize(p string, size int64) error {
	return checkSize(t, p, size, t.where(p), "on the remote node")
}
