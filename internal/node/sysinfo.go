package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Sysinfo is the JSON object sysinfo prints. Raw keeps every key, since
// sysinfo's keys vary with the platform; the methods read the ones the tools
// need, under their real names.
type Sysinfo struct {
	Raw map[string]any
}

// NIC is one entry of sysinfo's "Network Interfaces" or "Virtual Network
// Interfaces".
type NIC struct {
	Name       string   // the interface, e.g. "ixgbe0"; the map key in sysinfo
	MAC        string   // "MAC Address"
	IPv4       string   // "ip4addr"; empty when the interface has none
	LinkStatus string   // "Link Status", e.g. "up"
	NICNames   []string // "NIC Names": the nic tags on it, e.g. ["admin"]
	Host       string   // "Host Interface": the physical NIC under a VNIC
}

// ParseSysinfo parses sysinfo's JSON output. Anything but one JSON object is
// an error.
func ParseSysinfo(b []byte) (Sysinfo, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // sizes such as "Size in GB" stay exact
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return Sysinfo{}, fmt.Errorf("parse sysinfo json: %w", err)
	}
	if raw == nil {
		return Sysinfo{}, fmt.Errorf("parse sysinfo json: not an object")
	}
	if dec.More() {
		return Sysinfo{}, fmt.Errorf("parse sysinfo json: trailing data after the object")
	}
	return Sysinfo{Raw: raw}, nil
}

// String returns the string value of key, or "" when it is absent or not a
// string.
func (s Sysinfo) String(key string) string {
	v, _ := s.Raw[key].(string)
	return v
}

// UUID returns "UUID", the server's UUID.
func (s Sysinfo) UUID() string { return s.String("UUID") }

// Hostname returns "Hostname".
func (s Sysinfo) Hostname() string { return s.String("Hostname") }

// LiveImage returns "Live Image", the running platform version.
func (s Sysinfo) LiveImage() string { return s.String("Live Image") }

// Setup reports whether "Setup" is "true": the compute node finished setup.
func (s Sysinfo) Setup() bool {
	switch v := s.Raw["Setup"].(type) {
	case string:
		return v == "true"
	case bool:
		return v
	}
	return false
}

// BootParams returns "Boot Parameters". sysinfo drops some keys, mangles key
// characters and truncates values (see reference smartos-boot.md §7.3); use
// Facts.BootParams for the exact values.
func (s Sysinfo) BootParams() map[string]string {
	m, _ := s.Raw["Boot Parameters"].(map[string]any)
	out := make(map[string]string, len(m))
	for k, v := range m {
		if sv, ok := v.(string); ok {
			out[k] = sv
		}
	}
	return out
}

// NICs returns "Network Interfaces", sorted by interface name.
func (s Sysinfo) NICs() []NIC { return s.nics("Network Interfaces") }

// VNICs returns "Virtual Network Interfaces", sorted by interface name.
func (s Sysinfo) VNICs() []NIC { return s.nics("Virtual Network Interfaces") }

func (s Sysinfo) nics(key string) []NIC {
	m, _ := s.Raw[key].(map[string]any)
	out := make([]NIC, 0, len(m))
	for name, v := range m {
		e, _ := v.(map[string]any)
		str := func(k string) string { sv, _ := e[k].(string); return sv }
		n := NIC{Name: name, MAC: str("MAC Address"), IPv4: str("ip4addr"), LinkStatus: str("Link Status"), Host: str("Host Interface")}
		tags, _ := e["NIC Names"].([]any)
		for _, t := range tags {
			if ts, ok := t.(string); ok {
				n.NICNames = append(n.NICNames, ts)
			}
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// AdminIP returns the IPv4 address of the interface tagged "admin", looking at
// physical interfaces first and then virtual ones, as sdcadm's
// serverAdminIpFromSysinfo does; "" when there is none.
func (s Sysinfo) AdminIP() string {
	for _, list := range [][]NIC{s.NICs(), s.VNICs()} {
		for _, n := range list {
			for _, tag := range n.NICNames {
				if tag == "admin" && n.IPv4 != "" {
					return n.IPv4
				}
			}
		}
	}
	return ""
}

// Carries reports whether the interface has nic tag tag.
func (n NIC) Carries(tag string) bool {
	for _, t := range n.NICNames {
		if t == tag {
			return true
		}
	}
	return false
}

// IsAggregation reports whether link is a link aggregation. sysinfo lists
// an aggregation among its "Network Interfaces", with its address and nic
// tags, and again under "Link Aggregations" with only its LACP mode and
// ports (smartos-live src/sysinfo 495-535, 1157-1172).
func (s Sysinfo) IsAggregation(link string) bool {
	m, _ := s.Raw["Link Aggregations"].(map[string]any)
	_, ok := m[link]
	return ok
}

// LinkCarries reports whether the physical NIC or aggregation named link
// has nic tag tag.
func (s Sysinfo) LinkCarries(link, tag string) bool {
	for _, n := range s.NICs() {
		if n.Name == link && n.Carries(tag) {
			return true
		}
	}
	return false
}

// TagIP returns the IPv4 address on nic tag tag: a physical NIC or an
// aggregation that carries the tag and has the address, else a VNIC over
// one that does; "" when there is none.
func (s Sysinfo) TagIP(tag string) string {
	for _, n := range s.NICs() {
		if n.Carries(tag) && n.IPv4 != "" {
			return n.IPv4
		}
	}
	for _, v := range s.VNICs() {
		if v.IPv4 != "" && (v.Carries(tag) || s.LinkCarries(v.Host, tag)) {
			return v.IPv4
		}
	}
	return ""
}
