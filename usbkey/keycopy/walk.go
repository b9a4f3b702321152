package keycopy

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
)

// List lists the copy at dir as a sync sees it (keysync's listTree reads
// the same from a listing over SFTP, and a test holds the two to the same
// bytes): every entry but what a sync keeps for itself (Ours), and a
// sync's temporary files as TypeTemp. Each directory is read once and
// each entry stat-ed once relative to it (fstatat, never following a
// symlink); a directory is opened relative to its parent, never through a
// symlink. An entry removed while it is listed is left out.
//
// A listing keyed by folded path (as a sync's is) holds one of two names
// that differ only in case; List holds both, so such a copy never
// matches a kept listing and is listed over SFTP every time: slower,
// never wrong.
func List(ctx context.Context, dir string) ([]Line, error) {
	fd, err := openDir(unix.AT_FDCWD, dir, 0)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	w := &walker{ctx: ctx, root: dir, lines: make([]Line, 0, 1024)}
	if err := w.dir(fd, ""); err != nil {
		return nil, err
	}
	return w.lines, nil
}

type walker struct {
	ctx   context.Context
	root  string
	lines []Line
}

// openDir opens name, relative to the directory at, as a directory;
// flags adds O_NOFOLLOW for every directory below the copy's top.
func openDir(at int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(at, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// dir lists the open directory fd, the copy's dir, and closes it.
func (w *walker) dir(fd int, dir string) error {
	f := os.NewFile(uintptr(fd), filepath.Join(w.root, dir))
	defer f.Close()
	if err := w.ctx.Err(); err != nil {
		return err
	}
	names, err := f.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("list %s: %w", f.Name(), err)
	}
	slices.Sort(names)
	var st unix.Stat_t
	for _, name := range names {
		err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		for err == unix.EINTR {
			err = unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		}
		if err == unix.ENOENT {
			continue // removed since it was listed: not in the copy now
		}
		p := path.Join(dir, name)
		if err != nil {
			return fmt.Errorf("lstat %s: %w", filepath.Join(w.root, p), err)
		}
		kind := uint32(st.Mode) & unix.S_IFMT
		if kind == unix.S_IFREG && IsTemp(name) {
			w.lines = append(w.lines, Line{Type: TypeTemp, Path: p})
			continue
		}
		if Ours(p) {
			continue
		}
		l := Line{Path: p, Mode: modeBits(uint32(st.Mode)), MTime: st.Mtim.Sec}
		switch kind {
		case unix.S_IFREG:
			l.Type, l.Size = TypeFile, st.Size
		case unix.S_IFDIR:
			l.Type = TypeDir
			sub, err := openDir(fd, name, unix.O_NOFOLLOW)
			if err == unix.ENOENT {
				continue
			}
			if err != nil {
				return fmt.Errorf("open %s: %w", filepath.Join(w.root, p), err)
			}
			if err := w.dir(sub, p); err != nil {
				return err
			}
		case unix.S_IFLNK:
			l.Type = TypeSymlink
			// x/sys/unix has no readlinkat on illumos; the path's
			// directories were each opened without following a link.
			if l.Target, err = os.Readlink(filepath.Join(w.root, p)); err != nil {
				return fmt.Errorf("readlink %s: %w", filepath.Join(w.root, p), err)
			}
		default:
			l.Type = TypeSpecial
		}
		w.lines = append(w.lines, l)
	}
	return nil
}

// modeBits is the permission, setuid, setgid and sticky bits of a stat
// mode, as fs.FileMode holds them.
func modeBits(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
