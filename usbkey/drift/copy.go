package drift

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"log/slog"

	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

// ConfigFiles are the files whose keys a report lists when their content
// differs. All three have the usbkey config syntax; node.config holds the
// CNs' root_shadow.
var ConfigFiles = []string{"config", "config.inc/generic", "extra/joysetup/node.config"}

// maxConfig bounds how much of a config file is read: real ones are a few
// KiB, and a copy must not make drift read a boot archive into memory.
const maxConfig = 4 << 20

// Copy is one copy of the key content, as compared.
type Copy struct {
	Name     string // what the report calls it: "key", "usbkey", a standby target, a manifest file
	Where    string // where it was read: a device, image, directory or ssh:// URL
	Key      bool   // the key's own content: no extra/, no os/latest
	FAT      bool   // on FAT: 2 s mtimes and no modes
	Manifest *manifest.Manifest
	// Configs holds the bytes of the ConfigFiles the copy has, by the
	// path its manifest gives them. Nil when they could not be read (an
	// offline manifest); ConfigErr then says why, if not obvious.
	Configs   map[string][]byte
	ConfigErr string
}

// LoadOptions say how copies are read.
type LoadOptions struct {
	// Workers hash files at once; 0 means one per CPU.
	Workers int
	// CacheDir, when set, holds a hash cache per directory copy, so an
	// unchanged /usbkey is not hashed again.
	CacheDir string
	// Log gets progress at debug level and cache trouble as warnings.
	Log *slog.Logger
}

func (o LoadOptions) log() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}

// LoadDir reads a directory copy: /usbkey, a standby copy on this node, or a
// mounted key (key=true: compared as FAT, since the mounted key is pcfs).
func LoadDir(ctx context.Context, name, dir string, isKey bool, o LoadOptions) (*Copy, error) {
	m, err := buildDir(ctx, dir, o)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, dir, err)
	}
	c := &Copy{Name: name, Where: dir, Key: isKey, FAT: isKey, Manifest: m}
	c.Configs, err = readConfigs(m, func(p string) (io.ReadCloser, error) {
		return keytree.Dir(dir).Open(p)
	})
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, dir, err)
	}
	return c, nil
}

// LoadKey reads a key: a device or image file through its root partition
// without mounting it, or a mounted key directory. keytree's opener
// decides which, as it does for every tool.
func LoadKey(ctx context.Context, name, p string, o LoadOptions) (*Copy, error) {
	t, err := openLocal(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, p, err)
	}
	defer t.Close()
	switch t.(type) {
	case *keytree.DirTree:
		return LoadDir(ctx, name, p, true, o)
	case *keytree.FATTree:
	default:
		return nil, fmt.Errorf("%s %s: a tarball, not a key: give a key device or image, or a mounted key", name, p)
	}
	m, err := manifest.Build(ctx, t, manifest.Options{Workers: o.Workers})
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, p, err)
	}
	c := &Copy{Name: name, Where: p, Key: true, FAT: true, Manifest: m}
	if c.Configs, err = readConfigs(m, t.Open); err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, p, err)
	}
	return c, nil
}

// openLocal opens p, a path on this host already resolved under --root.
func openLocal(ctx context.Context, p string) (keytree.Tree, error) {
	op := &keytree.Opener{}
	return op.Open(ctx, keytree.Location{Raw: p, Kind: keytree.KindLocal, Path: p})
}

// BuildManifest manifests a directory, device or image: what
// `usbkey-drift manifest` prints.
func BuildManifest(ctx context.Context, p string, o LoadOptions) (*manifest.Manifest, error) {
	c, err := LoadKey(ctx, "copy", p, o)
	if err != nil {
		return nil, err
	}
	return c.Manifest, nil
}

// buildDir manifests a directory with its hash cache, when there is one. A
// cache that cannot be read or written costs time, never the answer.
func buildDir(ctx context.Context, dir string, o LoadOptions) (*manifest.Manifest, error) {
	var cache *manifest.Cache
	var cachePath string
	if o.CacheDir != "" {
		cachePath = filepath.Join(o.CacheDir, CacheName(dir))
		c, err := manifest.LoadCache(cachePath)
		if err != nil {
			o.log().Warn("hash cache not used", "err", err)
		}
		cache = c
	}
	m, err := manifest.Build(ctx, keytree.Dir(dir), manifest.Options{Workers: o.Workers, Cache: cache})
	if err != nil {
		return nil, err
	}
	if cache != nil {
		if err := os.MkdirAll(o.CacheDir, 0o755); err != nil {
			o.log().Warn("hash cache not saved", "err", err)
		} else if err := cache.Save(cachePath); err != nil {
			o.log().Warn("hash cache not saved", "err", err)
		}
	}
	return m, nil
}

// CacheName is the file name of the hash cache of the directory dir: one
// cache per tree, named for its absolute path.
func CacheName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return "drift" + strings.NewReplacer("/", "_", ":", "_").Replace(abs) + ".json"
}

// readConfigs reads the config files m lists.
func readConfigs(m *manifest.Manifest, open func(p string) (io.ReadCloser, error)) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, e := range m.Entries {
		if e.Type != manifest.TypeFile || !isConfigFile(e.Path) {
			continue
		}
		if e.Size > maxConfig {
			return nil, fmt.Errorf("%s: %d bytes: not a config file", e.Path, e.Size)
		}
		r, err := open(e.Path)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(io.LimitReader(r, maxConfig))
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: read: %w", e.Path, err)
		}
		out[e.Path] = b
	}
	return out, nil
}

func isConfigFile(p string) bool {
	for _, c := range ConfigFiles {
		if strings.EqualFold(p, c) {
			return true
		}
	}
	return false
}

// LoadManifest reads a manifest collected elsewhere (usbkey-drift manifest
// run through sdc-oneachnode). It has no file contents, so config keys are
// not compared. A manifest that looks like a FAT tree (see LooksFAT) is
// compared as a key.
func LoadManifest(name string, r io.Reader) (*Copy, error) {
	m, err := manifest.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	fat := LooksFAT(m)
	return &Copy{Name: name, Where: name, Key: fat, FAT: fat, Manifest: m,
		ConfigErr: "a manifest holds no file contents"}, nil
}

// LooksFAT reports whether m could only have come from FAT: it has entries,
// no symlinks, every directory 0755 and every file 0644 (what FATTree and
// pcfs report), and every mtime an even second. A ZFS copy of any real key
// content fails it (scripts are 0755, and half of all mtimes are odd); when
// it guesses wrong, the pair is compared leniently, never strictly.
func LooksFAT(m *manifest.Manifest) bool {
	if len(m.Entries) == 0 {
		return false
	}
	for _, e := range m.Entries {
		switch {
		case e.MTime.Unix()%2 != 0,
			e.Type == manifest.TypeSymlink,
			e.Type == manifest.TypeDir && e.Mode != 0o755,
			e.Type == manifest.TypeFile && e.Mode != 0o644:
			return false
		}
	}
	return true
}
