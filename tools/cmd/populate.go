package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"cntools/internal/sshconn"
	"cntools/internal/tool"
	"cntools/usbkey/config"
	"cntools/usbkey/device"
	"cntools/usbkey/key"
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
usbkey-base tarball (.tgz), or ssh://[user@]host[:port]/path, a standby copy
on a core CN read over SFTP (host keys checked against ~/.ssh/known_hosts;
ssh-agent or ~/.ssh/id_* keys).

--node-config writes this node's own hostname, admin NIC and IP, and
external NIC and IP (from sysinfo) into the key's config in place of the
old headnode's, keeping every other line byte for byte. It shows the
change, secrets masked, and asks unless -y.

The .joyliveusb marker is removed first and written last, so a key whose
copy was interrupted is never taken for a good one; run again to finish.
FAT32's limits are checked before anything is written. The run leaves a
manifest of the key's content in .cntools-manifest.json on it.

EXIT STATUS
   0  the key holds the content (or, with --dry-run, the plan was printed)
   1  a written file read back differently
   2  usage or runtime error, including content the key cannot hold`,
		Flags: append(append(tool.CommonFlags(), tool.DestructiveFlags()...),
			&cli.StringFlag{Name: "from", Usage: "copy from `SOURCE`: a directory or a .tgz (default /usbkey)"},
			&cli.StringFlag{Name: "platforms", Usage: "copy only these `STAMP,...` under os/ (default: all)"},
			&cli.StringSliceFlag{Name: "include", Usage: "also copy `PATH` from the source (repeatable)"},
			&cli.BoolFlag{Name: "no-verify", Usage: "do not read written files back"},
			&cli.BoolFlag{Name: "node-config", Usage: "write this node's own values into the key's config"},
			&cli.BoolFlag{Name: "force", Usage: "write a device that is mounted, in a zpool or the boot disk"},
		),
		Action: populateAction,
	}
}

func populateAction(c *cli.Context) error {
	env := tool.FromContext(c)
	target, err := tool.OneArg(c, "TARGET")
	if err != nil {
		return err
	}
	src, err := openSource(c, env)
	if err != nil {
		return err
	}
	defer src.Close()
	var changes []config.Change
	if c.Bool("node-config") {
		if src, changes, err = withNodeConfig(env, src); err != nil {
			return err
		}
	}
	dst, closeDst, err := openPopulateTarget(env, target, !c.Bool("no-verify"), c.Bool("force"))
	if err != nil {
		return err
	}
	defer closeDst()

	opts := populate.Options{
		Include:   c.StringSlice("include"),
		NoVerify:  c.Bool("no-verify"),
		CachePath: env.Node.Path("/var/cache/cn-tools/" + cacheName(target) + ".json"),
		Log:       env.Log,
	}
	if p := c.String("platforms"); p != "" {
		opts.Platforms = strings.Split(p, ",")
	}
	plan, err := populate.MakePlan(env.Ctx, src, dst, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", target, err)
	}
	for _, s := range plan.Skipped {
		env.Log.Warn("not copied: FAT cannot hold a symlink", "path", s)
	}
	for _, m := range plan.Missing {
		env.Log.Warn("the source has no "+m, "source", src.Describe())
	}
	if env.DryRun {
		for _, ch := range changes {
			fmt.Fprintf(env.Stdout, "[dry-run] config %s\n", ch)
		}
		for _, a := range plan.Copy {
			fmt.Fprintf(env.Stdout, "[dry-run] copy %s (%d bytes, %s)\n", a.Path, a.Size, a.Reason)
		}
		fmt.Fprintf(env.Stdout, "[dry-run] %d files, %d bytes to copy; %d unchanged\n", len(plan.Copy), plan.Bytes, plan.Same)
		return nil
	}
	if len(plan.Copy) > 0 || len(plan.Mkdirs) > 0 {
		summary := []string{fmt.Sprintf("copy %d files (%s) from %s", len(plan.Copy), humanBytes(plan.Bytes), src.Describe()),
			fmt.Sprintf("platforms: %s", strings.Join(plan.Platforms, " "))}
		for _, ch := range changes {
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
	opts.Progress = progress(env, time.Now())
	env.Log.Info("populating", "target", target, "source", src.Describe(), "files", len(plan.Copy), "bytes", plan.Bytes)
	res, err := populate.Run(env.Ctx, src, dst, plan, opts)
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

// withNodeConfig puts this node's values into the source's config.
func withNodeConfig(env *tool.Env, src populate.Source) (populate.Source, []config.Change, error) {
	hn, err := readSourceFile(src, "config")
	if err != nil {
		return nil, nil, fmt.Errorf("--node-config: %w", err)
	}
	si, err := env.Node.Facts.Sysinfo(env.Ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("--node-config: %w", err)
	}
	f, changes, err := populate.ForNode(hn, si)
	if err != nil {
		return nil, nil, fmt.Errorf("--node-config: %w", err)
	}
	return populate.Overlay{Source: src, Path: "config", Data: f.Bytes()}, changes, nil
}

func readSourceFile(src populate.Source, p string) ([]byte, error) {
	r, err := src.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", p, src.Describe(), err)
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 16<<20))
}

// openSource opens --from: a directory, a usbkey-base tarball, or a
// standby copy on another node.
func openSource(c *cli.Context, env *tool.Env) (populate.Source, error) {
	from := c.String("from")
	if from == "" {
		from = "/usbkey"
	}
	return populate.OpenSource(env.Ctx, from, env.Node.Path(from), env.Node.Path("/var/tmp"), sshconn.Options{Getenv: env.Getenv})
}

// openPopulateTarget opens a key device or image through its root
// filesystem, or a directory as it is.
func openPopulateTarget(env *tool.Env, target string, verify, force bool) (populate.Target, func(), error) {
	p := env.Node.Path(target)
	fi, err := os.Stat(p)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", target, err)
	}
	if fi.IsDir() {
		return populate.DirTarget{Root: p}, func() {}, nil
	}
	// Writing the FAT under a mounted pcfs (a headnode's key at
	// /mnt/usbkey) would corrupt it: such a key is populated through its
	// mount point.
	refusals, err := device.Check(env.Ctx, env.Node.Facts, target, 0, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", target, err)
	}
	for _, r := range refusals {
		switch r.Code {
		case device.CodeMounted, device.CodeZpool, device.CodeBootDisk, device.CodeUnknownDisk:
			if !force {
				return nil, nil, tool.Problem(fmt.Errorf("%s: refusing to write: %s; populate a mounted key through its mount point (TARGET /mnt/usbkey), or pass --force", target, r.Reason))
			}
			env.Log.Warn("writing despite", "target", target, "reason", r.Reason)
		}
	}
	t, err := device.Open(p, false)
	if err != nil {
		return nil, nil, err
	}
	fs, err := key.OpenRootForWrite(t, t.Size)
	if err != nil {
		t.Close()
		return nil, nil, fmt.Errorf("%s: %w", target, err)
	}
	fs.VerifyWrites = verify
	return &populate.FATTarget{FS: fs, Dev: t, Name: target}, func() { t.Close() }, nil
}

func cacheName(target string) string {
	abs, err := filepath.Abs(target)
	if err != nil {
		abs = target
	}
	return "populate" + strings.NewReplacer("/", "_", ":", "_").Replace(abs)
}

// progress reports copying on stderr: a line rewritten in place on a
// terminal, a log line every few seconds otherwise, nothing under --json.
func progress(env *tool.Env, start time.Time) func(string, int64, int64) {
	last := start
	tty := tool.IsTerminal(env.Stderr)
	return func(p string, done, total int64) {
		if env.JSON || time.Since(last) < time.Second && done < total {
			return
		}
		last = time.Now()
		pct := 100 * float64(done) / float64(max(total, 1))
		if tty {
			fmt.Fprintf(env.Stderr, "\r%5.1f%% %s of %s  %-50.50s", pct, humanBytes(done), humanBytes(total), p)
			if done >= total {
				fmt.Fprintln(env.Stderr)
			}
			return
		}
		env.Log.Info("copying", "percent", fmt.Sprintf("%.0f", pct), "bytes", done, "of", total)
	}
}
