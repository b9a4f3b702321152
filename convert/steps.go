package convert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"cntools/gztools"
	"cntools/internal/atomicfile"
	"cntools/usbkey/bootfiles"
	"cntools/usbkey/device"
	"cntools/usbkey/key"
	"cntools/usbkey/populate"
)

// Step is one step of the conversion.
type Step struct {
	Name    string `json:"name"`
	What    string `json:"what"`
	Command string `json:"command"` // the single-tool command that does the same step
	run     func(ctx context.Context) error
	// done verifies the step's result, so a resumed run redoes nothing
	// that is verified done and everything that is not.
	done func(ctx context.Context) bool
}

// Plan is the ordered steps.
type Plan struct {
	Type      string   `json:"type"` // "plan"
	Key       string   `json:"key,omitempty"`
	BootPool  string   `json:"bootpool,omitempty"`
	From      string   `json:"from"`
	Platform  string   `json:"platform"`
	Steps     []Step   `json:"steps"`
	Instances []string `json:"instances"`
	Reboot    string   `json:"reboot"`
}

// RebootNote says what happens after the conversion.
const RebootNote = "the reboot boots the node from the key as headnode; headnode.sh then creates zones/usbkey and reboots a second time by itself"

// NewPlan lays out the steps for a node that passed preflight.
func NewPlan(o *Options, pf *Preflight) *Plan {
	root := ""
	if o.Root != "" && o.Root != "/" {
		root = " --root " + o.Root
	}
	from := o.From
	if from == "" {
		from = StandbyPath
	}
	keyDir := pf.Key
	if o.BootPool != "" {
		keyDir = "/" + o.BootPool + "/boot"
	}
	p := &Plan{Type: "plan", Key: pf.Key, BootPool: o.BootPool, From: from, Platform: pf.Platform, Instances: pf.Instances, Reboot: RebootNote}
	if p.Instances == nil {
		p.Instances = []string{}
	}
	c := &conversion{o: o, key: pf.Key, keyDir: keyDir, pi: pf.Platform}
	p.Steps = append(p.Steps, Step{
		Name: "usbkey-copy", What: "copy the key content to " + CopyPath + ", with this node's config and a headnode loader.conf",
		Command: "usbkey-populate" + root + " --from " + from + " --node-config -y " + CopyPath +
			"   # and in its boot/loader.conf: headnode=\"true\" ipxe=\"false\" os_console, platform-version=\"" + pf.Platform + "\"",
		run: c.usbkeyCopy, done: c.usbkeyCopyDone,
	})
	if o.BootPool == "" {
		p.Steps = append(p.Steps, Step{
			Name: "format-key", What: "partition and format " + pf.Key + " as a v2 key",
			Command: "usbkey-format" + root + " --boot-dir " + CopyPath + " --force -y " + pf.Key,
			run:     c.formatKey, done: c.formatKeyDone,
		})
	}
	p.Steps = append(p.Steps, Step{
		Name: "populate-key", What: "copy " + CopyPath + " onto " + keyDir + ", marker last",
		Command: "usbkey-populate" + root + " --from " + CopyPath + " -y " + keyDir,
		run:     c.populateKey, done: c.populateKeyDone,
	}, Step{
		Name: "gztools", What: "install the headnode global-zone tools, cn_tools and sdcadm",
		Command: "gztools-install" + root + " --from " + CopyPath + " -y",
		run:     c.gztools, done: c.gztoolsDone,
	}, Step{
		Name: "usbkey-config", What: "write this node's config to " + UsbkeyPath + "/config, which config.sh prefers from now on",
		Command: "usbkey-populate" + root + " --from " + from + " --node-config -y " + UsbkeyPath + "   # only its config",
		run:     c.usbkeyConfig, done: c.usbkeyConfigDone,
	}, Step{
		Name: "node-config", What: "move " + NodeConfigPath + " aside: a headnode has none",
		Command: "mv " + NodeConfigPath + " " + NodeConfigPath + ".pre-headnode",
		run:     c.moveNodeConfig, done: c.nodeConfigDone,
	})
	return p
}

// conversion holds what the steps share.
type conversion struct {
	o      *Options
	key    string // key device or image, a node path
	keyDir string // where the key content goes: the key, or /POOL/boot
	pi     string
	config []byte // this node's config, once read
}

func openSource(ctx context.Context, o *Options) (populate.Source, error) {
	return populate.OpenSource(ctx, o.from(), o.from(), o.path("/var/tmp"), o.SSH)
}

// nodeConfig is the source's config rewritten for this node, as
// usbkey-populate --node-config writes it.
func (c *conversion) nodeConfig(ctx context.Context) ([]byte, error) {
	if c.config != nil {
		return c.config, nil
	}
	src, err := openSource(ctx, c.o)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	hn, err := readFrom(src, "config")
	if err != nil {
		return nil, err
	}
	si, err := c.o.Facts.Sysinfo(ctx)
	if err != nil {
		return nil, err
	}
	f, _, err := populate.ForNode(hn, si)
	if err != nil {
		return nil, err
	}
	c.config = f.Bytes()
	return c.config, nil
}

func readFrom(src populate.Source, p string) ([]byte, error) {
	r, err := src.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", p, src.Describe(), err)
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 16<<20))
}

// headnodeSource is the source with this node's config and a loader.conf
// that boots it as headnode. It goes to the copy on the zones pool, which
// nothing reads as config; /usbkey/config, which config.sh prefers over
// the CN's node.config, is written only by the usbkey-config step, right
// before node.config goes aside.
func (c *conversion) headnodeSource(ctx context.Context) (populate.Source, error) {
	src, err := openSource(ctx, c.o)
	if err != nil {
		return nil, err
	}
	conf, err := readFrom(src, "boot/loader.conf")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		src.Close()
		return nil, err
	}
	bp, err := c.o.Facts.BootParams(ctx)
	if err != nil {
		src.Close()
		return nil, err
	}
	nc, err := c.nodeConfig(ctx)
	if err != nil {
		src.Close()
		return nil, err
	}
	var out populate.Source = populate.Overlay{Source: src, Path: "boot/loader.conf", Data: headnodeLoaderConf(conf, c.pi, bp["console"], c.o.BootPool)}
	return populate.Overlay{Source: out, Path: "config", Data: nc}, nil
}

// keySource is the usbkey copy, this node's config included.
func (c *conversion) keySource(ctx context.Context) (populate.Source, error) {
	return populate.DirSource{Root: c.o.path(CopyPath)}, nil
}

func (c *conversion) popOpts(cache string) populate.Options {
	return populate.Options{Log: c.o.Log, CachePath: c.o.path("/var/cache/cn-tools/convert-" + cache + ".json")}
}

// populateInto copies src into dst: plan, then run.
func (c *conversion) populateInto(ctx context.Context, src populate.Source, dst populate.Target, cache string) error {
	o := c.popOpts(cache)
	plan, err := populate.MakePlan(ctx, src, dst, o)
	if err != nil {
		return err
	}
	_, err = populate.Run(ctx, src, dst, plan, o)
	return err
}

// inStep reports whether dst already holds src's content, marker included.
func (c *conversion) inStep(ctx context.Context, src populate.Source, dst populate.Target) bool {
	plan, err := populate.MakePlan(ctx, src, dst, c.popOpts("check"))
	if err != nil || len(plan.Copy) > 0 || len(plan.Mkdirs) > 0 || len(plan.Stale) > 0 {
		return false
	}
	r, err := dst.Open(populate.MarkerFile)
	if err != nil {
		return false
	}
	r.Close()
	return true
}

func (c *conversion) usbkeyCopy(ctx context.Context) error {
	src, err := c.headnodeSource(ctx)
	if err != nil {
		return err
	}
	defer src.Close()
	dir := c.o.path(CopyPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return c.populateInto(ctx, src, populate.DirTarget{Root: dir}, "usbkey")
}

func (c *conversion) usbkeyCopyDone(ctx context.Context) bool {
	src, err := c.headnodeSource(ctx)
	if err != nil {
		return false
	}
	defer src.Close()
	return c.inStep(ctx, src, populate.DirTarget{Root: c.o.path(CopyPath)})
}

func (c *conversion) formatKey(ctx context.Context) error {
	boot, err := bootfiles.FromDir(c.o.path(CopyPath))
	if err != nil {
		return err
	}
	t, err := device.Open(c.o.path(c.key), false)
	if err != nil {
		return err
	}
	defer t.Close()
	if _, err := key.Format(t, t.Size, key.FormatOptions{Boot: boot, Now: c.o.ctxNow()}); err != nil {
		return err
	}
	return t.Sync()
}

// formatKeyDone: a v2 layout with a root filesystem. What is on it is the
// next step's business.
func (c *conversion) formatKeyDone(ctx context.Context) bool {
	t, err := device.Open(c.o.path(c.key), true)
	if err != nil {
		return false
	}
	defer t.Close()
	st, err := key.Inspect(t, c.key, t.Size)
	return err == nil && st.Kind == key.KindV2 && st.RootLabel == key.RootLabel && len(st.Problems) == 0
}

// keyTarget opens where the key content goes.
func (c *conversion) keyTarget() (populate.Target, func(), error) {
	if c.o.BootPool != "" {
		dir := c.o.path(c.keyDir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, err
		}
		return populate.DirTarget{Root: dir}, func() {}, nil
	}
	t, err := device.Open(c.o.path(c.key), false)
	if err != nil {
		return nil, nil, err
	}
	fs, err := key.OpenRoot(t, t.Size)
	if err != nil {
		t.Close()
		return nil, nil, err
	}
	fs.VerifyWrites = true
	return &populate.FATTarget{FS: fs, Dev: t, Name: c.key}, func() { t.Close() }, nil
}

func (c *conversion) populateKey(ctx context.Context) error {
	src, err := c.keySource(ctx)
	if err != nil {
		return err
	}
	dst, closeDst, err := c.keyTarget()
	if err != nil {
		return err
	}
	defer closeDst()
	return c.populateInto(ctx, src, dst, "key")
}

func (c *conversion) populateKeyDone(ctx context.Context) bool {
	src, err := c.keySource(ctx)
	if err != nil {
		return false
	}
	dst, closeDst, err := c.keyTarget()
	if err != nil {
		return false
	}
	defer closeDst()
	return c.inStep(ctx, src, dst)
}

func (c *conversion) usbkeyConfig(ctx context.Context) error {
	conf, err := c.nodeConfig(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.o.path(UsbkeyPath), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(c.o.path(UsbkeyPath+"/config"), conf, 0o644)
}

func (c *conversion) usbkeyConfigDone(ctx context.Context) bool {
	conf, err := c.nodeConfig(ctx)
	if err != nil {
		return false
	}
	b, err := os.ReadFile(c.o.path(UsbkeyPath + "/config"))
	return err == nil && bytes.Equal(b, conf)
}

func (c *conversion) gztoolsPlan(ctx context.Context) (*gztools.Plan, func(), error) {
	src, err := gztools.OpenSource(ctx, c.o.path(CopyPath), c.o.path("/var/tmp"))
	if err != nil {
		return nil, nil, err
	}
	plan, err := gztools.NewPlan(ctx, gztools.Options{Root: c.o.Root, Source: src, Facts: c.o.Facts, Now: c.o.Now, Log: c.o.Log, SkipUsbkey: true})
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	return plan, func() { plan.Close(); src.Close() }, nil
}

func (c *conversion) gztools(ctx context.Context) error {
	plan, done, err := c.gztoolsPlan(ctx)
	if err != nil {
		return err
	}
	defer done()
	_, err = plan.Apply(ctx)
	return err
}

func (c *conversion) gztoolsDone(ctx context.Context) bool {
	plan, done, err := c.gztoolsPlan(ctx)
	if err != nil {
		return false
	}
	defer done()
	return len(plan.Changes()) == 0
}

func (c *conversion) moveNodeConfig(ctx context.Context) error {
	p := c.o.path(NodeConfigPath)
	err := os.Rename(p, p+".pre-headnode")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (c *conversion) nodeConfigDone(ctx context.Context) bool {
	_, err := os.Stat(c.o.path(NodeConfigPath))
	return errors.Is(err, fs.ErrNotExist)
}
