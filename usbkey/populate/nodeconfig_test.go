package populate

import (
	"os"
	"strings"
	"testing"

	"cntools/internal/node"
)

// A headnode with an aggregation of its own, an underlay tag and an MTU,
// all of which are the old headnode's and must go.
const oldHeadnode = `# headnode0
admin_nic=00:0c:29:aa:bb:01
admin_ip=10.99.99.7
admin_netmask=255.255.255.0
external_nic=aggr9
aggr9_aggr=00:0c:29:aa:bb:02,00:0c:29:aa:bb:03
aggr9_lacp_mode=active
aggr9_mtu=9000
sdc_underlay_nic=00:0c:29:aa:bb:04
external_ip=192.168.128.5
external_mac=90:b8:d0:12:34:56
external_gateway=192.168.128.1
external_netmask=255.255.255.0
# external_vlan_id=999
external_network=192.168.128.0
external_provisionable_start=192.168.128.20
headnode_default_gateway=192.168.128.1
compute_node_ntp_hosts=10.99.99.7
ntp_hosts=pool.ntp.org
hostname=headnode0
`

func sysinfo(t *testing.T, js string) node.Sysinfo {
	t.Helper()
	si, err := node.ParseSysinfo([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return si
}

func TestForNodeVariants(t *testing.T) {
	for _, c := range []struct {
		name       string
		sysinfo    string
		bootParams map[string]string
		networking string
		want       []string // lines the new config has
		wantNot    []string // keys it must not have
	}{{
		name: "admin on a NIC, external tag without an address, an underlay tag",
		sysinfo: `{"Hostname":"cn7","Network Interfaces":{
			"ixgbe0":{"MAC Address":"0c:c4:7a:aa:bb:01","ip4addr":"10.99.99.37","NIC Names":["admin"]},
			"ixgbe1":{"MAC Address":"0c:c4:7a:aa:bb:02","ip4addr":"","NIC Names":["external","sdc_underlay"]}}}`,
		bootParams: map[string]string{"admin_nic": "0c:c4:7a:aa:bb:01", "external_nic": "0c:c4:7a:aa:bb:02", "sdc_underlay_nic": "0c:c4:7a:aa:bb:02", "rabbitmq": "guest:guest:10.99.99.24:5672", "console": "ttyb"},
		want: []string{"hostname=cn7", "admin_nic=0c:c4:7a:aa:bb:01", "admin_ip=10.99.99.37", "external_nic=0c:c4:7a:aa:bb:02",
			"sdc_underlay_nic=0c:c4:7a:aa:bb:02", "external_gateway=192.168.128.1", "external_network=192.168.128.0",
			"external_provisionable_start=192.168.128.20", "# external_vlan_id=999", "headnode_default_gateway=192.168.128.1",
			"compute_node_ntp_hosts=10.99.99.37", "ntp_hosts=pool.ntp.org", "admin_netmask=255.255.255.0"},
		wantNot: []string{"external_ip", "external_mac", "aggr9_aggr", "aggr9_lacp_mode", "aggr9_mtu", "admin_tag"},
	}, {
		name: "admin on an aggregation, no external tag",
		// sysinfo lists the aggregation as a network interface, not its
		// ports (smartos-live src/sysinfo 495-535, 1157-1172).
		sysinfo: `{"Hostname":"cn8","Network Interfaces":{
			"aggr0":{"MAC Address":"0c:c4:7a:aa:cc:01","ip4addr":"10.99.99.38","NIC Names":["admin"]}},
			"Link Aggregations":{"aggr0":{"LACP mode":"active","Interfaces":["ixgbe0","ixgbe1"]}}}`,
		bootParams: map[string]string{"admin_nic": "aggr0", "aggr0_aggr": `"0c:c4:7a:aa:cc:01,c:c4:7a:aa:cc:2"`, "aggr0_lacp_mode": "active"},
		want: []string{"hostname=cn8", "admin_nic=aggr0", "admin_ip=10.99.99.38", "aggr0_aggr=0c:c4:7a:aa:cc:01,0c:c4:7a:aa:cc:02",
			"aggr0_lacp_mode=active", "compute_node_ntp_hosts=10.99.99.38", "external_network=192.168.128.0"},
		wantNot: []string{"external_nic", "external_ip", "external_mac", "headnode_default_gateway", "sdc_underlay_nic", "aggr9_aggr"},
	}, {
		name: "external address on external0",
		sysinfo: `{"Hostname":"cn9","Network Interfaces":{
			"ixgbe0":{"MAC Address":"0c:c4:7a:aa:dd:01","ip4addr":"10.99.99.39","NIC Names":["admin"]},
			"ixgbe1":{"MAC Address":"0c:c4:7a:aa:dd:02","NIC Names":["external"]}},
			"Virtual Network Interfaces":{"external0":{"MAC Address":"90:b8:d0:11:22:33","ip4addr":"198.51.100.7","Host Interface":"ixgbe1"}}}`,
		bootParams: map[string]string{"admin_nic": "0c:c4:7a:aa:dd:01", "external_nic": "0c:c4:7a:aa:dd:02"},
		want:       []string{"external_ip=198.51.100.7", "external_mac=90:b8:d0:11:22:33", "external_nic=0c:c4:7a:aa:dd:02", "headnode_default_gateway=192.168.128.1"},
	}, {
		name:    "booted with a networking.json: it alone describes the links",
		sysinfo: `{"Hostname":"cn10","Network Interfaces":{"ixgbe0":{"MAC Address":"0c:c4:7a:aa:ee:01","NIC Names":["admin"]}}}`,
		// Boot parameters a networking.json overrides are not read.
		bootParams: map[string]string{"admin_nic": "00:00:00:00:00:99", "stale_nic": "00:00:00:00:00:98"},
		networking: `{"admin_tag":"admin","nictags":[{"name":"admin","mac":"0c:c4:7a:aa:ee:01","mtu":1500},{"name":"sdc_underlay","mac":"0c:c4:7a:aa:ee:02","mtu":9000}],
			"aggregations":[{"name":"aggr1","macs":["0c:c4:7a:aa:ee:03","0c:c4:7a:aa:ee:04"],"lacp_mode":"passive","nic_tags_provided":["internal"]}],
			"vnics":[{"nic_tag":"admin","ip":"10.99.99.40","netmask":"255.255.255.0","mac":"0c:c4:7a:aa:ee:01"}]}`,
		want: []string{"admin_nic=0c:c4:7a:aa:ee:01", "admin_ip=10.99.99.40", "sdc_underlay_nic=0c:c4:7a:aa:ee:02", "sdc_underlay_mtu=9000",
			"admin_mtu=1500", "internal_nic=aggr1", "aggr1_aggr=0c:c4:7a:aa:ee:03,0c:c4:7a:aa:ee:04", "aggr1_lacp_mode=passive"},
		wantNot: []string{"stale_nic", "external_nic"},
	}} {
		t.Run(c.name, func(t *testing.T) {
			var nj []byte
			if c.networking != "" {
				nj = []byte(c.networking)
			}
			id, err := NodeIdentity(sysinfo(t, c.sysinfo), c.bootParams, nj)
			if err != nil {
				t.Fatalf("NodeIdentity: %v", err)
			}
			f, changes, err := ForNode([]byte(oldHeadnode), id)
			if err != nil {
				t.Fatalf("ForNode: %v", err)
			}
			got := string(f.Bytes())
			lines := map[string]bool{}
			for _, l := range strings.Split(got, "\n") {
				lines[l] = true
			}
			for _, w := range c.want {
				if !lines[w] {
					t.Errorf("config lacks %q:\n%s", w, got)
				}
			}
			for _, k := range c.wantNot {
				if _, _, ok := f.Get(k); ok {
					t.Errorf("config still has %s:\n%s", k, got)
				}
			}
			if len(changes) == 0 {
				t.Errorf("no changes reported")
			}
			// The first line and the admin line stay where they were.
			if !strings.HasPrefix(got, "# headnode0\nadmin_nic=") {
				t.Errorf("the config's order changed:\n%s", got)
			}
		})
	}
}

func TestForNodeKeepsEveryOtherLine(t *testing.T) {
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
	id, err := NodeIdentity(si, map[string]string{}, nil)
	if err != nil {
		t.Fatalf("NodeIdentity: %v", err)
	}
	f, _, err := ForNode(hn, id)
	if err != nil {
		t.Fatalf("ForNode: %v", err)
	}
	newText := string(f.Bytes())
	for _, l := range strings.Split(string(hn), "\n") {
		k, _, _ := strings.Cut(l, "=")
		switch k {
		case "admin_nic", "admin_ip", "hostname", "external_nic", "external_ip", "external_mac", "compute_node_ntp_hosts":
			continue
		}
		if !strings.Contains(newText, l) {
			t.Errorf("ForNode dropped or changed the line %q", l)
		}
	}
}

func TestNodeIdentityRefuses(t *testing.T) {
	for _, c := range []struct {
		name, sysinfo string
		bp            map[string]string
		nj, want      string
	}{
		{"no hostname", `{}`, nil, "", "sysinfo has no Hostname"},
		{"no admin tag", `{"Hostname":"x"}`, nil, "", "no nic tag admin in this node's boot parameters or sysinfo"},
		{"no admin address", `{"Hostname":"x"}`, map[string]string{"admin_nic": "00:00:00:00:00:01"}, "", "sysinfo shows no IPv4 address on nic tag admin"},
		{"a broken networking.json", `{"Hostname":"x"}`, nil, "{", "/system/boot/networking.json: unexpected end of JSON input"},
	} {
		var nj []byte
		if c.nj != "" {
			nj = []byte(c.nj)
		}
		_, err := NodeIdentity(sysinfo(t, c.sysinfo), c.bp, nj)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: NodeIdentity = %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// A tag sysinfo sees on an aggregation, with no boot parameter naming it,
// names the aggregation, not its MAC.
func TestNodeIdentityTagOnAggregationFromSysinfo(t *testing.T) {
	si := sysinfo(t, `{"Hostname":"cn8","Network Interfaces":{
		"aggr0":{"MAC Address":"0c:c4:7a:aa:cc:01","ip4addr":"10.99.99.38","NIC Names":["admin","internal"]}},
		"Link Aggregations":{"aggr0":{"LACP mode":"active","Interfaces":["ixgbe0","ixgbe1"]}}}`)
	id, err := NodeIdentity(si, map[string]string{"aggr0_aggr": "0c:c4:7a:aa:cc:01,0c:c4:7a:aa:cc:02"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id.Tags["admin"] != "aggr0" || id.Tags["internal"] != "aggr0" || id.AdminIP != "10.99.99.38" {
		t.Errorf("NodeIdentity = %+v, want admin and internal on aggr0 at 10.99.99.38", id)
	}
}
