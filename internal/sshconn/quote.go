package sshconn

import "strings"

// Quote quotes s as one word for the POSIX shell sshd runs a command in,
// so that a path from a manifest or an operator is never read as shell.
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
