package gztools

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"cntools/internal/atomicfile"
	"cntools/internal/node"
)

// The deployed sdcadm travels to the standby copies as a tarball.
// /usbkey/sdcadm-install.sh is written only when the USB image is built
// (sdc-headnode bin/build-tar-image 401-411) and is read only by
// headnode.sh when /opt/smartdc/sdcadm is missing (headnode.sh 421-424);
// `sdcadm self-update` installs to /opt/smartdc/sdcadm and never refreshes
// it (sdcadm 7fb53d9c). So the headnode's current /opt/smartdc/sdcadm is
// packed (usbkey-sync hook sdcadm) under SdcadmTarballDir of /usbkey, laid
// out as the shar's contents.tgz is (the tree's contents, no top folder),
// and gztools-install prefers the newest such tarball to the shar.
const (
	SdcadmTarballDir = "extra/sdcadm"
	// SdcadmTarballsKept is how many tarballs PackSdcadm leaves.
	SdcadmTarballsKept = 2
)

// sdcadmTarballRE is a tarball PackSdcadm names.
var sdcadmTarballRE = regexp.MustCompile(`^sdcadm-([A-Za-z0-9][A-Za-z0-9._-]*)\.tgz$`)

// SdcadmTarballName is the file name for the sdcadm of version.
func SdcadmTarballName(version string) string { return "sdcadm-" + version + ".tgz" }

// SdcadmVersion is the version of the sdcadm tree at dir: package.json's
// "version", then "-" and etc/buildstamp when it has one that says more
// (sdcadm's own `sdcadm --version` prints both). Characters that do not
// belong in a file name become "_".
func SdcadmVersion(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "", fmt.Errorf("sdcadm version: %w", err)
	}
	st, _ := os.ReadFile(filepath.Join(dir, "etc/buildstamp"))
	v, err := sdcadmVersion(b, st)
	if err != nil {
		return "", fmt.Errorf("sdcadm version: %s: %w", filepath.Join(dir, "package.json"), err)
	}
	return v, nil
}

// sdcadmVersion is SdcadmVersion from the two files' contents.
func sdcadmVersion(packageJSON, buildstamp []byte) (string, error) {
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(packageJSON, &pkg); err != nil {
		return "", err
	}
	if pkg.Version == "" {
		return "", fmt.Errorf("no \"version\"")
	}
	v := pkg.Version
	if s := strings.TrimSpace(string(buildstamp)); s != "" && s != v {
		v += "-" + s
	}
	return strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-", r)) {
			return r
		}
		return '_'
	}, v), nil
}

// SdcadmTarball is one packed sdcadm in a usbkey copy.
type SdcadmTarball struct {
	Path    string // the file
	Version string // from its name
}

// NewestSdcadmTarball is the tarball of the highest version in dir
// (versions compared as dotted numbers, then text), or ok false when dir
// has none.
func NewestSdcadmTarball(dir string) (t SdcadmTarball, ok bool, err error) {
	all, err := sdcadmTarballs(dir)
	if err != nil || len(all) == 0 {
		return SdcadmTarball{}, false, err
	}
	return all[len(all)-1], true, nil
}

// sdcadmTarballs lists dir's tarballs, oldest version first.
func sdcadmTarballs(dir string) ([]SdcadmTarball, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []SdcadmTarball
	for _, e := range ents {
		m := sdcadmTarballRE.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		out = append(out, SdcadmTarball{Path: filepath.Join(dir, e.Name()), Version: m[1]})
	}
	slices.SortFunc(out, func(a, b SdcadmTarball) int { return compareVersions(a.Version, b.Version) })
	return out, nil
}

// compareVersions orders versions by runs of digits as numbers and the
// rest as text: 1.9.0 < 1.10.0, and 1.39.0-20260301T000000Z <
// 1.39.0-20260401T000000Z.
func compareVersions(a, b string) int {
	for a != "" && b != "" {
		ca, ra := versionChunk(a)
		cb, rb := versionChunk(b)
		if c := compareChunk(ca, cb); c != 0 {
			return c
		}
		a, b = ra, rb
	}
	return len(a) - len(b)
}

func versionChunk(s string) (chunk, rest string) {
	digit := s[0] >= '0' && s[0] <= '9'
	i := 1
	for i < len(s) && (s[i] >= '0' && s[i] <= '9') == digit {
		i++
	}
	return s[:i], s[i:]
}

func compareChunk(a, b string) int {
	isNum := func(s string) bool { return s[0] >= '0' && s[0] <= '9' }
	if isNum(a) && isNum(b) {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return len(a) - len(b)
		}
	}
	return strings.Compare(a, b)
}

// Packed is what PackSdcadm did.
type Packed struct {
	Version string // the deployed sdcadm's version
	Path    string // the tarball, a node path
	Skipped bool   // the same version was already there
	Pruned  []string
}

// PackSdcadm packs the node's SdcadmDir into SdcadmTarballDir of the
// usbkey copy usbkey (a path as the caller resolved it; the result names
// node paths under it the same way), unless that version is already
// there, and keeps the newest SdcadmTarballsKept tarballs. The tarball is
// written under a temporary name and renamed into place.
func PackSdcadm(ctx context.Context, n *node.Node, usbkey string) (Packed, error) {
	src := n.Path(SdcadmDir)
	if !isDir(src) {
		return Packed{}, fmt.Errorf("no sdcadm at %s: pack the deployed sdcadm on the headnode, after sdcadm self-update", SdcadmDir)
	}
	v, err := SdcadmVersion(src)
	if err != nil {
		return Packed{}, err
	}
	dir := filepath.Join(usbkey, filepath.FromSlash(SdcadmTarballDir))
	dst := filepath.Join(dir, SdcadmTarballName(v))
	p := Packed{Version: v, Path: dst}
	if isFile(dst) {
		p.Skipped = true
	} else {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return p, err
		}
		if err := writeTarGz(ctx, src, dst); err != nil {
			return p, fmt.Errorf("pack %s: %w", SdcadmDir, err)
		}
	}
	all, err := sdcadmTarballs(dir)
	if err != nil {
		return p, err
	}
	for len(all) > SdcadmTarballsKept {
		// Never prune the one just packed, even when an odd name
		// sorts it below the others.
		if all[0].Path != dst {
			if err := os.Remove(all[0].Path); err != nil {
				return p, err
			}
			p.Pruned = append(p.Pruned, all[0].Path)
		}
		all = all[1:]
	}
	return p, nil
}

// writeTarGz writes the tree at dir to dst as a gzip'd tar of its
// contents (no top folder): regular files, directories and symlinks, with
// their modes.
func writeTarGz(ctx context.Context, dir, dst string) error {
	f, err := atomicfile.Create(dst, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		case !fi.Mode().IsRegular() && !fi.IsDir():
			return fmt.Errorf("%s: not a file, directory or symlink", p)
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			h.Name += "/"
		}
		h.Uname, h.Gname = "", ""
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		r, err := os.Open(p)
		if err != nil {
			return err
		}
		defer r.Close()
		if n, err := io.Copy(tw, r); err != nil {
			return err
		} else if n != fi.Size() {
			return fmt.Errorf("%s: changed while being packed", p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Commit()
}
