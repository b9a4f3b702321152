package keysync

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	"cntools/usbkey/keycopy"
	"cntools/usbkey/keytree"
)

// DefaultTargetsFile is read when there is no --target and no --discover:
// one location a line. It is under /opt, not /etc, because a SmartOS
// global zone's /etc is rebuilt from the platform image at every boot,
// while /opt is the zones/opt dataset.
const DefaultTargetsFile = "/opt/smartdc/etc/cn-tools/standby-targets"

// ParseTarget reads a target as keytree.ParseLocation reads every
// location. It must name another node; its path defaults to
// node.StandbyDir, and the key paths are refused.
func ParseTarget(s string) (sshconn.Target, error) {
	loc, err := keytree.ParseLocation(s)
	if err != nil {
		return sshconn.Target{}, err
	}
	if loc.Kind != keytree.KindSSH {
		hint := ""
		if !strings.ContainsAny(s, "/~") {
			// A bare word is a local path to every tool; as a host
			// it needs a user, a port or a path.
			hint = fmt.Sprintf(" (for the host %s: root@%[1]s, %[1]s:%s or ssh://%[1]s)", s, node.StandbyDir)
		}
		return sshconn.Target{}, fmt.Errorf("target %q is a path on this node, and a sync target is a directory on a core CN: want %s%s", s, sshconn.Syntax, hint)
	}
	t := loc.SSH
	if t.Path == "" {
		t.Path = node.StandbyDir
	}
	t.Path = path.Clean(t.Path)
	if err := keycopy.CheckPath(t.Path); err != nil {
		return sshconn.Target{}, fmt.Errorf("target %s: %w", s, err)
	}
	return t, nil
}

// ReadTargetsFile reads a targets file: one target per line in the
// --target form; blank lines and lines starting with # are skipped. A
// missing file gives no targets and no error.
func ReadTargetsFile(name string) ([]sshconn.Target, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("targets file: %w", err)
	}
	var out []sshconn.Target
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		t, err := ParseTarget(line)
		if err != nil {
			return nil, fmt.Errorf("targets file %s:%d: %w", name, n, err)
		}
		out = append(out, t)
	}
	return out, sc.Err()
}

// TargetName is how a target is named in summaries and errors:
// user@host:port:/path, the --target form with everything spelled out.
func TargetName(t sshconn.Target) string { return t.String() + ":" + t.Path }

// barLabels names each target as briefly as tells it from the others, for
// the progress bar: its host, else host:port, else its whole name.
func barLabels(ts []sshconn.Target) []string {
	for _, name := range []func(sshconn.Target) string{
		func(t sshconn.Target) string { return t.Host },
		func(t sshconn.Target) string { return fmt.Sprintf("%s:%d", t.Host, t.Port) },
	} {
		out, seen := make([]string, len(ts)), map[string]bool{}
		for i, t := range ts {
			out[i] = name(t)
			seen[out[i]] = true
		}
		if len(seen) == len(ts) {
			return out
		}
	}
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = TargetName(t)
	}
	return out
}
