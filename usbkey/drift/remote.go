package drift

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pkg/sftp"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	"cntools/usbkey/manifest"
)

// DefaultStandbyPath is where a core CN keeps its standby copy: never
// /usbkey or /mnt/usbkey, where config.sh would take it for the CN's own.
const DefaultStandbyPath = "/zones/usbkey-standby"

// remotePath is prepended to a CN's PATH for finding usbkey-drift: the
// toolkit lands in /opt/smartdc/bin, which a non-interactive ssh session's
// PATH need not hold.
const remotePath = `PATH="$PATH:/opt/smartdc/bin"; export PATH; `

// maxRemoteManifest bounds a manifest read from a CN: about 300 bytes an
// entry, so millions of entries, far beyond any key.
const maxRemoteManifest = 1 << 30

// RemoteManifest manifests dir on the node c is connected to by running
// `usbkey-drift manifest DIR` there. ok is false, with no error, when
// usbkey-drift is not installed on that node; the caller then reads the
// copy over SFTP (SFTPTree).
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

// LoadStandby reads the standby copy t names ([user@]host[:port][:/path];
// DefaultStandbyPath when it has no path) on a core CN over SSH.
func LoadStandby(ctx context.Context, t sshconn.Target, o StandbyOptions) (*Copy, error) {
	if t.Path == "" {
		t.Path = DefaultStandbyPath
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
	var s *sftp.Client
	openSFTP := func() error {
		if s != nil {
			return nil
		}
		var err error
		s, err = c.SFTP()
		return err
	}
	defer func() {
		if s != nil {
			s.Close()
		}
	}()
	if ok {
		o.log().Debug("manifest built on the node by usbkey-drift", "standby", name)
	} else {
		o.log().Debug("usbkey-drift is not on the node: reading the copy over SFTP", "standby", name)
		if err := openSFTP(); err != nil {
			return nil, fmt.Errorf("standby %s: %w", name, err)
		}
		if fi, err := s.Stat(t.Path); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("standby %s: %s is not a directory there (%v): sync it with usbkey-sync, or give the copy's path as host:/path", name, t.Path, err)
		}
		if m, err = manifest.Build(ctx, SFTPTree(s, t.Path), manifest.Options{Workers: o.Workers}); err != nil {
			return nil, fmt.Errorf("standby %s: %w", name, err)
		}
	}
	cp := &Copy{Name: name, Where: t.URL(), Manifest: m}
	if !hasConfigs(m) {
		return cp, nil
	}
	if err := openSFTP(); err != nil {
		return nil, fmt.Errorf("standby %s: %w", name, err)
	}
	tree := SFTPTree(s, t.Path)
	if cp.Configs, err = readConfigs(m, tree.Open); err != nil {
		return nil, fmt.Errorf("standby %s: %w", name, err)
	}
	return cp, nil
}

func hasConfigs(m *manifest.Manifest) bool {
	for _, e := range m.Entries {
		if e.Type == manifest.TypeFile && isConfigFile(e.Path) {
			return true
		}
	}
	return false
}
