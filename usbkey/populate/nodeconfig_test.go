package populate

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"cntools/internal/node"
)

func TestForNode(t *testing.T) {
	hn, err := os.ReadFile("../config/testdata/headnode.config")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../internal/node/testdata/sysinfo.json")
	if err != nil {
		t.Fatal(err)
	}
	si, err := node.ParseSysinfo(raw)
	if err != nil {
		t.Fatal(err)
	}
	f, changes, err := ForNode(hn, si)
	if err != nil {
		t.Fatalf("ForNode: %v", err)
	}
	// The node's values, from sysinfo: admin on ixgbe0, external on the
	// external0 VNIC over ixgbe1 (so external_nic is ixgbe1's MAC).
	for k, want := range map[string]string{
		"hostname": "cn7", "admin_nic": "0c:c4:7a:aa:bb:01", "admin_ip": "10.99.99.37",
		"external_nic": "0c:c4:7a:aa:bb:02", "external_ip": "198.51.100.7", "external_mac": "90:b8:d0:11:22:33",
	} {
		if got, _, ok := f.Get(k); !ok || got != want {
			t.Errorf("ForNode: %s = %q, want %q", k, got, want)
		}
	}
	// Every line that is not per-node is untouched, byte for byte.
	oldLines := strings.Split(string(hn), "\n")
	newText := string(f.Bytes())
	for _, l := range oldLines {
		k, _, _ := strings.Cut(l, "=")
		switch k {
		case "admin_nic", "admin_ip", "hostname", "external_nic", "external_ip", "external_mac":
			continue
		}
		if !strings.Contains(newText, l) {
			t.Errorf("ForNode dropped or changed the line %q", l)
		}
	}
	if len(changes) == 0 {
		t.Errorf("ForNode reported no changes")
	}
	var b bytes.Buffer
	for _, c := range changes {
		fmt.Fprintln(&b, c)
	}
	if !strings.Contains(b.String(), "admin_ip: 10.99.99.7 -> 10.99.99.37") {
		t.Errorf("changes = %q, want the admin_ip change", b.String())
	}
}

func TestForNodeWithoutExternal(t *testing.T) {
	si, _ := node.ParseSysinfo([]byte(`{"Hostname":"cn2","Network Interfaces":{"e1000g0":{"MAC Address":"00:00:00:00:00:01","ip4addr":"10.0.0.2","NIC Names":["admin"]}}}`))
	f, _, err := ForNode([]byte("a=1\nexternal_ip=1.2.3.4\nexternal_nic=aa\nheadnode_default_gateway=1.2.3.1\nadmin_ip=10.0.0.1\n"), si)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(f.Bytes()), "a=1\nadmin_ip=10.0.0.2\nhostname=cn2\nadmin_nic=00:00:00:00:00:01\n"; got != want {
		t.Errorf("ForNode = %q, want %q", got, want)
	}
	if _, _, err := ForNode([]byte("a=1\n"), node.Sysinfo{Raw: map[string]any{"Hostname": "x"}}); err == nil || !strings.Contains(err.Error(), "tagged admin") {
		t.Errorf("ForNode without an admin NIC = %v, want an error about the admin tag", err)
	}
}
