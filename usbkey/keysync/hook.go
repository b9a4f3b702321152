package keysync

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"cntools/gztools"
	"cntools/internal/node"
)

// stampRE is a platform build stamp as install-platform.sh names os/
// directories: the part of the image version from the date on.
var stampRE = regexp.MustCompile(`(?i)2\d*T\d*Z$`)

// PlatformInstallPaths is what `sdcadm platform install VERSION` changed,
// or may have: os/VERSION, and boot/ and the tarballs, which a platform
// change goes with. VERSION is the build stamp (20260301T000000Z) or an
// image version ending in one (release-20260301-20260301T000000Z). The
// platform must be in the source: the hook runs after the install.
func PlatformInstallPaths(source, version string) ([]string, error) {
	stamp := stampRE.FindString(version)
	if stamp == "" {
		return nil, fmt.Errorf("platform %q: want a build stamp such as 20260301T000000Z, or an image version ending in one", version)
	}
	ents, err := os.ReadDir(filepath.Join(source, "os"))
	if err != nil {
		return nil, fmt.Errorf("platform %s: %w; run the hook after sdcadm platform install", stamp, err)
	}
	var found string
	for _, e := range ents {
		if strings.EqualFold(e.Name(), stamp) && e.IsDir() {
			found = e.Name()
		}
	}
	if found == "" {
		return nil, fmt.Errorf("platform %s is not in %s/os: run the hook after sdcadm platform install has put it there", stamp, source)
	}
	return append([]string{"os/" + found}, present(source, "boot", "tools.tar.gz", "cn_tools.tar.gz")...), nil
}

// GZToolsPaths is what a gz-tools update changes on the key and its copy
// (sdcadm experimental update-gz-tools, sdcadm-headnode-setup.md §3.2):
// the tarballs, scripts/, default/ and extra/joysetup/.
func GZToolsPaths(source string) ([]string, error) {
	for _, req := range []string{"tools.tar.gz", "cn_tools.tar.gz"} {
		if _, err := os.Stat(filepath.Join(source, req)); err != nil {
			return nil, fmt.Errorf("gz-tools: %w; run the hook after the gz-tools update", err)
		}
	}
	return present(source, "tools.tar.gz", "cn_tools.tar.gz", "scripts", "default", "extra/joysetup"), nil
}

// present keeps the paths the source has.
func present(source string, ps ...string) []string {
	var out []string
	for _, p := range ps {
		if _, err := os.Lstat(filepath.Join(source, filepath.FromSlash(p))); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// SdcadmPaths is what `usbkey-sync hook sdcadm` syncs: extra/sdcadm/,
// after packing the node's deployed /opt/smartdc/sdcadm into it
// (gztools.PackSdcadm: skipped when that version is there, the newest two
// kept). The standby copy then carries the sdcadm the headnode runs, not
// /usbkey/sdcadm-install.sh, which only the USB image build writes (sdc-headnode
// bin/build-tar-image 401-411) and `sdcadm self-update` never refreshes;
// gztools-install prefers it. With dryRun nothing is packed, and what
// extra/sdcadm/ already holds is what would be sent. A nil log logs nothing.
func SdcadmPaths(ctx context.Context, n *node.Node, source string, dryRun bool, log *slog.Logger) ([]string, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if dryRun {
		log.Info("dry run: the deployed sdcadm is not packed", "from", gztools.SdcadmDir, "into", gztools.SdcadmTarballDir)
	} else {
		p, err := gztools.PackSdcadm(ctx, n, source)
		if err != nil {
			return nil, fmt.Errorf("hook %s: %w", HookSdcadm, err)
		}
		if p.Skipped {
			log.Info("deployed sdcadm already packed", "version", p.Version, "tarball", p.Path)
		} else {
			log.Info("packed the deployed sdcadm", "version", p.Version, "tarball", p.Path)
		}
		for _, x := range p.Pruned {
			log.Info("removed an older sdcadm tarball", "tarball", x)
		}
	}
	ps := present(source, gztools.SdcadmTarballDir)
	if len(ps) == 0 {
		return nil, fmt.Errorf("hook %s: %s has no %s/ yet: run the hook without --dry-run to pack the deployed sdcadm", HookSdcadm, source, gztools.SdcadmTarballDir)
	}
	return ps, nil
}
