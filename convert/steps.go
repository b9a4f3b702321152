package convert

import (
	"context"
	"os"

	"cntools/internal/node"
	"cntools/usbkey/config"
	"cntools/usbkey/key"
	"cntools/usbkey/populate"
)

// Step is one step of the conversion.
type Step struct {
	Name string `json:"name"`
	What string `json:"what"`
	// Command is the single-tool command that does exactly what the step
	// does: the step runs the same request the command line prints.
	Command string `json:"command,omitempty"`
	run     func(ctx context.Context) error
	// done verifies the step's result, so a resumed run redoes nothing
	// that is verified done and everything that is not.
	done func(ctx context.Context) bool
}

// Plan is the ordered steps. Under -j a field that does not apply (a
// finish plan has no platform, identity or skipped paths) is left out,
// never null.
type Plan struct {
	Type      string   `json:"type"` // "plan" or "finish-plan"
	Key       string   `json:"key,omitempty"`
	BootPool  string   `json:"bootpool,omitempty"`
	From      string   `json:"from"`
	Platform  string   `json:"platform,omitempty"`
	Platforms []string `json:"platforms,omitempty"`
	Steps     []Step   `json:"steps"`
	Instances []string `json:"instances"`
	// Identity is the change to the config that makes it this node's,
	// secrets masked; Skipped is what the key does not get, and why.
	Identity []config.Change `json:"identity,omitempty"`
	Skipped  []populate.Skip `json:"skipped,omitempty"`
	Reboot   string          `json:"reboot,omitempty"`

	// verify checks the result once every step is done.
	verify func(ctx context.Context) []Check
}

// RebootNote says what happens after the conversion.
const RebootNote = "the reboot boots the node from the key as headnode; headnode.sh then creates zones/usbkey and reboots a second time by itself, and after that installs the gz tools and sdcadm from /usbkey"

// The requests each step carries out. The wrapper and the printed
// commands share them, so they cannot drift apart.

// copyRequest builds the usbkey copy on the zones pool: the source with
// this node's identity in its config and a loader.conf that boots it as
// headnode. Nothing reads that copy as config.
func copyRequest(o *Options, pf *Preflight) populate.Request {
	return populate.Request{From: o.from(), Target: node.CopyDir, Platforms: pf.Platforms, NodeConfig: true,
		Headnode: true, BootPlatform: pf.Platform, BootPool: o.BootPool, Mkdir: true, Yes: true}
}

// formatRequest formats the key with the copy's boot files. The preflight
// has judged the disk; --overwrite-key lets a resumed run format the key
// its first run wrote, and overrides nothing else: a disk that became
// mounted or joined a pool since is still refused.
func formatRequest(k string) key.FormatRequest {
	return key.FormatRequest{Target: k, BootDir: node.CopyDir, OverwriteKey: true, Yes: true}
}

// keyRequest fills the key, or /POOL/boot, from the copy: the platforms
// preflight sized, whatever else the copy holds.
func keyRequest(o *Options, k string, platforms []string) populate.Request {
	return populate.Request{From: node.CopyDir, Target: o.keyDir(k), Platforms: platforms, Mkdir: o.BootPool != "", Yes: true}
}

// NewPlan lays out the steps for a node that passed preflight. Nothing on
// the running CN changes but the key (or the boot pool): node.config,
// /usbkey and /opt/smartdc are left for after the reboot, so a node that
// boots as a CN again comes back as the CN it was. headnode.sh installs
// the gz tools and sdcadm from the key's copy after its second boot
// (sdc-headnode scripts/headnode.sh 413-425).
func NewPlan(o *Options, pf *Preflight) *Plan {
	n := o.Node
	p := &Plan{Type: "plan", Key: pf.Key, BootPool: o.BootPool, From: o.from(), Platform: pf.Platform, Platforms: pf.Platforms, Instances: pf.Instances, Reboot: rebootNote(o, pf)}
	if p.Instances == nil {
		p.Instances = []string{}
	}
	p.Identity, p.Skipped = pf.Identity, pf.Skipped
	p.verify = func(ctx context.Context) []Check { return Verify(ctx, o, p) }
	cs := populateStep(o, "usbkey-copy", "copy the key content to "+node.CopyDir+" (scratch space, emptied when a conversion starts afresh), with this node's identity in its config and a headnode loader.conf", copyRequest(o, pf))
	run := cs.run
	cs.run = func(ctx context.Context) error {
		// A fresh conversion starts from an empty copy: what an earlier,
		// abandoned one left there (other platforms, another source's
		// files) must not reach the key.
		if o.fresh {
			if err := os.RemoveAll(n.Path(node.CopyDir)); err != nil {
				return err
			}
			o.fresh = false
		}
		return run(ctx)
	}
	p.Steps = append(p.Steps, cs)
	kr := keyRequest(o, pf.Key, pf.Platforms)
	if o.BootPool == "" {
		fr := formatRequest(pf.Key)
		p.Steps = append(p.Steps, Step{
			Name: "format-key", What: "partition and format " + pf.Key + " as a v2 key",
			Command: fr.CommandLine(n),
			run:     func(ctx context.Context) error { return format(ctx, o, fr) },
			done:    func(ctx context.Context) bool { return formatted(o, pf.Key) },
		})
		p.Steps = append(p.Steps, populateStep(o, "populate-key", "copy "+node.CopyDir+" onto "+kr.Target+", marker last", kr), serviceStep(o))
		return p
	}
	p.Steps = append(p.Steps, bootPoolSteps(o, pf, kr)...)
	p.Steps = append(p.Steps, serviceStep(o))
	return p
}

// rebootNote is the plan's last word: what the firmware must do, and what
// the reboot does.
func rebootNote(o *Options, pf *Preflight) string {
	first := "the key " + pf.Key
	if o.BootPool != "" {
		first = "pool " + o.BootPool + "'s disks"
	}
	return "the firmware must boot " + first + " first, before PXE and any other disk; " + RebootNote
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
	st, err := key.ReadStatus(o.Node, key.StatusRequest{Target: k})
	return err == nil && st.Kind == key.KindV2 && st.RootLabel == key.RootLabel && len(st.Problems) == 0
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
