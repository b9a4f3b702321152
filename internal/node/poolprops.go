package node

import (
	"fmt"
	"strings"
)

// PoolPropsFile holds, under a root, what zpool list -H -o name,bootfs,bootsize
// prints: the boot properties of each imported pool, as joysetup.sh and
// piadm read them (sdc-headnode scripts/joysetup.sh 503; smartos-live
// src/piadm.sh 109, 771).
const PoolPropsFile = "var/run/nodefacts/zpool-props"

var factPoolProps = fact{"zpool boot properties", PoolPropsFile, []string{"/usr/sbin/zpool", "list", "-H", "-o", "name,bootfs,bootsize"}}

// PoolProps is what decides whether a pool boots the node.
type PoolProps struct {
	Name string
	// Bootfs is the dataset the pool boots from (zpool set bootfs), ""
	// for none ("-").
	Bootfs string
	// Bootable reports a boot partition: the pool was created with
	// zpool create -B (bootsize is not "-"), which installboot needs
	// (sdc-headnode scripts/joysetup.sh 494-505).
	Bootable bool
}

// ParsePoolProps parses zpool list -H -o name,bootfs,bootsize.
func ParsePoolProps(b []byte) ([]PoolProps, error) {
	var out []PoolProps
	for i, l := range lines(b) {
		if l == "" {
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) != 3 || f[0] == "" {
			return nil, fmt.Errorf("zpool props line %d: want name, bootfs and bootsize, tab-separated: %q", i+1, l)
		}
		p := PoolProps{Name: f[0], Bootable: f[2] != "-" && f[2] != ""}
		if f[1] != "-" {
			p.Bootfs = f[1]
		}
		out = append(out, p)
	}
	return out, nil
}
