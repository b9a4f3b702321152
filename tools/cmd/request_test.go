package cmd

import (
	"reflect"
	"testing"

	"github.com/urfave/cli/v2"

	"cntools/usbkey/populate"
)

// parse runs app's flag parsing on args and hands the context to got.
func parse(t *testing.T, app *cli.App, args []string, got func(c *cli.Context)) {
	t.Helper()
	app.Action = func(c *cli.Context) error { got(c); return nil }
	app.ExitErrHandler = func(*cli.Context, error) {}
	if err := app.Run(append([]string{app.Name}, args...)); err != nil {
		t.Fatalf("%s %v: %v", app.Name, args, err)
	}
}

// A request's Args, given back to the tool, make the same request: the
// command a conversion prints is the step it runs.
func TestPopulateArgsRoundTrip(t *testing.T) {
	for _, want := range []populate.Request{
		{From: "/usbkey", Target: "/dev/rdsk/c1t0d0p0"},
		{From: "/zones/usbkey-standby", Target: "/zones/usbkey-copy", NodeConfig: true, Headnode: true, BootPool: "zones", Mkdir: true, Yes: true},
		{From: "root@cn1:/zones/usbkey-standby", Target: "key.img", Platforms: []string{"20260301T000000Z"}, Include: []string{"extra"}, NoVerify: true, Force: true},
	} {
		var got populate.Request
		parse(t, populateApp(), want.Args(), func(c *cli.Context) { got = populateRequest(c, c.Args().First()) })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("usbkey-populate %v parsed as %+v, want %+v", want.Args(), got, want)
		}
	}
}
