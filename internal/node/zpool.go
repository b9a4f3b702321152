package node

import (
	"fmt"
	"strings"
)

// Pool is an imported pool and the devices that hold its data.
type Pool struct {
	Name    string
	Devices []string // leaf vdev paths in zpool's order, e.g. "/dev/dsk/c0t0d0", "/dev/dsk/c1t0d0s1"
	// Data are the leaves that hold the pool's data, the ones it boots
	// from: Devices less log, cache, spare, special and dedup devices.
	Data []string
}

// auxClasses are the group lines after which zpool list -v prints devices
// that hold no pool data.
var auxClasses = map[string]bool{"logs": true, "log": true, "cache": true, "spares": true, "spare": true, "special": true, "dedup": true}

// ParseZpoolList parses the output of zpool list -H -v -P. A pool's line
// starts in column 0 with its name; each vdev line starts with a tab. With -H
// zpool does not indent nested vdevs further, so a leaf is told from a group
// (mirror-0, raidz1-0, logs, cache, spares, special, ...) by its name: -P
// prints leaves as absolute paths and groups never start with "/".
func ParseZpoolList(b []byte) ([]Pool, error) {
	var pools []Pool
	aux := false // in a logs, cache or spares group
	for i, line := range lines(b) {
		if line == "" {
			continue
		}
		if line[0] != '\t' && line[0] != ' ' {
			name, _, _ := strings.Cut(line, "\t")
			// A class header (logs, cache, spares) may stand at column 0
			// as it does without -H: it is not a pool.
			if auxClasses[name] && len(pools) > 0 {
				aux = true
				continue
			}
			if name == "" || strings.ContainsAny(name, " /") {
				return nil, fmt.Errorf("zpool list line %d: invalid pool name %q", i+1, name)
			}
			pools = append(pools, Pool{Name: name})
			aux = false
			continue
		}
		if len(pools) == 0 {
			return nil, fmt.Errorf("zpool list line %d: vdev line before any pool line: %q", i+1, line)
		}
		name, _, _ := strings.Cut(strings.TrimLeft(line, "\t "), "\t")
		if name == "" {
			return nil, fmt.Errorf("zpool list line %d: empty vdev name: %q", i+1, line)
		}
		if auxClasses[name] {
			aux = true
		}
		if strings.HasPrefix(name, "/") {
			p := &pools[len(pools)-1]
			p.Devices = append(p.Devices, name)
			if !aux {
				p.Data = append(p.Data, name)
			}
		}
	}
	return pools, nil
}
