package keysync

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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
