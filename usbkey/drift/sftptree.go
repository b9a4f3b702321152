package drift

import (
	"fmt"
	"io"
	"io/fs"
	"path"

	"github.com/pkg/sftp"

	"cntools/usbkey/manifest"
)

// SFTPTree returns the manifest.Tree of the directory root on the far side
// of an SFTP session: what drift reads a standby copy through when the CN
// has no usbkey-drift to manifest it there. SFTP has no inode numbers, so a
// hash cache cannot tell a replaced file from the old one, and none is used.
func SFTPTree(c *sftp.Client, root string) manifest.Tree {
	return sftpTree{c: c, root: root}
}

type sftpTree struct {
	c    *sftp.Client
	root string
}

func (t sftpTree) name(p string) string { return path.Join(t.root, p) }

// ReadDir relies on SSH_FXP_READDIR describing each entry itself, as
// OpenSSH's sftp-server does (lstat), so a symlink is listed as a symlink.
func (t sftpTree) ReadDir(dir string) ([]manifest.Info, error) {
	fis, err := t.c.ReadDir(t.name(dir))
	if err != nil {
		return nil, fmt.Errorf("manifest: sftp %s: %w", t.name(dir), err)
	}
	infos := make([]manifest.Info, 0, len(fis))
	for _, fi := range fis {
		if fi.Name() == "." || fi.Name() == ".." {
			continue
		}
		in := manifest.Info{Name: fi.Name(), Mode: fi.Mode(), Size: fi.Size(), MTime: fi.ModTime()}
		if fi.Mode()&fs.ModeSymlink != 0 {
			in.Size = 0
			if in.Target, err = t.c.ReadLink(t.name(path.Join(dir, fi.Name()))); err != nil {
				return nil, fmt.Errorf("manifest: sftp %s: %w", t.name(path.Join(dir, fi.Name())), err)
			}
		}
		if fi.IsDir() {
			in.Size = 0
		}
		infos = append(infos, in)
	}
	return infos, nil
}

// Open refuses what is no longer a regular file: SFTP's open follows
// symlinks, and a manifest must never read through one.
func (t sftpTree) Open(p string) (io.ReadCloser, error) {
	name := t.name(p)
	fi, err := t.c.Lstat(name)
	if err != nil {
		return nil, fmt.Errorf("manifest: sftp %s: %w", name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("manifest: sftp %s: no longer a regular file (%v): run again when the copy is quiet", name, fi.Mode().Type())
	}
	f, err := t.c.Open(name)
	if err != nil {
		return nil, fmt.Errorf("manifest: sftp %s: %w", name, err)
	}
	return f, nil
}
