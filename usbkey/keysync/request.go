package keysync

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	"cntools/usbkey/config"
	"cntools/usbkey/keycopy"
	"cntools/usbkey/keytree"
)

// Tool is the command a Request prints.
const Tool = "usbkey-sync"

// The hooks: what an sdcadm step changed, synced alone.
const (
	HookPlatformInstall = "platform-install" // os/VERSION, boot/ and the tarballs
	HookGZTools         = "gz-tools"         // the tarballs, scripts/, default/, extra/joysetup/
	HookSdcadm          = "sdcadm"           // the deployed sdcadm, packed into extra/sdcadm/
)

// Request is usbkey-sync's options as typed values: what the CLI builds
// from its flags and a wrapper builds for its steps. The zero value of a
// field is the tool's default.
type Request struct {
	// DryRun plans and reports, and writes nothing.
	DryRun bool
	// From is the headnode's usbkey copy, a directory on this node (a
	// location, as keytree.ParseLocation reads it); "" is node.UsbkeyDir.
	From string
	// Targets are the locations to sync to, as given; the default path
	// on one is node.StandbyDir.
	Targets []string
	// TargetsFile lists the targets, one a line, when there is no
	// target and no Discover; "" is DefaultTargetsFile.
	TargetsFile string
	// Discover finds the core CNs through SAPI and CNAPI when there is no
	// target, at SapiURL and CnapiURL ("": from the usbkey config).
	Discover          bool
	SapiURL, CnapiURL string
	// Jobs bounds the targets synced at once, Files the files in flight
	// on each; 0 is DefaultJobs, DefaultFiles.
	Jobs, Files int
	// Delete, Force, Verify: as Options has them.
	Delete, Force bool
	Verify        string
	// Identity and KnownHosts are files; nil is ~/.ssh's.
	Identity, KnownHosts []string
	// ConnectTimeout is 0 for sshconn.DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// Hook narrows the sync to what an sdcadm step changed ("": the whole
	// tree); HookVersion is platform-install's VERSION.
	Hook, HookVersion string
}

// Args is the request as usbkey-sync's arguments, in the order of its
// flags, then the hook: what the tool parses back into the same request.
func (r Request) Args() []string {
	var a []string
	flag := func(name string, on bool) {
		if on {
			a = append(a, name)
		}
	}
	str := func(name, v string) {
		if v != "" {
			a = append(a, name, v)
		}
	}
	num := func(name string, n int) {
		if n != 0 {
			a = append(a, name, strconv.Itoa(n))
		}
	}
	flag("--dry-run", r.DryRun)
	str("--from", r.From)
	for _, t := range r.Targets {
		a = append(a, "--target", t)
	}
	str("--targets-file", r.TargetsFile)
	flag("--discover", r.Discover)
	str("--sapi-url", r.SapiURL)
	str("--cnapi-url", r.CnapiURL)
	num("--jobs", r.Jobs)
	num("--files", r.Files)
	flag("--delete", r.Delete)
	flag("--force", r.Force)
	str("--verify", r.Verify)
	for _, f := range r.Identity {
		a = append(a, "--identity", f)
	}
	for _, f := range r.KnownHosts {
		a = append(a, "--known-hosts", f)
	}
	if r.ConnectTimeout != 0 {
		a = append(a, "--connect-timeout", r.ConnectTimeout.String())
	}
	if r.Hook != "" {
		a = append(a, "hook", r.Hook)
		if r.Hook == HookPlatformInstall {
			a = append(a, r.HookVersion)
		}
	}
	return a
}

// CommandLine is the command that carries out the request on n.
func (r Request) CommandLine(n *node.Node) string { return n.ToolLine(Tool, r.Args()...) }

// Check refuses what the tool refuses before it reads anything: a target,
// a --verify or a hook it does not know.
func (r Request) Check() error {
	if _, err := r.from(); err != nil {
		return err
	}
	for _, s := range r.Targets {
		if _, err := ParseTarget(s); err != nil {
			return fmt.Errorf("--target: %w", err)
		}
	}
	switch r.Verify {
	case "", VerifyReceiver, VerifyOpenSSL, VerifySHA256Sum, VerifyDigest, VerifyReadBack:
	default:
		return fmt.Errorf("--verify %q: want usbkey-sync, openssl, sha256sum, digest or read-back", r.Verify)
	}
	switch {
	case r.Hook == HookPlatformInstall && r.HookVersion == "":
		return fmt.Errorf("hook %s: want the platform VERSION, e.g. %s hook %[1]s 20260301T000000Z", r.Hook, Tool)
	case (r.Hook == HookGZTools || r.Hook == HookSdcadm) && r.HookVersion != "":
		return fmt.Errorf("hook %s takes no VERSION", r.Hook)
	case r.Hook != "" && r.Hook != HookPlatformInstall && r.Hook != HookGZTools && r.Hook != HookSdcadm:
		return fmt.Errorf("hook %q: want %s VERSION, %s or %s", r.Hook, HookPlatformInstall, HookGZTools, HookSdcadm)
	}
	return nil
}

// from is the source as a node path, defaulted; it must be local.
func (r Request) from() (string, error) {
	if r.From == "" {
		return node.UsbkeyDir, nil
	}
	loc, err := keytree.ParseLocation(r.From)
	if err != nil {
		return "", fmt.Errorf("--from: %w", err)
	}
	if loc.Kind != keytree.KindLocal {
		return "", fmt.Errorf("--from %s: a sync copies from a directory on this node (the headnode's %s), not from another node", r.From, node.UsbkeyDir)
	}
	return loc.Path, nil
}

// Env is what a request runs with besides its node.
type Env struct {
	// Log gets the run's progress; nothing when nil.
	Log *slog.Logger
	// Getenv reads HOME and SSH_AUTH_SOCK for SSH; nil is an empty
	// environment.
	Getenv func(string) string
}

// Job is a request resolved on a node: the targets and what Run needs.
type Job struct {
	Targets []sshconn.Target
	Options Options
	// lockDir is where the node's lock goes: one usbkey-sync at a time
	// on a node, whatever its targets.
	lockDir string
}

// Run syncs the job's targets, holding the node's usbkey-sync lock.
func (j *Job) Run(ctx context.Context) ([]*Result, error) {
	if j.lockDir != "" && !j.Options.DryRun {
		if err := os.MkdirAll(j.lockDir, 0o755); err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		unlock, err := keycopy.LockDir(j.lockDir, "this node's usbkey-sync", Tool)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	return Run(ctx, j.Targets, j.Options)
}

// Prepare resolves the request on n: the targets (Targets, else Discover,
// else the targets file, each under n's root), the hook's paths and the
// hash cache under node.CacheDir. It connects to nothing but SAPI and
// CNAPI, and writes nothing but, for HookSdcadm without DryRun, the
// deployed sdcadm's tarball into the source.
func (r Request) Prepare(ctx context.Context, n *node.Node, e Env) (*Job, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	src, _ := r.from()
	src = n.Path(src)
	targets, err := r.targets(ctx, n, src, e.Log)
	if err != nil {
		return nil, err
	}
	var paths []string
	switch r.Hook {
	case HookPlatformInstall:
		paths, err = PlatformInstallPaths(src, r.HookVersion)
	case HookGZTools:
		paths, err = GZToolsPaths(src)
	case HookSdcadm:
		paths, err = SdcadmPaths(ctx, n, src, r.DryRun, e.Log)
	}
	if err != nil {
		return nil, err
	}
	return &Job{Targets: targets, lockDir: n.Path(node.StateDir + "/usbkey-sync"), Options: Options{
		Source:    src,
		Paths:     paths,
		CachePath: CachePath(n, src),
		Jobs:      r.Jobs,
		Files:     r.Files,
		Delete:    r.Delete,
		Force:     r.Force,
		DryRun:    r.DryRun,
		Verify:    r.Verify,
		Log:       e.Log,
		SSH: sshconn.Options{
			IdentityFiles:  r.Identity,
			KnownHosts:     r.KnownHosts,
			UseAgent:       e.Getenv("SSH_AUTH_SOCK") != "",
			ConnectTimeout: r.ConnectTimeout,
			Getenv:         e.Getenv,
			NodePath:       n.Path,
			Log:            e.Log,
		},
	}}, nil
}

// CachePath is the hash cache of the source directory src (resolved
// under n's root), named for its absolute path, under node.CacheDir.
func CachePath(n *node.Node, src string) string {
	abs, err := filepath.Abs(src)
	if err != nil {
		abs = src
	}
	return filepath.Join(n.Path(node.CacheDir), Tool+strings.NewReplacer("/", "_", ":", "_").Replace(abs)+".json")
}

// targets is Targets, else Discover, else the targets file.
func (r Request) targets(ctx context.Context, n *node.Node, src string, log *slog.Logger) ([]sshconn.Target, error) {
	ts, _, err := r.targetsAndServers(ctx, n, src, log)
	return ts, err
}

// targetsAndServers is targets, and for discovered ones the server UUID
// by admin IP.
func (r Request) targetsAndServers(ctx context.Context, n *node.Node, src string, log *slog.Logger) ([]sshconn.Target, map[string]string, error) {
	var out []sshconn.Target
	for _, s := range r.Targets {
		t, err := ParseTarget(s)
		if err != nil {
			return nil, nil, fmt.Errorf("--target: %w", err)
		}
		out = append(out, t)
	}
	if len(out) > 0 {
		return out, nil, nil
	}
	if r.Discover {
		return r.discover(ctx, n, src, log)
	}
	file := cmp.Or(r.TargetsFile, DefaultTargetsFile)
	out, err := ReadTargetsFile(n.Path(file))
	if err != nil {
		return nil, nil, err
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("no targets: pass --target [user@]host[:port][:/path], --discover, or list them in %s", file)
	}
	return out, nil, nil
}

// discover asks SAPI and CNAPI (found through the source's config unless
// given) for the core CNs, leaving this node out.
func (r Request) discover(ctx context.Context, n *node.Node, src string, log *slog.Logger) ([]sshconn.Target, map[string]string, error) {
	d := Discovery{SAPI: r.SapiURL, CNAPI: r.CnapiURL}
	if d.SAPI == "" || d.CNAPI == "" {
		b, err := os.ReadFile(filepath.Join(src, "config"))
		if err != nil {
			return nil, nil, fmt.Errorf("--discover: the usbkey config: %w", err)
		}
		cfg, err := config.Parse(b)
		if err != nil {
			return nil, nil, fmt.Errorf("--discover: %w", err)
		}
		sapi, cnapi, err := ServiceURLs(cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("--discover: %w", err)
		}
		d.SAPI, d.CNAPI = cmp.Or(d.SAPI, sapi), cmp.Or(d.CNAPI, cnapi)
	}
	if si, err := n.Facts.Sysinfo(ctx); err == nil && si.UUID() != "" {
		d.Exclude = []string{si.UUID()}
	} else {
		log.Warn("this node's UUID is unknown: it is not left out of the discovered targets", "err", err)
	}
	servers, err := Discover(ctx, d)
	if err != nil {
		return nil, nil, err
	}
	if len(servers) == 0 {
		return nil, nil, fmt.Errorf("--discover: SAPI lists no other server with %s instances", strings.Join(CoreServices, ", "))
	}
	var out []sshconn.Target
	uuids := map[string]string{}
	for _, s := range servers {
		uuids[s.AdminIP] = s.UUID
		log.Info("discovered", "server", s.UUID, "hostname", s.Hostname, "admin_ip", s.AdminIP, "services", strings.Join(s.Services, ","))
		out = append(out, sshconn.Target{User: sshconn.DefaultUser, Host: s.AdminIP, Port: sshconn.DefaultPort, Path: node.StandbyDir})
	}
	return out, uuids, nil
}
