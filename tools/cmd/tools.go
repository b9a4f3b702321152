package cmd

import (
	"context"
	"sort"

	"github.com/urfave/cli/v2"

	"cntools/internal/tool"
)

// apps maps each tool's name to its App constructor. A constructor builds
// fresh flags every call: urfave/cli v2 keeps parse state in them.
var apps = map[string]func() *cli.App{
	"usbkey-format":       formatApp,
	"usbkey-status":       statusApp,
	"usbkey-populate":     populateApp,
	"convert-to-headnode": convertApp,
	"gztools-install":     gztoolsInstallApp,
	"usbkey-drift":        driftApp,
	"usbkey-sync":         syncApp,
}

// Names lists every tool, sorted.
func Names() []string {
	var out []string
	for n := range apps {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// App returns the command named name, or nil.
func App(name string) *cli.App {
	if f, ok := apps[name]; ok {
		return f()
	}
	return nil
}

// Main runs the tool called name and returns its exit status.
func Main(ctx context.Context, name string, args []string, s tool.Streams) int {
	app := App(name)
	if app == nil {
		return tool.ExitError
	}
	app.Name = name
	return tool.Run(ctx, app, args, s)
}
