package sshconn

import (
	"fmt"
	"path/filepath"
	"time"
)

// Defaults for the zero values of Options. They follow OpenSSH where it has
// a counterpart (ServerAliveCountMax 3), and otherwise are short enough that
// a dead core CN is noticed within a minute.
const (
	DefaultConnectTimeout = 20 * time.Second
	DefaultKeepAlive      = 15 * time.Second
	DefaultKeepAliveMax   = 3
	DefaultIdleTimeout    = 60 * time.Second
)

// SystemKnownHosts is read after the user's known_hosts, as OpenSSH does.
const SystemKnownHosts = "/etc/ssh/ssh_known_hosts"

// Options says how to authenticate and how long to wait. The zero value is
// usable with a Getenv: it reads ~/.ssh like ssh(1) and uses the Default
// timeouts.
type Options struct {
	// KnownHosts files to check host keys against. Default:
	// $HOME/.ssh/known_hosts and SystemKnownHosts, each only if it exists.
	// Files named here must exist. New entries go to the first file.
	KnownHosts []string
	// IdentityFiles are unencrypted private keys. Default: whichever of
	// $HOME/.ssh/id_ed25519, id_ecdsa and id_rsa exist.
	IdentityFiles []string
	// UseAgent also offers the keys of the ssh-agent at $SSH_AUTH_SOCK.
	UseAgent bool
	// ConnectTimeout bounds the TCP connect and the SSH handshake together.
	ConnectTimeout time.Duration
	// IdleTimeout is how long one read or write on the connection may wait;
	// it restarts with each. It must be longer than KeepAlive, whose
	// replies are what keep an idle but healthy connection reading.
	IdleTimeout time.Duration
	// KeepAlive is the interval of keepalive@openssh.com requests;
	// KeepAliveMax unanswered in a row close the connection.
	KeepAlive    time.Duration
	KeepAliveMax int
	// Getenv reads HOME and SSH_AUTH_SOCK. Nil means an empty environment.
	Getenv func(string) string
}

// withDefaults fills in zero values and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.KeepAlive == 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	if o.KeepAliveMax == 0 {
		o.KeepAliveMax = DefaultKeepAliveMax
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = max(DefaultIdleTimeout, 2*o.KeepAlive)
	}
	switch {
	case o.ConnectTimeout < 0 || o.IdleTimeout < 0 || o.KeepAlive < 0 || o.KeepAliveMax < 0:
		return o, fmt.Errorf("negative timeout in ssh options")
	case o.IdleTimeout <= o.KeepAlive:
		return o, fmt.Errorf("ssh idle timeout %v is not longer than the keepalive interval %v; an idle connection would be cut", o.IdleTimeout, o.KeepAlive)
	}
	return o, nil
}

// sshDir is $HOME/.ssh, or "" when HOME is not set.
func (o Options) sshDir() string {
	home := o.Getenv("HOME")
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".ssh")
}
