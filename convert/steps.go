package convert

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"cntools/gztools"
	"cntools/internal/atomicfile"
	"cntools/internal/node"
	"cntools/usbkey/device"
	"cntools/usbkey/key"
	"cntools/usbkey/populate"
)

// Step is one step of the conversion.
type Step struct {
	Name string `json:"name"`
	What string `json:"what"`
	// Command is the single-tool command that does exactly what the step
	// does: the step runs the same request the command line prints.
	Command string `json:"command"`
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

// The requests each step carries out. The wrapper and the printed
// commands share them, so they cannot drift apart.

// copyRequest builds the usbkey copy on the zones pool: the source with
// this node's config and a loader.conf that boots it as headnode. Nothing
// reads that copy as config; /usbkey/config, which config.sh prefers over
// the CN's node.config, is written only by the usbkey-config step.
func copyRequest(o *Options) populate.Request {
	return populate.Request{From: o.from(), Target: node.CopyDir, NodeConfig: true, Headnode: true, BootPool: o.BootPool, Mkdir: true, Yes: true}
}

// formatRequest formats the key with the copy's boot files. --force: the
// preflight has judged the disk already, and a resumed run formats the key
// its first run wrote.
func formatRequest(k string) key.FormatRequest {
	return key.FormatRequest{Target: k, BootDir: node.CopyDir, Force: true, Yes: true}
}

// keyRequest fills the key, or /POOL/boot, from the copy.
func keyRequest(o *Options, k string) populate.Request {
	return populate.Request{From: node.CopyDir, Target: o.keyDir(k), Mkdir: o.BootPool != "", Yes: true}
}

// gztoolsRequest installs the tools from the copy, leaving the CN's
// /usbkey (on its ramdisk) alone.
func gztoolsRequest() gztools.Request {
	return gztools.Request{From: node.CopyDir, SkipUsbkey: true, Yes: true}
}

// NewPlan lays out the steps for a node that passed preflight.
func NewPlan(o *Options, pf *Preflight) *Plan {
	n := o.Node
	p := &Plan{Type: "plan", Key: pf.Key, BootPool: o.BootPool, From: o.from(), Platform: pf.Platform, Instances: pf.Instances, Reboot: RebootNote}
	if p.Instances == nil {
		p.Instances = []string{}
	}
	cp := copyRequest(o)
	p.Steps = append(p.Steps, populateStep(o, "usbkey-copy", "copy the key content to "+node.CopyDir+", with this node's config and a headnode loader.conf", cp))
	if o.BootPool == "" {
		fr := formatRequest(pf.Key)
		p.Steps = append(p.Steps, Step{
			Name: "format-key", What: "partition and format " + pf.Key + " as a v2 key",
			Command: fr.CommandLine(n),
			run:     func(ctx context.Context) error { return format(ctx, o, fr) },
			done:    func(ctx context.Context) bool { return formatted(o, pf.Key) },
		})
	}
	kr := keyRequest(o, pf.Key)
	p.Steps = append(p.Steps, populateStep(o, "populate-key", "copy "+node.CopyDir+" onto "+kr.Target+", marker last", kr))
	gr := gztoolsRequest()
	p.Steps = append(p.Steps, Step{
		Name: "gztools", What: "install the headnode global-zone tools, cn_tools and sdcadm",
		Command: gr.CommandLine(n),
		run:     func(ctx context.Context) error { return installTools(ctx, o, gr) },
		done:    func(ctx context.Context) bool { return toolsInstalled(ctx, o, gr) },
	})
	config, copied := node.UsbkeyDir+"/config", node.CopyDir+"/config"
	p.Steps = append(p.Steps, Step{
		Name: "usbkey-config", What: "write this node's config to " + config + ", which config.sh prefers from now on",
		Command: node.CommandLine("mkdir", "-p", n.Path(node.UsbkeyDir)) + " && " + node.CommandLine("cp", n.Path(copied), n.Path(config)),
		run:     func(ctx context.Context) error { return copyFile(n.Path(copied), n.Path(config)) },
		done:    func(ctx context.Context) bool { return sameFile(n.Path(copied), n.Path(config)) },
	})
	aside := node.NodeConfig + ".pre-headnode"
	p.Steps = append(p.Steps, Step{
		Name: "node-config", What: "move " + node.NodeConfig + " aside: a headnode has none",
		Command: node.CommandLine("mv", n.Path(node.NodeConfig), n.Path(aside)),
		run:     func(ctx context.Context) error { return moveAside(n.Path(node.NodeConfig), n.Path(aside)) },
		done:    func(ctx context.Context) bool { return !exists(n.Path(node.NodeConfig)) },
	})
	return p
}

// populateStep runs a populate request; it is done when a plan of the same
// request finds nothing to copy and the marker in place.
func populateStep(o *Options, name, what string, r populate.Request) Step {
	return Step{
		Name: name, What: what, Command: r.CommandLine(o.Node),
		run: func(ctx context.Context) error {
			p, err := populate.NewPlan(ctx, o.Node, r, populateOptions(o))
			if err != nil {
				return err
			}
			defer p.Close()
			_, err = p.Apply(ctx)
			return err
		},
		done: func(ctx context.Context) bool { return inStep(ctx, o, r) },
	}
}

func populateOptions(o *Options) populate.Options {
	return populate.Options{Opener: o.trees(), SSH: o.SSH, Log: o.log()}
}

// inStep reports whether a populate request's target already holds its
// source's content, marker included.
func inStep(ctx context.Context, o *Options, r populate.Request) bool {
	r.Mkdir = false // a check creates nothing
	p, err := populate.NewPlan(ctx, o.Node, r, populateOptions(o))
	if err != nil {
		return false
	}
	defer p.Close()
	return p.InStep()
}

func format(ctx context.Context, o *Options, r key.FormatRequest) error {
	p, err := key.PlanFormat(ctx, o.Node, r)
	if err != nil {
		return err
	}
	defer p.Close()
	_, err = p.Apply(ctx)
	return err
}

// formatted: a v2 layout with a root filesystem. What is on it is the
// next step's business.
func formatted(o *Options, k string) bool {
	t, err := device.Open(o.Node.Path(k), true)
	if err != nil {
		return false
	}
	defer t.Close()
	st, err := key.Inspect(t, k, t.Size)
	return err == nil && st.Kind == key.KindV2 && st.RootLabel == key.RootLabel && len(st.Problems) == 0
}

func gztoolsPlan(ctx context.Context, o *Options, r gztools.Request) (*gztools.Plan, error) {
	return gztools.NewPlan(ctx, o.Node, r, gztools.Options{Now: o.Now, Log: o.log()})
}

func installTools(ctx context.Context, o *Options, r gztools.Request) error {
	p, err := gztoolsPlan(ctx, o, r)
	if err != nil {
		return err
	}
	defer p.Close()
	_, err = p.Apply(ctx)
	return err
}

func toolsInstalled(ctx context.Context, o *Options, r gztools.Request) bool {
	p, err := gztoolsPlan(ctx, o, r)
	if err != nil {
		return false
	}
	defer p.Close()
	return len(p.Changes()) == 0
}

// copyFile is cp, atomically: the config is whole or absent.
func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(to, b, 0o644)
}

func sameFile(a, b string) bool {
	x, err := os.ReadFile(a)
	if err != nil {
		return false
	}
	y, err := os.ReadFile(b)
	return err == nil && string(x) == string(y)
}

// moveAside is mv; a file already moved is done.
func moveAside(from, to string) error {
	err := os.Rename(from, to)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
