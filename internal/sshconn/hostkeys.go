package sshconn

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// ErrUnknownHostKey and ErrHostKeyChanged are what a *HostKeyError matches
// with errors.Is.
var (
	ErrUnknownHostKey = errors.New("host key is not known")
	ErrHostKeyChanged = errors.New("host key has changed")
)

// HostKeyError is a host key that known_hosts does not vouch for.
type HostKeyError struct {
	Addr    string                // host:port as dialed
	Key     ssh.PublicKey         // the key the server offered
	Known   []knownhosts.KnownKey // the keys known_hosts holds for Addr; empty if unknown
	File    string                // the known_hosts file a new line belongs in
	Revoked *knownhosts.KnownKey  // set when the key is marked @revoked
}

// Line is the known_hosts line that would accept Key for Addr:
// "[host]:port type base64" for a port other than 22.
func (e *HostKeyError) Line() string {
	return knownhosts.Line([]string{knownhosts.Normalize(e.Addr)}, e.Key)
}

func (e *HostKeyError) Error() string {
	offered := e.Key.Type() + " " + ssh.FingerprintSHA256(e.Key)
	// The nodes are SmartOS, which keeps its host keys in /var/ssh.
	check := "compare it out of band with `ssh-keygen -lf /var/ssh/ssh_host_" + keyFamily(e.Key.Type()) +
		"_key.pub` on the node's console"
	switch {
	case e.Revoked != nil:
		return fmt.Sprintf("%v: the server offers %s, which is marked @revoked at %s:%d",
			ErrHostKeyChanged, offered, e.Revoked.Filename, e.Revoked.Line)
	case len(e.Known) == 0:
		return fmt.Sprintf("%v: the server offers %s; %s, then add this line to %s:\n%s",
			ErrUnknownHostKey, offered, check, e.File, e.Line())
	}
	var was []string
	for _, k := range e.Known {
		was = append(was, fmt.Sprintf("%s %s (%s:%d)", k.Key.Type(), ssh.FingerprintSHA256(k.Key), k.Filename, k.Line))
	}
	return fmt.Sprintf("%v: the server offers %s, known_hosts has %s; this can be a man-in-the-middle attack: "+
		"if the node was reinstalled, %s, then replace the old line with:\n%s",
		ErrHostKeyChanged, offered, strings.Join(was, ", "), check, e.Line())
}

func (e *HostKeyError) Unwrap() error {
	if len(e.Known) == 0 && e.Revoked == nil {
		return ErrUnknownHostKey
	}
	return ErrHostKeyChanged
}

// keyFamily maps a key type to the name in its host key file.
func keyFamily(typ string) string {
	switch {
	case strings.HasPrefix(typ, "ecdsa-"):
		return "ecdsa"
	case typ == ssh.KeyAlgoRSA:
		return "rsa"
	}
	return strings.TrimPrefix(typ, "ssh-")
}

// hostKeys is the known_hosts check for one connection.
type hostKeys struct {
	check ssh.HostKeyCallback
	file  string // where a new line belongs
}

// loadHostKeys reads the known_hosts files of o.
func loadHostKeys(o Options) (*hostKeys, error) {
	files := o.KnownHosts
	hk := &hostKeys{}
	if len(files) == 0 {
		files = o.DefaultKnownHosts()
		hk.file = files[0]
		// The defaults are optional, as for ssh(1): a missing file is
		// an empty one, and the host comes out unknown.
		var exist []string
		for _, f := range files {
			if _, err := os.Stat(f); err == nil {
				exist = append(exist, f)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("known_hosts %s: %w", f, err)
			}
		}
		files = exist
	} else {
		hk.file = files[0]
	}
	check, err := knownhosts.New(files...)
	if err != nil {
		return nil, fmt.Errorf("known_hosts: %w", err)
	}
	hk.check = check
	return hk, nil
}

// callback wraps the knownhosts check so its refusals carry what the
// operator needs to decide.
func (hk *hostKeys) callback(hostname string, remote net.Addr, key ssh.PublicKey) error {
	err := hk.check(hostname, remote, key)
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(err, &ke):
		return &HostKeyError{Addr: hostname, Key: key, Known: ke.Want, File: hk.file}
	case errors.As(err, &re):
		return &HostKeyError{Addr: hostname, Key: key, Known: []knownhosts.KnownKey{re.Revoked}, File: hk.file, Revoked: &re.Revoked}
	}
	return err
}

// algorithms returns the host key algorithms to offer for addr: those of
// the keys known_hosts holds for it. Without this, x/crypto negotiates the
// server's preferred algorithm and then fails when known_hosts holds a key
// of another type, where OpenSSH connects (golang/go#29286). Nil means no
// plain key is known (unknown host, or only @cert-authority lines) and the
// default negotiation applies.
func (hk *hostKeys) algorithms(addr string) ([]string, error) {
	// knownhosts lists the keys it knows for a host only in a mismatch,
	// so ask about a key no host has.
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("BUG: generate probe key: %w", err)
	}
	probe, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("BUG: probe key: %w", err)
	}
	err = hk.check(addr, addrString(addr), probe)
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return nil, nil
	}
	var algos []string
	seen := map[string]bool{}
	for _, k := range ke.Want {
		for _, a := range algorithmsFor(k.Key.Type()) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos, nil
}

// algorithmsFor lists the signature algorithms a key type can verify with,
// best first: an RSA key signs with SHA-2 on any server from this decade.
func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// addrString is a net.Addr for the probe; knownhosts only reads String.
type addrString string

func (a addrString) Network() string { return "tcp" }
func (a addrString) String() string  { return string(a) }
