package keysync

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"cntools/internal/sshconn"
)

// DefaultPath is where a standby copy lives on a core CN (DESIGN.md): a
// directory of its own, moved into place by the conversion.
const DefaultPath = "/zones/usbkey-standby"

// ErrKeyPath is why a target path of /usbkey or /mnt/usbkey is refused.
var ErrKeyPath = errors.New("a CN's /usbkey and /mnt/usbkey are refused: /lib/sdc/config.sh reads /usbkey/config (then /mnt/usbkey/config) before the CN's own node.config, so the CN would take the headnode's configuration")

// ParseTarget reads --target [user@]host[:port][:/path], filling in
// DefaultPath and refusing the key paths.
func ParseTarget(s string) (sshconn.Target, error) {
	t, err := sshconn.ParseTarget(s)
	if err != nil {
		return t, err
	}
	if t.Path == "" {
		t.Path = DefaultPath
	}
	t.Path = path.Clean(t.Path)
	if err := CheckPath(t.Path); err != nil {
		return t, fmt.Errorf("target %s: %w", s, err)
	}
	return t, nil
}

// CheckPath refuses a target path that is relative (the CN would resolve
// it against the login's home directory), is, or is inside, a CN's key or
// key copy, or is the root.
func CheckPath(p string) error {
	if !path.IsAbs(p) {
		return fmt.Errorf("path %q is relative, which the CN resolves against the login's home directory: give host:/absolute/path, such as host:%s", p, DefaultPath)
	}
	p = path.Clean(p)
	for _, k := range []string{"/usbkey", "/mnt/usbkey"} {
		if p == k || strings.HasPrefix(p, k+"/") {
			return fmt.Errorf("path %s: %w; use a directory of its own such as %s", p, ErrKeyPath, DefaultPath)
		}
	}
	if p == "/" {
		return fmt.Errorf("path /: a standby copy needs a directory of its own such as %s", DefaultPath)
	}
	return nil
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
