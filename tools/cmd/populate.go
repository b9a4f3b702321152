package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"cntools/internal/sshconn"
	"cntools/internal/tool"
	"cntools/usbkey/device"
	"cntools/usbkey/populate"
)

func populateApp() *cli.App {
	return &cli.App{
		Usage:     "fill a USB key, key image or directory with a headnode's key content",
		UsageText: "usbkey-populate [options] [--from SOURCE] TARGET",
		Description: `Copies what a headnode boots and sets itself up from (.joyliveusb, boot/,
config, config.inc/, license, os/<platform>/, scripts/, sdcadm-install.sh,
tools.tar.gz, cn_tools.tar.gz, and whatever --include adds) from SOURCE to
TARGET, copying only what differs and reading every written file back.

TARGET is a key device or image formatted by usbkey-format (written
directly, nothing is mounted), or a directory (a mounted key, /usbkey).
SOURCE is a directory (a usbkey copy or standby copy; default /usbkey), a
usbkey-base tarball (.tgz), or [user@]host[:port]:/path or
ssh://[user@]host[:port]/path, a standby copy on a core CN read over SFTP
(host keys checked against ~/.ssh/known_hosts; ssh-agent or ~/.ssh/id_*
keys). --mkdir creates a directory TARGET that does not exist.

--node-config writes this node's own hostname, admin NIC and IP, and
external NIC and IP (from sysinfo) into the key's config in place of the
old headnode's, keeping every other line byte for byte. It shows the
change, secrets masked, and asks unless -y. --headnode makes the content
boot this node as headnode: boot/loader.conf gets headnode="true",
ipxe="false", this node's console and the platform it boots (the one the
source's loader.conf names, else the newest kept); --bootpool POOL adds
what booting from POOL's /POOL/boot needs.

The .joyliveusb marker is removed first and written last, so a key whose
copy was interrupted is never taken for a good one; run again to finish.
FAT32's limits are checked before anything is written. The run leaves a
manifest of the key's content in .cntools-manifest.json on it.

EXIT STATUS
   0  the key holds the content (or, with --dry-run, the plan was printed)
   1  a written file read back differently, or the target is unsafe to write
   2  usage or runtime error, including content the key cannot hold`,
		Flags: append(append(tool.CommonFlags(), tool.DestructiveFlags()...),
			&cli.StringFlag{Name: "from", Usage: "copy from `SOURCE`: a directory or a .tgz (default /usbkey)"},
			&cli.StringFlag{Name: "platforms", Usage: "copy only these `STAMP,...` under os/ (default: all)"},
			&cli.StringSliceFlag{Name: "include", Usage: "also copy `PATH` from the source (repeatable)"},
			&cli.BoolFlag{Name: "no-verify", Usage: "do not read written files back"},
			&cli.BoolFlag{Name: "node-config", Usage: "write this node's own values into the key's config"},
			&cli.BoolFlag{Name: "headnode", Usage: "boot this node as headnode: loader.conf headnode, ipxe, os_console and the platform"},
			&cli.StringFlag{Name: "boot-platform", Usage: "with --headnode: boot platform `STAMP` (default: loader.conf's, else the newest)"},
			&cli.StringFlag{Name: "bootpool", Usage: "with --headnode: the content boots from `POOL`'s /POOL/boot"},
			&cli.BoolFlag{Name: "mkdir", Usage: "create a directory TARGET that does not exist"},
			&cli.BoolFlag{Name: "force", Usage: "write a device that is mounted, in a zpool or the boot disk"},
		),
		Action: populateAction,
	}
}

// populateRequest is the request the flags make.
func populateRequest(c *cli.Context, target string) populate.Request {
	r := populate.Request{
		From: c.String("from"), Target: target, Include: c.StringSlice("include"),
		NoVerify: c.Bool("no-verify"), NodeConfig: c.Bool("node-config"), Headnode: c.Bool("headnode"),
		BootPlatform: c.String("boot-platform"), BootPool: c.String("bootpool"), Mkdir: c.Bool("mkdir"), Force: c.Bool("force"), Yes: c.Bool("yes"),
	}
	if p := c.String("platforms"); p != "" {
		r.Platforms = strings.Split(p, ",")
	}
	return r
}

func populateAction(c *cli.Context) error {
	env := tool.FromContext(c)
	target, err := tool.OneArg(c, "TARGET")
	if err != nil {
		return err
	}
	req := populateRequest(c, target)
	opts := populate.Options{SSH: sshconn.Options{Getenv: env.Getenv, NodePath: env.Node.Path, Log: env.Log}, Log: env.Log}
	plan, err := populate.NewPlan(env.Ctx, env.Node, req, opts)
	if errors.Is(err, populate.ErrUnsafeTarget) {
		return tool.Problem(err)
	}
	if err != nil {
		return err
	}
	defer plan.Close()
	// What the key does not get is part of the result: an operator sees
	// it before anything is written.
	for _, sk := range plan.Skipped {
		prefix := ""
		if env.DryRun {
			prefix = "[dry-run] "
		}
		env.Emit(struct {
			Type string `json:"type"`
			populate.Skip
		}{"skip", sk}, func(w io.Writer) { fmt.Fprintf(w, "%sskip %s: %s\n", prefix, sk.Path, sk.Reason) })
	}
	for _, m := range plan.Missing {
		env.Log.Warn("the source has no "+m, "source", plan.Source())
	}
	if env.DryRun {
		// Under -j the plan is JSON lines too, each with its "type".
		for _, ch := range plan.Changes {
			env.Emit(ch, func(w io.Writer) { fmt.Fprintf(w, "[dry-run] config %s\n", ch) })
		}
		for _, a := range plan.Copy {
			env.Emit(struct {
				Type   string `json:"type"`
				Path   string `json:"path"`
				Bytes  int64  `json:"bytes"`
				Reason string `json:"reason"`
			}{"copy", a.Path, a.Size, a.Reason}, func(w io.Writer) { fmt.Fprintf(w, "[dry-run] copy %s (%d bytes, %s)\n", a.Path, a.Size, a.Reason) })
		}
		return env.Emit(struct {
			Type      string `json:"type"`
			DryRun    bool   `json:"dry_run"`
			Files     int    `json:"files"`
			Bytes     int64  `json:"bytes"`
			Unchanged int    `json:"unchanged"`
		}{"plan", true, len(plan.Copy), plan.Bytes, plan.Same}, func(w io.Writer) {
			fmt.Fprintf(w, "[dry-run] %d files, %d bytes to copy; %d unchanged\n", len(plan.Copy), plan.Bytes, plan.Same)
		})
	}
	if len(plan.Copy) > 0 || len(plan.Mkdirs) > 0 {
		summary := []string{fmt.Sprintf("copy %d files (%s) from %s", len(plan.Copy), device.HumanSize(plan.Bytes), plan.Source()),
			fmt.Sprintf("platforms: %s", strings.Join(plan.Platforms, " "))}
		for _, ch := range plan.Changes {
			summary = append(summary, "config "+ch.String())
		}
		if ok, err := env.Confirm("write headnode key content to "+target, summary); !ok || err != nil {
			return err
		}
	}
	closeLog, err := env.LogToFile()
	if err != nil {
		return err
	}
	defer closeLog()
	meter := env.Meter("populating "+target, plan.Bytes)
	plan.SetProgress(meter)
	env.Log.Info("populating", "target", target, "source", plan.Source(), "files", len(plan.Copy), "bytes", plan.Bytes)
	res, err := plan.Apply(env.Ctx)
	meter.Done()
	if err != nil {
		if errors.Is(err, populate.ErrVerify) {
			return tool.Problem(fmt.Errorf("%s: %w; the key may be failing: run usbkey-populate again, or use another key", target, err))
		}
		return fmt.Errorf("%s: %w; the key has no marker now: run usbkey-populate again to finish", target, err)
	}
	env.Log.Info("populated", "target", target, "copied", res.Copied, "unchanged", res.Same, "verified", res.Verified)
	return env.Emit(res, func(w io.Writer) {
		fmt.Fprintf(w, "%s: %d files copied (%d bytes), %d unchanged, %d verified\n", target, res.Copied, res.Bytes, res.Same, res.Verified)
	})
}
