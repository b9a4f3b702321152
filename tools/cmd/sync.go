package cmd

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"cntools/internal/node"
	"cntools/internal/progress"
	"cntools/internal/sshconn"
	"cntools/internal/tool"
	"cntools/usbkey/device"
	"cntools/usbkey/keycopy"
	keysync "cntools/usbkey/keysync"
)

func syncApp() *cli.App {
	return &cli.App{
		Usage:     "push the headnode's usbkey copy to standby copies on core CNs",
		UsageText: "usbkey-sync [options] [--target [user@]host[:port][:/path]]... \n   usbkey-sync [options] hook platform-install VERSION\n   usbkey-sync [options] hook gz-tools\n   usbkey-sync [options] hook sdcadm\n   usbkey-sync [options] setup [--install] [--accept-host-key]",
		Description: `Copies the headnode's key content (--from, default /usbkey) to a standby copy on
each target over SSH/SFTP, sending only the files that differ from the
manifest the last sync left there (` + keysync.ManifestFile + `, written last).
Each file is written under a temporary name beside its real one, its mode set
while it is empty, hashed on the target (by usbkey-sync there when the CN has
cn_tools, else openssl, sha256sum or digest, else read back over SFTP) and only
then renamed into place. A cut connection leaves no file half-written under its
real name; run again to finish. A target with usbkey-sync receives the files as
one stream, and tells a later sync whether it still holds what this host last
left there, so that an unchanged target is not listed again.

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
update. hook sdcadm packs the deployed /opt/smartdc/sdcadm into
extra/sdcadm/sdcadm-<version>.tgz (unless that version is there; the newest
two are kept) and syncs extra/sdcadm/: run it after sdcadm self-update, since
nothing refreshes /usbkey/sdcadm-install.sh, and gztools-install prefers the
tarball. All are safe to run any number of times. Options go before "hook".

Logins use ` + sshconn.PersistentIdentity + ` first, then ~/.ssh/id_* and
ssh-agent; host keys are checked against ` + sshconn.PersistentKnownHosts + `,
~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts. An unknown or changed key is
refused with its fingerprint and the line to add. A global zone's /root is the
ramdisk, so only the files under /opt survive a reboot.

setup creates ` + sshconn.PersistentIdentity + ` (ed25519, 0600) if it is
missing, never replacing one, and prints for each target (chosen as for a
sync) the sdc-oneachnode command that adds its public key to the CN's
` + keysync.CNPersistentAuthorizedKeys + ` (copied to /root/.ssh/authorized_keys at
every boot by smartdc-config) and to ` + keysync.CNAuthorizedKeys + ` (for now), each only
once. --install runs those commands and reports each result.
--accept-host-key fetches each target's host key, prints its fingerprint and
records it in ` + sshconn.PersistentKnownHosts + ` unless a known_hosts file has
another key for it: trust on first use, so compare the fingerprint with
ssh-keygen -lf /var/ssh/ssh_host_ed25519_key.pub on the CN's console.

EXIT STATUS
   0  every target holds the source's content
   1  a target is not in step: unreachable, failed, or with conflicts
      (setup: an install or a host key step failed)
   2  usage or runtime error (the source cannot be read)`,
		Flags: append(append(tool.CommonFlags(),
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "show what would be sent, send nothing"}),
			&cli.StringFlag{Name: "from", Value: node.UsbkeyDir, Usage: "copy from the directory `DIR`"},
			&cli.StringSliceFlag{Name: "target", Aliases: []string{"t"}, Usage: "sync to `TARGET`: [user@]host[:port][:/path] or ssh://[user@]host[:port]/path (repeatable; default path " + node.StandbyDir + ")"},
			&cli.StringFlag{Name: "targets-file", Value: keysync.DefaultTargetsFile, Usage: "read targets from `FILE`, one a line, when there is no --target"},
			&cli.BoolFlag{Name: "discover", Usage: "find the core CNs through SAPI and CNAPI"},
			&cli.StringFlag{Name: "sapi-url", Usage: "SAPI at `URL` (default: from the usbkey config)"},
			&cli.StringFlag{Name: "cnapi-url", Usage: "CNAPI at `URL` (default: from the usbkey config)"},
			&cli.IntFlag{Name: "jobs", Value: keysync.DefaultJobs, Usage: "sync `N` targets at once"},
			&cli.IntFlag{Name: "files", Value: keysync.DefaultFiles, Usage: "send `N` files at once to each target"},
			&cli.BoolFlag{Name: "delete", Usage: "remove what the last sync sent and the source no longer has (never config)"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite conflicts, keeping the target's version as NAME.conflict-<stamp>"},
			&cli.StringFlag{Name: "verify", Usage: "hash written files with `HOW`: usbkey-sync (its receiver on the target), openssl, sha256sum, digest or read-back (default: the best the target has)"},
			&cli.StringSliceFlag{Name: "identity", Aliases: []string{"i"}, Usage: "log in with the private key `FILE` (default " + sshconn.PersistentIdentity + ", ~/.ssh/id_*; ssh-agent too)"},
			&cli.StringSliceFlag{Name: "known-hosts", Usage: "check host keys against `FILE` (default " + sshconn.PersistentKnownHosts + ", ~/.ssh/known_hosts)"},
			&cli.DurationFlag{Name: "connect-timeout", Value: sshconn.DefaultConnectTimeout, Usage: "give up connecting after `DURATION`"},
			&cli.BoolFlag{Name: "H", Usage: "show the targets as a table, without its header"},
			&cli.StringFlag{Name: "o", Usage: "show the targets as a table of the columns `COL,...` (" + strings.Join(syncTable.Columns, ",") + ")"},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return tool.Usage("unexpected argument %q; see usbkey-sync -h", c.Args().First())
			}
			return syncRun(c, syncRequest(c))
		},
		Commands: []*cli.Command{{
			// Run by a sync on its target, over SSH: what the target
			// prints decides whether the listing the last sync kept
			// still holds (keysync/listing.go).
			Name:      "state",
			Hidden:    true,
			Usage:     "print the hashes of a standby copy's listing and manifest, for a sync from another node",
			ArgsUsage: "DIR",
			Flags: []cli.Flag{
				// The sync's lock, held until stdin ends
				// (keysync/hold.go).
				&cli.BoolFlag{Name: "hold", Usage: "take DIR's lock first and hold it until stdin ends"},
			},
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return tool.Usage("want the standby copy's DIR, e.g. usbkey-sync state %s", node.StandbyDir)
				}
				env := tool.FromContext(c)
				dir := env.Node.Path(c.Args().First())
				if c.Bool("hold") {
					return keycopy.Hold(env.Ctx, dir, env.Stdin, env.Stdout)
				}
				return keycopy.State(env.Ctx, dir, env.Stdout)
			},
		}, {
			// Run by a sync on its target, over SSH: the files a sync
			// sends arrive on stdin (keysync/receive.go).
			Name:      "receive",
			Hidden:    true,
			Usage:     "write the files a sync from another node streams on stdin into a standby copy",
			ArgsUsage: "DIR",
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return tool.Usage("want the standby copy's DIR, e.g. usbkey-sync receive %s", node.StandbyDir)
				}
				env := tool.FromContext(c)
				return keysync.Receive(env.Ctx, env.Node.Path(c.Args().First()), env.Stdin, env.Stdout)
			},
		}, {
			Name:  "setup",
			Usage: "create the persistent identity and print (or run) what installs it on each target",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "install", Usage: "run each sdc-oneachnode command and report its result"},
				&cli.BoolFlag{Name: "accept-host-key", Usage: "record each target's host key in " + sshconn.PersistentKnownHosts + " (trust on first use; the fingerprint is printed)"},
			},
			Action: syncSetup,
		}, {
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
				Name:  keysync.HookSdcadm,
				Usage: "pack the deployed sdcadm into extra/sdcadm/ and sync it, after sdcadm self-update",
				Action: func(c *cli.Context) error {
					if c.NArg() != 0 {
						return tool.Usage("hook sdcadm takes no arguments")
					}
					r := syncRequest(c)
					r.Hook = keysync.HookSdcadm
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

// syncTable is the targets as a table (-H, -o).
var syncTable = tool.Table{Columns: []string{"target", "state", "sent", "bytes", "skipped", "conflicting", "deleted", "failed"}}

func syncRow(r *keysync.Result, dryRun bool) []string {
	state := "in step"
	switch {
	case r.Err() != nil:
		state = "failed"
	case dryRun:
		state = "dry-run"
	case !r.InStep():
		state = "not in step"
	}
	return []string{r.Target, state, fmt.Sprint(r.Sent), fmt.Sprint(r.Bytes), fmt.Sprint(r.Skipped),
		fmt.Sprint(len(r.Conflicting)), fmt.Sprint(r.Deleted), fmt.Sprint(len(r.Failed))}
}

// syncRun syncs as r says and prints one summary line per target.
func syncRun(c *cli.Context, r keysync.Request) error {
	env := tool.FromContext(c)
	if err := r.Check(); err != nil {
		return tool.Usage("%v", err)
	}
	if err := syncTable.Check(c); err != nil {
		return err
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
	var meter *progress.Meter
	if !env.DryRun {
		meter = env.Meter("usbkey-sync", 0)
		job.Options.Progress = meter
	}
	results, err := job.Run(env.Ctx)
	meter.Done()
	if err != nil {
		return err
	}
	inStep := true
	// With -H or -o, one table row a target, as sdcadm lists; otherwise
	// each target's report, with its conflicts and failures.
	table := !env.JSON && (c.IsSet("H") || c.IsSet("o"))
	t := syncTable
	for _, r := range results {
		inStep = inStep && r.InStep()
		if table {
			t.Rows = append(t.Rows, syncRow(r, env.DryRun))
			continue
		}
		if err := env.Emit(r, func(w io.Writer) { printSyncResult(w, env.DryRun, r) }); err != nil {
			return err
		}
	}
	if table {
		if err := t.Print(env.Stdout, c); err != nil {
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
	prefix, state, sent := "", "in step: ", "sent"
	switch {
	case r.Err() != nil:
		if dryRun {
			prefix = "[dry-run] "
		}
		fmt.Fprintf(w, "%s%s: failed: %v\n", prefix, r.Target, r.Err())
		return
	case dryRun:
		// Every line of a dry run starts with its prefix.
		prefix, state, sent = "[dry-run] ", "", "would send"
	case !r.InStep():
		state = "NOT in step: "
	}
	fmt.Fprintf(w, "%s%s: %s%s %d (%s), skipped %d, conflicting %d, deleted %d, failed %d; wire %s out, %s in\n",
		prefix, r.Target, state, sent, r.Sent, device.HumanSize(r.Bytes), r.Skipped, len(r.Conflicting), r.Deleted, len(r.Failed),
		device.HumanSize(r.WireSent), device.HumanSize(r.WireReceived))
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

// syncSetup runs usbkey-sync setup and prints the key, then per target the
// command, so that the text output is itself a script: every other line
// is a # comment.
func syncSetup(c *cli.Context) error {
	if c.NArg() != 0 {
		return tool.Usage("setup takes no arguments; options go before it, --install and --accept-host-key after")
	}
	env := tool.FromContext(c)
	r := keysync.SetupRequest{Request: syncRequest(c), Install: c.Bool("install"), AcceptHostKey: c.Bool("accept-host-key")}
	if err := r.Check(); err != nil {
		return tool.Usage("%v", err)
	}
	if r.DryRun {
		return tool.Usage("setup takes no --dry-run: without --install and --accept-host-key it only prints")
	}
	key, results, err := r.Setup(env.Ctx, env.Node, keysync.Env{Log: env.Log, Getenv: env.Getenv})
	if err != nil {
		return err
	}
	if err := env.Emit(key, func(w io.Writer) {
		state := "already there, kept"
		if key.Created {
			state = "created"
		}
		fmt.Fprintf(w, "# key %s: %s\n# %s\n", key.Path, state, key.Public)
	}); err != nil {
		return err
	}
	ok := true
	for _, res := range results {
		ok = ok && res.Err() == nil
		if err := env.Emit(res, func(w io.Writer) { printSetupResult(w, res) }); err != nil {
			return err
		}
	}
	if !ok {
		return tool.ErrReported
	}
	return nil
}

func printSetupResult(w io.Writer, r *keysync.SetupResult) {
	fmt.Fprintf(w, "# %s: node %s\n", r.Target, r.Node)
	if r.Note != "" {
		fmt.Fprintf(w, "# %s: %s\n", r.Target, r.Note)
	}
	fmt.Fprintln(w, r.Command)
	if r.Installed {
		fmt.Fprintf(w, "# %s: installed", r.Target)
		if r.Output != "" {
			fmt.Fprintf(w, ": %s", strings.ReplaceAll(r.Output, "\n", "\n#   "))
		}
		fmt.Fprintln(w)
	}
	if r.HostKey != "" {
		where := "already in " + r.KnownHostsFile
		if r.HostKeyAdded {
			where = "recorded in " + r.KnownHostsFile + "; compare it with ssh-keygen -lf /var/ssh/ssh_host_ed25519_key.pub on the node's console"
		}
		fmt.Fprintf(w, "# %s: host key %s %s\n", r.Target, r.HostKey, where)
	}
	if r.Err() != nil {
		fmt.Fprintf(w, "# %s: failed: %v\n", r.Target, r.Err())
	}
}
