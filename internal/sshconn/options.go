package sshconn

import (
	"fmt"
	"log/slog"
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

// The identity and known_hosts that survive a reboot, read before ~/.ssh's.
// On a SmartOS global zone /root and /etc are the ramdisk: the persistent
// datasets are zones/opt (/opt), zones/var (/var) and, on a headnode,
// zones/usbkey (illumos-joyent fs-joyent 154-156, 187), so ~/.ssh is gone
// after every boot. Triton keeps its own global-zone state under
// /opt/smartdc/etc (gz-tools.image) and /var/sdcadm, and documents no place
// for a tool's private key; this is the directory the standby-targets file
// already lives in. `usbkey-sync setup` creates the key pair.
const (
	PersistentDir        = "/opt/smartdc/etc/cn-tools"
	PersistentIdentity   = PersistentDir + "/id_ed25519"
	PersistentKnownHosts = PersistentDir + "/known_hosts"
)

// Options says how to authenticate and how long to wait. The zero value is
// usable with a Getenv: it reads ~/.ssh like ssh(1) and uses the Default
// timeouts.
type Options struct {
	// KnownHosts files to check host keys against. Default:
	// PersistentKnownHosts, $HOME/.ssh/known_hosts and SystemKnownHosts,
	// each only if it exists. Files named here must exist. New entries go
	// to the first file.
	KnownHosts []string
	// IdentityFiles are unencrypted private keys. Default: whichever of
	// PersistentIdentity and $HOME/.ssh/id_ed25519, id_ecdsa and id_rsa
	// exist, in that order.
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
	// Log hears what a login falls back from: an ssh-agent that cannot be
	// reached, a default identity ignored for its permissions. Nil
	// discards.
	Log *slog.Logger
	// Getenv reads HOME and SSH_AUTH_SOCK. Nil means an empty environment.
	Getenv func(string) string
	// NodePath resolves the node paths PersistentIdentity and
	// PersistentKnownHosts, as node.Node.Path does under a tool's --root.
	// Nil means the live node's paths as they are.
	NodePath func(string) string
}

// withDefaults fills in zero values and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
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

// DefaultIdentityFiles are the identity files tried, each if it exists,
// when none is named: the persistent one first, so that it is the key a
// core CN sees first whatever ~/.ssh holds.
func (o Options) DefaultIdentityFiles() []string {
	files := []string{o.nodePath(PersistentIdentity)}
	if d := o.sshDir(); d != "" {
		for _, n := range defaultIdentities {
			files = append(files, filepath.Join(d, n))
		}
	}
	return files
}

// DefaultKnownHosts are the known_hosts files read, each if it exists,
// when none is named. The persistent one is first, so a refused host's
// line is offered for the file that survives a reboot.
func (o Options) DefaultKnownHosts() []string {
	files := []string{o.nodePath(PersistentKnownHosts)}
	if d := o.sshDir(); d != "" {
		files = append(files, filepath.Join(d, "known_hosts"))
	}
	return append(files, SystemKnownHosts)
}

func (o Options) nodePath(p string) string {
	if o.NodePath == nil {
		return p
	}
	return o.NodePath(p)
}

// sshDir is $HOME/.ssh, or "" when HOME is not set.
func (o Options) sshDir() string {
	if o.Getenv == nil {
		return ""
	}
	home := o.Getenv("HOME")
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".ssh")
}
