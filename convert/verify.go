package convert

import (
	"context"
	"io"

	"cntools/internal/node"
	"cntools/usbkey/key"
	"cntools/usbkey/keytree"
)

// Verify checks, before the reboot, every item of RFD 67's "what does it
// mean to be a headnode" that can be checked then; the rest are listed as
// after-reboot items that the node's own boot brings about.
func Verify(ctx context.Context, o *Options, p *Plan) []Check {
	n := o.Node
	keyDir := o.keyDir(p.Key)
	var out []Check
	add := func(name string, ok bool, detail string) {
		out = append(out, Check{Type: "verify", Name: name, OK: ok, Detail: detail})
	}
	add("the physical USB key is up to date", inStep(ctx, o, keyRequest(o, p.Key)), keyDir+" holds the key content and its marker")
	add("have full gz tools", exists(n.Path(node.SdcBin)), node.SdcBin)
	add("have the usbkey copy", exists(n.Path(node.UsbkeyDir+"/config")) && exists(n.Path(node.CopyDir+"/os/"+p.Platform)),
		node.UsbkeyDir+"/config and "+node.CopyDir+" (after the reboot headnode.sh creates the zones/usbkey dataset and fs-joyent fills it from the key)")
	conf := loaderConf(ctx, o, keyDir)
	add("headnode=true at boot", key.LoaderVar(conf, "headnode") == "true" && key.LoaderVar(conf, "ipxe") == "false",
		"the key's boot/loader.conf has headnode=\"true\" and ipxe=\"false\"; sysinfo shows it after the reboot")
	add("the loader boots the key's platform", key.LoaderVar(conf, "platform-version") == p.Platform,
		"boot/loader.conf platform-version="+p.Platform)
	add("have sdcadm installed", exists(n.Path(node.SdcadmDir)) && exists(n.Path("/opt/smartdc/bin/sdcadm")), node.SdcadmDir)
	add("no node.config", !exists(n.Path(node.NodeConfig)), node.NodeConfig+" moved aside")
	return out
}

// AfterReboot are the checklist items only the reboot can bring about.
var AfterReboot = []string{
	"headnode=true in sysinfo (from the key's loader.conf)",
	"zones/usbkey mounted at /usbkey (headnode.sh creates it and reboots again)",
	"sdc-vmapi, sdc-useradm et al work (they need a local sdc zone)",
}

// loaderConf reads the key's boot/loader.conf; nil when it cannot.
func loaderConf(ctx context.Context, o *Options, keyDir string) []byte {
	t, err := o.trees().Open(ctx, keytree.Location{Raw: keyDir, Kind: keytree.KindLocal, Path: keyDir})
	if err != nil {
		return nil
	}
	defer t.Close()
	r, err := t.Open("boot/loader.conf")
	if err != nil {
		return nil
	}
	defer r.Close()
	b, _ := io.ReadAll(io.LimitReader(r, 1<<20))
	return b
}
