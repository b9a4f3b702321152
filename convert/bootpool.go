package convert

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"cntools/internal/node"
	"cntools/usbkey/populate"
)

// bootPoolSteps follow joysetup.sh's recipe for a headnode that boots
// from a pool (sdc-headnode scripts/joysetup.sh 468-611, as piadm's
// enablepool does: smartos-live src/piadm.sh 1440-1533): the POOL/boot
// dataset, the key content in it (marker last), the boot blocks, and
// bootfs last: the pool is told to boot from POOL/boot only once the
// content and the blocks are whole, so an interrupted run leaves a pool
// that boots as before.
// Each command runs through the node's command seam: on a simulated root
// it is recorded, not run.
func bootPoolSteps(o *Options, pf *Preflight, kr populate.Request) []Step {
	pool := o.BootPool
	dataset := pool + "/boot"
	dir := "/" + dataset
	steps := []Step{commandStep(o, "boot-dataset", "create the dataset "+dataset+" for the key content",
		func(ctx context.Context) bool { return exists(o.Node.Path(dir)) },
		"zfs", "create", "-o", "encryption=off", dataset)}
	steps = append(steps, populateStep(o, "populate-key", "copy "+node.CopyDir+" onto "+dir+", marker last", kr))
	steps = append(steps, installBootStep(o, dir, pf.BootSlices))
	steps = append(steps, commandStep(o, "bootfs", "make "+pool+" boot from "+dataset, nil,
		"zpool", "set", "bootfs="+dataset, pool))
	return steps
}

// installBootStep writes the boot blocks to each of the pool's data
// disks. One disk that takes them boots the node, so a disk that fails is
// logged and the step fails only when none takes them, as joysetup.sh and
// piadm carry on past a failed disk.
func installBootStep(o *Options, dir string, slices []string) Step {
	argv := func(slice string) []string {
		return []string{"installboot", "-m", "-b", dir + "/boot/", dir + "/boot/pmbr", dir + "/boot/gptzfsboot", slice}
	}
	var lines []string
	for _, s := range slices {
		a := argv(s)
		lines = append(lines, node.CommandLine(a[0], a[1:]...))
	}
	return Step{
		Name: "installboot", What: "write the boot blocks from " + dir + "/boot to " + strings.Join(slices, " "),
		Command: strings.Join(lines, "; "),
		run: func(ctx context.Context) error {
			var failed []string
			for _, s := range slices {
				a := argv(s)
				if _, err := o.Node.Cmd.Run(ctx, a[0], a[1:]...); err != nil {
					o.log().Warn("installboot failed", "slice", s, "err", err)
					failed = append(failed, err.Error())
				}
			}
			if len(failed) == len(slices) {
				return fmt.Errorf("no disk of the pool took the boot blocks: %s", strings.Join(failed, "; "))
			}
			return nil
		},
		done: func(context.Context) bool { return false }, // installboot again is harmless
	}
}

// commandStep runs one illumos command. done, when nil, is never: the
// command is run again on a resumed conversion, which is safe for zpool
// set and installboot.
func commandStep(o *Options, name, what string, done func(context.Context) bool, argv ...string) Step {
	if done == nil {
		done = func(context.Context) bool { return false }
	}
	return Step{
		Name: name, What: what, Command: node.CommandLine(argv[0], argv[1:]...),
		run: func(ctx context.Context) error {
			_, err := o.Node.Cmd.Run(ctx, argv[0], argv[1:]...)
			return err
		},
		done: done,
	}
}

var sliceSuffix = regexp.MustCompile(`(s\d+|p\d+)$`)

// bootSlices are the raw slices installboot writes: slice 1 of each of
// the pool's disks, the one a pool made with zpool create -B keeps its
// data on (piadm update_boot_sectors 756-847).
func bootSlices(ctx context.Context, o *Options) ([]string, error) {
	pools, err := o.Node.Facts.Pools(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range pools {
		if p.Name != o.BootPool {
			continue
		}
		for _, d := range p.Data {
			disk := sliceSuffix.ReplaceAllString(strings.TrimPrefix(d, "/dev/dsk/"), "")
			out = append(out, "/dev/rdsk/"+disk+"s1")
		}
	}
	return out, nil
}
