package convert

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cntools/internal/node"
)

// FinishJournalPath is where finish records its progress, under the root.
const FinishJournalPath = node.StateDir + "/convert-to-headnode-finish.json"

// FinishOrder is the order finish runs its steps in.
var FinishOrder = []string{"seed-extra", "joysetup-ntp", "node-config", "remove-copy", "remove-service"}

// PrepareFinish checks that the node has come up as the headnode, with
// zones/usbkey mounted at /usbkey (after headnode.sh's second reboot), and
// lays out what finish does. It changes nothing. A journal from an
// interrupted run is resumed unless restart.
func PrepareFinish(ctx context.Context, o *Options, restart bool) (*Result, *Journal, error) {
	path := o.Node.Path(FinishJournalPath)
	j, err := loadJournal(path)
	if err != nil && !restart {
		return nil, nil, err
	}
	if restart || j == nil {
		j = &Journal{Version: 1, Started: o.now().UTC(), From: o.From, Steps: map[string]time.Time{}, path: path}
	}
	pf := &Preflight{}
	pf.add("booted as the headnode", checkBootedAsHeadnode(ctx, o), "bootparam headnode=true")
	pf.add("/usbkey is zones/usbkey", checkUsbkeyMounted(ctx, o), "mounted, as headnode.sh makes it before its second reboot")
	pf.add("standby copy", checkStandby(o), o.from()+" holds the key content and extra/")
	res := &Result{Preflight: pf}
	if !pf.OK() {
		return res, j, ErrPreflight
	}
	res.Plan = newFinishPlan(ctx, o)
	return res, j, nil
}

func checkBootedAsHeadnode(ctx context.Context, o *Options) error {
	bp, err := o.Node.Facts.BootParams(ctx)
	if err != nil {
		return err
	}
	if bp["headnode"] != "true" {
		return fmt.Errorf("this node has not booted as a headnode (no bootparam headnode=true): reboot it from the key convert-to-headnode made, then run finish")
	}
	return nil
}

// checkUsbkeyMounted: finish writes /usbkey, which must be the zones/usbkey
// dataset: on the first headnode boot it is not there yet, and a directory
// on the ramdisk would be lost at the next boot.
func checkUsbkeyMounted(ctx context.Context, o *Options) error {
	mounts, err := o.Node.Facts.Mounts(ctx)
	if err != nil {
		return err
	}
	for _, m := range mounts {
		if m.MountPoint == node.UsbkeyDir && m.Special == "zones/usbkey" {
			return nil
		}
	}
	return fmt.Errorf("zones/usbkey is not mounted at %s: headnode.sh creates it and reboots a second time; run finish after that boot", node.UsbkeyDir)
}

func checkStandby(o *Options) error {
	if strings.Contains(o.from(), ":") {
		return fmt.Errorf("--from %s: finish seeds /usbkey from a standby copy on this node; copy it here first (usbkey-sync)", o.from())
	}
	if !exists(o.Node.Path(o.from() + "/config")) {
		return fmt.Errorf("%s has no config: it is not a standby copy; pass --from with the one the conversion used", o.from())
	}
	return nil
}

func newFinishPlan(ctx context.Context, o *Options) *Plan {
	n := o.Node
	p := &Plan{Type: "finish-plan", From: o.from(), Instances: []string{}}
	standby, usbkey := n.Path(o.from()), n.Path(node.UsbkeyDir)
	aside := node.NodeConfig + ".pre-headnode"
	p.Steps = []Step{{
		Name: "seed-extra", What: "seed " + node.UsbkeyDir + "/extra from " + o.from() + "/extra: what the key cannot carry (agents, dockerlogger, joysetup), never replacing a newer file",
		run: func(ctx context.Context) error {
			seeded, err := seedExtra(standby, usbkey, false)
			for _, s := range seeded {
				o.log().Info("seeded", "path", "extra/"+s)
			}
			return err
		},
		done: func(ctx context.Context) bool {
			s, err := seedExtra(standby, usbkey, true)
			return err == nil && len(s) == 0
		},
	}, {
		Name: "joysetup-ntp", What: "make " + node.UsbkeyDir + "/extra/joysetup/node.config name this node's admin IP where it named the old headnode's",
		run: func(ctx context.Context) error { _, err := rewriteJoysetup(ctx, o, false); return err },
		done: func(ctx context.Context) bool {
			changed, err := rewriteJoysetup(ctx, o, true)
			return err == nil && !changed
		},
	}, {
		Name: "node-config", What: "move " + node.NodeConfig + " aside: a headnode has none, and config.sh warns of it at every boot",
		Command: node.CommandLine("mv", n.Path(node.NodeConfig), n.Path(aside)),
		run:     func(ctx context.Context) error { return moveAside(n.Path(node.NodeConfig), n.Path(aside)) },
		done:    func(ctx context.Context) bool { return !exists(n.Path(node.NodeConfig)) },
	}, {
		Name: "remove-copy", What: "remove the conversion's scratch copy " + node.CopyDir + " once " + node.UsbkeyDir + " holds all of it",
		run:  func(ctx context.Context) error { return removeCopy(o) },
		done: func(ctx context.Context) bool { return !exists(n.Path(node.CopyDir)) },
	}}
	p.Steps = append(p.Steps, removeServiceStep(o))
	p.verify = func(ctx context.Context) []Check { return VerifyFinish(ctx, o) }
	return p
}
