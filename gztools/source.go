package gztools

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cntools/internal/tarx"
)

// The kinds of source.
const (
	KindImage  = "gz-tools-image" // gz-tools-<stamp>.tgz
	KindUsbkey = "usbkey-copy"    // a directory such as /usbkey
)

// ErrNotGzTools means a source has not the layout of a gz-tools image or a
// usbkey copy.
var ErrNotGzTools = errors.New("not a gz-tools image or usbkey copy")

// Source is where the tools come from, opened.
type Source struct {
	Kind    string
	Path    string // as given
	Dir     string // the directory holding the files below
	Tools   string // tools.tar.gz
	CNTools string // cn_tools.tar.gz
	Scripts string // scripts/
	Default string // default/, or "" when the source has none
	Sdcadm  string // the sdcadm shar, or "" when the source has none
	// SdcadmTarball is the newest extra/sdcadm/sdcadm-<version>.tgz of
	// a usbkey copy (the deployed sdcadm usbkey-sync sent), preferred
	// to the shar; zero when there is none.
	SdcadmTarball SdcadmTarball
	ImageUUID     string // from image_uuid, or "" (then tools.tar.gz's etc/gz-tools.image says)

	tmp string // removed by Close
}

// OpenSource opens the source at path. A gz-tools image is extracted
// (refusing it whole if it is hostile) into a temporary directory under
// tmpDir, which Close removes.
func OpenSource(ctx context.Context, path, tmpDir string) (*Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	s := &Source{Path: path}
	if fi.IsDir() {
		s.Kind, s.Dir = KindUsbkey, path
		if err := s.layout(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if p := filepath.Join(path, "sdcadm-install.sh"); isFile(p) {
			s.Sdcadm = p
		}
		t, ok, err := NewestSdcadmTarball(filepath.Join(path, filepath.FromSlash(SdcadmTarballDir)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if ok {
			s.SdcadmTarball = t
		}
		return s, nil
	}
	s.Kind = KindImage
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return nil, err
	}
	s.tmp, err = os.MkdirTemp(tmpDir, "gztools-install.")
	if err != nil {
		return nil, err
	}
	x := filepath.Join(s.tmp, "image")
	if _, err := tarx.ExtractFile(ctx, path, x, tarx.Options{}); err != nil {
		s.Close()
		return nil, err
	}
	s.Dir = filepath.Join(x, "gz-tools")
	if err := s.layout(); err != nil {
		s.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if b, err := os.ReadFile(filepath.Join(s.Dir, "image_uuid")); err == nil {
		s.ImageUUID = strings.TrimSpace(string(b))
	}
	if p := filepath.Join(s.Dir, "default"); isDir(p) {
		s.Default = p
	}
	return s, nil
}

// layout checks what update-gz-tools checks, less default/ (a usbkey copy
// has its own), and fills the paths.
func (s *Source) layout() error {
	s.Tools = filepath.Join(s.Dir, "tools.tar.gz")
	s.CNTools = filepath.Join(s.Dir, "cn_tools.tar.gz")
	s.Scripts = filepath.Join(s.Dir, "scripts")
	top := ""
	if s.Kind == KindImage {
		top = "gz-tools/"
	}
	for _, f := range []string{s.Tools, s.CNTools} {
		if !isFile(f) {
			return fmt.Errorf("%w: it has no %s%s file (want gz-tools-<stamp>.tgz with gz-tools/{tools.tar.gz,cn_tools.tar.gz,scripts/}, or a usbkey copy)", ErrNotGzTools, top, filepath.Base(f))
		}
	}
	if !isDir(s.Scripts) {
		return fmt.Errorf("%w: it has no %sscripts/ directory", ErrNotGzTools, top)
	}
	return nil
}

// Close removes what OpenSource extracted.
func (s *Source) Close() {
	if s.tmp != "" {
		os.RemoveAll(s.tmp)
	}
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
