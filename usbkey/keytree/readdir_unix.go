//go:build unix

package keytree

import (
	"cntools/usbkey/keycopy"
	"io/fs"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// entries lists the open directory f (the tree's dir), sorted by name,
// each entry stat-ed once relative to f (fstatat, never following a
// symlink; a symlink's target is read through r). os.File.ReadDir stats an entry itself whenever getdents gives
// no type, which illumos never gives and overlayfs often does not, and
// DirEntry.Info stats it again: two fstatat and a FileInfo an entry
// where one will do. On the 2-core test machine a target's
// `usbkey-sync state` over 5,000 files spent half its time there.
func (d *DirTree) entries(r *os.Root, f *os.File, dir string) ([]Info, error) {
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, opError(d.where(dir), "read directory", err)
	}
	slices.Sort(names)
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, opError(d.where(dir), "read directory", err)
	}
	infos := make([]Info, 0, len(names))
	var ferr error
	cerr := rc.Control(func(fd uintptr) {
		var st unix.Stat_t
		for _, name := range names {
			err := ignoringEINTR(func() error { return unix.Fstatat(int(fd), name, &st, unix.AT_SYMLINK_NOFOLLOW) })
			if err == unix.ENOENT {
				continue // removed since it was listed: it is not in the tree now
			}
			if err != nil {
				ferr = opError(d.where(join(dir, name)), "lstat", err)
				return
			}
			in := Info{Name: name, Mode: fileMode(uint32(st.Mode)), MTime: time.Unix(st.Mtim.Unix()), Inode: uint64(st.Ino), CTime: st.Ctim.Nano()}
			switch {
			case in.Mode.IsRegular():
				in.Size = st.Size
			case in.Mode&fs.ModeSymlink != 0:
				if in.Target, err = r.Readlink(rootName(join(dir, name))); err != nil {
					ferr = opError(d.where(join(dir, name)), "readlink", err)
					return
				}
			}
			infos = append(infos, in)
		}
	})
	if ferr == nil {
		ferr = cerr
	}
	if ferr != nil {
		return nil, ferr
	}
	return infos, nil
}

func ignoringEINTR(f func() error) error {
	for {
		if err := f(); err != unix.EINTR {
			return err
		}
	}
}

// fileMode is the fs.FileMode of a stat mode, as os.Lstat gives it
// (os/stat_linux.go, stat_solaris.go fillFileStatFromSys).
func fileMode(m uint32) fs.FileMode {
	mode := keycopy.ModeBits(m)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFREG:
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	default:
		mode |= fs.ModeIrregular
	}
	return mode
}
