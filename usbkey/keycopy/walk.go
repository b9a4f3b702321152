package keycopy

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// List lists the copy at dir as a sync sees it (keysync's listTree reads
// the same from a listing over SFTP, and a test holds the two to the same
// bytes): every entry but what a sync keeps for itself (Ours), and a
// sync's temporary files as TypeTemp, in the order of their paths.
//
// A listing keyed by folded path (as a sync's is) holds one of two names
// that differ only in case; List holds both, so such a copy never
// matches a kept listing and is listed over SFTP every time: slower,
// never wrong.
func List(ctx context.Context, dir string) ([]Line, error) {
	lines := make([]Line, 0, 1024)
	err := Walk(ctx, dir, func(p string, st *unix.Stat_t, target string) bool {
		l, keep, descend := lineOf(p, st, target)
		if keep {
			lines = append(lines, l)
		}
		return descend
	})
	return lines, err
}

// listingSum is the SHA-256 of the copy's listing as EncodeListing
// writes it, each line hashed as it is walked: a sorted slice of 5,000
// lines and its encoding cost the helper more in fresh memory, faulted
// in, than the lines' fstatat.
func listingSum(ctx context.Context, dir string) ([]byte, error) {
	h := sha256.New()
	h.Write([]byte(ListingHeader))
	buf := make([]byte, 0, 256)
	err := Walk(ctx, dir, func(p string, st *unix.Stat_t, target string) bool {
		l, keep, descend := lineOf(p, st, target)
		if keep && l.Path != LockName {
			buf = appendLine(buf[:0], l)
			h.Write(buf)
		}
		return descend
	})
	if err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// lineOf is the line a listing holds for the entry at p, whether it
// holds one (not for what a sync keeps for itself) and whether the
// entries under it are listed.
func lineOf(p string, st *unix.Stat_t, target string) (l Line, keep, descend bool) {
	kind := uint32(st.Mode) & unix.S_IFMT
	if kind == unix.S_IFREG && IsTemp(path.Base(p)) {
		return Line{Type: TypeTemp, Path: p}, true, false
	}
	if Ours(p) {
		return Line{}, false, false
	}
	l = Line{Path: p, Mode: ModeBits(uint32(st.Mode)), MTime: st.Mtim.Sec}
	switch kind {
	case unix.S_IFREG:
		l.Type, l.Size = TypeFile, st.Size
	case unix.S_IFDIR:
		l.Type = TypeDir
	case unix.S_IFLNK:
		l.Type, l.Target = TypeSymlink, target
	default:
		l.Type = TypeSpecial
	}
	return l, true, kind == unix.S_IFDIR
}

// Walk calls visit for every entry under dir in the order of their
// slash-separated paths relative to dir (strings.Compare: a directory's
// entries come after a sibling such as "a-b" that sorts before "a/"),
// with its lstat and, for a symlink, its target (read by path). The
// entries of a directory are walked when visit returns true. Each
// directory is read once and each entry stat-ed once relative to it
// (fstatat, never following a symlink); a directory is opened relative to
// its parent, never through a symlink. An entry removed while it is walked is left
// out. st is valid only during the call.
func Walk(ctx context.Context, dir string, visit func(p string, st *unix.Stat_t, target string) bool) error {
	fd, err := openDir(unix.AT_FDCWD, dir, 0)
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	w := &walker{ctx: ctx, root: dir, visit: visit}
	return w.dir(fd, "", 0)
}

type walker struct {
	ctx   context.Context
	root  string
	visit func(p string, st *unix.Stat_t, target string) bool
	// The entries and keys of the directory being walked at each depth,
	// reused from one directory to the next: a short-lived process
	// faults in every fresh page it allocates.
	es   [][]entry
	keys [][]string
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

// entry is one entry of a directory being walked.
type entry struct {
	name, target string
	st           unix.Stat_t
	descend      bool
}

// dir walks the open directory fd, the copy's dir, and closes it. Its
// entries are visited, and a directory's entries walked, in the order of
// their keys: an entry's name, and a directory's name and "/" for what
// it holds (no name holds a "/").
func (w *walker) dir(fd int, dir string, depth int) error {
	f := os.NewFile(uintptr(fd), filepath.Join(w.root, dir))
	defer f.Close()
	if err := w.ctx.Err(); err != nil {
		return err
	}
	names, err := f.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("list %s: %w", f.Name(), err)
	}
	if depth == len(w.es) {
		w.es, w.keys = append(w.es, nil), append(w.keys, nil)
	}
	es, keys := w.es[depth][:0], w.keys[depth][:0]
	defer func() { w.es[depth], w.keys[depth] = es, keys }()
	for _, name := range names {
		es = append(es, entry{name: name})
		e := &es[len(es)-1]
		err := unix.Fstatat(fd, name, &e.st, unix.AT_SYMLINK_NOFOLLOW)
		for err == unix.EINTR {
			err = unix.Fstatat(fd, name, &e.st, unix.AT_SYMLINK_NOFOLLOW)
		}
		if err == unix.ENOENT {
			es = es[:len(es)-1] // removed since it was listed: not in the copy now
			continue
		}
		if err != nil {
			return fmt.Errorf("lstat %s: %w", filepath.Join(w.root, dir, name), err)
		}
		keys = append(keys, name)
		switch uint32(e.st.Mode) & unix.S_IFMT {
		case unix.S_IFDIR:
			keys = append(keys, name+"/")
		case unix.S_IFLNK:
			// x/sys/unix has no readlinkat on illumos: the target is read
			// by path. An entry gone or no longer a link since its
			// fstatat is left out, as one removed before it.
			if e.target, err = os.Readlink(filepath.Join(w.root, dir, name)); errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.EINVAL) {
				keys, es = keys[:len(keys)-1], es[:len(es)-1]
				continue
			} else if err != nil {
				return fmt.Errorf("readlink %s: %w", filepath.Join(w.root, dir, name), err)
			}
		}
	}
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	slices.Sort(keys)
	for _, k := range keys {
		name, sub := strings.CutSuffix(k, "/")
		i, _ := slices.BinarySearchFunc(es, name, func(e entry, n string) int { return strings.Compare(e.name, n) })
		e := &es[i]
		p := path.Join(dir, name)
		if !sub {
			e.descend = w.visit(p, &e.st, e.target)
			continue
		}
		if !e.descend {
			continue
		}
		sfd, err := openDir(fd, name, unix.O_NOFOLLOW)
		if err == unix.ENOENT {
			continue
		}
		if err != nil {
			return fmt.Errorf("open %s: %w", filepath.Join(w.root, p), err)
		}
		if err := w.dir(sfd, p, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// ModeBits is the permission, setuid, setgid and sticky bits of a stat
// mode, as fs.FileMode holds them.
func ModeBits(m uint32) fs.FileMode {
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
