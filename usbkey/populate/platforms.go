package populate

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"cntools/usbkey/key"
	"cntools/usbkey/keytree"
)

// ChoosePlatforms picks the platform the key boots and those it carries.
//
// It boots the platform this node runs when the source has it, else the
// one the source's loader.conf names, else the newest. It refuses one
// older than the running platform: an older platform may not import the
// zones pool, and headnode.sh, finding no pool, runs joysetup.sh, which
// creates a pool over the node's disks (sdc-headnode scripts/headnode.sh
// 308-326, scripts/joysetup.sh 1001-1031; illumos-joyent fs-joyent 107
// skips a pool it cannot import). Platform stamps sort as their times.
//
// It carries want when given (which must hold the boot platform), else
// the boot platform and the running one, when the source has it.
func ChoosePlatforms(src keytree.Tree, loaderConf []byte, running string, want []string) (boot string, carry []string, err error) {
	infos, err := src.ReadDir("os")
	if err != nil {
		return "", nil, fmt.Errorf("%s: os/: %w", src, err)
	}
	var have []string
	for _, in := range infos {
		if _, err := src.Lstat("os/" + in.Name + "/platform"); in.IsDir() && err == nil {
			have = append(have, in.Name)
		}
	}
	if len(have) == 0 {
		return "", nil, fmt.Errorf("%s has no platform under os/: a headnode key needs the platform it boots", src)
	}
	sort.Strings(have)
	has := func(p string) bool {
		return slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, p) })
	}
	newer := func(p string) bool { return running == "" || strings.ToUpper(p) >= strings.ToUpper(running) }
	switch d := key.LoaderVar(loaderConf, "platform-version"); {
	case running != "" && has(running):
		boot = running
	case d != "" && has(d) && newer(d):
		boot = d
	default:
		boot = have[len(have)-1]
	}
	if !newer(boot) {
		return "", nil, fmt.Errorf("the source's platform %s is older than the one this node runs (%s): booted, it may not import the zones pool, and headnode.sh would then build a new pool over the disks; put os/%s in the source (it has %s)",
			boot, running, running, strings.Join(have, " "))
	}
	if want != nil {
		for _, w := range want {
			if !has(w) {
				return "", nil, fmt.Errorf("--platforms %s: the source has no os/%s (it has %s)", w, w, strings.Join(have, " "))
			}
		}
		if !slices.ContainsFunc(want, func(w string) bool { return strings.EqualFold(w, boot) }) {
			return "", nil, fmt.Errorf("--platforms leaves out %s, the platform the key boots; add it", boot)
		}
		return boot, want, nil
	}
	carry = []string{boot}
	if running != "" && running != boot && has(running) {
		carry = append(carry, running)
	}
	return boot, carry, nil
}
