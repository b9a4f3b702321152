package populate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cntools/internal/tarx"
	"cntools/internal/sshconn"
)

// TarballSource is a usbkey-base tarball, extracted whole (and safely)
// into a scratch directory first: a gzip stream cannot be read at random,
// and the plan needs every size before anything is copied.
type TarballSource struct {
	DirSource
	scratch string
	name    string
}

// OpenTarball extracts a usbkey-base tarball under tmp. The top directory
// of the archive is stepped into when it is the only entry, so both
// `./boot/...` and `usbkey/boot/...` layouts work.
func OpenTarball(ctx context.Context, path, tmp string) (*TarballSource, error) {
	scratch, err := os.MkdirTemp(tmp, "usbkey-populate.")
	if err != nil {
		return nil, fmt.Errorf("scratch directory: %w", err)
	}
	dir := filepath.Join(scratch, "x")
	if _, err := tarx.ExtractFile(ctx, path, dir, tarx.Options{}); err != nil {
		os.RemoveAll(scratch)
		return nil, fmt.Errorf("tarball %w", err)
	}
	root := dir
	if es, err := os.ReadDir(dir); err == nil && len(es) == 1 && es[0].IsDir() && !strings.EqualFold(es[0].Name(), "boot") {
		root = filepath.Join(dir, es[0].Name())
	}
	return &TarballSource{DirSource: DirSource{Root: root}, scratch: scratch, name: path}, nil
}

func (s *TarballSource) Describe() string { return s.name }
func (s *TarballSource) Close() error     { return os.RemoveAll(s.scratch) }

// OpenSource opens any source usbkey-populate takes: an ssh:// URL (a
// standby copy on another node), a directory, or a usbkey-base tarball,
// extracted under tmp. name is the source as the operator gave it, for
// errors; path is it resolved on this node.
func OpenSource(ctx context.Context, name, path, tmp string, ssh sshconn.Options) (Source, error) {
	if strings.HasPrefix(name, "ssh://") {
		return OpenSFTP(ctx, name, ssh)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w; pass --from with a usbkey copy, standby copy or usbkey-base tarball", name, err)
	}
	if fi.IsDir() {
		return DirSource{Root: path}, nil
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("scratch space for %s: %w", name, err)
	}
	return OpenTarball(ctx, path, tmp)
}
