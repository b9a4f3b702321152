package keycopy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"cntools/internal/node"
)

// LinkReader is what resolving a path needs from a filesystem: a
// target's over SFTP (*sftp.Client), or this node's (Local).
type LinkReader interface {
	Lstat(p string) (fs.FileInfo, error)
	ReadLink(p string) (string, error)
}

// Local resolves paths on this node.
type Local struct{}

func (Local) Lstat(p string) (fs.FileInfo, error) { return os.Lstat(p) }
func (Local) ReadLink(p string) (string, error)   { return os.Readlink(p) }

// maxLinks bounds the symlinks followed while resolving, as the kernel's
// ELOOP does, so a loop of links fails instead of spinning.
const maxLinks = 40

// ResolvePath is the real path of the absolute path p on fsys: every
// symlink among its components followed, as the system would follow it
// when writing there. It resolves itself instead of asking the server's
// realpath, which fails on a path that does not exist yet and on a
// dangling link; both must still be judged by where they lead. What
// does not exist yet is appended as given.
func ResolvePath(fsys LinkReader, p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("BUG: resolve relative path %q", p)
	}
	done := "/"
	rest := strings.Split(p, "/")
	for links := 0; len(rest) > 0; {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			done = path.Dir(done)
			continue
		}
		next := path.Join(done, c)
		fi, err := fsys.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) {
			return path.Join(append([]string{next}, rest...)...), nil
		}
		if err != nil {
			return "", fmt.Errorf("lstat %s: %w", next, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("resolve %s: more than %d symlinks, a loop: remove the loop on that host", p, maxLinks)
		}
		dest, err := fsys.ReadLink(next)
		if err != nil {
			return "", fmt.Errorf("readlink %s: %w", next, err)
		}
		if path.IsAbs(dest) {
			done = "/"
		}
		rest = append(strings.Split(dest, "/"), rest...)
	}
	return done, nil
}

// CheckRoot refuses a target root that is itself a symlink, and one
// whose real path CheckPath refuses: a link such as
// /zones/usbkey-standby -> /usbkey, or one among its parents, would put
// the headnode's config in the CN's /usbkey, the takeover ErrKeyPath
// exists to prevent. name is how the target is named in errors.
func CheckRoot(fsys LinkReader, name, root string) error {
	fi, err := fsys.Lstat(root)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		dest, _ := fsys.ReadLink(root)
		return fmt.Errorf("target %s is a symlink to %s, and a sync never writes through a symlinked target: remove the link on that host (rm %s) and sync again, or give the real directory as host:/absolute/path", name, dest, root)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("target %s: lstat: %w", name, err)
	}
	real, err := ResolvePath(fsys, root)
	if err != nil {
		return fmt.Errorf("target %s: %w", name, err)
	}
	if err := CheckPath(real); err != nil {
		return fmt.Errorf("target %s resolves to %s through a symlink on that host: %w", name, real, err)
	}
	return nil
}

// ErrKeyPath is why a target path of /usbkey or /mnt/usbkey is refused.
var ErrKeyPath = errors.New("a CN's /usbkey and /mnt/usbkey are refused: /lib/sdc/config.sh reads /usbkey/config (then /mnt/usbkey/config) before the CN's own node.config, so the CN would take the headnode's configuration")

// systemDirs are the directories of the system and of the Triton agents
// on a CN: a standby copy there would overwrite or shadow what the node
// runs (/opt/smartdc holds the agents and node.config, /var the logs and
// SMF repository). /lib and /etc are the platform's. The toolkit's own
// copies (node.StandbyDir, node.CopyDir) are under /zones, outside all of
// them.
var systemDirs = []string{"/opt/smartdc", "/var", "/lib", "/etc", "/usr", "/bin", "/sbin", "/dev", "/devices", "/kernel", "/platform", "/proc", "/system"}

// CheckPath refuses a target path that is relative (the CN would resolve
// it against the login's home directory), is, or is inside, a CN's key or
// key copy or a system directory, or is the root. It judges the path as
// written; CheckRoot judges where it really leads on the target.
func CheckPath(p string) error {
	if !path.IsAbs(p) {
		return fmt.Errorf("path %q is relative, which the CN resolves against the login's home directory: give host:/absolute/path, such as host:%s", p, node.StandbyDir)
	}
	p = path.Clean(p)
	for _, k := range []string{node.UsbkeyDir, node.KeyMount} {
		if p == k || strings.HasPrefix(p, k+"/") {
			return fmt.Errorf("path %s: %w; use a directory of its own such as %s", p, ErrKeyPath, node.StandbyDir)
		}
	}
	for _, d := range systemDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return fmt.Errorf("path %s is in the system directory %s, whose files the CN runs: use a directory of its own such as %s", p, d, node.StandbyDir)
		}
	}
	if p == "/" {
		return fmt.Errorf("path /: a standby copy needs a directory of its own such as %s", node.StandbyDir)
	}
	return nil
}
