package node

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

// ZonesIndexFile is the zone index, on the live node and under a root.
const ZonesIndexFile = "etc/zones/index"

// Zone is one non-global zone of /etc/zones/index.
type Zone struct {
	Name  string // the zone name, a VM's uuid on SmartOS
	State string // "installed", "running", ...
	Path  string // the zonepath
	Alias string // vmadm's alias, from the zone's XML; "" when it has none
}

func (z Zone) String() string {
	return strings.TrimSpace(fmt.Sprintf("%s %s (%s)", z.Name, z.Alias, z.State))
}

// ParseZonesIndex parses /etc/zones/index: name:state:path[:uuid[:brand]]
// lines, # comments. The global zone is left out.
func ParseZonesIndex(b []byte) ([]Zone, error) {
	var out []Zone
	for i, l := range lines(b) {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Split(l, ":")
		if len(f) < 3 || f[0] == "" {
			return nil, fmt.Errorf("zones index line %d: want name:state:path[:uuid], got %q", i+1, l)
		}
		if f[0] == "global" {
			continue
		}
		out = append(out, Zone{Name: f[0], State: f[1], Path: f[2]})
	}
	return out, nil
}

var aliasRE = regexp.MustCompile(`<attr name="alias" type="string" value="([^"]*)"`)

// zoneAlias reads vmadm's alias, which it stores base64 in the zone's XML.
// A zone without an XML or an alias has none; that is not an error.
func (r reader) zoneAlias(ctx context.Context, name string) string {
	x, err := r.read(ctx, fact{name: "zone " + name, file: "etc/zones/" + name + ".xml"})
	if err != nil {
		return ""
	}
	m := aliasRE.FindSubmatch(x)
	if m == nil {
		return ""
	}
	d, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		return ""
	}
	return string(d)
}

func (r reader) Zones(ctx context.Context) ([]Zone, error) {
	zs, err := readParsed(ctx, r, factZones, ParseZonesIndex)
	if err != nil {
		return nil, err
	}
	for i := range zs {
		zs[i].Alias = r.zoneAlias(ctx, zs[i].Name)
	}
	return zs, nil
}
