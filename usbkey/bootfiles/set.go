package bootfiles

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"cntools/usbkey/parttable"
)

// Paths of the files format_image and the BIOS boot chain need.
const (
	PathPMBR        = "boot/pmbr"         // format_image -m: sector 0 boot code
	PathGPTZFSBoot  = "boot/gptzfsboot"   // format_image -b: the BIOS stage2
	PathLoader64EFI = "boot/loader64.efi" // the ESP's efi/boot/bootx64.efi
	PathLoader      = "boot/loader"       // read by gptzfsboot from the root pcfs
	PathVersion     = "etc/version/boot"  // the platform build stamp
)

// required are the files without which the key cannot boot.
var required = []string{PathPMBR, PathGPTZFSBoot, PathLoader64EFI, PathLoader}

// maxFileSize bounds one boot file (loader64.efi is about 1 MiB), so a
// corrupt or hostile tarball cannot make us hold gigabytes.
const maxFileSize = 64 << 20

// File is one file or directory to copy onto the key root.
type File struct {
	Path    string      // slash-separated, relative to the key root: "boot/forth/menu.rc"
	Mode    fs.FileMode // permission bits, plus fs.ModeDir for a directory
	ModTime time.Time   // from the tarball or the file system
	Data    []byte      // contents; nil for a directory
}

// Set is a validated platform boot tree.
type Set struct {
	PMBR        []byte // boot/pmbr: 512 bytes ending in 0xAA55
	GPTZFSBoot  []byte // boot/gptzfsboot: at most 1 MiB, with a fake multiboot header
	Loader64EFI []byte // boot/loader64.efi
	Version     string // etc/version/boot, trimmed; "" if absent
	Files       []File // boot/ and etc/version/ in path order, parents first
}

// Stage2Sectors is the stage2 size format_image writes at MBR 0xFC: the
// length of gptzfsboot in whole sectors, rounded down as its integer
// division does.
func (s *Set) Stage2Sectors() uint16 {
	return uint16(len(s.GPTZFSBoot) / parttable.SectorSize)
}

// collector gathers entries from a tarball or a directory and turns them
// into a Set. src names the input in errors.
type collector struct {
	src   string
	files map[string]*File
}

func newCollector(src string) *collector {
	return &collector{src: src, files: map[string]*File{}}
}

// wanted reports whether p belongs to the boot files. etc itself is not
// wanted: it is made as the parent of etc/version when that exists.
func wanted(p string) bool {
	// A usbkey copy's boot/networking.json is its headnode's own network
	// config, not a boot file: on a key it would override the config's
	// networking at every boot (smartos-live net-boot-config.js 24-25).
	if p == "boot/networking.json" {
		return false
	}
	for _, top := range []string{"boot", "etc/version"} {
		if p == top || strings.HasPrefix(p, top+"/") {
			return true
		}
	}
	return false
}

// add records f; a later entry for the same path wins, as in tar.
func (c *collector) add(f File) {
	if !wanted(f.Path) {
		return
	}
	c.files[f.Path] = &f
}

// set builds and validates the Set.
func (c *collector) set() (*Set, error) {
	// A tarball need not list the directories of its files. A made-up
	// directory gets the newest time below it, whatever the map order.
	madeUp := map[string]bool{}
	for p, f := range c.files {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, ok := c.files[d]; !ok {
				c.files[d] = &File{Path: d, Mode: fs.ModeDir | 0o755, ModTime: f.ModTime}
				madeUp[d] = true
			}
			if madeUp[d] && f.ModTime.After(c.files[d].ModTime) {
				c.files[d].ModTime = f.ModTime
			}
		}
	}
	paths := make([]string, 0, len(c.files))
	for p := range c.files {
		paths = append(paths, p)
	}
	slices.Sort(paths)

	s := &Set{}
	folded := map[string]string{}
	for _, p := range paths {
		f := c.files[p]
		if !f.Mode.IsDir() && c.files[path.Dir(p)] != nil && !c.files[path.Dir(p)].Mode.IsDir() {
			return nil, fmt.Errorf("%s: %s is a file but holds %s: the boot tree is corrupt; rebuild the boot tarball", c.src, path.Dir(p), p)
		}
		key := strings.ToUpper(p)
		if other, ok := folded[key]; ok {
			return nil, fmt.Errorf("%s: %s and %s differ only in case, which pcfs folds together; rebuild the boot tarball", c.src, other, p)
		}
		folded[key] = p
		s.Files = append(s.Files, *f)
	}

	for _, p := range required {
		f, ok := c.files[p]
		if !ok {
			return nil, fmt.Errorf("%s: %s is missing: not a platform boot tree; use the boot-<stamp>.tgz from the platform build", c.src, p)
		}
		if f.Mode.IsDir() {
			return nil, fmt.Errorf("%s: %s is a directory, want a file: not a platform boot tree; use the boot-<stamp>.tgz from the platform build", c.src, p)
		}
	}
	s.PMBR = c.files[PathPMBR].Data
	s.GPTZFSBoot = c.files[PathGPTZFSBoot].Data
	s.Loader64EFI = c.files[PathLoader64EFI].Data
	if f, ok := c.files[PathVersion]; ok && !f.Mode.IsDir() {
		s.Version = strings.TrimSpace(string(f.Data))
	}

	if err := parttable.CheckPMBR(s.PMBR); err != nil {
		return nil, fmt.Errorf("%s: %w", c.src, err)
	}
	if len(s.GPTZFSBoot) > BootPartitionSize {
		return nil, fmt.Errorf("%s: boot/gptzfsboot: %d bytes, more than the %d-byte boot partition: not a gptzfsboot stage2; use the one from the platform boot tarball", c.src, len(s.GPTZFSBoot), BootPartitionSize)
	}
	if _, err := PatchGPTZFSBoot(s.GPTZFSBoot, 0); err != nil {
		return nil, fmt.Errorf("%s: %w", c.src, err)
	}
	return s, nil
}
