package node

import (
	"fmt"
	"strings"
)

// ParseBootParams parses the output of bootparams: one name=value line per
// property. The value is everything after the first "=", unquoted and
// untruncated, as scripts matching ^headnode=true expect. A line without "="
// is an error; when a name repeats, the last line wins, as it does for
// scripts that read the output top to bottom.
func ParseBootParams(b []byte) (map[string]string, error) {
	params := make(map[string]string)
	for i, line := range lines(b) {
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("bootparams line %d: want name=value: %q", i+1, line)
		}
		params[name] = value
	}
	return params, nil
}
