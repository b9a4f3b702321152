package config

import "strings"

// PerNodeKeys are the config keys that describe one node rather than the
// datacenter (triton-usbkey.md §4.6): the admin NIC and IP, every external_*
// key (those prompt-config.sh writes are listed; IsPerNode takes the prefix),
// the headnode's default gateway, and the rfd67 hostname. admin_netmask,
// admin_network and the *_admin_ips keys are DC-wide. The node's
// boot/networking.json is per node too, but it is a file, not a key.
var PerNodeKeys = []string{
	"admin_nic",
	"admin_ip",
	"external_nic",
	"external_ip",
	"external_mac",
	"external_gateway",
	"external_netmask",
	"external_vlan_id",
	"external_network",
	"external_provisionable_start",
	"external_provisionable_end",
	"headnode_default_gateway",
	"hostname",
}

// IsPerNode reports whether key belongs to one node, so that a config copied
// from another headnode must drop it and carry this node's value instead.
func IsPerNode(key string) bool {
	switch key {
	case "admin_nic", "admin_ip", "headnode_default_gateway", "hostname":
		return true
	}
	return strings.HasPrefix(key, "external_")
}
