package populate

import (
	"fmt"
	"sort"
	"strings"

	"cntools/usbkey/config"
)

// ForNode rewrites a headnode's config for this node, the node the key
// will boot as headnode. A headnode reads its links only from its config,
// so every line about one node is this node's: its hostname, admin NIC and
// IP, every <tag>_nic, <aggr>_aggr and <aggr>_lacp_mode from its own boot
// parameters (or networking.json), and its external address where it has
// one. The old headnode's lines of those kinds go, its aggregations' MTUs
// with them. The DC-wide keys stay: external_network, _netmask, _gateway,
// _vlan_id, the provisionable range, and headnode_default_gateway where
// this node has the external tag (net-physical 292-312 takes it for the
// default route). compute_node_ntp_hosts, which CNs read through
// extra/joysetup/node.config at every boot, names this node's admin IP in
// place of the old headnode's. Every other line is kept byte for byte.
func ForNode(headnode []byte, id Identity) (*config.File, []config.Change, error) {
	old, err := config.Parse(headnode)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	f := old.Clone()
	oldAdminIP, _, _ := old.Get("admin_ip")
	oldAggrs := map[string]bool{}
	for _, k := range old.Keys() {
		if m := aggrParam.FindStringSubmatch(k); m != nil {
			oldAggrs[m[1]] = true
		}
	}
	perNode := func(k string) bool {
		switch {
		case nicParam.MatchString(k), aggrParam.MatchString(k), lacpParam.MatchString(k),
			k == "admin_tag", k == "external_ip", k == "external_mac":
			return true
		case k == "headnode_default_gateway":
			return !id.HasTag("external")
		}
		m := mtuParam.FindStringSubmatch(k)
		return m != nil && (oldAggrs[m[1]] || id.MTUs[m[1]] != "")
	}
	set := [][2]string{{"hostname", id.Hostname}}
	if id.AdminTag != "" {
		set = append(set, [2]string{"admin_tag", id.AdminTag})
	}
	set = append(set, [2]string{id.adminTag() + "_nic", id.Tags[id.adminTag()]}, [2]string{"admin_ip", id.AdminIP})
	for _, tag := range sortedKeys(id.Tags) {
		if tag != id.adminTag() {
			set = append(set, [2]string{tag + "_nic", id.Tags[tag]})
		}
	}
	for _, a := range id.Aggrs {
		set = append(set, [2]string{a.Name + "_aggr", strings.Join(a.MACs, ",")})
		if a.LACPMode != "" {
			set = append(set, [2]string{a.Name + "_lacp_mode", a.LACPMode})
		}
	}
	for _, tag := range sortedKeys(id.MTUs) {
		set = append(set, [2]string{tag + "_mtu", id.MTUs[tag]})
	}
	if id.ExternalIP != "" {
		set = append(set, [2]string{"external_ip", id.ExternalIP})
		if id.ExternalMAC != "" {
			set = append(set, [2]string{"external_mac", id.ExternalMAC})
		}
	}
	if ntp, _, ok := f.Get("compute_node_ntp_hosts"); ok && oldAdminIP != "" {
		set = append(set, [2]string{"compute_node_ntp_hosts", replaceHost(ntp, oldAdminIP, id.AdminIP)})
	}
	// The lines this node has a value for are rewritten where they stand;
	// the old headnode's others go.
	setting := map[string]bool{}
	for _, kv := range set {
		setting[kv[0]] = true
	}
	if _, err := f.DeleteFunc(func(k string) bool { return perNode(k) && !setting[k] }); err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	for _, kv := range set {
		if err := f.Set(kv[0], kv[1]); err != nil {
			return nil, nil, fmt.Errorf("config: %w", err)
		}
	}
	return f, config.Diff(old, f), nil
}

// replaceHost swaps host old for new in a comma-separated list.
func replaceHost(list, old, new string) string {
	hosts := strings.Split(list, ",")
	for i, h := range hosts {
		if strings.TrimSpace(h) == old {
			hosts[i] = new
		}
	}
	return strings.Join(hosts, ",")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
