package sshconn

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// ErrAuth is what an authentication refusal matches with errors.Is.
var ErrAuth = errors.New("authentication failed")

// defaultIdentities are tried in ssh(1)'s order when no identity is named.
var defaultIdentities = []string{"id_ed25519", "id_ecdsa", "id_rsa"}

// auth is the keys one connection offers, and what it tried, for the error.
type auth struct {
	signers []ssh.Signer
	tried   []string // identity files loaded, then "ssh-agent (N keys)"
	agent   net.Conn // closed with the client
}

// loadAuth reads the identity files and connects to the agent.
func loadAuth(o Options) (*auth, error) {
	a := &auth{}
	files, named := o.IdentityFiles, len(o.IdentityFiles) > 0
	if !named {
		files = o.DefaultIdentityFiles()
	}
	var encrypted []string
	var unprotected []error
	for _, f := range files {
		b, err := readIdentity(f)
		if !named && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if errors.Is(err, ErrUnprotected) && !named {
			// As ssh(1) does: a default key others can read is ignored,
			// loudly; it is an error only if no other key is left.
			o.Log.Warn("ssh identity ignored", "err", err)
			unprotected = append(unprotected, err)
			continue
		}
		if err != nil {
			return nil, err
		}
		s, err := ssh.ParsePrivateKey(b)
		var pm *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &pm):
			encrypted = append(encrypted, f)
			continue
		case err != nil:
			return nil, fmt.Errorf("identity %s: %w", f, err)
		}
		a.signers = append(a.signers, s)
		a.tried = append(a.tried, f)
	}
	if o.UseAgent {
		sock := o.Getenv("SSH_AUTH_SOCK")
		if err := a.addAgent(sock); err != nil {
			// A stale SSH_AUTH_SOCK (a login that ended, a forwarded
			// agent gone) must not fail every target while key files
			// that work are at hand.
			if len(a.signers) == 0 {
				a.close()
				return nil, fmt.Errorf("%w; and no identity file to fall back to", err)
			}
			warnAgentOnce(o.Log, sock, err)
			a.tried = append(a.tried, "ssh-agent (unreachable)")
		}
	}
	// A default key with a passphrase is fine when the agent holds it;
	// one that was named, or the only key there is, is an error that
	// says what to do, since this package never prompts.
	if len(encrypted) > 0 && (named || len(a.signers) == 0) {
		a.close()
		return nil, fmt.Errorf("identity %s is encrypted and cannot be read without a prompt; load it into ssh-agent (ssh-add %s) and use the agent",
			encrypted[0], encrypted[0])
	}
	if len(a.signers) == 0 && len(unprotected) > 0 {
		a.close()
		return nil, unprotected[0]
	}
	if len(a.signers) == 0 {
		a.close()
		where := "no identity file given"
		if !named {
			where = fmt.Sprintf("neither %s nor any of %s exists in %s (usbkey-sync setup creates the first)",
				o.nodePath(PersistentIdentity), strings.Join(defaultIdentities, ", "), displayDir(o.sshDir()))
		}
		agentNote := "ssh-agent is not used"
		if o.UseAgent {
			agentNote = "ssh-agent has no keys"
		}
		return nil, fmt.Errorf("no ssh key to log in with: %s and %s; name an identity file or load a key into ssh-agent", where, agentNote)
	}
	return a, nil
}

// addAgent adds the agent's keys. An agent that was asked for but is not
// there is an error rather than a silent fallback, so the auth error later
// does not mislead.
func (a *auth) addAgent(sock string) error {
	if sock == "" {
		return fmt.Errorf("ssh-agent: SSH_AUTH_SOCK is not set; start ssh-agent or name an identity file")
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		return fmt.Errorf("ssh-agent at %s: %w", sock, err)
	}
	signers, err := agent.NewClient(c).Signers()
	if err != nil {
		c.Close()
		return fmt.Errorf("ssh-agent at %s: list keys: %w", sock, err)
	}
	a.agent = c
	a.signers = append(a.signers, signers...)
	a.tried = append(a.tried, fmt.Sprintf("ssh-agent (%d keys)", len(signers)))
	return nil
}

func (a *auth) close() {
	if a.agent != nil {
		a.agent.Close()
		a.agent = nil
	}
}

// authError turns x/crypto's refusal into one that names the login and
// the keys. x/crypto has no error type for it, only this text
// (client_auth.go).
func (a *auth) authError(t Target, err error) error {
	if !strings.Contains(err.Error(), "unable to authenticate") {
		return nil
	}
	return fmt.Errorf("ssh %s: %w: tried %s; add one of their public keys to %s's authorized_keys on %s",
		t, ErrAuth, strings.Join(a.tried, ", "), t.User, t.Host)
}

func displayDir(d string) string {
	if d == "" {
		return "$HOME/.ssh (HOME is not set)"
	}
	return d
}

// ErrUnprotected is why a private key that others can read is refused, in
// ssh(1)'s words.
var ErrUnprotected = errors.New("UNPROTECTED PRIVATE KEY FILE")

// readIdentity reads the private key file f, refusing one that its group
// or others can read, as ssh(1) refuses it: whoever could read it could
// log in to every core CN as root.
func readIdentity(f string) ([]byte, error) {
	fi, err := os.Stat(f)
	if err != nil {
		return nil, fmt.Errorf("identity %s: %w", f, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("identity %s: %w: permissions %04o are too open, and a private key must be readable by its owner only: chmod 600 %s", f, ErrUnprotected, perm, f)
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return nil, fmt.Errorf("identity %s: %w", f, err)
	}
	return b, nil
}

// warnedAgents are the agent sockets already warned about: a sync dials
// every target, and one warning is enough.
var warnedAgents sync.Map

func warnAgentOnce(log *slog.Logger, sock string, err error) {
	if _, done := warnedAgents.LoadOrStore(sock, true); done {
		return
	}
	log.Warn("ssh-agent cannot be reached: logging in with the identity files only; unset SSH_AUTH_SOCK or start the agent", "err", err)
}
