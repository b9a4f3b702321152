package keysync

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"cntools/internal/atomicfile"
	"cntools/internal/node"
	"cntools/internal/sshconn"
)

// KeyComment ends the public key line setup installs, so an operator
// reading a CN's authorized_keys knows whose key it is.
const KeyComment = "cn-tools-usbkey-sync"

// The files on a core CN that hold root's authorized keys. At every boot
// smartdc-config copies ${config_inc_dir}/${root_authorized_keys_file}
// over /root/.ssh/authorized_keys (illumos-joyent
// usr/src/cmd/svc/milestone/smartdc-config 111-121); the file defaults to
// root.authorized_keys (sdc-headnode config/config.inc/generic 53-54) and a
// CN's config_inc_dir is /opt/smartdc/config. /root is the ramdisk, so the
// first is what survives a reboot and the second is what works now.
const (
	CNPersistentAuthorizedKeys = "/opt/smartdc/config/root.authorized_keys"
	CNAuthorizedKeys           = "/root/.ssh/authorized_keys"
)

// SetupRequest is `usbkey-sync setup`: the sync request's target
// selection, and what to do besides printing the commands.
type SetupRequest struct {
	Request
	// Install runs each printed command (sdc-oneachnode, through the
	// node's commander) and reports its result.
	Install bool
	// AcceptHostKey fetches each target's host key and records it in the
	// persistent known_hosts when no known_hosts has another key for it:
	// trust on first use, asked for by name, fingerprint reported.
	AcceptHostKey bool
}

// Key is the persistent identity setup made or found.
type Key struct {
	Type    string `json:"type"` // "key"
	Path    string `json:"path"` // node path of the private key
	Public  string `json:"public"`
	Created bool   `json:"created"`
}

// SetupResult is what setup did for one target.
type SetupResult struct {
	Type    string `json:"type"` // "setup"
	Target  string `json:"target"`
	Node    string `json:"node"`           // as sdc-oneachnode -n names it
	Note    string `json:"note,omitempty"` // a caveat about Node
	Command string `json:"command"`        // installs the public key on the node
	// Installed and Output: with Install, whether the command succeeded
	// and what it printed.
	Installed bool   `json:"installed"`
	Output    string `json:"output,omitempty"`
	// HostKey is the fingerprint seen with AcceptHostKey; HostKeyAdded
	// says whether it was added to KnownHostsFile now.
	HostKey        string `json:"host_key,omitempty"`
	HostKeyAdded   bool   `json:"host_key_added,omitempty"`
	KnownHostsFile string `json:"known_hosts_file,omitempty"`
	Error          string `json:"error,omitempty"`

	err error
}

// Err is why the install or the host key step failed, or nil.
func (r *SetupResult) Err() error { return r.err }

// Setup makes the persistent identity if it is missing, then for each
// target works out the command that installs its public key on that node
// and, as asked, runs it and records the target's host key.
func (r SetupRequest) Setup(ctx context.Context, n *node.Node, e Env) (*Key, []*SetupResult, error) {
	if err := r.Check(); err != nil {
		return nil, nil, err
	}
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	if r.Hook != "" {
		return nil, nil, fmt.Errorf("setup takes no hook")
	}
	key, err := EnsureKey(n.Path(sshconn.PersistentIdentity))
	if err != nil {
		return nil, nil, err
	}
	key.Path = sshconn.PersistentIdentity
	src, _ := r.from()
	targets, servers, err := r.targetsAndServers(ctx, n, n.Path(src), e.Log)
	if err != nil {
		return nil, nil, err
	}
	o := sshconn.Options{KnownHosts: r.KnownHosts, ConnectTimeout: r.ConnectTimeout, Getenv: e.Getenv, NodePath: n.Path, Log: e.Log}
	var out []*SetupResult
	for _, t := range targets {
		res := &SetupResult{Type: "setup", Target: TargetName(t), Node: t.Host}
		if uuid := servers[t.Host]; uuid != "" {
			res.Node = uuid
		} else if _, err := netip.ParseAddr(t.Host); err == nil {
			// sdc-oneachnode matches -n against a server's sysinfo
			// Hostname or UUID only (sdc-sdc bin/sdc-oneachnode).
			res.Note = fmt.Sprintf("sdc-oneachnode -n takes a server's hostname or UUID, not an address: replace %s in the command, or use --discover", t.Host)
		}
		script := InstallKeyScript(key.Public)
		res.Command = node.CommandLine("sdc-oneachnode", "-n", res.Node, script)
		if r.Install {
			switch {
			case res.Note != "":
				res.err = fmt.Errorf("not installed: %s", res.Note)
			default:
				b, err := n.Cmd.Run(ctx, "sdc-oneachnode", "-n", res.Node, script)
				res.Output = strings.TrimSpace(string(b))
				res.Installed, res.err = err == nil, err
			}
		}
		if r.AcceptHostKey && res.err == nil {
			res.KnownHostsFile = sshconn.PersistentKnownHosts
			res.HostKey, res.HostKeyAdded, res.err = acceptHostKey(ctx, t, o, n.Path(sshconn.PersistentKnownHosts))
		}
		if res.err != nil {
			res.Error = res.err.Error()
		}
		out = append(out, res)
	}
	return key, out, nil
}

// InstallKeyScript is the shell script that adds the public key line pub
// to a core CN's CNPersistentAuthorizedKeys and CNAuthorizedKeys, each
// only when that exact line is not there (grep -qxF), so it can be run
// any number of times. A file whose last line has no newline gets one
// first, so the key never joins another line.
func InstallKeyScript(pub string) string {
	return "k=" + node.Quote(pub) + "; for f in " + CNPersistentAuthorizedKeys + " " + CNAuthorizedKeys + "; do " +
		`mkdir -p "${f%/*}" && grep -qxF "$k" "$f" 2>/dev/null || ` +
		`{ [ ! -s "$f" ] || [ -z "$(tail -c 1 "$f")" ] || echo; echo "$k"; } >> "$f" || exit 1; done`
}

// EnsureKey returns the ed25519 identity at priv, creating it (and
// priv.pub) when priv does not exist. An existing key is never
// overwritten: the private key is linked into place, which fails if
// anything took the name meanwhile. A missing .pub beside an existing key
// is written from it.
func EnsureKey(priv string) (*Key, error) {
	k := &Key{Type: "key", Path: priv}
	b, err := os.ReadFile(priv)
	switch {
	case err == nil:
		s, err := ssh.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("identity %s: %w; it is used unattended, so it must be an unencrypted key: move it aside to have a new one made", priv, err)
		}
		k.Public = authorizedLine(s.PublicKey())
		if _, err := os.Stat(priv + ".pub"); errors.Is(err, fs.ErrNotExist) {
			if err := atomicfile.WriteFile(priv+".pub", []byte(k.Public+"\n"), 0o644); err != nil {
				return nil, err
			}
		}
		return k, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("identity %s: %w", priv, err)
	}
	pub, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("identity %s: generate: %w", priv, err)
	}
	block, err := ssh.MarshalPrivateKey(sk, KeyComment)
	if err != nil {
		return nil, fmt.Errorf("identity %s: %w", priv, err)
	}
	spub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("identity %s: %w", priv, err)
	}
	k.Public, k.Created = authorizedLine(spub), true
	if err := os.MkdirAll(filepath.Dir(priv), 0o755); err != nil {
		return nil, fmt.Errorf("identity %s: %w", priv, err)
	}
	// The .pub first: the private key is the marker that setup has run.
	if err := atomicfile.WriteFile(priv+".pub", []byte(k.Public+"\n"), 0o644); err != nil {
		return nil, err
	}
	if err := writeNew(priv, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("identity %s: %w", priv, err)
	}
	return k, nil
}

func authorizedLine(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " " + KeyComment
}

// writeNew writes data to path under a temporary name and links it into
// place, which, unlike a rename, fails when path exists.
func writeNew(path string, data []byte, perm fs.FileMode) error {
	f, err := atomicfile.Create(path+".new", perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return err
	}
	defer os.Remove(path + ".new")
	if err := os.Link(path+".new", path); err != nil {
		return fmt.Errorf("%w (an existing key is never overwritten)", err)
	}
	return nil
}

// acceptHostKey records t's host key in the persistent known_hosts file kh
// unless a known_hosts file already has another key for it (which is
// refused as a changed key, never replaced). It returns the fingerprint.
func acceptHostKey(ctx context.Context, t sshconn.Target, o sshconn.Options, kh string) (string, bool, error) {
	key, err := sshconn.ScanHostKey(ctx, t, o)
	if err != nil {
		return "", false, err
	}
	fp := key.Type() + " " + ssh.FingerprintSHA256(key)
	err = sshconn.CheckHostKey(t, o, key)
	if errors.Is(err, sshconn.ErrHostKeyChanged) {
		return fp, false, fmt.Errorf("not recorded: %w", err)
	}
	if _, serr := os.Stat(kh); serr == nil {
		po := o
		po.KnownHosts = []string{kh}
		if sshconn.CheckHostKey(t, po, key) == nil {
			return fp, false, nil
		}
	}
	old, err := os.ReadFile(kh)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fp, false, err
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(t.Addr())}, key)
	if err := os.MkdirAll(filepath.Dir(kh), 0o755); err != nil {
		return fp, false, err
	}
	if err := atomicfile.WriteFile(kh, append(old, line+"\n"...), 0o644); err != nil {
		return fp, false, err
	}
	return fp, true, nil
}
