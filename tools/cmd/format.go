package cmd

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"cntools/internal/tool"
	"cntools/usbkey/device"
	"cntools/usbkey/key"
)

func formatApp() *cli.App {
	return &cli.App{
		Usage:     "partition and format a device or image file as a Triton v2 (loader) USB key",
		UsageText: "usbkey-format [options] DEVICE|IMAGE",
		Description: `Writes the layout SmartOS's format_image writes: the platform's pmbr patched
as a v2 key, a 9-entry GPT with partitions loader (ESP, FAT32 "SYSTEM" holding
efi/boot/bootx64.efi), boot (gptzfsboot, patched to find root), root (FAT32
"SMARTOSBOOT" with the loader files under boot/) and reserved. Nothing is
mounted; devices and image files are written the same way.

The boot files come from --boot-tarball (boot-<stamp>.tgz), --boot-dir, or by
default from the usbkey copy (/usbkey). An IMAGE that does not exist is
created with --size (4G, 8gb, 8000000000: G is GiB, gb is 10^9 bytes).

It refuses a device that is mounted, in an imported zpool, the boot disk, not
removable, smaller than 4 GB, or already holding a Triton key, unless --force.
On a host other than illumos those checks cannot run: a device is refused as
unchecked, and --force formats it with a WARN naming what went unchecked.
Without -y it shows what it is about to destroy and asks.

A target no v2 key fits is refused before anything is written, whatever
--force says: a disk with 4096-byte logical sectors (the key is laid out in
512-byte sectors), or one over 2199302193152 bytes (2.0 TiB; a FAT32 root
cannot be larger). An image it created is removed when the run fails.

A first Ctrl-C (or SIGTERM) stops the format between writes and leaves the
target unusable until formatted again; a second stops it at once.

EXIT STATUS
   0  the key was written (or, with --dry-run, would be)
   1  the target was refused as unsafe, or as unchecked on this host
   2  usage or runtime error, or a target no key fits`,
		Flags: append(append(tool.CommonFlags(), tool.DestructiveFlags()...),
			&cli.StringFlag{Name: "boot-tarball", Usage: "read the boot files from `TGZ` (boot-<stamp>.tgz)"},
			&cli.StringFlag{Name: "boot-dir", Usage: "read the boot files from `DIR` (holding boot/ and etc/); default the usbkey copy"},
			&cli.StringFlag{Name: "esp-image", Usage: "write `FILE` raw as the loader partition instead of building one"},
			&cli.StringFlag{Name: "size", Usage: "create IMAGE with `SIZE` bytes when it does not exist"},
			&cli.BoolFlag{Name: "force", Usage: "write a target that the safety checks refuse"},
			&cli.BoolFlag{Name: "overwrite-key", Usage: "format a target that holds a Triton key (no other refusal is overridden)"},
		),
		Action: formatAction,
	}
}

// formatRequest is the request the flags make.
func formatRequest(c *cli.Context, target string) key.FormatRequest {
	return key.FormatRequest{
		Target:       target,
		BootTarball:  c.String("boot-tarball"),
		BootDir:      c.String("boot-dir"),
		Size:         c.String("size"),
		ESPImage:     c.String("esp-image"),
		Force:        c.Bool("force"),
		OverwriteKey: c.Bool("overwrite-key"),
		Yes:          c.Bool("yes"),
	}
}

func formatAction(c *cli.Context) error {
	env := tool.FromContext(c)
	target, err := tool.OneArg(c, "DEVICE or IMAGE")
	if err != nil {
		return err
	}
	req := formatRequest(c, target)
	plan, err := key.PlanFormat(env.Ctx, env.Node, req)
	if refused := new(key.RefusedError); errors.As(err, &refused) {
		return tool.Problem(err)
	}
	if err != nil {
		return err
	}
	defer plan.Close()
	plan.Log, plan.Now = env.Log, env.Now
	// Said on stderr before anything else, in a dry run too: what --force
	// let through without being checked.
	for _, r := range plan.Overridden {
		if r.Code == device.CodeUnchecked {
			env.Log.Warn("safety checks cannot run here", "target", target, "reason", r.Reason)
		}
	}

	summary := plan.Summary()
	if env.DryRun {
		return env.Emit(plan, func(w io.Writer) {
			for _, l := range summary {
				fmt.Fprintf(w, "[dry-run] %s\n", l)
			}
		})
	}
	if ok, err := env.Confirm("format "+target, summary); !ok || err != nil {
		return err
	}
	closeLog, err := env.LogToFile()
	if err != nil {
		return err
	}
	defer closeLog()
	env.Doing("formatting " + target)
	env.AtHardExit(plan.AbandonCreated)
	res, err := plan.Apply(env.Ctx)
	if err != nil {
		return err
	}
	return env.Emit(struct {
		Type string `json:"type"`
		Path string `json:"path"`
		Size int64  `json:"size_bytes"`
		Map  string `json:"partition_map"`
		Boot string `json:"boot_version"`
	}{"usbkey-format", target, plan.Size, res.PartitionMap, res.BootVersion}, func(w io.Writer) {
		fmt.Fprint(w, res.PartitionMap)
	})
}
