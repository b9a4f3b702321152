package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"cntools/internal/node"
	"cntools/internal/tool"
)

// manual is what a tool's man page says beyond its help: the exit codes'
// meaning for it, the files it reads and writes, and examples.
type manual struct {
	exit1    string      // what exit 1 means for this tool
	files    [][2]string // path, what it is
	examples [][2]string // what, command line
	seeAlso  []string    // beyond the other cn-tools tools
}

var logsLine = [2]string{node.LogDir + "/logs/", "one Bunyan log per run that changes something (read it with bunyan(1))"}

var manuals = map[string]manual{
	"usbkey-format": {
		exit1: "the target was refused (mounted, in a zpool, the boot disk, not removable, too small, or already a Triton key) and nothing was written",
		files: [][2]string{
			{"/usbkey", "the usbkey copy whose os/*/boot files format uses when no --boot-tarball or --boot-dir is given"},
			logsLine,
		},
		examples: [][2]string{
			{"Show what formatting a removable disk would do, then do it:", "usbkey-format -n /dev/rdsk/c2t0d0p0\nusbkey-format /dev/rdsk/c2t0d0p0"},
			{"Make an 8 GB key image from a platform's boot tarball:", "usbkey-format --boot-tarball boot-20260301T000000Z.tgz --size 8gb key.img"},
		},
		seeAlso: []string{"diskinfo(8)", "sdc-usbkey(1)"},
	},
	"usbkey-status": {
		exit1: "the key has a problem, which is listed",
		examples: [][2]string{
			{"Inspect the node's key:", "usbkey-status /dev/rdsk/c1t0d0p0"},
			{"The same as JSON:", "usbkey-status -j /dev/rdsk/c1t0d0p0 | json"},
		},
		seeAlso: []string{"sdc-usbkey(1)", "sgdisk(8)"},
	},
	"usbkey-populate": {
		exit1: "the content was refused (it does not fit, or FAT cannot hold a name) and the key was left as it was",
		files: [][2]string{
			{"/usbkey", "the default source: the headnode's key content"},
			{node.StandbyDir, "a core CN's standby copy, the source of a conversion"},
			{".joyliveusb", "the marker on a key, written last: a key without it is incomplete"},
			{node.NodeConfig, "this node's own config, which --node-config writes into the copy's config"},
			logsLine,
		},
		examples: [][2]string{
			{"Fill a formatted key from the standby copy:", "usbkey-populate --from " + node.StandbyDir + " /dev/rdsk/c2t0d0p0"},
			{"Fill a key image from a headnode over SSH, keeping only the running platform:", "usbkey-populate --from root@10.99.99.7:/usbkey --platforms 20260301T000000Z key.img"},
		},
	},
	"usbkey-sync": {
		exit1: "a target has a conflict (a file changed there since the last sync) or was refused",
		files: [][2]string{
			{"/usbkey", "the default source, on the headnode"},
			{node.StandbyDir + "/", "the default standby copy on each core CN"},
			{".cntools-manifest.json", "the manifest in each copy, written last, 0600"},
			{"/opt/smartdc/etc/cn-tools/standby-targets", "the targets, one a line, when no --target is given"},
			{"/opt/smartdc/etc/cn-tools/id_ed25519", "the identity usbkey-sync logs in with (setup creates it)"},
			{"/opt/smartdc/etc/cn-tools/known_hosts", "the host keys usbkey-sync trusts first"},
			logsLine,
		},
		examples: [][2]string{
			{"Set up the identity and trust, then sync to two core CNs:", "usbkey-sync -t cn1 -t cn2 setup\nusbkey-sync -t cn1 -t cn2"},
			{"After sdcadm platform install:", "usbkey-sync hook platform-install 20260301T000000Z"},
			{"What a sync would send, without sending it:", "usbkey-sync -n"},
		},
		seeAlso: []string{"sdcadm(1)", "sdc-oneachnode(1)", "ssh(1)"},
	},
	"usbkey-drift": {
		exit1: "the copies drift: a file differs, is missing, or is extra",
		files: [][2]string{
			{node.CacheDir + "/", "hash caches, so that a second manifest of a tree reads only what changed"},
			{node.StandbyDir, "a core CN's standby copy"},
		},
		examples: [][2]string{
			{"Compare the key, the usbkey copy and a standby copy:", "usbkey-drift --key /dev/rdsk/c1t0d0p0 --usbkey /usbkey --standby cn1"},
			{"Compare every node's standby copy in the DC against the headnode's:", "usbkey-drift collect --reference usbkey.json"},
		},
		seeAlso: []string{"sdc-oneachnode(1)"},
	},
	"gztools-install": {
		exit1: "--check found the installed tools out of step with the source",
		files: [][2]string{
			{"/usbkey", "the default source: tools.tar.gz, cn_tools.tar.gz, sdcadm-install.sh, extra/sdcadm/"},
			{"/opt/smartdc/bin", "the headnode global-zone tools, installed from tools.tar.gz"},
			{node.SdcadmDir, "sdcadm, installed from its tarball or shar"},
			{"/usbkey/extra/joysetup/cn_tools.tar.gz", "what CN setup fetches; the previous one is kept beside it"},
			logsLine,
		},
		examples: [][2]string{
			{"Install the gz tools and sdcadm on a converted node, then check them:", "gztools-install\ngztools-install --check"},
			{"Install from a gz-tools image:", "gztools-install --from gz-tools-20260301T000000Z.tgz"},
		},
		seeAlso: []string{"sdcadm(1)"},
	},
	"convert-to-headnode": {
		exit1: "a preflight check failed and nothing was changed",
		files: [][2]string{
			{node.StandbyDir, "the default source: this core CN's standby copy"},
			{node.CopyDir, "scratch space where the usbkey copy is built, removed by finish"},
			{node.StateDir + "/convert-to-headnode.json", "the journal a rerun continues from"},
			{"/var/svc/manifest/site/cn-tools-finish.xml", "the one-shot service that runs finish after the reboots"},
			{node.NodeConfig, "this node's config, moved aside by finish"},
			logsLine,
		},
		examples: [][2]string{
			{"See the plan, then convert this CN, its key on c1t0d0:", "convert-to-headnode -n --key /dev/rdsk/c1t0d0p0\nconvert-to-headnode --key /dev/rdsk/c1t0d0p0"},
			{"Where a conversion stands, and how to continue it:", "convert-to-headnode status"},
		},
		seeAlso: []string{"sdcadm(1)", "sdc-server(1)", "reboot(8)"},
	},
}

// WriteManPages writes NAME.1 for every tool into dir.
func WriteManPages(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, n := range Names() {
		if err := os.WriteFile(filepath.Join(dir, n+".1"), []byte(ManPage(n)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ManPage renders a tool's man page in roff (man(7)): NAME, SYNOPSIS with
// operands, DESCRIPTION, OPTIONS, COMMANDS, EXIT STATUS, FILES, EXAMPLES,
// SEE ALSO. urfave/cli's own ToMan renders through markdown, which eats
// <placeholders> as HTML; this keeps every character of the help.
func ManPage(name string) string {
	app := App(name)
	m := manuals[name]
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	line(`.TH %s 1 "" "cn-tools %s" "cn-tools"`, strings.ToUpper(name), roff(tool.Version))
	line(".SH NAME")
	line(`%s \- %s`, roff(name), roff(app.Usage))

	line(".SH SYNOPSIS")
	line(".nf")
	for _, u := range synopses(name, app) {
		rest := strings.TrimPrefix(u, name)
		line(`\fB%s\fR%s`, roff(name), roff(rest))
	}
	line(".fi")

	if app.Description != "" {
		line(".SH DESCRIPTION")
		paragraphs(&b, app.Description)
	}
	if fs := visibleFlags(app.Flags); len(fs) > 0 {
		line(".SH OPTIONS")
		flags(&b, fs)
	}
	if len(app.Commands) > 0 {
		line(".SH COMMANDS")
		for _, c := range app.Commands {
			if c.Hidden {
				continue
			}
			line(".TP")
			line(`\fB%s\fR %s`, roff(c.Name), roff(c.ArgsUsage))
			line("%s", roff(c.Usage))
			if c.Description != "" {
				line(".RS")
				paragraphs(&b, c.Description)
				line(".RE")
			}
			if fs := visibleFlags(c.Flags); len(fs) > 0 {
				line(".RS")
				flags(&b, fs)
				line(".RE")
			}
		}
	}

	line(".SH EXIT STATUS")
	exit1 := m.exit1
	if exit1 == "" {
		exit1 = "the check found a problem"
	}
	for _, e := range [][2]string{{"0", "success"}, {"1", exit1}, {"2", "a usage or runtime error, printed once on stderr"}} {
		line(".TP")
		line("%s", e[0])
		line("%s", roff(e[1]))
	}
	if len(m.files) > 0 {
		line(".SH FILES")
		for _, f := range m.files {
			line(".TP")
			line(`\fI%s\fR`, roff(f[0]))
			line("%s", roff(f[1]))
		}
	}
	if len(m.examples) > 0 {
		line(".SH EXAMPLES")
		for _, e := range m.examples {
			line(".PP")
			line("%s", roff(e[0]))
			line(".PP")
			line(".RS 4")
			line(".nf")
			for _, l := range strings.Split(e[1], "\n") {
				line("%s", roff(l))
			}
			line(".fi")
			line(".RE")
		}
	}
	line(".SH SEE ALSO")
	var see []string
	for _, n := range Names() {
		if n != name {
			see = append(see, `\fB`+roff(n)+`\fR(1)`)
		}
	}
	for _, s := range m.seeAlso {
		see = append(see, roff(s))
	}
	line("%s", strings.Join(see, ", "))
	return b.String()
}

// synopses are the tool's usage lines, each with its operands.
func synopses(name string, app *cli.App) []string {
	if app.UsageText == "" {
		return []string{name + " [options] " + app.ArgsUsage}
	}
	var out []string
	for _, l := range strings.Split(app.UsageText, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// paragraphs renders help text: blank lines part paragraphs, and a line
// starting "- " is a bullet.
func paragraphs(b *strings.Builder, text string) {
	for _, p := range strings.Split(strings.TrimSpace(text), "\n\n") {
		var cur []string
		flush := func(bullet bool) {
			if len(cur) == 0 {
				return
			}
			if bullet {
				fmt.Fprintln(b, `.IP \(bu 2`)
			} else {
				fmt.Fprintln(b, ".PP")
			}
			fmt.Fprintln(b, roff(strings.Join(cur, " ")))
			cur = nil
		}
		bullet := false
		for _, l := range strings.Split(p, "\n") {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "- ") {
				flush(bullet)
				bullet, t = true, strings.TrimPrefix(t, "- ")
			}
			cur = append(cur, t)
		}
		flush(bullet)
	}
}

func visibleFlags(fs []cli.Flag) []cli.Flag {
	var out []cli.Flag
	for _, f := range fs {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		out = append(out, f)
	}
	return out
}

// flags renders options as tagged paragraphs: each name, its placeholder,
// its usage and default.
func flags(b *strings.Builder, fs []cli.Flag) {
	for _, f := range fs {
		d, ok := f.(cli.DocGenerationFlag)
		if !ok {
			continue
		}
		placeholder, usage := unquoteUsage(d.GetUsage())
		if d.TakesValue() && placeholder == "" {
			placeholder = "value"
		}
		var names []string
		for _, n := range f.Names() {
			dash := `\-`
			if len(n) > 1 {
				dash = `\-\-`
			}
			s := `\fB` + dash + roff(n) + `\fR`
			if d.TakesValue() {
				s += ` \fI` + roff(placeholder) + `\fR`
			}
			names = append(names, s)
		}
		fmt.Fprintln(b, ".TP")
		fmt.Fprintln(b, strings.Join(names, ", "))
		if def := d.GetDefaultText(); def != "" && d.TakesValue() {
			usage += " (default: " + def + ")"
		} else if v := d.GetValue(); v != "" && d.TakesValue() {
			usage += " (default: " + v + ")"
		}
		fmt.Fprintln(b, roff(usage))
	}
}

// roff escapes text for a man page: backslashes, hyphens (so that options
// copy as ASCII), and a leading period or quote.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// unquoteUsage splits a flag's usage as urfave/cli does (its unexported
// unquoteUsage, flag.go:248): the first `quoted` word is the placeholder,
// left in the text without its quotes.
func unquoteUsage(usage string) (placeholder, text string) {
	i := strings.IndexByte(usage, '`')
	if i < 0 {
		return "", usage
	}
	j := strings.IndexByte(usage[i+1:], '`')
	if j < 0 {
		return "", usage
	}
	name := usage[i+1 : i+1+j]
	return name, usage[:i] + name + usage[i+2+j:]
}
