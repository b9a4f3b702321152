package device

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"cntools/internal/node"
)

// Refusal codes: one reason not to overwrite a target.
const (
	CodeMounted      = "mounted"       // a slice or partition of the disk is mounted
	CodeZpool        = "zpool"         // the disk holds a vdev of an imported pool
	CodeBootDisk     = "boot-disk"     // the node boots from the disk
	CodeNotRemovable = "not-removable" // diskinfo says the disk is fixed
	CodeTooSmall     = "too-small"     // smaller than the key needs
	CodeUnknownDisk  = "unknown-disk"  // the facts do not describe the device
	CodeHasKey       = "has-key"       // already a key; detected by package key (key.ExistingKey)
)

// Refusal is one reason not to overwrite a target.
type Refusal struct {
	Code   string `json:"code"`   // one of the Code constants
	Reason string `json:"reason"` // a lower-case sentence naming the disk and the fact
}

func (r Refusal) String() string { return r.Code + ": " + r.Reason }

// keyMountPoints are where a key is mounted on a node: the first two by
// sdc-usbkey and fs-joyent, /usbkey on standalone setups.
var keyMountPoints = []string{"/mnt/usbkey", "/mnt/usbkey-altmountopts", "/usbkey"}

// Check returns every reason not to overwrite path; none means safe. size is
// the size of an image (existing, or to be created) and minSize the smallest
// target the caller accepts.
//
// A path under /dev is a device of the node the facts describe, and Check
// decides from the facts alone, without stat or open: under --root the path
// names the node's device, not one of the machine running the tests. Any
// other path is looked at: a regular file or a missing path is an image,
// checked only for size; a device file is resolved through symlinks to its
// /dev name and checked as a device.
//
// For a device Check reads diskinfo, mnttab, the zpools and the boot
// parameters, and returns an error when any of them cannot be read. The
// device's size is diskinfo's; size is ignored.
func Check(ctx context.Context, facts node.Facts, p string, size, minSize int64) ([]Refusal, error) {
	dev, err := devicePath(p)
	if err != nil {
		return nil, err
	}
	if dev == "" {
		if size < minSize {
			return []Refusal{{CodeTooSmall, fmt.Sprintf("image %s has %d bytes, a key needs at least %d", p, size, minSize)}}, nil
		}
		return nil, nil
	}
	name, ok := DiskName(dev)
	if !ok {
		return []Refusal{{CodeUnknownDisk, fmt.Sprintf("%s does not name a disk the illumos way (/dev/rdsk/cXtYdZp0)", p)}}, nil
	}
	n, err := readFacts(ctx, facts)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", p, err)
	}
	r, err := n.refusals(name, minSize)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", p, err)
	}
	return r, nil
}

// devicePath returns the /dev path of p when p is a device, or "" when p is
// an image.
func devicePath(p string) (string, error) {
	if c := path.Clean(p); strings.HasPrefix(c, "/dev/") {
		return c, nil
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("check %s: %w", p, err)
	}
	if err := CheckKind(p, fi.Mode()); err != nil {
		return "", fmt.Errorf("check %w", err)
	}
	if fi.Mode().IsRegular() {
		return "", nil
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("check %s: %w", p, err)
	}
	return real, nil
}

// nodeFacts are the facts Check needs about a device.
type nodeFacts struct {
	disks  []node.Disk
	mounts []node.Mount
	pools  []node.Pool
	boot   map[string]string
}

func readFacts(ctx context.Context, facts node.Facts) (nodeFacts, error) {
	var n nodeFacts
	var err error
	if n.disks, err = facts.Disks(ctx); err != nil {
		return n, err
	}
	if n.mounts, err = facts.Mounts(ctx); err != nil {
		return n, err
	}
	if n.pools, err = facts.Pools(ctx); err != nil {
		return n, err
	}
	n.boot, err = facts.BootParams(ctx)
	return n, err
}

func (n nodeFacts) refusals(name string, minSize int64) ([]Refusal, error) {
	var out []Refusal
	add := func(code, format string, args ...any) {
		out = append(out, Refusal{code, fmt.Sprintf(format, args...)})
	}
	var disk *node.Disk
	for i := range n.disks {
		if n.disks[i].Name == name {
			disk = &n.disks[i]
		}
	}
	if disk == nil {
		add(CodeUnknownDisk, "disk %s is not listed by diskinfo", name)
	} else {
		if !disk.Removable {
			add(CodeNotRemovable, "disk %s (%s %s) is not removable", name, disk.Vendor, disk.Product)
		}
		if disk.Size < minSize {
			add(CodeTooSmall, "disk %s has %d bytes, a key needs at least %d", name, disk.Size, minSize)
		}
	}
	for _, m := range n.mounts {
		if d, ok := DiskName(m.Special); ok && d == name {
			add(CodeMounted, "disk %s is mounted: %s on %s (%s)", name, m.Special, m.MountPoint, m.FSType)
		}
	}
	for _, p := range n.pools {
		for _, dev := range p.Devices {
			if d, ok := DiskName(dev); ok && d == name {
				add(CodeZpool, "disk %s is in imported zpool %s (%s)", name, p.Name, dev)
			}
		}
	}
	why, err := n.bootReason(name)
	if err != nil {
		return nil, err
	}
	if why != "" {
		add(CodeBootDisk, "disk %s is the boot disk: %s", name, why)
	}
	return out, nil
}

// bootReason says why the node boots from disk name, or "" when it does not.
func (n nodeFacts) bootReason(name string) (string, error) {
	if pool, ok := n.boot["triton_bootpool"]; ok && pool != "" {
		var found *node.Pool
		for i := range n.pools {
			if n.pools[i].Name == pool {
				found = &n.pools[i]
			}
		}
		if found == nil {
			// Booted from a pool that is not imported: the disk it lives on
			// cannot be told, so no disk can be called safe.
			return "", fmt.Errorf("boot pool %s (bootparam triton_bootpool) is not an imported zpool: cannot tell which disk the node boots from", pool)
		}
		for _, dev := range found.Devices {
			if d, ok := DiskName(dev); ok && d == name {
				return fmt.Sprintf("it holds boot pool %s (bootparam triton_bootpool)", pool), nil
			}
		}
	}
	for _, m := range n.mounts {
		for _, mp := range keyMountPoints {
			if d, ok := DiskName(m.Special); ok && d == name && m.MountPoint == mp {
				return "it holds the key mounted at " + mp, nil
			}
		}
	}
	return "", nil
}

// JoinReasons joins the refusals' sentences with "; ", for one error line.
func JoinReasons(rs []Refusal) string {
	s := make([]string, 0, len(rs))
	for _, r := range rs {
		s = append(s, r.Reason)
	}
	return strings.Join(s, "; ")
}
