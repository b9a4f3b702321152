package manifest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

func Example() {
	usbkey, _ := os.MkdirTemp("", "usbkey")
	standby, _ := os.MkdirTemp("", "standby")
	defer os.RemoveAll(usbkey)
	defer os.RemoveAll(standby)
	os.WriteFile(filepath.Join(usbkey, "config"), []byte("hostname=headnode\n"), 0o644)
	os.WriteFile(filepath.Join(standby, "CONFIG"), []byte("hostname=cn7\n"), 0o644)
	os.WriteFile(filepath.Join(usbkey, ".joyliveusb"), nil, 0o644)

	ctx := context.Background()
	a, err := manifest.Build(ctx, keytree.Dir(usbkey), manifest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := manifest.Build(ctx, keytree.Dir(standby), manifest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range manifest.Compare(a, b, manifest.CompareOptions{IgnoreMTime: true}) {
		fmt.Println(d.Kind, d.Path)
	}
	// Output:
	// missing .joyliveusb
	// content config
}

func ExampleManifest_Encode() {
	t := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	m := &manifest.Manifest{Entries: []manifest.Entry{
		{Path: "os/latest", Type: manifest.TypeSymlink, Mode: 0o777, MTime: t, Target: "20260301T000000Z"},
		{Path: "os", Type: manifest.TypeDir, Mode: 0o755, MTime: t},
	}}
	m.Encode(os.Stdout)
	// Output:
	// {"version":1,"entries":[
	// {"path":"os","type":"dir","mode":"0755","mtime":"2026-03-01T00:00:00Z"},
	// {"path":"os/latest","type":"symlink","mode":"0777","mtime":"2026-03-01T00:00:00Z","target":"20260301T000000Z"}
	// ]}
}

func ExampleLoadCache() {
	dir, _ := os.MkdirTemp("", "cache")
	defer os.RemoveAll(dir)
	cachePath := filepath.Join(dir, "usbkey.sha256cache")
	c, err := manifest.LoadCache(cachePath) // a missing file is an empty cache
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := manifest.Build(context.Background(), keytree.Dir(dir), manifest.Options{Cache: c})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Save(cachePath); err != nil {
		fmt.Println(err)
	}
	fmt.Println(len(m.Entries))
	// Output: 0
}

func ExampleDecode() {
	m, err := manifest.Decode(strings.NewReader(`{"version":9,"entries":[]}`))
	fmt.Println(m, err)
	// Output: <nil> manifest: decode: unsupported manifest version 9: this build reads version 1 only: regenerate the manifest with this build's usbkey-drift manifest, or use the cntools that wrote it
}
