package sshconn

import (
	"context"
	"errors"
	"fmt"
	"net"

	"golang.org/x/crypto/ssh"
)

// errScanned ends a handshake once the host key is seen.
var errScanned = errors.New("host key scanned")

// ScanHostKey connects to t and returns the host key it offers, as
// ssh-keyscan does: it neither checks the key nor logs in. It is only for a
// caller that shows the fingerprint and records the key on an explicit
// request of the operator (usbkey-sync setup --accept-host-key); Dial never
// trusts a key on first use.
func ScanHostKey(ctx context.Context, t Target, o Options) (ssh.PublicKey, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("ssh %s: %w", t, err)
	}
	var key ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User: t.User,
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			key = k
			return errScanned
		},
		// ed25519 first: the key SmartOS generates at first boot, and
		// the one whose fingerprint an operator is most likely to have.
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256},
		Timeout:           o.ConnectTimeout,
	}
	c, _, err := dial(ctx, t, o, cfg)
	if c != nil {
		c.Close()
	}
	if key != nil {
		return key, nil
	}
	if err == nil {
		err = errors.New("BUG: handshake finished without a host key")
	}
	return nil, fmt.Errorf("ssh %s: scan host key: %w", t, err)
}

// CheckHostKey checks key, offered by t, against the known_hosts files of
// o as Dial would: nil when they vouch for it, else a *HostKeyError.
func CheckHostKey(t Target, o Options, key ssh.PublicKey) error {
	hk, err := loadHostKeys(o)
	if err != nil {
		return fmt.Errorf("ssh %s: %w", t, err)
	}
	return hk.callback(t.Addr(), addrString(t.Addr()), key)
}
