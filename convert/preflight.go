package convert

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"cntools/internal/node"
	"cntools/usbkey/config"
	"cntools/usbkey/device"
	"cntools/usbkey/key"
	"cntools/usbkey/keycopy"
	"cntools/usbkey/keytree"
	"cntools/usbkey/populate"
)

// Check is one preflight check.
type Check struct {
	Type   string `json:"type"` // "preflight"
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Warn   bool   `json:"warn,omitempty"` // passed, but the operator must know
	Detail string `json:"detail"`
}

// Preflight is every check, run before anything changes.
type Preflight struct {
	Checks      []Check
	Key         string          // the key chosen (a node path), "" on a boot pool
	Platform    string          // the platform the key will boot
	Platforms   []string        // the platforms the key carries
	SourceBytes int64           // the size of the key content
	Instances   []string        // zones this node hosts, which a reboot interrupts
	Identity    []config.Change // what the key's config says differently of this node, secrets masked
	Skipped     []populate.Skip // what the source has that the key does not get
	BootSlices  []string        // with --bootpool: the slices installboot writes
}

// OK reports whether every check passed.
func (p *Preflight) OK() bool {
	for _, c := range p.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

func (p *Preflight) add(name string, err error, ok string) {
	c := Check{Type: "preflight", Name: name, OK: err == nil, Detail: ok}
	if err != nil {
		c.Detail = err.Error()
	}
	p.Checks = append(p.Checks, c)
}

// warn records a hazard that does not stop the conversion.
func (p *Preflight) warn(name, detail string) {
	p.Checks = append(p.Checks, Check{Type: "preflight", Name: name, OK: true, Warn: true, Detail: detail})
}

// RunPreflight checks the node, the key target and the source. It
// changes nothing. resuming skips the checks that the conversion's own
// earlier steps would now fail (the node already has a headnode key).
func RunPreflight(ctx context.Context, o *Options, resuming bool) *Preflight {
	p := &Preflight{}
	p.add("node is a set-up compute node", checkNode(ctx, o, resuming), "setup complete, not a headnode")
	var capacity func(sel *populate.Selection) (int64, error)
	targetOK := true
	if o.BootPool != "" {
		p.add("boot pool", checkBootPool(ctx, o), "/"+o.BootPool+"/boot will hold the key content")
		var err error
		if p.BootSlices, err = bootSlices(ctx, o); err == nil && len(p.BootSlices) == 0 {
			err = fmt.Errorf("pool %s lists no disks", o.BootPool)
		}
		p.add("boot pool disks", err, strings.Join(p.BootSlices, " ")+" get the boot blocks")
		capacity = func(sel *populate.Selection) (int64, error) { return fitsPool(o, sel) }
	} else {
		k, err := chooseKey(ctx, o, resuming)
		p.Key, targetOK = k, err == nil
		p.add("key target", err, k)
		capacity = func(sel *populate.Selection) (int64, error) { return fitsKey(ctx, o, k, sel) }
	}
	tree, err := openSource(ctx, o)
	if tree != nil {
		defer tree.Close()
	}
	var src *source
	if err == nil {
		src, err = checkSource(ctx, o, tree)
	}
	if err == nil {
		p.Platform, p.Platforms, p.SourceBytes, p.Skipped = src.boot, src.carry, src.sel.Size(), src.sel.Skipped
		p.add("this node's identity", identity(ctx, o, tree, p), "the key's config names this node's links")
	}
	p.add("key content source", err, fmt.Sprintf("%s: complete, boots platform %s, carries %s", o.from(), p.Platform, strings.Join(p.Platforms, " ")))
	p.add("config in the source", checkConfig(o, tree), "present")
	// Without a good key, the key target check has failed already.
	if src != nil && targetOK {
		if need, err := capacity(src.sel); err != nil {
			p.add("the key holds the content", err, "")
		} else {
			p.add("the key holds the content", nil, fmt.Sprintf("%d bytes for platforms %s", need, strings.Join(p.Platforms, " ")))
		}
	}
	if resuming {
		// The copy is on the pool already, or partly: the first run's
		// check stands.
		p.add("space for the usbkey copy", nil, "checked when the conversion began")
	} else {
		p.add("space for the usbkey copy", checkSpace(o, p.SourceBytes), fmt.Sprintf("%d bytes needed", p.SourceBytes))
	}
	if targetOK {
		rebootHazards(ctx, o, p)
	}
	p.Instances = instances(ctx, o)
	return p
}

func checkNode(ctx context.Context, o *Options, resuming bool) error {
	si, err := o.Node.Facts.Sysinfo(ctx)
	if err != nil {
		return err
	}
	if !si.Setup() {
		return fmt.Errorf("sysinfo says Setup is not true: only a set-up CN can become a headnode; finish its setup first")
	}
	bp, err := o.Node.Facts.BootParams(ctx)
	if err != nil {
		return err
	}
	if bp["headnode"] == "true" {
		return fmt.Errorf("this node booted as a headnode (bootparam headnode=true): there is nothing to convert")
	}
	if exists(o.Node.Path(node.SdcadmDir)) && !resuming && !o.Restart {
		return fmt.Errorf("%s exists: this node has headnode tools already; if an earlier conversion left them, run with --restart", node.SdcadmDir)
	}
	return nil
}

// chooseKey takes --key, or the one removable disk that is safe and large
// enough. A disk that holds a Triton key already (the dead headnode's,
// say) is refused unless --force, or unless this is the resumed run that
// wrote it.
func chooseKey(ctx context.Context, o *Options, resuming bool) (string, error) {
	check := func(path string, size int64) ([]device.Refusal, error) {
		rs, err := device.Check(ctx, o.Node.Facts, path, size, key.MinSize)
		if err != nil {
			return nil, err
		}
		if !resuming && !o.Force {
			has, err := key.ExistingKey(o.Node, path)
			if err != nil {
				return nil, err
			}
			if has != nil {
				has.Reason += "; pass --force to overwrite it, or --key another disk"
				rs = append(rs, *has)
			}
		}
		return rs, nil
	}
	if o.Key != "" {
		// A disk is judged from the node's facts; an image by its size.
		var size int64
		if _, isDisk := device.DiskName(o.Key); !isDisk {
			t, err := device.Open(o.Node.Path(o.Key), true)
			if err != nil {
				return o.Key, fmt.Errorf("--key %s: %w", o.Key, err)
			}
			size = t.Size
			t.Close()
		}
		rs, err := check(o.Key, size)
		if err != nil {
			return o.Key, err
		}
		if len(rs) > 0 {
			return o.Key, fmt.Errorf("%s: %s", o.Key, reasons(rs))
		}
		return o.Key, nil
	}
	disks, err := o.Node.Facts.Disks(ctx)
	if err != nil {
		return "", err
	}
	var ok, refused []string
	for _, d := range disks {
		if !d.Removable {
			continue
		}
		rs, err := check(d.RawPath(), d.Size)
		switch {
		case err != nil:
			return "", err
		case len(rs) == 0:
			ok = append(ok, d.RawPath())
		default:
			refused = append(refused, reasons(rs))
		}
	}
	switch len(ok) {
	case 0:
		why := ""
		if len(refused) > 0 {
			why = " (" + strings.Join(refused, "; ") + ")"
		}
		return "", fmt.Errorf("no removable disk of at least %d bytes that is safe to format%s: plug in a USB key, or pass --key or --bootpool", int64(key.MinSize), why)
	case 1:
		return ok[0], nil
	}
	return "", fmt.Errorf("several removable disks could be the key (%s): pass --key with one", strings.Join(ok, ", "))
}

func reasons(rs []device.Refusal) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Reason)
	}
	return strings.Join(s, "; ")
}

// source is what preflight learns of the key content.
type source struct {
	boot  string   // the platform the key boots
	carry []string // the platforms it carries
	sel   *populate.Selection
}

// openSource opens the conversion's source, once for the whole preflight,
// and, when it is a directory on this node (the standby copy), takes its
// lock until the conversion ends: a usbkey-sync must not rewrite it while
// the key is made from it.
func openSource(ctx context.Context, o *Options) (keytree.Tree, error) {
	loc, err := keytree.ParseLocation(o.from())
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	src, err := o.trees().Open(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w; pass --from with a usbkey copy, standby copy or usbkey-base tarball", loc, err)
	}
	if _, isDir := src.(*keytree.DirTree); isDir && o.unlock == nil {
		unlock, err := keycopy.LockDir(o.Node.Path(loc.Path), loc.Raw, "convert-to-headnode")
		if err != nil {
			src.Close()
			return nil, err
		}
		o.unlock = unlock
	}
	return src, nil
}

// checkSource proves the source complete, picks the platforms, and sizes
// the key content: what the key would get, with nothing written anywhere.
func checkSource(ctx context.Context, o *Options, src keytree.Tree) (*source, error) {
	si, err := o.Node.Facts.Sysinfo(ctx)
	if err != nil {
		return nil, err
	}
	conf, _ := keytree.ReadSmall(src, "boot/loader.conf")
	boot, carry, err := populate.ChoosePlatforms(src, conf, si.LiveImage(), o.Platforms)
	if err != nil {
		return nil, err
	}
	// The loader.conf the key gets boots the chosen platform; the source's
	// may name another, which the selection would then insist on.
	over := keytree.Overlay(src, "boot/loader.conf", []byte(`platform-version="`+boot+`"`+"\n"), time.Now())
	sel, err := populate.SelectFrom(ctx, over, populate.Request{Platforms: carry})
	if err != nil {
		return nil, err
	}
	return &source{boot: boot, carry: carry, sel: sel}, nil
}

// checkConfig: without a config a headnode boots into the interactive
// prompt-config.
func checkConfig(o *Options, src keytree.Tree) error {
	if src == nil {
		return fmt.Errorf("%s cannot be read", o.from())
	}
	fi, err := src.Lstat("config")
	if err != nil || !fi.Mode.IsRegular() {
		return fmt.Errorf("%s has no config: without one a headnode boots into the interactive prompt-config", o.from())
	}
	return nil
}

func checkSpace(o *Options, need int64) error {
	dir := o.Node.Path("/zones")
	if _, err := os.Stat(dir); err != nil {
		dir = o.Node.Path("/")
	}
	free, _, err := node.FreeSpace(dir)
	if err != nil {
		return err
	}
	if free < need*2 {
		return fmt.Errorf("%s has %d bytes free; the usbkey copy needs %d, with room to spare twice that", dir, free, need)
	}
	return nil
}

// instances lists the zones this node hosts, which a reboot interrupts.
// A node with no zone index hosts none.
func instances(ctx context.Context, o *Options) []string {
	zs, err := o.Node.Facts.Zones(ctx)
	if err != nil {
		return nil
	}
	out := []string{}
	for _, z := range zs {
		out = append(out, z.String())
	}
	sort.Strings(out)
	return out
}

// identity works out what the key's config will say differently of this
// node, for the plan and the confirmation, and proves it can be said.
func identity(ctx context.Context, o *Options, src keytree.Tree, p *Preflight) error {
	conf, err := keytree.ReadSmall(src, "config")
	if err != nil {
		return err
	}
	id, err := populate.ReadIdentity(ctx, o.Node)
	if err != nil {
		return err
	}
	_, p.Identity, err = populate.ForNode(conf, id)
	return err
}
