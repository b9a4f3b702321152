package cmd

import (
	"reflect"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"cntools/gztools"
	"cntools/usbkey/drift"
	"cntools/usbkey/key"
	keysync "cntools/usbkey/keysync"
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
		{From: "/zones/usbkey-standby", Target: "/zones/usbkey-copy", NodeConfig: true, Headnode: true, BootPlatform: "20260301T000000Z", BootPool: "zones", Mkdir: true, Yes: true},
		{From: "root@cn1:/zones/usbkey-standby", Target: "key.img", Platforms: []string{"20260301T000000Z"}, Include: []string{"extra"}, NoVerify: true, Force: true},
	} {
		var got populate.Request
		parse(t, populateApp(), want.Args(), func(c *cli.Context) { got = populateRequest(c, c.Args().First()) })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("usbkey-populate %v parsed as %+v, want %+v", want.Args(), got, want)
		}
	}
}

func TestFormatArgsRoundTrip(t *testing.T) {
	for _, want := range []key.FormatRequest{
		{Target: "/dev/rdsk/c1t0d0p0"},
		{Target: "key.img", BootTarball: "boot-20260301T000000Z.tgz", Size: "4gb", ESPImage: "esp.img", Force: true, Yes: true},
		{Target: "/dev/rdsk/c2t0d0p0", BootDir: "/zones/usbkey-copy", OverwriteKey: true, Yes: true},
	} {
		var got key.FormatRequest
		parse(t, formatApp(), want.Args(), func(c *cli.Context) { got = formatRequest(c, c.Args().First()) })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("usbkey-format %v parsed as %+v, want %+v", want.Args(), got, want)
		}
	}
}

func TestGztoolsArgsRoundTrip(t *testing.T) {
	for _, want := range []gztools.Request{
		{From: "/usbkey"},
		{From: "/zones/usbkey-copy", Sdcadm: "sdcadm.sh", SkipUsbkey: true, Yes: true},
		{From: "gz-tools-20260301T000000Z.tgz", Check: true},
	} {
		var got gztools.Request
		parse(t, gztoolsInstallApp(), want.Args(), func(c *cli.Context) { got = gztoolsRequest(c) })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("gztools-install %v parsed as %+v, want %+v", want.Args(), got, want)
		}
	}
}

func TestSyncArgsRoundTrip(t *testing.T) {
	for _, want := range []keysync.Request{
		{},
		{From: "/usbkey", Targets: []string{"ssh://root@cn1:2222/zones/usbkey-standby", "cn2:/zones/usbkey-standby"}, Jobs: 3, Files: 8, Delete: true, Verify: "sha256sum",
			Identity: []string{"/opt/smartdc/etc/cn-tools/id_ed25519"}, KnownHosts: []string{"kh"}, ConnectTimeout: 7 * time.Second, DryRun: true},
		{Discover: true, SapiURL: "http://sapi", CnapiURL: "http://cnapi", TargetsFile: "targets", Force: true},
	} {
		var got keysync.Request
		parse(t, syncApp(), want.Args(), func(c *cli.Context) { got = syncRequest(c) })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("usbkey-sync %v parsed as %+v, want %+v", want.Args(), got, want)
		}
	}
}

func TestDriftArgsRoundTrip(t *testing.T) {
	for _, want := range []drift.Request{
		{},
		{Key: "/dev/rdsk/c1t0d0p0", Usbkey: "/usbkey", Standby: []string{"root@cn1", "./standby"}, All: true, IgnoreMTime: true, SFTP: true, NoCache: true},
		{Key: drift.None, Usbkey: drift.None, Standby: []string{"ssh://cn2/zones/usbkey-standby"}},
	} {
		var got drift.Request
		parse(t, driftApp(), want.Args(), func(c *cli.Context) { got = driftRequest(c) })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("usbkey-drift %v parsed as %+v, want %+v", want.Args(), got, want)
		}
	}
}
