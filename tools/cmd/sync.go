package cmd

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	"cntools/internal/tool"
	"cntools/usbkey/device"
	keysync "cntools/usbkey/keysync"
)

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
else the lines of ` + keysync.DefaultTargetsFile + ` (under /opt: a global
zone's /etc is rebuilt at every boot). A target is [user@]host[:port][:/path]
or ssh://[user@]host[:port]/path, as every cn-tools tool names a copy; a bare
word is a local path there, so a host alone is written root@HOST, HOST:/path
or ssh://HOST. The default path on a target is ` + node.StandbyDir + `. /usbkey
and /mnt/usbkey are refused: a CN's /lib/sdc/config.sh reads /usbkey/config
before its own node.config, so the CN would take the headnode's configuration.

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
			&cli.StringFlag{Name: "from", Value: node.UsbkeyDir, Usage: "copy from the directory `DIR`"},
			&cli.StringSliceFlag{Name: "target", Aliases: []string{"t"}, Usage: "sync to `[user@]host[:port][:/path]` or ssh://[user@]host[:port]/path (repeatable; default path " + node.StandbyDir + ")"},
			&cli.StringFlag{Name: "targets-file", Value: keysync.DefaultTargetsFile, Usage: "read targets from `FILE`, one a line, when there is no --target"},
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
			return syncRun(c, syncRequest(c))
		},
		Commands: []*cli.Command{{
			Name:  "hook",
			Usage: "sync what an sdcadm step changed",
			Subcommands: []*cli.Command{{
				Name:      keysync.HookPlatformInstall,
				Usage:     "sync os/VERSION, boot/ and the tarballs, after sdcadm platform install",
				ArgsUsage: "VERSION",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return tool.Usage("want the platform VERSION, e.g. usbkey-sync hook platform-install 20260301T000000Z")
					}
					r := syncRequest(c)
					r.Hook, r.HookVersion = keysync.HookPlatformInstall, c.Args().First()
					return syncRun(c, r)
				},
			}, {
				Name:  keysync.HookGZTools,
				Usage: "sync the tarballs, scripts/, default/ and extra/joysetup/, after a gz-tools update",
				Action: func(c *cli.Context) error {
					if c.NArg() != 0 {
						return tool.Usage("hook gz-tools takes no arguments")
					}
					r := syncRequest(c)
					r.Hook = keysync.HookGZTools
					return syncRun(c, r)
				},
			}},
		}},
	}
}

// syncRequest is the request the flags make. A flag not given stays the
// zero value, the library's default, so the request prints back as given.
func syncRequest(c *cli.Context) keysync.Request {
	set := func(name string) bool {
		for _, x := range c.Lineage() {
			if x.IsSet(name) {
				return true
			}
		}
		return false
	}
	r := keysync.Request{
		DryRun:     c.Bool("dry-run"),
		Targets:    c.StringSlice("target"),
		Discover:   c.Bool("discover"),
		SapiURL:    c.String("sapi-url"),
		CnapiURL:   c.String("cnapi-url"),
		Delete:     c.Bool("delete"),
		Force:      c.Bool("force"),
		Verify:     c.String("verify"),
		Identity:   c.StringSlice("identity"),
		KnownHosts: c.StringSlice("known-hosts"),
	}
	if set("from") {
		r.From = c.String("from")
	}
	if set("targets-file") {
		r.TargetsFile = c.String("targets-file")
	}
	if set("jobs") {
		r.Jobs = c.Int("jobs")
	}
	if set("files") {
		r.Files = c.Int("files")
	}
	if set("connect-timeout") {
		r.ConnectTimeout = c.Duration("connect-timeout")
	}
	return r
}

// syncRun syncs as r says and prints one summary line per target.
func syncRun(c *cli.Context, r keysync.Request) error {
	env := tool.FromContext(c)
	if err := r.Check(); err != nil {
		return tool.Usage("%v", err)
	}
	job, err := r.Prepare(env.Ctx, env.Node, keysync.Env{Log: env.Log, Getenv: env.Getenv})
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
	start := time.Now()
	env.Log.Info("syncing", "source", job.Options.Source, "targets", len(job.Targets), "paths", strings.Join(job.Options.Paths, " "))
	results, err := job.Run(env.Ctx)
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
		r.Target, state, sent, r.Sent, device.HumanSize(r.Bytes), r.Skipped, len(r.Conflicting), r.Deleted, len(r.Failed))
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
