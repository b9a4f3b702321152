package cmd

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"cntools/internal/node"
	"cntools/internal/tool"
	"cntools/usbkey/drift"
	"cntools/usbkey/keytree"
)

func driftApp() *cli.App {
	return &cli.App{
		Usage:     "compare the USB key, /usbkey and the standby copies on core CNs",
		UsageText: "usbkey-drift [options] [--key DEV|IMAGE|DIR] [--usbkey DIR] [--standby TARGET]...\nusbkey-drift manifest [--no-cache] DIR|DEVICE|IMAGE\nusbkey-drift compare [--json] [--all] MANIFEST.json MANIFEST.json...",
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

EXIT STATUS
   0  the copies are in step (or the manifest was printed)
   1  the copies differ
   2  usage or runtime error, including a copy that could not be read (the
      others are still compared and reported)`,
		Flags: append(tool.CommonFlags(),
			&cli.StringFlag{Name: "key", Usage: "the key: `DEV|IMAGE|DIR`, or none (default: the key mounted at /mnt/usbkey)"},
			&cli.StringFlag{Name: "usbkey", Usage: "the usbkey copy: `DIR`, [user@]host[:port][:/path], or none (default /usbkey)"},
			&cli.StringSliceFlag{Name: "standby", Usage: "a standby copy: `[user@]host[:port][:/path]`, ssh://[user@]host[:port]/path or a DIR (repeatable)"},
			&cli.BoolFlag{Name: "all", Usage: "also report what differs by design (dot-files, private/, extra/)"},
			&cli.BoolFlag{Name: "ignore-mtime", Usage: "do not compare file mtimes"},
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
				},
				Action: driftCompareAction,
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
	return driftReport(env, r, err)
}

// driftReport prints the report and picks the exit status: 2 when a copy
// could not be read, 1 on drift, 0 in step.
func driftReport(env *tool.Env, r *drift.Report, loadErr error) error {
	var err error
	if env.JSON {
		err = r.WriteJSON(env.Stdout)
	} else {
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
	env.JSON = anyBool(c, "json")
	if c.NArg() < 2 {
		return tool.Usage("want at least two manifests to compare, got %d", c.NArg())
	}
	var copies []*drift.Copy
	for _, name := range c.Args().Slice() {
		cp, err := loadManifestFile(env, name)
		if err != nil {
			return err
		}
		copies = append(copies, cp)
	}
	opts := drift.Options{All: anyBool(c, "all"), IgnoreMTime: anyBool(c, "ignore-mtime")}
	return driftReport(env, drift.Compare(copies[0], copies[1:], opts), nil)
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
