package cmd

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"cntools/internal/tool"
	"cntools/usbkey/bootfiles"
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
Without -y it shows what it is about to destroy and asks.

EXIT STATUS
   0  the key was written (or, with --dry-run, would be)
   1  the target was refused as unsafe
   2  usage or runtime error`,
		Flags: append(append(tool.CommonFlags(), tool.DestructiveFlags()...),
			&cli.StringFlag{Name: "boot-tarball", Usage: "read the boot files from `TGZ` (boot-<stamp>.tgz)"},
			&cli.StringFlag{Name: "boot-dir", Usage: "read the boot files from `DIR` (holding boot/ and etc/); default the usbkey copy"},
			&cli.StringFlag{Name: "esp-image", Usage: "write `FILE` raw as the loader partition instead of building one"},
			&cli.StringFlag{Name: "size", Usage: "create IMAGE with `SIZE` bytes when it does not exist"},
			&cli.BoolFlag{Name: "force", Usage: "write a target that the safety checks refuse"},
		),
		Action: formatAction,
	}
}

func formatAction(c *cli.Context) error {
	env := tool.FromContext(c)
	target, err := tool.OneArg(c, "DEVICE or IMAGE")
	if err != nil {
		return err
	}
	boot, err := loadBootFiles(c, env)
	if err != nil {
		return err
	}
	opts := key.FormatOptions{Boot: boot, Now: env.Now()}
	if p := c.String("esp-image"); p != "" {
		f, err := os.Open(env.Node.Path(p))
		if err != nil {
			return fmt.Errorf("esp image: %w", err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return fmt.Errorf("esp image: %w", err)
		}
		opts.ESPImage, opts.ESPImageSize = f, fi.Size()
	}

	t, created, err := openTarget(c, env, target)
	if err != nil {
		return err
	}
	defer t.Close()
	plan, err := key.Plan(t.Size, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", target, err)
	}

	// What is on the target now decides both the refusals and the prompt.
	var destroy []string
	if !created {
		refusals, err := device.Check(env.Ctx, env.Node.Facts, target, t.Size, key.MinSize)
		if err != nil {
			return fmt.Errorf("%s: %w", target, err)
		}
		old, err := key.Inspect(t, target, t.Size)
		if err != nil {
			return err
		}
		if old.Kind != key.KindNotAKey {
			what := describeKey(old)
			refusals = append(refusals, device.Refusal{Code: device.CodeHasKey, Reason: "it holds a Triton key already: " + what})
			destroy = append(destroy, "the Triton key on it: "+what)
		}
		if len(refusals) > 0 && !c.Bool("force") {
			return tool.Problem(fmt.Errorf("%s: refusing to format: %s; pass --force to format it anyway", target, joinReasons(refusals)))
		}
		// --force overrides every refusal; the operator sees each one in
		// the confirmation and the log, not only the one they meant.
		for _, r := range refusals {
			env.Log.Warn("formatting despite", "target", target, "reason", r.Reason)
			if r.Code != device.CodeHasKey {
				destroy = append(destroy, "despite: "+r.Reason)
			}
		}
	}
	summary := append([]string{fmt.Sprintf("%s (%s) gets a new v2 key layout; everything on it is lost", target, humanBytes(t.Size))}, destroy...)
	summary = append(summary, strings.Split(strings.TrimSpace(plan.PartitionMap), "\n")...)
	if env.DryRun {
		for _, l := range summary {
			fmt.Fprintf(env.Stdout, "[dry-run] %s\n", l)
		}
		if created {
			os.Remove(env.Node.Path(target)) // the dry run made it only to size it
		}
		return nil
	}
	if ok, err := env.Confirm("format "+target, summary); !ok || err != nil {
		return err
	}
	closeLog, err := env.LogToFile()
	if err != nil {
		return err
	}
	defer closeLog()
	env.Log.Info("formatting", "target", target, "bytes", t.Size, "boot_version", boot.Version)
	res, err := key.Format(t, t.Size, opts)
	if err != nil {
		return fmt.Errorf("%s: %w; the target is not a usable key now: run usbkey-format again", target, err)
	}
	if err := t.Sync(); err != nil {
		return fmt.Errorf("%s: sync: %w", target, err)
	}
	env.Log.Info("formatted", "target", target)
	return env.Emit(struct {
		Type string `json:"type"`
		Path string `json:"path"`
		Size int64  `json:"size_bytes"`
		Map  string `json:"partition_map"`
		Boot string `json:"boot_version"`
	}{"usbkey-format", target, t.Size, res.PartitionMap, res.BootVersion}, func(w io.Writer) {
		fmt.Fprint(w, res.PartitionMap)
	})
}

// loadBootFiles reads the boot files from the flag that names them, or from
// the usbkey copy.
func loadBootFiles(c *cli.Context, env *tool.Env) (*bootfiles.Set, error) {
	tgz, dir := c.String("boot-tarball"), c.String("boot-dir")
	switch {
	case tgz != "" && dir != "":
		return nil, tool.Usage("--boot-tarball and --boot-dir both given; pass one")
	case tgz != "":
		return bootfiles.FromTarball(env.Node.Path(tgz))
	case dir != "":
		return bootfiles.FromDir(env.Node.Path(dir))
	}
	s, err := bootfiles.FromDir(env.Node.Path("/usbkey"))
	if err != nil {
		return nil, fmt.Errorf("%w; pass --boot-tarball or --boot-dir", err)
	}
	return s, nil
}

// openTarget opens the device or image, creating an image when --size
// asks for one. created says the image is new, so there is nothing on it
// to protect.
func openTarget(c *cli.Context, env *tool.Env, target string) (*device.Target, bool, error) {
	path := env.Node.Path(target)
	sizeArg := c.String("size")
	if _, err := os.Stat(path); os.IsNotExist(err) {
		if _, isDisk := device.DiskName(target); isDisk || strings.HasPrefix(target, "/dev/") {
			return nil, false, fmt.Errorf("%s: no such device; check the name with diskinfo", target)
		}
		if sizeArg == "" {
			return nil, false, tool.Usage("%s does not exist; pass --size to create an image file of that size", target)
		}
		size, err := device.ParseSize(sizeArg)
		if err != nil {
			return nil, false, tool.Usage("--size: %v", err)
		}
		t, err := device.OpenImage(path, size)
		return t, true, err
	}
	t, err := device.Open(path, false)
	if err != nil {
		return nil, false, err
	}
	if sizeArg != "" {
		size, err := device.ParseSize(sizeArg)
		if err != nil {
			t.Close()
			return nil, false, tool.Usage("--size: %v", err)
		}
		if size != t.Size {
			t.Close()
			return nil, false, tool.Usage("%s exists with %d bytes, not the %d --size asks for; drop --size or remove it", target, t.Size, size)
		}
	}
	return t, false, nil
}

func joinReasons(rs []device.Refusal) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Reason)
	}
	return strings.Join(s, "; ")
}

func describeKey(st *key.Status) string {
	s := fmt.Sprintf("%s, marker %v", st.Kind, st.Marker)
	if len(st.Platforms) > 0 {
		s += ", platforms " + strings.Join(st.Platforms, " ")
	}
	return s
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
