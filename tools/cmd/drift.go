package cmd

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"cntools/internal/node"
	"cntools/internal/tool"
	"cntools/usbkey/drift"
	"cntools/usbkey/keytree"
)

func driftApp() *cli.App {
	return &cli.App{
		Usage:     "compare the USB key, /usbkey and the standby copies on core CNs",
		UsageText: "usbkey-drift [options] [--key DEV|IMAGE|DIR] [--usbkey DIR] [--standby TARGET]...\nusbkey-drift manifest [--no-cache] DIR|DEVICE|IMAGE\nusbkey-drift compare [--json] [--all] MANIFEST.json MANIFEST.json...\nusbkey-drift collect [--json] [-n NODE,...] [--reference MANIFEST.json] [--oneachnode PATH | --from-file FILE]",
		Description: `Compares copies of the headnode's key content with the first of them, the
reference, and lists what differs: "-" missing from the copy, "+" extra in
the copy, "M" content differs, "m" only mode or mtime differs. Under a config
file whose content differs (config, config.inc/generic,
extra/joysetup/node.config) it lists the keys that differ, "~ key: old ->
new", secrets shown as **redacted**. Copies in step print nothing.

The copies, in this order: the key (--key: a device or image, read without
mounting it, or a mounted key directory; default: the key mounted at
` + node.KeyMount + `, if one is), /usbkey (--usbkey; default ` + node.UsbkeyDir + `), and each
--standby. A copy is named as every cn-tools tool names one: a local path, or
[user@]host[:port][:/path] or ssh://[user@]host[:port]/path on another node
(default path ` + node.StandbyDir + ` for --standby, ` + node.UsbkeyDir + ` for
--usbkey). A bare word is a local path: write a host alone as root@HOST,
HOST:/path or ssh://HOST. --key none or --usbkey none leaves that copy out.

A standby copy is manifested on the CN by its own usbkey-drift when the
toolkit is installed there (looked up in PATH and /opt/smartdc/bin), so only
the manifest crosses the network; otherwise every file is read over SFTP.
Host keys are checked against ~/.ssh/known_hosts; keys from ~/.ssh/id_* and
ssh-agent.

Not reported unless --all, because the copy rules make them differ: dot-files
at the top (.joyliveusb, .cntools-manifest.json), private/, and between the
key and another copy, extra/ and os/latest (/usbkey only). Directory mtimes
are never compared; with the key on one side, modes are not compared and
mtimes match within FAT's 2 s.

"usbkey-drift manifest" prints the canonical manifest of a directory, key
device or image (JSON, the same bytes for the same tree). "usbkey-drift
compare" compares manifests collected elsewhere, for example on every CN
with sdc-oneachnode; it cannot list config keys, since a manifest holds no
contents. A manifest that can only come from FAT is compared as a key.

"usbkey-drift collect" compares the whole DC in one process: it runs
sdc-oneachnode -j (Ur, on every compute node, or on the -n nodes) with the
command "` + drift.RemoteTool + ` manifest ` + node.StandbyDir + `", and compares
each node's manifest with the reference: this headnode's ` + node.UsbkeyDir + `, or
--reference MANIFEST.json. It prints one line per node, "HOST (UUID): in
step", ": drift, N paths" with the paths under it, or ": failed: why" (Ur's
error, or the command's exit status and the end of its stderr), then a
summary line. --from-file reads a saved sdc-oneachnode -j or -J output
instead of running it ("-" is stdin).

EXIT STATUS
   0  the copies are in step (or the manifest was printed)
   1  the copies differ
   2  usage or runtime error, including a copy that could not be read (the
      others are still compared and reported)
   collect: 0 every node in step, 1 a node drifted or failed (or
   sdc-oneachnode missed nodes), 2 usage or runtime error (sdc-oneachnode
   failed with no output, output that does not parse)`,
		Flags: append(tool.CommonFlags(),
			&cli.StringFlag{Name: "key", Usage: "the key: `DEV|IMAGE|DIR`, or none (default: the key mounted at /mnt/usbkey)"},
			&cli.StringFlag{Name: "usbkey", Usage: "the usbkey copy: `DIR`, [user@]host[:port][:/path], or none (default /usbkey)"},
			&cli.StringSliceFlag{Name: "standby", Usage: "a standby copy `TARGET`: [user@]host[:port][:/path], ssh://[user@]host[:port]/path or a DIR (repeatable)"},
			&cli.BoolFlag{Name: "all", Usage: "also report what differs by design (dot-files, private/, extra/)"},
			&cli.BoolFlag{Name: "ignore-mtime", Usage: "do not compare file mtimes"},
			&cli.BoolFlag{Name: "H", Usage: "a table of the copies, without its header"},
			&cli.StringFlag{Name: "o", Usage: "a table of the copies' columns `COL,...` (copy,state,differences)"},
			&cli.BoolFlag{Name: "sftp", Usage: "read standby copies over SFTP even where usbkey-drift is installed on the CN"},
			&cli.BoolFlag{Name: "no-cache", Usage: "hash every file of a directory copy, ignoring the hash cache"},
		),
		Action: driftAction,
		Commands: []*cli.Command{
			{
				Name:      "manifest",
				Usage:     "print the canonical manifest of a directory, key device or image",
				ArgsUsage: "DIR|DEVICE|IMAGE",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "no-cache", Usage: "hash every file, ignoring the hash cache"},
				},
				Action: driftManifestAction,
			},
			{
				Name:      "compare",
				Usage:     "compare manifests collected elsewhere, the first being the reference",
				ArgsUsage: "MANIFEST.json MANIFEST.json...",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "json", Aliases: []string{"j"}, Usage: "print results as JSON lines on stdout"},
					&cli.BoolFlag{Name: "all", Usage: "also report what differs by design"},
					&cli.BoolFlag{Name: "ignore-mtime", Usage: "do not compare file mtimes"},
					&cli.BoolFlag{Name: "H", Usage: "a table of the copies, without its header"},
					&cli.StringFlag{Name: "o", Usage: "a table of the copies' columns `COL,...` (copy,state,differences)"},
				},
				Action: driftCompareAction,
			},
			{
				Name:      "collect",
				Usage:     "compare every node's standby copy with /usbkey, through sdc-oneachnode",
				ArgsUsage: " ",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "json", Aliases: []string{"j"}, Usage: "print results as JSON lines on stdout"},
					&cli.StringFlag{Name: "node", Aliases: []string{"n"}, Usage: "only these nodes, `NODE[,NODE...]` (hostnames or UUIDs, sdc-oneachnode -n; default every compute node, -c)"},
					&cli.StringFlag{Name: "oneachnode", Usage: "sdc-oneachnode to run, `PATH` (default: from PATH, or /opt/smartdc/bin)"},
					&cli.StringFlag{Name: "from-file", Usage: "read a saved sdc-oneachnode -j or -J output from `FILE` (- is stdin) instead of running it"},
					&cli.StringFlag{Name: "standby-path", Value: node.StandbyDir, Usage: "the standby copy each node manifests, `DIR`"},
					&cli.StringFlag{Name: "reference", Usage: "compare with this `MANIFEST.json` instead of this node's /usbkey"},
					&cli.IntFlag{Name: "timeout", Value: drift.DefaultTimeout, Usage: "`SECONDS` each node may take (sdc-oneachnode -T)"},
					&cli.BoolFlag{Name: "all", Usage: "also report what differs by design"},
					&cli.BoolFlag{Name: "ignore-mtime", Usage: "do not compare file mtimes"},
					&cli.BoolFlag{Name: "no-cache", Usage: "hash every file of /usbkey, ignoring the hash cache"},
					&cli.BoolFlag{Name: "H", Usage: "a table of the nodes, without its header"},
					&cli.StringFlag{Name: "o", Usage: "a table of the nodes' columns `COL,...` (hostname,uuid,state,differences)"},
				},
				Action: driftCollectAction,
			},
		},
	}
}

// anyBool reports whether flag name is set at this level or above, so that
// "usbkey-drift --all compare" and "usbkey-drift compare --all" agree.
func anyBool(c *cli.Context, name string) bool {
	for _, x := range c.Lineage() {
		if x.Bool(name) {
			return true
		}
	}
	return false
}

// driftRequest is the request the flags make. --key and --usbkey given
// empty leave the copy out, as none does; not given, they are the default.
func driftRequest(c *cli.Context) drift.Request {
	r := drift.Request{
		Standby:     c.StringSlice("standby"),
		All:         c.Bool("all"),
		IgnoreMTime: c.Bool("ignore-mtime"),
		SFTP:        c.Bool("sftp"),
		NoCache:     c.Bool("no-cache"),
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"key", &r.Key}, {"usbkey", &r.Usbkey}} {
		if c.IsSet(f.name) {
			*f.v = cmp.Or(c.String(f.name), drift.None)
		}
	}
	return r
}

func driftAction(c *cli.Context) error {
	env := tool.FromContext(c)
	if c.NArg() > 0 {
		return tool.Usage("unexpected argument %q: name copies with --key, --usbkey and --standby, or use manifest or compare", c.Args().First())
	}
	r, err := driftRequest(c).Run(env.Ctx, env.Node, drift.Env{Log: env.Log, Getenv: env.Getenv})
	if errors.Is(err, drift.ErrTooFew) {
		return tool.Usage("%v", err)
	}
	if r == nil {
		return err // the reference is unread: nothing was compared
	}
	return driftReport(c, env, r, err)
}

// driftReport prints the report and picks the exit status: 2 when a copy
// could not be read, 1 on drift, 0 in step.
func driftReport(c *cli.Context, env *tool.Env, r report, loadErr error) error {
	var err error
	switch {
	case env.JSON:
		err = r.WriteJSON(env.Stdout)
	case anySet(c, "H") || anySet(c, "o"):
		// A row a copy (or node), sdcadm's way: -o picks, -H drops the header.
		cols, rows := r.Rows()
		if perr := (tool.Table{Columns: cols, Rows: rows}).Print(env.Stdout, c); perr != nil {
			return perr
		}
	default:
		err = r.WriteText(env.Stdout)
	}
	switch {
	case err != nil:
		return fmt.Errorf("write report: %w", err)
	case loadErr != nil:
		return loadErr
	case !r.InStep():
		return tool.ErrReported
	}
	return nil
}

func driftManifestAction(c *cli.Context) error {
	env := tool.FromContext(c)
	if c.NArg() != 1 {
		return tool.Usage("want exactly one DIR, DEVICE or IMAGE, got %d arguments", c.NArg())
	}
	loc, err := keytree.ParseLocation(c.Args().First())
	if err != nil {
		return tool.Usage("%v", err)
	}
	if loc.Kind != keytree.KindLocal {
		return tool.Usage("%s: manifest reads a copy on this node; run usbkey-drift manifest on that node (usbkey-drift --standby does, over SSH)", loc)
	}
	m, err := drift.BuildManifest(env.Ctx, env.Node.Path(loc.Path), drift.Request{NoCache: anyBool(c, "no-cache")}.LoadOptions(env.Node, env.Log))
	if err != nil {
		return err
	}
	return m.Encode(env.Stdout)
}

func driftCompareAction(c *cli.Context) error {
	env := tool.FromContext(c)
	env.SetJSON(anyBool(c, "json"))
	if c.NArg() < 2 {
		return tool.Usage("want at least two manifests to compare, got %d", c.NArg())
	}
	// One manifest at a time: a DC's thousands need not fit in memory.
	var srcs []drift.ManifestSource
	for _, name := range c.Args().Slice() {
		srcs = append(srcs, drift.ManifestSource{Name: name, Open: func() (io.ReadCloser, error) {
			if name == "-" {
				return io.NopCloser(env.Stdin), nil
			}
			return os.Open(env.Node.Path(name))
		}})
	}
	opts := drift.Options{All: anyBool(c, "all"), IgnoreMTime: anyBool(c, "ignore-mtime")}
	r, err := drift.CompareStream(srcs, opts)
	if err != nil {
		return err
	}
	return driftReport(c, env, r, nil)
}

// loadManifestFile reads a manifest file; "-" is stdin.
func loadManifestFile(env *tool.Env, name string) (*drift.Copy, error) {
	var r io.Reader = env.Stdin
	if name != "-" {
		f, err := os.Open(env.Node.Path(name))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return drift.LoadManifest(name, r)
}

func driftCollectAction(c *cli.Context) error {
	env := tool.FromContext(c)
	env.SetJSON(anyBool(c, "json"))
	if c.NArg() > 0 {
		return tool.Usage("unexpected argument %q: collect runs its own command on every node", c.Args().First())
	}
	oen := drift.OnEachNode{Path: c.String("oneachnode"), StandbyDir: c.String("standby-path"), Timeout: c.Int("timeout")}
	if n := c.String("node"); n != "" {
		for _, s := range strings.Split(n, ",") {
			if s = strings.TrimSpace(s); s != "" {
				oen.Nodes = append(oen.Nodes, s)
			}
		}
		if len(oen.Nodes) == 0 {
			return tool.Usage("-n %q names no node", n)
		}
	}
	from := c.String("from-file")
	if from != "" && (c.IsSet("oneachnode") || c.IsSet("node") || c.IsSet("standby-path") || c.IsSet("timeout")) {
		return tool.Usage("--from-file reads output already collected: --oneachnode, -n, --standby-path and --timeout are for running sdc-oneachnode")
	}
	if c.Int("timeout") <= 0 {
		return tool.Usage("--timeout %d: want a number of seconds above 0", c.Int("timeout"))
	}
	var ref *drift.Copy
	var err error
	if p := c.String("reference"); p != "" {
		ref, err = loadManifestFile(env, p)
	} else {
		ref, err = drift.LoadDir(env.Ctx, "usbkey", env.Node.Path(node.UsbkeyDir), false,
			drift.Request{NoCache: anyBool(c, "no-cache")}.LoadOptions(env.Node, env.Log))
	}
	if err != nil {
		return err
	}
	opts := drift.Options{All: anyBool(c, "all"), IgnoreMTime: anyBool(c, "ignore-mtime")}
	var r *drift.DCReport
	if from != "" {
		r, err = collectFromFile(env, ref, from, opts)
	} else {
		env.Log.Debug("running", "command", oen.CommandLine())
		r, err = drift.CollectDC(env.Ctx, ref, oen, opts)
	}
	if err != nil {
		return err
	}
	return driftReport(c, env, r, nil)
}

// collectFromFile compares the nodes of a saved sdc-oneachnode output.
func collectFromFile(env *tool.Env, ref *drift.Copy, name string, o drift.Options) (*drift.DCReport, error) {
	var rd io.Reader = env.Stdin
	if name != "-" {
		f, err := os.Open(env.Node.Path(name))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		rd = f
	}
	r, err := drift.CompareOnEachNode(ref, rd, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

// report is a drift report of copies or of a whole DC.
type report interface {
	WriteText(io.Writer) error
	WriteJSON(io.Writer) error
	InStep() bool
	Rows() (columns []string, rows [][]string)
}

// anySet reports whether the flag was given on the command or a parent.
func anySet(c *cli.Context, name string) bool {
	for _, l := range c.Lineage() {
		if l.IsSet(name) {
			return true
		}
	}
	return false
}
