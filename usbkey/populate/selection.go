package populate

import (
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	"cntools/internal/atomicfile"
	"cntools/usbkey/fat32"
	"cntools/usbkey/key"
	"cntools/usbkey/keycopy"
)

// The marker and the manifest populate leaves on a key. Both are dot-files,
// which fs-joyent's copy of the key to /usbkey skips.
const (
	MarkerFile   = ".joyliveusb"
	ManifestFile = ".cntools-manifest.json"
)

// Required is what a headnode cannot boot and set up without
// (rfd67-latest.md "headnode USB key image"; triton-usbkey.md §0.5).
var Required = []string{"boot", "config", "config.inc", "os", "scripts", "tools.tar.gz", "cn_tools.tar.gz"}

// Optional is what a headnode's key has, whose absence is worth a warning.
var Optional = []string{"license", "sdcadm-install.sh"}

// usbkeyOnly is what lives only in /usbkey, never on the key: fs-joyent
// copies the key into /usbkey, and extra/ (agents, joysetup,
// dockerlogger) and os/latest are made there (triton-usbkey.md §2.2).
var usbkeyOnly = []string{"extra"}

// perNodeFiles are files of one node: the old headnode's
// boot/networking.json would, once on the key, override the config's
// networking at every boot (net-boot-config.js 24-25, 60-68;
// illumos-joyent net-physical 419-441).
var perNodeFiles = []string{"boot/networking.json"}

// Skip is something of the source that does not go on the key, and why.
type Skip struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Selection is what goes on the key.
type Selection struct {
	Entries   []Entry  // parents before children
	Platforms []string // os/<stamp> directories kept, as named in the source
	Default   string   // platform-version of the source's boot/loader.conf, "" if none
	Skipped   []Skip   // what the source has that the key does not get
	Missing   []string // optional content the source lacks
}

// Select picks the headnode key content from a source listing: all of it,
// but for what lives only in /usbkey (extra/ unless included, symlinks such
// as os/latest, dot-files at the top), the old headnode's per-node files,
// and the platforms left out. platforms narrows os/ (nil: every platform);
// include brings back paths that would be skipped.
func Select(entries []Entry, loaderConf []byte, platforms, include []string) (*Selection, error) {
	have := map[string]bool{}
	var sourcePlatforms []string
	for _, e := range entries {
		// A symlink is not copied (FAT cannot hold one), so it does not
		// count as having the content: a key marked without its config
		// boots into the interactive prompt-config.
		if !e.Symlink {
			have[strings.ToLower(e.Path)] = true
		}
		if dir, name := path.Split(e.Path); strings.EqualFold(dir, "os/") && e.Dir {
			sourcePlatforms = append(sourcePlatforms, name)
		}
	}
	var missing []string
	for _, r := range Required {
		if !have[r] {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the source lacks %s: it is not a headnode's key content; point --from at a usbkey copy, standby copy or usbkey-base tarball", strings.Join(missing, ", "))
	}
	if len(sourcePlatforms) == 0 {
		return nil, fmt.Errorf("the source has no platform under os/: a headnode key needs the platform it boots")
	}
	for _, in := range include {
		if !have[strings.ToLower(strings.Trim(in, "/"))] {
			return nil, fmt.Errorf("--include %s: the source has no such path; name a file or directory of the source (e.g. extra/agents)", in)
		}
	}
	s := &Selection{Default: key.LoaderVar(loaderConf, "platform-version")}
	for _, o := range Optional {
		if !have[o] {
			s.Missing = append(s.Missing, o)
		}
	}
	keep := map[string]bool{}
	if platforms == nil {
		platforms = sourcePlatforms
	}
	for _, want := range platforms {
		found := false
		for _, p := range sourcePlatforms {
			if strings.EqualFold(p, want) {
				keep[strings.ToLower(p)], found = true, true
				s.Platforms = append(s.Platforms, p)
			}
		}
		if !found {
			return nil, fmt.Errorf("platform %s is not under the source's os/ (it has %s)", want, strings.Join(sourcePlatforms, " "))
		}
	}
	if s.Default != "" && !keep[strings.ToLower(s.Default)] {
		return nil, fmt.Errorf("boot/loader.conf boots platform %s, which --platforms leaves out; add it to --platforms", s.Default)
	}
	sort.Strings(s.Platforms)
	var skippedDir string // a directory skipped whole: its entries go unlisted
	for _, e := range entries {
		if skippedDir != "" && strings.HasPrefix(strings.ToLower(e.Path), skippedDir+"/") {
			continue
		}
		reason := skipReason(e, keep)
		if reason != "" && underInclude(e.Path, include) && !e.Symlink {
			reason = ""
		}
		switch {
		case atomicfile.IsTemp(path.Base(e.Path)), strings.EqualFold(e.Path, keycopy.LockName):
			continue // left by a writer that was killed, or a lock: not content
		case reason != "":
			s.Skipped = append(s.Skipped, Skip{Path: e.Path, Reason: reason})
			if e.Dir {
				skippedDir = strings.ToLower(e.Path)
			}
			continue
		}
		s.Entries = append(s.Entries, e)
	}
	return s, nil
}

// skipReason says why e does not go on the key, "" when it does.
func skipReason(e Entry, keepPlatform map[string]bool) string {
	lower := strings.ToLower(e.Path)
	parts := strings.Split(lower, "/")
	switch {
	case len(parts) == 1 && strings.HasPrefix(parts[0], "."):
		return "a dot-file: not key content (fs-joyent's copy to /usbkey skips them too)"
	case slices.Contains(usbkeyOnly, parts[0]):
		return "lives only in /usbkey, which the new headnode seeds from the standby copy"
	case slices.Contains(perNodeFiles, lower):
		return "the old headnode's own: it would override this node's networking at boot"
	case e.Symlink:
		return "a symlink: FAT cannot hold one"
	case parts[0] == "os" && len(parts) > 1 && !keepPlatform[parts[1]]:
		return "a platform not kept (--platforms)"
	}
	return ""
}

func underInclude(p string, include []string) bool {
	for _, in := range include {
		in = strings.ToLower(strings.Trim(in, "/"))
		if l := strings.ToLower(p); l == in || strings.HasPrefix(l, in+"/") {
			return true
		}
	}
	return false
}

// CheckFAT refuses, before anything is written, what a FAT32 key cannot
// hold: files of 4 GiB or more, names pcfs cannot hold, and names that
// differ only in case within a directory.
func CheckFAT(entries []Entry) error {
	seen := map[string]string{}
	var problems []string
	for _, e := range entries {
		if !e.Dir && e.Size > fat32.MaxFileSize {
			problems = append(problems, fmt.Sprintf("%s is %d bytes: FAT32 holds files up to 4 GiB - 1", e.Path, e.Size))
		}
		if err := fat32.ValidName(path.Base(e.Path)); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", e.Path, err))
		}
		folded := strings.ToLower(e.Path)
		if other, ok := seen[folded]; ok {
			problems = append(problems, fmt.Sprintf("%s and %s differ only in case: pcfs folds case, so one would overwrite the other", other, e.Path))
		}
		seen[folded] = e.Path
	}
	if len(problems) > 0 {
		return fmt.Errorf("the key cannot hold this content: %s; rename or leave out those files", strings.Join(problems, "; "))
	}
	return nil
}

func readAll(r io.ReadCloser, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 1<<20))
}

// Need is the space the selection takes on a filesystem that allocates
// in units of unit bytes: each file rounded up, a unit per directory.
func (s *Selection) Need(unit int64) int64 {
	var need int64
	for _, e := range s.Entries {
		switch {
		case e.Dir:
			need += unit
		default:
			need += (e.Size + unit - 1) / unit * unit
		}
	}
	return need
}

// Size is the bytes of the selection's files.
func (s *Selection) Size() int64 {
	var n int64
	for _, e := range s.Entries {
		if !e.Dir {
			n += e.Size
		}
	}
	return n
}
