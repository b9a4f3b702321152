package testscripts

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/urfave/cli/v2"

	"cntools/tools/cmd"
)

// notNDJSON are the commands that take -j (from their tool) but print
// something else, and why.
var notNDJSON = map[string]string{
	"usbkey-drift manifest": "prints the canonical manifest, a JSON document that compare and collect read, with or without -j",
	"usbkey-sync state":     "hidden, run by a sync on its target: one line of hashes the sync reads (keysync/listing.go)",
	"usbkey-sync receive":   "hidden, run by a sync on its target: the answers of its stream (keysync/receive.go)",
}

// noDryRun are the commands that inherit -n from their tool but have no
// dry run to show.
var noDryRun = map[string]string{
	"convert-to-headnode status": "it only reads",
	"usbkey-sync setup":          "it refuses --dry-run: without --install it only prints",
}

// TestJSONScripts holds every tool to issue 13's JSON contract: each
// command that takes -j has a run in testscripts/TOOL_json.txtar with -j
// whose stdout jsonnorm checks next (every line one object, "type" first,
// snake_case names) against a golden, and one with -n as well where the
// command has a dry run, so a dry run prints JSON only.
func TestJSONScripts(t *testing.T) {
	for _, name := range cmd.Names() {
		app := cmd.App(name)
		data, err := os.ReadFile(name + "_json.txtar")
		if err != nil {
			t.Errorf("%s: no golden JSON script: %v", name, err)
			continue
		}
		runs := jsonRuns(string(txtar.Parse(data).Comment), name)
		root := &cli.Command{Name: name, Flags: app.Flags, Subcommands: app.Commands, Action: app.Action}
		walkCommands(root, nil, nil, func(path []string, flags []cli.Flag) {
			full := strings.Join(append([]string{name}, path...), " ")
			if !hasFlag(flags, "json") || notNDJSON[full] != "" {
				return
			}
			var withJ, withN bool
			for _, r := range runs {
				if slices.Equal(r.path(root), path) && r.json {
					withJ = true
					withN = withN || r.dryRun
				}
			}
			if !withJ {
				t.Errorf("%s_json.txtar: no run of %q with -j followed by jsonnorm stdout", name, full)
			}
			if hasFlag(flags, "dry-run") && noDryRun[full] == "" && !withN {
				t.Errorf("%s_json.txtar: no run of %q with -n -j followed by jsonnorm stdout", name, full)
			}
		})
	}
}

// walkCommands calls f for c and each command under it that does
// something (a command that only groups others has nothing to print),
// with the flags it takes, its own and its parents'.
func walkCommands(c *cli.Command, path []string, flags []cli.Flag, f func([]string, []cli.Flag)) {
	flags = append(slices.Clip(flags), c.Flags...)
	if c.Action != nil {
		f(path, flags)
	}
	for _, s := range c.Subcommands {
		walkCommands(s, append(slices.Clip(path), s.Name), flags, f)
	}
}

func hasFlag(flags []cli.Flag, name string) bool {
	for _, fl := range flags {
		if slices.Contains(fl.Names(), name) {
			return true
		}
	}
	return false
}

// jsonRun is one run of the tool in a script whose stdout jsonnorm reads
// next.
type jsonRun struct {
	words        []string
	json, dryRun bool
}

// path is the subcommands the run names, as urfave/cli finds them: each
// word that names a subcommand of the one before.
func (r jsonRun) path(root *cli.Command) []string {
	var path []string
	at := root
	for _, w := range r.words {
		for _, s := range at.Subcommands {
			if s.Name == w {
				path, at = append(path, w), s
				break
			}
		}
	}
	return path
}

// jsonRuns finds the runs of tool in script (exec or exitcode N) that
// are followed, past comments, by jsonnorm reading their stdout.
func jsonRuns(script, tool string) []jsonRun {
	var lines []string
	for _, l := range strings.Split(script, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	var runs []jsonRun
	for i, l := range lines {
		w := strings.Fields(l)
		switch {
		case len(w) > 1 && w[0] == "exec":
			w = w[1:]
		case len(w) > 2 && w[0] == "exitcode":
			w = w[2:]
		default:
			continue
		}
		if w[0] != tool || i+1 == len(lines) {
			continue
		}
		next := strings.Fields(lines[i+1])
		if len(next) < 3 || next[0] != "jsonnorm" || next[len(next)-2] != "stdout" {
			continue
		}
		r := jsonRun{words: w[1:]}
		for _, a := range r.words {
			r.json = r.json || a == "-j" || a == "--json"
			r.dryRun = r.dryRun || a == "-n" || a == "--dry-run"
		}
		runs = append(runs, r)
	}
	return runs
}
