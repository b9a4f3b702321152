package populate

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"cntools/internal/node"
)

// Aggr is one link aggregation, as the config names it:
// <name>_aggr=mac1,mac2 and <name>_lacp_mode=mode.
type Aggr struct {
	Name     string
	MACs     []string
	LACPMode string // "" when the node does not say (sysinfo's default is off)
}

// Identity is what a headnode's config says about one node: its name and
// everything net-physical builds its links from. A CN got all of it from
// booter's boot parameters or networking.json; a headnode reads it only
// from its config (smartos-live src/sysinfo net_conf_grep 352-369,
// src/nictagadm 252-287; illumos-joyent net-physical 419-441).
type Identity struct {
	Hostname string
	AdminTag string            // the admin nic tag, "" for "admin" (net-physical 455)
	Tags     map[string]string // nic tag -> a MAC, or an aggregation's name (<tag>_nic)
	Aggrs    []Aggr
	MTUs     map[string]string // nic tag -> MTU (<tag>_mtu), from networking.json
	AdminIP  string
	// ExternalIP and ExternalMAC are the address on the external tag (the
	// external0 VNIC and its MAC), "" when the node has none there.
	ExternalIP, ExternalMAC string
}

// AdminNIC is the config line that names the admin link: admin_nic (or
// <admin_tag>_nic) and its MAC or aggregation.
func (id Identity) AdminNIC() (key, value string) {
	return id.adminTag() + "_nic", id.Tags[id.adminTag()]
}

// adminTag is the tag the node's admin network is on.
func (id Identity) adminTag() string {
	if id.AdminTag != "" {
		return id.AdminTag
	}
	return "admin"
}

// HasTag reports whether the node has tag on one of its links.
func (id Identity) HasTag(tag string) bool { _, ok := id.Tags[tag]; return ok }

var (
	nicParam  = regexp.MustCompile(`^([a-zA-Z0-9_]+)_nic$`)
	aggrParam = regexp.MustCompile(`^([a-zA-Z0-9_]+)_aggr$`)
	lacpParam = regexp.MustCompile(`^([a-zA-Z0-9_]+)_lacp_mode$`)
	mtuParam  = regexp.MustCompile(`^([a-zA-Z0-9_]+)_mtu$`)
)

// NodeIdentity reads this node's identity from its facts. When the node
// booted with a networking.json, that file alone describes its links, as
// sysinfo and net-physical read it; otherwise its boot parameters do (what
// sdc-booter gives a CN: <tag>_nic=MAC, admin_nic=aggr0,
// aggr0_aggr="mac,mac", aggr0_lacp_mode; sdc-booter lib/bootparams.js
// 493-573). Addresses come from sysinfo, which sees the links as they are.
func NodeIdentity(si node.Sysinfo, bootParams map[string]string, networking []byte) (Identity, error) {
	id := Identity{Hostname: si.Hostname(), Tags: map[string]string{}, MTUs: map[string]string{}}
	if id.Hostname == "" {
		return id, fmt.Errorf("sysinfo has no Hostname: cannot name this node in the key's config")
	}
	var err error
	if networking != nil {
		err = id.fromNetworkingJSON(networking)
	} else {
		id.fromBootParams(bootParams)
	}
	if err != nil {
		return id, err
	}
	// A tag the boot parameters do not name (a booter that gave no
	// admin_nic, a tag added by nictagadm since): where sysinfo sees it.
	for _, n := range si.NICs() {
		link := normalizeMAC(n.MAC)
		if si.IsAggregation(n.Name) {
			link = n.Name // a tag on an aggregation names it: admin_nic=aggr0
		}
		for _, tag := range n.NICNames {
			if !id.HasTag(tag) && link != "" {
				id.Tags[tag] = link
			}
		}
	}
	if !id.HasTag(id.adminTag()) {
		return id, fmt.Errorf("no nic tag %s in this node's boot parameters or sysinfo: a headnode needs its admin network; check `bootparams` and `sysinfo`", id.adminTag())
	}
	if id.AdminIP == "" {
		id.AdminIP = si.TagIP(id.adminTag())
	}
	if id.AdminIP == "" {
		return id, fmt.Errorf("sysinfo shows no IPv4 address on nic tag %s: a headnode needs its admin address; check `sysinfo`", id.adminTag())
	}
	if id.ExternalIP == "" && id.HasTag("external") {
		for _, v := range si.VNICs() {
			if v.IPv4 != "" && si.LinkCarries(v.Host, "external") {
				id.ExternalIP, id.ExternalMAC = v.IPv4, v.MAC
			}
		}
	}
	return id, nil
}

func unquote(v string) string { return strings.Trim(v, `"'`) }

func (id *Identity) fromBootParams(bp map[string]string) {
	aggrs := map[string]*Aggr{}
	aggr := func(name string) *Aggr {
		if aggrs[name] == nil {
			aggrs[name] = &Aggr{Name: name}
		}
		return aggrs[name]
	}
	for k, v := range bp {
		v = unquote(v)
		switch {
		case k == "admin_tag":
			if v != "admin" {
				id.AdminTag = v
			}
		case nicParam.MatchString(k):
			id.Tags[nicParam.FindStringSubmatch(k)[1]] = normalizeMAC(v)
		case aggrParam.MatchString(k):
			a := aggr(aggrParam.FindStringSubmatch(k)[1])
			for _, m := range strings.Split(v, ",") {
				a.MACs = append(a.MACs, normalizeMAC(m))
			}
		case lacpParam.MatchString(k):
			aggr(lacpParam.FindStringSubmatch(k)[1]).LACPMode = v
		case mtuParam.MatchString(k):
			id.MTUs[mtuParam.FindStringSubmatch(k)[1]] = v
		}
	}
	for _, a := range aggrs {
		if len(a.MACs) > 0 {
			id.Aggrs = append(id.Aggrs, *a)
		}
	}
	sort.Slice(id.Aggrs, func(i, j int) bool { return id.Aggrs[i].Name < id.Aggrs[j].Name })
}

// networkingFile is what net-boot-config reads (net-boot-config.js
// configValues 125-271), the parts a config can say.
type networkingFile struct {
	AdminTag string `json:"admin_tag"`
	NicTags  []struct {
		Name string `json:"name"`
		MAC  string `json:"mac"`
		MTU  any    `json:"mtu"`
	} `json:"nictags"`
	Aggregations []struct {
		Name     string   `json:"name"`
		MACs     []string `json:"macs"`
		LACPMode string   `json:"lacp_mode"`
		Provided []string `json:"nic_tags_provided"`
	} `json:"aggregations"`
	VNICs []struct {
		NicTag string `json:"nic_tag"`
		IP     string `json:"ip"`
		MAC    string `json:"mac"`
	} `json:"vnics"`
}

func (id *Identity) fromNetworkingJSON(b []byte) error {
	var nf networkingFile
	if err := json.Unmarshal(b, &nf); err != nil {
		return fmt.Errorf("/%s: %w; it is what the node booted with: check it, or boot the node without it", node.BootNetworkingFile, err)
	}
	if nf.AdminTag != "" && nf.AdminTag != "admin" {
		id.AdminTag = nf.AdminTag
	}
	for _, t := range nf.NicTags {
		if t.Name == "" || t.MAC == "" {
			continue
		}
		id.Tags[t.Name] = normalizeMAC(t.MAC)
		if t.MTU != nil {
			id.MTUs[t.Name] = fmt.Sprint(t.MTU)
		}
	}
	for _, a := range nf.Aggregations {
		agg := Aggr{Name: a.Name, LACPMode: a.LACPMode}
		for _, m := range a.MACs {
			agg.MACs = append(agg.MACs, normalizeMAC(m))
		}
		id.Aggrs = append(id.Aggrs, agg)
		for _, tag := range a.Provided {
			id.Tags[tag] = a.Name
		}
	}
	for _, v := range nf.VNICs {
		switch v.NicTag {
		case id.adminTag():
			id.AdminIP = v.IP
		case "external":
			id.ExternalIP, id.ExternalMAC = v.IP, normalizeMAC(v.MAC)
		}
	}
	return nil
}

// normalizeMAC writes a MAC as sysinfo and nictagadm do: lower case, two
// digits a byte, colons (smartos-live src/sysinfo normalize_mac). A value
// that is not a MAC (an aggregation's name) is kept.
func normalizeMAC(s string) string {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), ":")
	if len(parts) != 6 {
		return strings.TrimSpace(s)
	}
	for i, p := range parts {
		if len(p) == 1 {
			parts[i] = "0" + p
		}
	}
	return strings.Join(parts, ":")
}

// ReadIdentity reads this node's identity from its facts: sysinfo, boot
// parameters and, when the node booted with one, its networking.json.
func ReadIdentity(ctx context.Context, n *node.Node) (Identity, error) {
	si, err := n.Facts.Sysinfo(ctx)
	if err != nil {
		return Identity{}, err
	}
	bp, err := n.Facts.BootParams(ctx)
	if err != nil {
		return Identity{}, err
	}
	nj, err := n.Facts.BootNetworking(ctx)
	if err != nil {
		return Identity{}, err
	}
	return NodeIdentity(si, bp, nj)
}
