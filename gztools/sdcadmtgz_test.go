package gztools_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cntools/gztools"
	"cntools/gztools/gztoolstest"
	"cntools/internal/node"
	"cntools/internal/tarx"
)

// deploy lays out the sdcadm of stamp in root's /opt/smartdc/sdcadm, as
// sdcadm self-update leaves it.
func deploy(t *testing.T, root, stamp string) {
	t.Helper()
	tgz := filepath.Join(t.TempDir(), "contents.tgz")
	if err := gztoolstest.WriteTarGz(tgz, gztoolstest.SdcadmContents(stamp)); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(root, gztools.SdcadmDir)
	if err := os.RemoveAll(dest); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := tarx.ExtractFile(context.Background(), tgz, dest, tarx.Options{}); err != nil {
		t.Fatal(err)
	}
}

func tarballs(t *testing.T, usbkey string) []string {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(usbkey, gztools.SdcadmTarballDir))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestPackSdcadm(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	n := node.New(root)
	usbkey := n.Path(node.UsbkeyDir)
	deploy(t, root, "1.39.0-20260301T000000Z")
	p, err := gztools.PackSdcadm(ctx, n, usbkey)
	if err != nil {
		t.Fatalf("PackSdcadm = %v", err)
	}
	want := filepath.Join(usbkey, "extra/sdcadm/sdcadm-1.39.0-20260301T000000Z.tgz")
	if p.Version != "1.39.0-20260301T000000Z" || p.Path != want || p.Skipped {
		t.Fatalf("PackSdcadm = %+v, want version 1.39.0-20260301T000000Z packed at %s", p, want)
	}
	fi, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	// The same version again: skipped, the tarball untouched.
	p, err = gztools.PackSdcadm(ctx, n, usbkey)
	if err != nil || !p.Skipped {
		t.Fatalf("PackSdcadm again = %+v, %v, want skipped", p, err)
	}
	if fi2, _ := os.Stat(want); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Errorf("PackSdcadm again rewrote %s", want)
	}
	// Two self-updates later only the newest two are kept.
	for _, s := range []string{"1.40.0-20260401T000000Z", "1.100.0-20260501T000000Z"} {
		deploy(t, root, s)
		if _, err := gztools.PackSdcadm(ctx, n, usbkey); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(tarballs(t, usbkey), " ")
	if want := "sdcadm-1.100.0-20260501T000000Z.tgz sdcadm-1.40.0-20260401T000000Z.tgz"; got != want {
		t.Errorf("tarballs after three versions = %s, want %s", got, want)
	}
	nt, ok, err := gztools.NewestSdcadmTarball(filepath.Join(usbkey, gztools.SdcadmTarballDir))
	if err != nil || !ok || nt.Version != "1.100.0-20260501T000000Z" {
		t.Errorf("NewestSdcadmTarball = %+v, %v, %v, want 1.100.0 (a number, not text: 100 > 40)", nt, ok, err)
	}
}

func TestPackSdcadmRefusesMissing(t *testing.T) {
	n := node.New(t.TempDir())
	_, err := gztools.PackSdcadm(context.Background(), n, n.Path(node.UsbkeyDir))
	if err == nil || !strings.Contains(err.Error(), "no sdcadm at /opt/smartdc/sdcadm") {
		t.Errorf("PackSdcadm without sdcadm = %v, want no sdcadm at /opt/smartdc/sdcadm", err)
	}
}

func TestSdcadmVersion(t *testing.T) {
	for _, tc := range []struct{ pkg, stamp, want string }{
		{`{"version":"1.39.0"}`, "release-20260301-20260301T000000Z-gabcdef0\n", "1.39.0-release-20260301-20260301T000000Z-gabcdef0"},
		{`{"version":"1.39.0"}`, "", "1.39.0"},
		{`{"version":"1.39.0"}`, "1.39.0\n", "1.39.0"},
		{`{"version":"1.39.0 beta/2"}`, "", "1.39.0_beta_2"},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "package.json"), []byte(tc.pkg), 0o644)
		if tc.stamp != "" {
			os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
			os.WriteFile(filepath.Join(dir, "etc/buildstamp"), []byte(tc.stamp), 0o644)
		}
		if got, err := gztools.SdcadmVersion(dir); got != tc.want || err != nil {
			t.Errorf("SdcadmVersion(%s, %q) = %q, %v, want %q", tc.pkg, tc.stamp, got, err, tc.want)
		}
	}
}

// A usbkey copy with both the install-time shar and the deployed sdcadm's
// tarball installs the tarball, and says so in the plan and the result.
func TestInstallPrefersDeployedSdcadm(t *testing.T) {
	ctx := context.Background()
	hn := t.TempDir()
	deploy(t, hn, "1.40.0-20260401T000000Z")
	root := t.TempDir()
	n := node.New(root)
	usbkey := n.Path(node.UsbkeyDir)
	if err := gztoolstest.WriteUsbkeyCopy(usbkey, "1", "0b0b0b0b-0000-4000-8000-000000000001", "1.39.0-20260301T000000Z"); err != nil {
		t.Fatal(err)
	}
	if _, err := gztools.PackSdcadm(ctx, node.New(hn), usbkey); err != nil {
		t.Fatal(err)
	}
	writeSysinfo(t, root)
	plan, err := gztools.NewPlan(ctx, n, gztools.Request{SkipUsbkey: true}, gztools.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	const want = "sdcadm 1.40.0-20260401T000000Z from /usbkey/extra/sdcadm/sdcadm-1.40.0-20260401T000000Z.tgz"
	var planned string
	for _, c := range plan.Changes() {
		if c.Path == gztools.SdcadmDir {
			planned = c.Detail
		}
	}
	if !strings.HasPrefix(planned, want+": ") {
		t.Errorf("planned sdcadm change = %q, want it to start %q", planned, want)
	}
	done, err := plan.Apply(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var applied string
	for _, c := range done {
		if c.Path == gztools.SdcadmDir {
			applied = c.Detail
		}
	}
	if applied != want {
		t.Errorf("applied sdcadm change = %q, want %q", applied, want)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "opt/smartdc/sdcadm/etc/buildstamp")); string(b) != "1.40.0-20260401T000000Z\n" {
		t.Errorf("installed buildstamp = %q, want the deployed 1.40.0-20260401T000000Z", b)
	}
	if l, _ := os.Readlink(filepath.Join(root, "opt/smartdc/bin/sdcadm")); l != "/opt/smartdc/sdcadm/bin/sdcadm" {
		t.Errorf("bin/sdcadm -> %q, want /opt/smartdc/sdcadm/bin/sdcadm", l)
	}
}

func writeSysinfo(t *testing.T, root string) {
	t.Helper()
	p := filepath.Join(root, "tmp/.sysinfo.json")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(`{"UUID": "44454c4c-5000-1048-8058-b2c04f565031", "Boot Parameters": {"headnode": "false"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
}
