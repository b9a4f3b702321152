package sshconn

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// DefaultUser is the login on a Triton node: its global zone is administered
// as root.
const DefaultUser = "root"

// Target says where to connect and which directory on the remote node to use.
type Target struct {
	User string // login name; DefaultUser when not given
	Host string // host name or address, without brackets
	Port int    // TCP port; 22 when not given
	Path string // absolute directory on the remote node; may be empty for ParseTarget
}

// Addr returns host:port as net.Dial wants it.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// String returns the target as user@host:port, the form errors name it by.
func (t Target) String() string { return t.User + "@" + t.Addr() }

// URL returns the target in the ssh://user@host:port/path form ParseURL reads.
func (t Target) URL() string {
	u := url.URL{Scheme: "ssh", User: url.User(t.User), Host: t.Addr(), Path: t.Path}
	return u.String()
}

// ParseURL reads ssh://[user@]host[:port]/path, as usbkey-populate --from
// takes it. The path is required and absolute: there is no home directory to
// be relative to on a node whose only user is root.
func ParseURL(s string) (Target, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("ssh url %q: %w", s, err)
	}
	if u.Scheme != "ssh" {
		return Target{}, fmt.Errorf("ssh url %q: scheme is %q, want ssh (e.g. ssh://root@cn1/zones/usbkey-standby)", s, u.Scheme)
	}
	if u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" {
		return Target{}, fmt.Errorf("ssh url %q: want ssh://[user@]host[:port]/path", s)
	}
	t := Target{User: DefaultUser, Host: u.Hostname(), Port: 22, Path: u.Path}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			return Target{}, fmt.Errorf("ssh url %q: passwords are not supported; use an identity file or ssh-agent", s)
		}
		t.User = u.User.Username()
	}
	if p := u.Port(); p != "" {
		if t.Port, err = parsePort(p); err != nil {
			return Target{}, fmt.Errorf("ssh url %q: %w", s, err)
		}
	}
	if err := t.check(); err != nil {
		return Target{}, fmt.Errorf("ssh url %q: %w", s, err)
	}
	if t.Path == "" {
		return Target{}, fmt.Errorf("ssh url %q: no path; add the remote directory (e.g. ssh://%s/zones/usbkey-standby)", s, t.Host)
	}
	return t, nil
}

// ParseTarget reads [user@]host[:port][:/path], the usbkey-sync --target
// form. A path, when given, must be absolute, which is also what tells it
// apart from a port.
func ParseTarget(s string) (Target, error) {
	t := Target{User: DefaultUser, Port: 22}
	rest := s
	// The path goes first: it is the only part that may hold '@'.
	if i := strings.Index(rest, ":/"); i >= 0 {
		rest, t.Path = rest[:i], rest[i+1:]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		t.User, rest = rest[:i], rest[i+1:]
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return Target{}, fmt.Errorf("ssh target %q: missing ] after IPv6 address", s)
		}
		host, rest = rest[1:end], rest[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return Target{}, fmt.Errorf("ssh target %q: want [user@]host[:port][:/path]", s)
			}
			port = rest[1:]
		}
	} else if i := strings.IndexByte(rest, ':'); i >= 0 {
		host, port = rest[:i], rest[i+1:]
	}
	t.Host = host
	if port != "" {
		var err error
		if t.Port, err = parsePort(port); err != nil {
			return Target{}, fmt.Errorf("ssh target %q: %w (a path must be absolute: host:/path)", s, err)
		}
	}
	if err := t.check(); err != nil {
		return Target{}, fmt.Errorf("ssh target %q: %w", s, err)
	}
	return t, nil
}

func parsePort(p string) (int, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", p)
	}
	return n, nil
}

// check holds the rules both forms share.
func (t Target) check() error {
	switch {
	case t.User == "":
		return fmt.Errorf("empty user name")
	case strings.ContainsAny(t.User, " \t\n:/"):
		return fmt.Errorf("user name %q is not valid", t.User)
	case t.Host == "":
		return fmt.Errorf("no host")
	case strings.ContainsAny(t.Host, " \t\n/@"):
		return fmt.Errorf("host %q is not valid", t.Host)
	case t.Path != "" && !path.IsAbs(t.Path):
		return fmt.Errorf("path %q is not absolute", t.Path)
	}
	return nil
}
