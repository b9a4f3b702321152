// Package payload builds what Triton ships to compute nodes: its own
// cn_tools.tar.gz (sdc-headnode's `make cn_tools.tar.gz`, extracted by
// agentsetup.sh into /opt/smartdc) with cn-tools added.
//
// It owns the merge: every entry of Triton's tarball is kept, in its order,
// with its header and content; ours follow, with a manifest naming them.
// It refuses a tarball that is not gzip'd tar, an entry that would leave
// /opt/smartdc, and any file of ours that Triton's tarball already holds:
// overwriting sdc-usbkey or its node_modules would break CN setup, which
// runs `sdc-usbkey -v update` (sdc-headnode scripts/agentsetup.sh:194-219).
package payload

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"
)

// ManifestPath is where the merged tarball names what cn-tools added,
// relative to /opt/smartdc.
const ManifestPath = "share/cn-tools/cn_tools-merge.manifest"

// Merge writes to out Triton's cn_tools.tar.gz read from triton with every
// entry of ours (a gzip'd tar laid out from /opt/smartdc, as `make
// cn-tools` writes it) added, then a manifest of what was added. It
// returns the paths it added. Nothing is written to out before both inputs
// are read and checked.
func Merge(triton, ours io.Reader, out io.Writer, now time.Time) ([]string, error) {
	tritonEntries, err := readAll(triton)
	if err != nil {
		return nil, fmt.Errorf("triton cn_tools.tar.gz: %w: give the cn_tools.tar.gz sdc-headnode built", err)
	}
	ourEntries, err := readAll(ours)
	if err != nil {
		return nil, fmt.Errorf("cn-tools tarball: %w: run make cn-tools again", err)
	}
	if len(tritonEntries) == 0 {
		return nil, errors.New("triton cn_tools.tar.gz: empty: give the cn_tools.tar.gz sdc-headnode built")
	}
	// Triton's paths, with the directories its entries imply: sdc-headnode
	// tars bin/sdc-usbkey without an entry for bin itself.
	theirs := map[string]*tar.Header{}
	for _, e := range tritonEntries {
		name := clean(e.hdr.Name)
		theirs[name] = e.hdr
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if _, ok := theirs[d]; !ok {
				theirs[d] = &tar.Header{Name: d, Typeflag: tar.TypeDir}
			}
		}
	}
	var added []string
	for _, e := range ourEntries {
		name := clean(e.hdr.Name)
		if name == clean(ManifestPath) {
			return nil, fmt.Errorf("cn-tools tarball: holds %s itself: run make cn-tools again", ManifestPath)
		}
		if h, ok := theirs[name]; ok {
			if h.Typeflag == tar.TypeDir && e.hdr.Typeflag == tar.TypeDir {
				continue // both have /opt/smartdc/bin: Triton's stays
			}
			return nil, fmt.Errorf("%s: in Triton's cn_tools.tar.gz and in cn-tools: refusing to replace Triton's; rename ours or drop it from the payload", name)
		}
		added = append(added, name)
	}

	gz := gzip.NewWriter(out)
	tw := tar.NewWriter(gz)
	write := func(e entry) error {
		if err := tw.WriteHeader(e.hdr); err != nil {
			return fmt.Errorf("%s: %w", e.hdr.Name, err)
		}
		_, err := tw.Write(e.data)
		return err
	}
	for _, e := range tritonEntries {
		if err := write(e); err != nil {
			return nil, err
		}
	}
	addedSet := map[string]bool{}
	for _, a := range added {
		addedSet[a] = true
	}
	for _, e := range ourEntries {
		if addedSet[clean(e.hdr.Name)] {
			if err := write(e); err != nil {
				return nil, err
			}
		}
	}
	sort.Strings(added)
	manifest := []byte("# cn-tools added these paths under /opt/smartdc to Triton's cn_tools.tar.gz\n" + strings.Join(added, "\n") + "\n")
	if err := write(entry{hdr: &tar.Header{Name: ManifestPath, Mode: 0o644, Size: int64(len(manifest)), ModTime: now, Typeflag: tar.TypeReg, Format: tar.FormatPAX}, data: manifest}); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return added, nil
}

type entry struct {
	hdr  *tar.Header
	data []byte
}

// readAll reads a whole gzip'd tarball, refusing names that leave the
// directory it is extracted into.
func readAll(r io.Reader) ([]entry, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not gzip'd: %w", err)
	}
	tr := tar.NewReader(gz)
	var es []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not a whole tar stream: %w", err)
		}
		if n := clean(h.Name); n == "" || n == ".." || strings.HasPrefix(n, "../") || path.IsAbs(h.Name) {
			return nil, fmt.Errorf("entry %q leaves /opt/smartdc", h.Name)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
		es = append(es, entry{hdr: h, data: data})
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return es, nil
}

// clean is an entry's path as extraction sees it: "./bin/x", "bin/x" and
// "bin//x/" are one path.
func clean(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}
