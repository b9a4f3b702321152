package populate

import (
	"fmt"
	"strings"

	"cntools/internal/node"
	"cntools/usbkey/config"
)

// ForNode rewrites a headnode's config for this node, the node the key
// will boot as headnode: its hostname, admin NIC and IP, and its external
// NIC and IP where it has one, in place of the old headnode's. Every other
// line is kept byte for byte. A node with no external NIC loses the old
// headnode's external_* keys and headnode_default_gateway, as the rfd67
// prototype does, since they would name an interface it does not have.
func ForNode(headnode []byte, si node.Sysinfo) (*config.File, []config.Change, error) {
	old, err := config.Parse(headnode)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	f := old.Clone()
	host := si.Hostname()
	if host == "" {
		return nil, nil, fmt.Errorf("sysinfo has no Hostname: cannot name this node in the key's config")
	}
	adminNIC, _, adminIP, ok := taggedNIC(si, "admin")
	if !ok {
		return nil, nil, fmt.Errorf("sysinfo has no NIC tagged admin with an IPv4 address: a headnode needs its admin network; check `sysinfo` and the node's NIC tags")
	}
	set := [][2]string{{"hostname", host}, {"admin_nic", adminNIC}, {"admin_ip", adminIP}}
	if nic, vnic, ip, ok := taggedNIC(si, "external"); ok {
		set = append(set, [2]string{"external_nic", nic}, [2]string{"external_ip", ip})
		if vnic != "" {
			set = append(set, [2]string{"external_mac", vnic})
		}
	} else if _, err := f.DeleteFunc(func(k string) bool {
		return strings.HasPrefix(k, "external_") || k == "headnode_default_gateway"
	}); err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	for _, kv := range set {
		if err := f.Set(kv[0], kv[1]); err != nil {
			return nil, nil, fmt.Errorf("config: %w", err)
		}
	}
	return f, config.Diff(old, f), nil
}

// taggedNIC finds the address on a nic tag: a physical NIC that carries
// the tag and an address, or else a VNIC (such as external0) with an
// address over a physical NIC that carries the tag. nic is the physical
// NIC's MAC, as prompt-config.sh writes admin_nic and external_nic; vnic is
// the VNIC's MAC, "" for a physical NIC.
func taggedNIC(si node.Sysinfo, tag string) (nic, vnic, ip string, ok bool) {
	phys := si.NICs()
	carries := func(n node.NIC) bool {
		for _, t := range n.NICNames {
			if t == tag {
				return true
			}
		}
		return false
	}
	for _, n := range phys {
		if carries(n) && n.IPv4 != "" && n.MAC != "" {
			return n.MAC, "", n.IPv4, true
		}
	}
	for _, v := range si.VNICs() {
		if v.IPv4 == "" {
			continue
		}
		for _, n := range phys {
			if n.Name == v.Host && carries(n) && n.MAC != "" {
				return n.MAC, v.MAC, v.IPv4, true
			}
		}
		if carries(v) && v.MAC != "" {
			return v.MAC, v.MAC, v.IPv4, true
		}
	}
	return "", "", "", false
}
