package gztools

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"cntools/internal/node"
)

// sdcadmSource is where the sdcadm a plan installs comes from.
type sdcadmSource struct {
	path    string // the shar or tarball, under the root; "" for none
	from    string // the same as a node path, for the output and the log
	tarball bool   // a packed tree (SdcadmTarballDir), not a shar
	version string // SdcadmVersion of what it holds
}

// String says which sdcadm and from where: "sdcadm 1.40.0 from /usbkey/…".
func (s sdcadmSource) String() string { return "sdcadm " + s.version + " from " + s.from }

// chooseSdcadm picks, in order: --sdcadm (a shar, or a tarball when it ends
// in .tgz); the source's newest SdcadmTarballDir tarball, the sdcadm the
// headnode last ran, which `usbkey-sync hook sdcadm` packed; the source's
// sdcadm-install.sh, which is only the sdcadm the USB image was built with
// (nothing refreshes it after `sdcadm self-update`).
func chooseSdcadm(n *node.Node, req Request, src *Source) sdcadmSource {
	switch {
	case req.Sdcadm != "":
		return sdcadmSource{path: n.Path(req.Sdcadm), from: req.Sdcadm, tarball: strings.HasSuffix(req.Sdcadm, ".tgz")}
	case src.SdcadmTarball.Path != "":
		return sdcadmSource{
			path:    src.SdcadmTarball.Path,
			from:    path.Join(req.SourcePath(), SdcadmTarballDir, filepath.Base(src.SdcadmTarball.Path)),
			tarball: true,
		}
	case src.Sdcadm != "":
		return sdcadmSource{path: src.Sdcadm, from: path.Join(req.SourcePath(), filepath.Base(src.Sdcadm))}
	}
	return sdcadmSource{}
}

// tgzVersion reads package.json and etc/buildstamp out of an sdcadm
// contents tarball, without extracting it, for SdcadmVersion.
func tgzVersion(tgz string) (string, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", fmt.Errorf("sdcadm version: %w", err)
	}
	tr := tar.NewReader(zr)
	var pkg, stamp []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("sdcadm version: %w", err)
		}
		var dst *[]byte
		switch path.Clean(strings.TrimPrefix(h.Name, "./")) {
		case "package.json":
			dst = &pkg
		case "etc/buildstamp":
			dst = &stamp
		default:
			continue
		}
		if *dst, err = io.ReadAll(io.LimitReader(tr, 1<<20)); err != nil {
			return "", fmt.Errorf("sdcadm version: %s: %w", h.Name, err)
		}
	}
	if pkg == nil {
		return "", fmt.Errorf("sdcadm version: no package.json in the sdcadm tarball")
	}
	v, err := sdcadmVersion(pkg, stamp)
	if err != nil {
		return "", fmt.Errorf("sdcadm version: package.json: %w", err)
	}
	return v, nil
}

func readString(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}
