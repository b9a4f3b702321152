package convert

import (
	"context"

	"cntools/internal/node"
)

// VerifyFinish checks every item of RFD 67's "what does it mean to be a
// headnode" that the reboots and finish should have brought about.
func VerifyFinish(ctx context.Context, o *Options) []Check {
	n := o.Node
	var out []Check
	add := func(name string, ok bool, detail string) {
		out = append(out, Check{Type: "verify", Name: name, OK: ok, Detail: detail})
	}
	si, err := n.Facts.Sysinfo(ctx)
	add("headnode=true in sysinfo", err == nil && si.BootParams()["headnode"] == "true",
		"sysinfo's Boot Parameters, which CNAPI takes the headnode flag from (sdc-cnapi lib/models/server.js 2424-2429)")
	add("zones/usbkey mounted at /usbkey", checkUsbkeyMounted(ctx, o) == nil, "headnode.sh made it before its second reboot")
	add("have full gz tools", exists(n.Path(node.SdcBin)), node.SdcBin+", which headnode.sh installs from /usbkey/tools.tar.gz")
	add("have sdcadm installed", exists(n.Path(node.SdcadmDir)), node.SdcadmDir+", from /usbkey/sdcadm-install.sh")
	add("no node.config", !exists(n.Path(node.NodeConfig)), node.NodeConfig+" moved aside")
	add("/usbkey/extra seeded", exists(n.Path(node.UsbkeyDir+"/extra/agents/latest")) || !exists(n.Path(o.from()+"/extra/agents")),
		"extra/agents/latest, which CN setup downloads")
	return out
}

// FinishToDo are what finish cannot do alone, with the commands to do
// them; server is this node's uuid.
func FinishToDo(server string) []string {
	return []string{
		"retire the dead headnode's CNAPI record, or CNAPI and sdcadm keep taking it (the first headnode=true server by uuid) for the headnode: see the README's \"After the reboot\"",
		"restore the sdc, assets and dhcpd zones on this node (" + server + "): the reboot brings none of them",
	}
}
