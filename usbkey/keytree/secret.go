package keytree

import "strings"

// Secret reports whether the key path p holds secrets: the usbkey config
// (root and admin password hashes, keys) and everything under private/
// (root.password.*). Names are compared case-folded, as pcfs does.
func Secret(p string) bool {
	p = strings.ToLower(strings.TrimPrefix(p, "/"))
	return p == "config" || p == "private" || strings.HasPrefix(p, "private/")
}

// ShownSum is the content hash of p as logs, errors and reports may show
// it: none for a file holding secrets. An unsalted SHA-256 of
// private/root.password.* is a dictionary attack away from the password,
// so it stays in the 0600 manifests and caches that need it to compare.
func ShownSum(p, sum string) string {
	if Secret(p) && sum != "" {
		return "(not shown: holds secrets)"
	}
	return sum
}
