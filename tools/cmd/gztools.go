package cmd

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"cntools/gztools"
	"cntools/internal/tool"
)

func gztoolsInstallApp() *cli.App {
	return &cli.App{
		Usage:     "install the headnode global-zone tools, cn_tools.tar.gz and sdcadm into a root",
		UsageText: "gztools-install [options]",
		Description: `Makes a root look like a headnode's: installs tools.tar.gz into /opt/smartdc,
places cn_tools.tar.gz where the headnode serves it (/usbkey/extra/joysetup,
keeping the previous one as cn_tools.<stamp>.tar.gz), replaces scripts/ on the
usbkey copy and on the mounted key, records the gz-tools image uuid in
/opt/smartdc/etc/gz-tools.image, and installs sdcadm as install-sdcadm.sh lays
it out (/opt/smartdc/sdcadm, links in /opt/smartdc/bin and man/man1,
/var/sdcadm/sdcadm.conf) from its shar's payload, without running the shar.

--from is a gz-tools image (gz-tools-<stamp>.tgz) or a usbkey copy directory;
default /usbkey. sdcadm comes from --sdcadm, else the source's newest
extra/sdcadm/sdcadm-<version>.tgz (the headnode's deployed sdcadm, which
usbkey-sync hook sdcadm packs and sends), else its sdcadm-install.sh, which is
only the sdcadm the USB image was built with: sdcadm self-update never
refreshes it. The output and the log name the version and the file.
--skip-usbkey leaves /usbkey and the mounted key alone, as a conversion does:
it builds its usbkey copy elsewhere, and a CN's /usbkey is on its ramdisk.

Each tree is extracted beside its destination and swapped in at the end; an
interrupted run leaves the previous tools in place, and the next run finishes
the job. A hostile or corrupt tarball is refused whole. A second run with the
same source changes nothing. --check compares the root with the source.

EXIT STATUS
   0  installed, or nothing to change (--check: the root matches)
   1  --check found differences, or the source was refused (bad layout,
      hostile or corrupt tarball)
   2  usage or runtime error`,
		Flags: append(append(tool.CommonFlags(), tool.DestructiveFlags()...),
			&cli.StringFlag{Name: "from", Usage: "install from `SOURCE`: a gz-tools-<stamp>.tgz or a usbkey copy directory (default /usbkey)"},
			&cli.StringFlag{Name: "sdcadm", Usage: "install sdcadm from `FILE`, a shar or an sdcadm-<version>.tgz (default: the source's newest extra/sdcadm/sdcadm-*.tgz, else its sdcadm-install.sh)"},
			&cli.BoolFlag{Name: "check", Usage: "compare the root with the source; change nothing"},
			&cli.BoolFlag{Name: "skip-usbkey", Usage: "leave /usbkey and the mounted key alone"},
		),
		Action: gztoolsInstallAction,
	}
}

// gztoolsRequest is the request the flags make.
func gztoolsRequest(c *cli.Context) gztools.Request {
	return gztools.Request{
		From:       c.String("from"),
		Sdcadm:     c.String("sdcadm"),
		Check:      c.Bool("check"),
		SkipUsbkey: c.Bool("skip-usbkey"),
		Yes:        c.Bool("yes"),
	}
}

func gztoolsInstallAction(c *cli.Context) error {
	env := tool.FromContext(c)
	if c.NArg() != 0 {
		return tool.Usage("unexpected arguments %q; see gztools-install -h", c.Args().Slice())
	}
	req := gztoolsRequest(c)
	plan, err := gztools.NewPlan(env.Ctx, env.Node, req, gztools.Options{Now: env.Now, Log: env.Log, Meter: env.Meter, ReadOnly: env.DryRun})
	if err != nil {
		return refusal(err)
	}
	defer plan.Close()

	if req.Check {
		diffs := plan.Diffs()
		for _, d := range diffs {
			err := env.Emit(struct {
				Type string `json:"type"`
				gztools.Diff
			}{"diff", d}, func(w io.Writer) {
				kind := d.Kind
				if kind == gztools.Content || kind == gztools.Metadata {
					kind = "changed"
				}
				fmt.Fprintf(w, "%-10s %s (%s)\n", kind, d.Path, d.Detail)
			})
			if err != nil {
				return err
			}
		}
		if len(diffs) > 0 {
			return tool.ErrReported
		}
		return nil
	}

	for _, n := range plan.Notes() {
		env.Log.Warn(n)
	}
	from := req.SourcePath()
	changes := plan.Changes()
	prefix := ""
	if env.DryRun {
		prefix = "[dry-run] " // every line of a dry run says so
	}
	if len(changes) == 0 {
		return env.Emit(struct {
			Type   string `json:"type"`
			Source string `json:"source"`
		}{"unchanged", from}, func(w io.Writer) {
			fmt.Fprintf(w, "%snothing to change: the root matches %s\n", prefix, from)
		})
	}
	var summary []string
	for _, ch := range changes {
		summary = append(summary, fmt.Sprintf("%-14s %s (%s)", ch.What, ch.Path, ch.Detail))
	}
	if env.DryRun {
		// Under -j each change is a JSON line with its type ("change").
		for i, ch := range changes {
			env.Emit(ch, func(w io.Writer) { fmt.Fprintf(w, "%s%s\n", prefix, summary[i]) })
		}
		return nil
	}
	if ok, err := env.Confirm("install gz-tools from "+from, summary); !ok || err != nil {
		return err
	}
	closeLog, err := env.LogToFile()
	if err != nil {
		return err
	}
	defer closeLog()
	done, err := plan.Apply(env.Ctx)
	for _, ch := range done {
		if err := env.Emit(ch, func(w io.Writer) { fmt.Fprintf(w, "%-14s %s (%s)\n", ch.What, ch.Path, ch.Detail) }); err != nil {
			return err
		}
	}
	if err != nil {
		return refusal(fmt.Errorf("%w; the previous tools are still in place: run gztools-install again", err))
	}
	return nil
}

// refusal marks a refused source as a finding (exit 1): the source is at
// fault, not the tool.
func refusal(err error) error {
	if gztools.Refused(err) {
		return tool.Problem(fmt.Errorf("%w; nothing was installed", err))
	}
	return err
}
