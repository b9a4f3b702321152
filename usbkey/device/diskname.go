package device

import (
	"path"
	"regexp"
)

// diskNameRE matches an illumos disk node name: controller, optional target
// (a number or a WWN in hex), disk, and an optional slice (sN) or fdisk
// partition (pN).
var diskNameRE = regexp.MustCompile(`^(c[0-9]+(?:t[0-9A-Fa-f]+)?d[0-9]+)(?:[sp][0-9]+)?$`)

// DiskName returns the disk a /dev/dsk or /dev/rdsk path refers to, the illumos
// way: /dev/rdsk/c1t0d0p0, /dev/dsk/c1t0d0s2 and /dev/dsk/c1t0d0 are all disk
// c1t0d0. Any other path reports false.
func DiskName(p string) (string, bool) {
	dir, base := path.Split(path.Clean(p))
	if dir != "/dev/dsk/" && dir != "/dev/rdsk/" {
		return "", false
	}
	m := diskNameRE.FindStringSubmatch(base)
	if m == nil {
		return "", false
	}
	return m[1], true
}
