package drift

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	"cntools/usbkey/keytree"
)

// Tool is the command a Request prints.
const Tool = "usbkey-drift"

// None leaves the key or the usbkey copy out of a Request.
const None = "none"

// Request is usbkey-drift's options as typed values: what the CLI builds
// from its flags and a wrapper builds for its checks. Copies are named as
// keytree.ParseLocation reads every location.
type Request struct {
	// Key is the key: a device, an image or a mounted key directory on
	// this node. "" is the key mounted at node.KeyMount, if one is; None
	// leaves it out.
	Key string
	// Usbkey is the usbkey copy: a directory, or one on another node over
	// SSH (default path node.UsbkeyDir). "" is node.UsbkeyDir; None leaves
	// it out.
	Usbkey string
	// Standby are standby copies: on core CNs over SSH (default path
	// node.StandbyDir), or directories on this node.
	Standby []string
	// All, IgnoreMTime: as Options has them.
	All, IgnoreMTime bool
	// SFTP reads standby copies over SFTP even where usbkey-drift is
	// installed on the CN.
	SFTP bool
	// NoCache hashes every file of a directory copy.
	NoCache bool
}

// Args is the request as usbkey-drift's arguments, in the order of its
// flags: what the tool parses back into the same request.
func (r Request) Args() []string {
	var a []string
	if r.Key != "" {
		a = append(a, "--key", r.Key)
	}
	if r.Usbkey != "" {
		a = append(a, "--usbkey", r.Usbkey)
	}
	for _, s := range r.Standby {
		a = append(a, "--standby", s)
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{r.All, "--all"}, {r.IgnoreMTime, "--ignore-mtime"}, {r.SFTP, "--sftp"}, {r.NoCache, "--no-cache"}} {
		if f.on {
			a = append(a, f.name)
		}
	}
	return a
}

// CommandLine is the command that carries out the request on n.
func (r Request) CommandLine(n *node.Node) string { return n.ToolLine(Tool, r.Args()...) }

// Env is what a request runs with besides its node.
type Env struct {
	// Log gets progress at debug level and cache trouble as warnings.
	Log *slog.Logger
	// Getenv reads HOME and SSH_AUTH_SOCK for SSH; nil is an empty
	// environment.
	Getenv func(string) string
}

// ErrTooFew is why a request with fewer than two copies is refused.
var ErrTooFew = errors.New("nothing to compare with")

// Sources lists the copies the request names, on n, in the order they
// are compared: the key, the usbkey copy, the standby copies. The key's
// default is read from n's mount table, which must be readable.
func (r Request) Sources(ctx context.Context, n *node.Node) ([]Source, error) {
	var srcs []Source
	k := r.Key
	if k == "" {
		mounts, err := n.Facts.Mounts(ctx)
		if err != nil {
			return nil, fmt.Errorf("looking for the key at %s: %w; pass --key DEV|IMAGE|DIR, or --key none", node.KeyMount, err)
		}
		for _, m := range mounts {
			if m.MountPoint == node.KeyMount {
				k = node.KeyMount
			}
		}
	}
	if k != "" && k != None {
		loc, err := keytree.ParseLocation(k)
		if err != nil {
			return nil, fmt.Errorf("--key: %w", err)
		}
		if loc.Kind != keytree.KindLocal {
			return nil, fmt.Errorf("--key %s: a key is read on the node it is in: run usbkey-drift there, or compare that node's %s as --usbkey or --standby", k, node.KeyMount)
		}
		srcs = append(srcs, Source{Name: "key", Kind: KeySource, Path: n.Path(loc.Path)})
	}
	if r.Usbkey != None {
		s, err := copySource("--usbkey", "usbkey", r.Usbkey, node.UsbkeyDir, n)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	for _, raw := range r.Standby {
		s, err := copySource("--standby", "", raw, node.StandbyDir, n)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	return srcs, nil
}

// copySource reads a directory copy's location: local, or over SSH with
// def as the path when it names none. name "" names it by where it is.
func copySource(flag, name, raw, def string, n *node.Node) (Source, error) {
	if raw == "" {
		raw = def
	}
	loc, err := keytree.ParseLocation(raw)
	if err != nil {
		return Source{}, fmt.Errorf("%s: %w", flag, err)
	}
	if loc.Kind == keytree.KindSSH {
		t := loc.SSH
		if t.Path == "" {
			t.Path = def
		}
		return Source{Name: name, Kind: StandbySource, Target: t}, nil
	}
	p := n.Path(loc.Path)
	if name == "" {
		name = raw
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(raw, "/~") {
			// A bare word is a local path to every tool.
			return Source{}, fmt.Errorf("%s %s: no such directory on this node; for a copy on the host %[2]s, write root@%[2]s, %[2]s:%s or ssh://%[2]s", flag, raw, def)
		}
	}
	return Source{Name: name, Kind: DirSource, Path: p}, nil
}

// Run reads the copies the request names on n, all at once, and compares
// them with the first. The report is nil when nothing was compared: fewer
// than two copies (ErrTooFew) or an unreadable reference, which err says.
// A copy that could not be read is left out of the report, and its error
// is in err beside the report.
func (r Request) Run(ctx context.Context, n *node.Node, e Env) (*Report, error) {
	srcs, err := r.Sources(ctx, n)
	if err != nil {
		return nil, err
	}
	if len(srcs) < 2 {
		return nil, fmt.Errorf("%w: %d copy given; give at least two of --key, --usbkey and --standby", ErrTooFew, len(srcs))
	}
	getenv := e.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	o := StandbyOptions{
		LoadOptions: r.LoadOptions(n, e.Log),
		SSH:         sshconn.Options{Getenv: getenv, UseAgent: getenv("SSH_AUTH_SOCK") != "", NodePath: n.Path, Log: e.Log},
		NoRemote:    r.SFTP,
	}
	copies, loadErr := LoadAll(ctx, srcs, o)
	if copies[0] == nil {
		return nil, loadErr
	}
	var others []*Copy
	for _, cp := range copies[1:] {
		if cp != nil {
			others = append(others, cp)
		}
	}
	return Compare(copies[0], others, Options{All: r.All, IgnoreMTime: r.IgnoreMTime}), loadErr
}

// LoadOptions are how the request reads copies on n: with the hash
// caches under node.CacheDir unless NoCache.
func (r Request) LoadOptions(n *node.Node, log *slog.Logger) LoadOptions {
	o := LoadOptions{Log: log}
	if !r.NoCache {
		o.CacheDir = n.Path(node.CacheDir)
	}
	return o
}
