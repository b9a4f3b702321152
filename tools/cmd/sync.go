package cmd

import (
	"cmp"
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
	keysync "cntools/usbkey/keysync"
)

// standbyTargets is the targets file read when there is no --target: one
// [user@]host[:port][:/path] a line. It is under /opt, not /etc, because a
// SmartOS global zone's /etc is rebuilt from the platform image at every
// boot, while /opt is the zones/opt dataset.
const standbyTargets = "/opt/smartdc/etc/cn-tools/standby-targets"

func syncApp() *cli.App {
	return &cli.App{
		Usage:     "push the headnode's usbkey copy to standby copies on core CNs",
		UsageText: "usbkey-sync [options] [--target [user@]host[:port][:/path]]... \n   usbkey-sync [options] hook platform-install VERSION\n   usbkey-sync [options] hook gz-tools",
		Description: `Copies the headnode's key content (--from, default /usbkey) to a standby copy on
each target over SSH/SFTP, sending only the files that differ from the
manifest the last sync left there (` + keysync.ManifestFile + `, written last).
Each file is written under a temporary name beside its real one, its mode set
while it is empty, hashed on the target (openssl, sha256sum or digest, else
read back over SFTP) and only then renamed into place. A cut connection leaves no file
half-written under its real name; run again to finish.

Targets are --target (repeatable), else --discover (SAPI and CNAPI, found
through the usbkey config, name the servers hosting binder, manatee and moray),
else the lines of ` + standbyTargets + `. The default path on a target is
` + keysync.DefaultPath + `. /usbkey and /mnt/usbkey are refused: a CN's
/lib/sdc/config.sh reads /usbkey/config before its own node.config, so the CN
would take the headnode's configuration.

A file changed on the target since the last sync is a conflict: it is not
overwritten and the run exits 1, unless --force, which keeps the target's
version as NAME.conflict-<UTC timestamp> first. --delete removes what the
last sync put on a target and the source no longer has, never config and
never what was added or changed on the target; it is refused for a target
no sync has finished on and for a --from without config. A symlink or file
on a target where the source has a directory fails that target (--force
moves it aside as a conflict copy): nothing is written through it.

hook platform-install VERSION syncs os/VERSION, boot/, tools.tar.gz and
cn_tools.tar.gz: run it after sdcadm platform install. hook gz-tools syncs
the tarballs, scripts/, default/ and extra/joysetup/: run it after a gz-tools
update. Both are safe to run any number of times. Options go before "hook".

Host keys are checked against ~/.ssh/known_hosts (and /etc/ssh/ssh_known_hosts);
an unknown or changed key is refused with its fingerprint and the line to add.

EXIT STATUS
   0  every target holds the source's content
   1  a target is not in step: unreachable, failed, or with conflicts
   2  usage or runtime error (the source cannot be read)`,
		Flags: append(append(tool.CommonFlags(),
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "show what would be sent, send nothing"}),
			&cli.StringFlag{Name: "from", Value: "/usbkey", Usage: "copy from the directory `DIR`"},
			&cli.StringSliceFlag{Name: "target", Aliases: []string{"t"}, Usage: "sync to `[user@]host[:port][:/path]` (repeatable; default path " + keysync.DefaultPath + ")"},
			&cli.StringFlag{Name: "targets-file", Value: standbyTargets, Usage: "read targets from `FILE`, one a line, when there is no --target"},
			&cli.BoolFlag{Name: "discover", Usage: "find the core CNs through SAPI and CNAPI"},
			&cli.StringFlag{Name: "sapi-url", Usage: "SAPI at `URL` (default: from the usbkey config)"},
			&cli.StringFlag{Name: "cnapi-url", Usage: "CNAPI at `URL` (default: from the usbkey config)"},
			&cli.IntFlag{Name: "jobs", Value: keysync.DefaultJobs, Usage: "sync `N` targets at once"},
			&cli.IntFlag{Name: "files", Value: keysync.DefaultFiles, Usage: "send `N` files at once to each target"},
			&cli.BoolFlag{Name: "delete", Usage: "remove what the last sync sent and the source no longer has (never config)"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite conflicts, keeping the target's version as NAME.conflict-<stamp>"},
			&cli.StringFlag{Name: "verify", Usage: "hash written files with `HOW`: openssl, sha256sum, digest or read-back (default: the best the target has)"},
			&cli.StringSliceFlag{Name: "identity", Aliases: []string{"i"}, Usage: "log in with the private key `FILE` (default ~/.ssh/id_*; ssh-agent too)"},
			&cli.StringSliceFlag{Name: "known-hosts", Usage: "check host keys against `FILE` (default ~/.ssh/known_hosts)"},
			&cli.DurationFlag{Name: "connect-timeout", Value: sshconn.DefaultConnectTimeout, Usage: "give up connecting after `DURATION`"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return tool.Usage("unexpected argument %q; see usbkey-sync -h", c.Args().First())
			}
			return syncRun(c, nil)
		},
		Commands: []*cli.Command{{
			Name:  "hook",
			Usage: "sync what an sdcadm step changed",
			Subcommands: []*cli.Command{{
				Name:      "platform-install",
				Usage:     "sync os/VERSION, boot/ and the tarballs, after sdcadm platform install",
				ArgsUsage: "VERSION",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return tool.Usage("want the platform VERSION, e.g. usbkey-sync hook platform-install 20260301T000000Z")
					}
					env := tool.FromContext(c)
					ps, err := keysync.PlatformInstallPaths(env.Node.Path(c.String("from")), c.Args().First())
					if err != nil {
						return err
					}
					return syncRun(c, ps)
				},
			}, {
				Name:  "gz-tools",
				Usage: "sync the tarballs, scripts/, default/ and extra/joysetup/, after a gz-tools update",
				Action: func(c *cli.Context) error {
					if c.NArg() != 0 {
						return tool.Usage("hook gz-tools takes no arguments")
					}
					env := tool.FromContext(c)
					ps, err := keysync.GZToolsPaths(env.Node.Path(c.String("from")))
					if err != nil {
						return err
					}
					return syncRun(c, ps)
				},
			}},
		}},
	}
}

// syncRun syncs paths (nil: everything) to the targets and prints one
// summary line per target.
func syncRun(c *cli.Context, paths []string) error {
	env := tool.FromContext(c)
	from := env.Node.Path(c.String("from"))
	targets, err := syncTargets(c, env, from)
	if err != nil {
		return err
	}
	if !env.DryRun {
		closeLog, err := env.LogToFile()
		if err != nil {
			return err
		}
		defer closeLog()
	}
	abs, _ := filepath.Abs(from)
	o := keysync.Options{
		Source:    from,
		Paths:     paths,
		CachePath: env.Node.Path("/var/cache/cn-tools/usbkey-sync" + strings.NewReplacer("/", "_", ":", "_").Replace(abs) + ".json"),
		Jobs:      c.Int("jobs"),
		Files:     c.Int("files"),
		Delete:    c.Bool("delete"),
		Force:     c.Bool("force"),
		DryRun:    env.DryRun,
		Verify:    c.String("verify"),
		Log:       env.Log,
		SSH: sshconn.Options{
			IdentityFiles:  c.StringSlice("identity"),
			KnownHosts:     c.StringSlice("known-hosts"),
			UseAgent:       env.Getenv("SSH_AUTH_SOCK") != "",
			ConnectTimeout: c.Duration("connect-timeout"),
			Getenv:         env.Getenv,
		},
	}
	switch o.Verify {
	case "", keysync.VerifyOpenSSL, keysync.VerifySHA256Sum, keysync.VerifyDigest, keysync.VerifyReadBack:
	default:
		return tool.Usage("--verify %q: want openssl, sha256sum, digest or read-back", o.Verify)
	}
	start := time.Now()
	env.Log.Info("syncing", "source", from, "targets", len(targets), "paths", strings.Join(paths, " "))
	results, err := keysync.Run(env.Ctx, targets, o)
	if err != nil {
		return err
	}
	inStep := true
	for _, r := range results {
		inStep = inStep && r.InStep()
		if err := env.Emit(r, func(w io.Writer) { printSyncResult(w, env.DryRun, r) }); err != nil {
			return err
		}
	}
	env.Log.Debug("done", "elapsed", time.Since(start).Round(time.Millisecond))
	if !inStep {
		return tool.ErrReported
	}
	return nil
}

func printSyncResult(w io.Writer, dryRun bool, r *keysync.Result) {
	if dryRun {
		for _, l := range r.Plan {
			fmt.Fprintf(w, "[dry-run] %s: %s\n", r.Target, l)
		}
	}
	state, sent := "in step", "sent"
	switch {
	case r.Err() != nil:
		fmt.Fprintf(w, "%s: failed: %v\n", r.Target, r.Err())
		return
	case dryRun:
		state, sent = "[dry-run]", "would send"
	case !r.InStep():
		state = "NOT in step"
	}
	fmt.Fprintf(w, "%s: %s: %s %d (%s), skipped %d, conflicting %d, deleted %d, failed %d\n",
		r.Target, state, sent, r.Sent, humanBytes(r.Bytes), r.Skipped, len(r.Conflicting), r.Deleted, len(r.Failed))
	for _, p := range r.Conflicting {
		fmt.Fprintf(w, "    conflict: %s (changed on the target since the last sync; --force keeps it and sends the source's)\n", p)
	}
	for _, p := range r.Kept {
		fmt.Fprintf(w, "    kept: %s\n", p)
	}
	for _, p := range r.Failed {
		fmt.Fprintf(w, "    failed: %s\n", p)
	}
}

// syncTargets is --target, else --discover, else the targets file.
func syncTargets(c *cli.Context, env *tool.Env, from string) ([]sshconn.Target, error) {
	var out []sshconn.Target
	for _, s := range c.StringSlice("target") {
		t, err := keysync.ParseTarget(s)
		if err != nil {
			return nil, tool.Usage("--target: %v", err)
		}
		out = append(out, t)
	}
	if len(out) > 0 {
		return out, nil
	}
	if c.Bool("discover") {
		return discoverTargets(c, env, from)
	}
	out, err := keysync.ReadTargetsFile(env.Node.Path(c.String("targets-file")))
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, tool.Usage("no targets: pass --target [user@]host[:port][:/path], --discover, or list them in %s", c.String("targets-file"))
	}
	return out, nil
}

func discoverTargets(c *cli.Context, env *tool.Env, from string) ([]sshconn.Target, error) {
	d := keysync.Discovery{SAPI: c.String("sapi-url"), CNAPI: c.String("cnapi-url")}
	if d.SAPI == "" || d.CNAPI == "" {
		b, err := os.ReadFile(filepath.Join(from, "config"))
		if err != nil {
			return nil, fmt.Errorf("--discover: the usbkey config: %w", err)
		}
		cfg, err := config.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("--discover: %w", err)
		}
		sapi, cnapi, err := keysync.ServiceURLs(cfg)
		if err != nil {
			return nil, fmt.Errorf("--discover: %w", err)
		}
		d.SAPI, d.CNAPI = cmp.Or(d.SAPI, sapi), cmp.Or(d.CNAPI, cnapi)
	}
	if si, err := env.Node.Facts.Sysinfo(env.Ctx); err == nil && si.UUID() != "" {
		d.Exclude = []string{si.UUID()}
	} else {
		env.Log.Warn("this node's UUID is unknown: it is not left out of the discovered targets", "err", err)
	}
	servers, err := keysync.Discover(env.Ctx, d)
	if err != nil {
		return nil, err
	}
	if len(servers) == 0 {
		return nil, fmt.Errorf("--discover: SAPI lists no other server with %s instances", strings.Join(keysync.CoreServices, ", "))
	}
	var out []sshconn.Target
	for _, s := range servers {
		env.Log.Info("discovered", "server", s.UUID, "hostname", s.Hostname, "admin_ip", s.AdminIP, "services", strings.Join(s.Services, ","))
		out = append(out, sshconn.Target{User: sshconn.DefaultUser, Host: s.AdminIP, Port: 22, Path: keysync.DefaultPath})
	}
	return out, nil
}
