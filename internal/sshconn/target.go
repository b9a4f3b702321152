package sshconn

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// DefaultUser is the login on a Triton node: its global zone is administered
// as root.
const DefaultUser = "root"

// DefaultPort is the SSH port when a target names none.
const DefaultPort = 22

// Syntax is the two forms ParseTarget reads, as errors name them.
const Syntax = "[user@]host[:port][:/path] or ssh://[user@]host[:port]/path"

// Target says where to connect and which directory on the remote node to use.
type Target struct {
	User string // login name; DefaultUser when not given
	Host string // host name or address, without brackets
	Port int    // TCP port; DefaultPort when not given
	Path string // absolute directory on the remote node; "" when not given
}

// Addr returns host:port as net.Dial wants it.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// String returns the target as user@host:port, the form errors name it by.
func (t Target) String() string { return t.User + "@" + t.Addr() }

// URL returns the target in the ssh://user@host:port/path form, which
// ParseTarget reads back as the same Target.
func (t Target) URL() string {
	u := url.URL{Scheme: "ssh", User: url.User(t.User), Host: t.Addr(), Path: t.Path}
	return u.String()
}

// ParseTarget reads a target in either of its two forms, and is the one
// place that decides their syntax:
//
//	ssh://[user@]host[:port][/path]   a URL: user and path may be %-escaped,
//	                                  and a literal ? or # must be
//	[user@]host[:port][:/path]        scp-like: taken as written
//
// host is a name or an IPv4 address, or an IPv6 address in brackets
// ([fe80::1] or [fe80::1%net0]). The user defaults to DefaultUser and the
// port to DefaultPort; the path stays "" when not given, for the caller to
// default. A path must be absolute: there is no home directory to be
// relative to on a node whose only login is root, and in the scp-like form
// the leading / is what tells a path from a port (host:2222 is a port,
// host:/x a path). The path is everything after the first ":/", so it may
// hold ':' and '@'; a user name may hold '@' but not ':' or '/'. ssh:/path
// and sftp:/path are refused: a URL missing a slash, not the host "ssh"
// (which is written root@ssh:/path).
//
// Whether a string names a target or a local path at all is decided above
// this, by keytree.ParseLocation.
func ParseTarget(s string) (Target, error) {
	if scheme, rest, ok := splitScheme(s); ok {
		if !strings.EqualFold(scheme, "ssh") {
			return Target{}, fmt.Errorf("ssh target %q: scheme %q is not supported; want %s", s, scheme, Syntax)
		}
		return parseURL(s, rest)
	}
	return parseSCP(s)
}

// splitScheme splits "scheme://rest", with a scheme as RFC 3986 spells it.
// "cn1:/a://b" has none: its "://" is inside a path.
func splitScheme(s string) (scheme, rest string, ok bool) {
	i := strings.Index(s, "://")
	if i <= 0 {
		return "", "", false
	}
	for j, r := range s[:i] {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (j == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return "", "", false
		}
	}
	return s[:i], s[i+3:], true
}

// parseURL reads what follows ssh://: the authority up to the first '/',
// then the path. A user or path that does not unescape, a password, a
// query and a fragment are refused.
func parseURL(s, rest string) (Target, error) {
	auth, p := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		auth, p = rest[:i], rest[i:]
	}
	if strings.ContainsAny(p, "?#") || strings.ContainsAny(auth, "?#") {
		return Target{}, fmt.Errorf("ssh target %q: a query or fragment has no meaning here (escape a ? or # in the path as %%3F or %%23); want %s", s, Syntax)
	}
	user, hostport, hasUser := cutLast(auth, "@")
	if hasUser {
		if strings.Contains(user, ":") {
			return Target{}, fmt.Errorf("ssh target %q: passwords are not supported; use an identity file or ssh-agent", s)
		}
		u, err := url.PathUnescape(user)
		if err != nil {
			return Target{}, fmt.Errorf("ssh target %q: user name: %w", s, err)
		}
		user = u
	}
	path, err := url.PathUnescape(p)
	if err != nil {
		return Target{}, fmt.Errorf("ssh target %q: path: %w", s, err)
	}
	// An IPv6 zone is escaped in a URL (RFC 6874: [fe80::1%25net0]);
	// nothing else in the authority is.
	if end := strings.IndexByte(hostport, ']'); strings.HasPrefix(hostport, "[") && end > 0 {
		h, err := url.PathUnescape(hostport[1:end])
		if err != nil {
			return Target{}, fmt.Errorf("ssh target %q: host: %w", s, err)
		}
		hostport = "[" + h + hostport[end:]
	}
	return finish(s, user, hasUser, hostport, path, "")
}

// parseSCP reads [user@]host[:port][:/path].
func parseSCP(s string) (Target, error) {
	rest, p := s, ""
	// The path goes first: it is the only part that may hold ':' and '@'
	// freely.
	if i := strings.Index(rest, ":/"); i >= 0 {
		rest, p = rest[:i], rest[i+1:]
	}
	if p != "" && (strings.EqualFold(rest, "ssh") || strings.EqualFold(rest, "sftp")) {
		// ssh:/x is a URL missing a slash far more often than the
		// host "ssh".
		return Target{}, fmt.Errorf("ssh target %q: a URL starts ssh://; a host named %s is written root@%[2]s:%s", s, rest, p)
	}
	user, hostport, hasUser := cutLast(rest, "@")
	return finish(s, user, hasUser, hostport, p, " (a path must be absolute: host:/path)")
}

// cutLast is strings.Cut at the last sep: a user name may hold '@'.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return "", s, false
}

// finish reads host[:port] and checks what both forms share; portHint
// follows a bad port.
func finish(s, user string, hasUser bool, hostport, p, portHint string) (Target, error) {
	t := Target{User: DefaultUser, Port: DefaultPort, Path: p}
	if hasUser {
		t.User = user
	}
	host, port, hasPort, err := splitHostPort(hostport)
	if err != nil {
		return Target{}, fmt.Errorf("ssh target %q: %w", s, err)
	}
	t.Host = host
	if hasPort {
		if t.Port, err = parsePort(port); err != nil {
			return Target{}, fmt.Errorf("ssh target %q: %w%s", s, err, portHint)
		}
	}
	if err := t.check(); err != nil {
		return Target{}, fmt.Errorf("ssh target %q: %w", s, err)
	}
	return t, nil
}

// splitHostPort splits host[:port] and [v6][:port].
func splitHostPort(s string) (host, port string, hasPort bool, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", false, fmt.Errorf("missing ] after IPv6 address")
		}
		host, rest := s[1:end], s[end+1:]
		a, perr := netip.ParseAddr(host)
		if perr != nil || !a.Is6() {
			return "", "", false, fmt.Errorf("%q in brackets is not an IPv6 address", host)
		}
		if rest == "" {
			return host, "", false, nil
		}
		if rest[0] != ':' {
			return "", "", false, fmt.Errorf("%q after the IPv6 address; want %s", rest, Syntax)
		}
		return host, rest[1:], true, nil
	}
	host, port, hasPort = strings.Cut(s, ":")
	if _, perr := netip.ParseAddr(s); perr == nil && strings.Contains(port, ":") || strings.Contains(s, "::") {
		return "", "", false, fmt.Errorf("an IPv6 address goes in brackets: [%s]", s)
	}
	return host, port, hasPort, nil
}

func parsePort(p string) (int, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || p[0] == '+' || p[0] == '0' {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", p)
	}
	return n, nil
}

// check holds the rules both forms share. A host is a name or address
// as DNS and net.Dial take it: nothing a shell or URL would read as
// punctuation.
func (t Target) check() error {
	switch {
	case t.User == "":
		return fmt.Errorf("empty user name")
	case strings.ContainsAny(t.User, ":/") || strings.ContainsFunc(t.User, unprintable):
		return fmt.Errorf("user name %q is not valid", t.User)
	case t.Host == "":
		return fmt.Errorf("no host; want %s", Syntax)
	case !validHost(t.Host):
		return fmt.Errorf("host %q is not valid; want a host name, an IPv4 address or an IPv6 address in brackets", t.Host)
	case t.Path != "" && !path.IsAbs(t.Path):
		return fmt.Errorf("path %q is not absolute", t.Path)
	case strings.ContainsRune(t.Path, 0):
		return fmt.Errorf("path %q holds a NUL byte", t.Path)
	}
	return nil
}

func unprintable(r rune) bool { return r <= ' ' || r == 0x7f }

// validHost accepts a name of letters, digits, '.', '-' and '_' not
// starting with '-' (which ssh(1) would read as an option), or an IPv6
// address.
func validHost(h string) bool {
	if a, err := netip.ParseAddr(h); err == nil && a.Is6() {
		return true
	}
	if h[0] == '-' {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
