package device

import (
	"fmt"
	"runtime"
)

// CodeUnchecked is the refusal of a device whose safety checks cannot run
// on this host: Check's facts (diskinfo, mnttab, zpool list, bootparams)
// come from illumos commands.
const CodeUnchecked = "unchecked"

// Unchecked returns the refusal that says which safety checks cannot run
// for device path p on this host, or nil when they all can: on a simulated
// node (live false) the facts are files, and on illumos they are the
// commands'. An image file needs no node facts, so it is never unchecked.
//
// On a live host other than illumos a device would otherwise be judged by
// its name alone, and --force would override that without a word about
// mounts or pools; this says so plainly, and --force overrides it in the
// open.
func Unchecked(live bool, p string) (*Refusal, error) {
	return unchecked(runtime.GOOS, live, p)
}

func unchecked(goos string, live bool, p string) (*Refusal, error) {
	if !live || goos == "illumos" {
		return nil, nil
	}
	dev, err := devicePath(p)
	if err != nil || dev == "" {
		return nil, err
	}
	return &Refusal{CodeUnchecked, fmt.Sprintf("this host runs %s, not illumos: whether %s is mounted, in an imported zpool, the boot disk, or removable cannot be checked here", goos, p)}, nil
}
