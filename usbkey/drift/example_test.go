package drift_test

import (
	"os"
	"strings"

	"cntools/usbkey/drift"
)

// Manifests collected on two nodes (usbkey-drift manifest /usbkey on the
// headnode, the standby copy on a CN), compared in one place.
func Example() {
	hn := `{"version":1,"entries":[
{"path":"boot","type":"dir","mode":"0755","mtime":"2026-03-01T00:00:01Z"},
{"path":"boot/loader.conf","type":"file","size":1,"mode":"0644","mtime":"2026-03-01T00:00:01Z","sha256":"` + strings.Repeat("a", 64) + `"},
{"path":"license","type":"file","size":1,"mode":"0644","mtime":"2026-03-01T00:00:01Z","sha256":"` + strings.Repeat("b", 64) + `"}
]}`
	cn := `{"version":1,"entries":[
{"path":"boot","type":"dir","mode":"0755","mtime":"2026-03-02T00:00:01Z"},
{"path":"boot/loader.conf","type":"file","size":1,"mode":"0644","mtime":"2026-03-01T00:00:01Z","sha256":"` + strings.Repeat("c", 64) + `"},
{"path":"version","type":"file","size":1,"mode":"0644","mtime":"2026-03-01T00:00:01Z","sha256":"` + strings.Repeat("d", 64) + `"}
]}`
	ref, err := drift.LoadManifest("headnode", strings.NewReader(hn))
	if err != nil {
		panic(err)
	}
	standby, err := drift.LoadManifest("cn1", strings.NewReader(cn))
	if err != nil {
		panic(err)
	}
	r := drift.Compare(ref, []*drift.Copy{standby}, drift.Options{})
	r.WriteText(os.Stdout)
	// Output:
	// M    boot/loader.conf
	// -    license
	// +    version
}
