package drift

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

// remotePath finds usbkey-drift on a CN.
const remotePath = node.ToolsPATH

// maxRemoteManifest bounds a manifest read from a CN: about 300 bytes an
// entry, so millions of entries, far beyond any key.
const maxRemoteManifest = 1 << 30

// RemoteManifest manifests dir on the node c is connected to by running
// `usbkey-drift manifest DIR` there. ok is false, with no error, when
// usbkey-drift is not installed on that node; the caller then reads the
// copy over SFTP (keytree.SFTP).
func RemoteManifest(ctx context.Context, c *sshconn.Client, dir string) (m *manifest.Manifest, ok bool, err error) {
	var where bytes.Buffer
	// "|| :" so that a missing tool is an answer, not a failed command.
	if err := c.Run(ctx, remotePath+"command -v usbkey-drift || :", &where); err != nil {
		return nil, false, err
	}
	if strings.TrimSpace(where.String()) == "" {
		return nil, false, nil
	}
	var out limitedBuffer
	out.max = maxRemoteManifest
	if err := c.Run(ctx, remotePath+"exec usbkey-drift manifest "+node.Quote(dir), &out); err != nil {
		return nil, true, err
	}
	m, err = manifest.Decode(&out.Buffer)
	if err != nil {
		return nil, true, fmt.Errorf("ssh %s: usbkey-drift manifest %s: %w", c.Target, dir, err)
	}
	return m, true, nil
}

type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, fmt.Errorf("more than %d bytes of output", b.max)
	}
	return b.Buffer.Write(p)
}

// StandbyOptions say how to reach standby copies.
type StandbyOptions struct {
	LoadOptions
	SSH sshconn.Options
	// NoRemote always reads over SFTP, even where usbkey-drift is
	// installed on the CN.
	NoRemote bool
}

// LoadStandby reads the copy t names on another node over SSH: a standby
// copy on a core CN, node.StandbyDir when t has no path.
func LoadStandby(ctx context.Context, t sshconn.Target, o StandbyOptions) (*Copy, error) {
	if t.Path == "" {
		t.Path = node.StandbyDir
	}
	name := t.String() + ":" + t.Path
	c, err := sshconn.Dial(ctx, t, o.SSH)
	if err != nil {
		return nil, fmt.Errorf("standby %s: %w", name, err)
	}
	defer c.Close()
	var m *manifest.Manifest
	ok := false
	if !o.NoRemote {
		m, ok, err = RemoteManifest(ctx, c, t.Path)
		switch {
		case errors.Is(err, manifest.ErrVersion):
			// Another release of the toolkit on the CN: read the
			// copy ourselves rather than fail.
			o.log().Warn("the node's usbkey-drift writes another manifest version: reading over SFTP", "standby", name)
			ok = false
		case err != nil:
			return nil, fmt.Errorf("standby %s: %w", name, err)
		}
	}
	// keytree's SFTP tree is how every tool reads a copy over SSH; the
	// connection is closed above, the session here.
	var tree *keytree.SFTPTree
	openTree := func() error {
		if tree != nil {
			return nil
		}
		s, err := c.SFTP()
		if err != nil {
			return err
		}
		tree = keytree.SFTP(s, t.Path, name, nil)
		return nil
	}
	defer func() {
		if tree != nil {
			tree.Close()
		}
	}()
	if ok {
		o.log().Debug("manifest built on the node by usbkey-drift", "standby", name)
	} else {
		o.log().Debug("usbkey-drift is not on the node: reading the copy over SFTP", "standby", name)
		if err := openTree(); err != nil {
			return nil, fmt.Errorf("standby %s: %w", name, err)
		}
		if in, err := tree.Lstat(""); err != nil || !in.IsDir() {
			if err == nil {
				err = fmt.Errorf("%s", fileType(in.Mode))
			}
			return nil, fmt.Errorf("standby %s: %s is not a directory there (%v): sync it with usbkey-sync, or give the copy's path as host:/path", name, t.Path, err)
		}
		if m, err = manifest.Build(ctx, tree, manifest.Options{Workers: o.Workers}); err != nil {
			return nil, fmt.Errorf("standby %s: %w", name, err)
		}
	}
	cp := &Copy{Name: name, Where: t.URL(), Manifest: m}
	if !hasConfigs(m) {
		return cp, nil
	}
	if err := openTree(); err != nil {
		return nil, fmt.Errorf("standby %s: %w", name, err)
	}
	if cp.Configs, err = readConfigs(m, tree.Open); err != nil {
		return nil, fmt.Errorf("standby %s: %w", name, err)
	}
	return cp, nil
}

// fileType says what stands where a directory was wanted.
func fileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	case m.IsRegular():
		return "a file"
	}
	return "a special file"
}

func hasConfigs(m *manifest.Manifest) bool {
	for _, e := range m.Entries {
		if e.Type == manifest.TypeFile && isConfigFile(e.Path) {
			return true
		}
	}
	return false
}
