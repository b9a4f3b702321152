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

// FinishToDo are what finish cannot do alone, with the commands that do
// them; server is this node's uuid.
//
// CNAPI's GetHN and sdcadm's checkHeadnodePlatform take the headnode=true
// server with the lowest uuid, and CNAPI derives the flag from sysinfo
// alone (sdc-cnapi lib/models/shared.js 18-38, lib/models/server.js
// 2424-2429): the dead headnode's record goes with ServerDelete, which
// sdc-server delete calls without needing a local sdc zone (sdc-headnode
// tools/bin/sdc-server 823-846). sdcadm creates sdc, assets and dhcpd on
// a given server only with --dev-allow-multiple-instances (sdcadm
// lib/procedures/index.js 656-685).
func FinishToDo(server string) []string {
	return []string{
		"retire the dead headnode's CNAPI record, only once it is off for good (booted, it registers again): sdc-server list; sdc-server delete DEAD-HEADNODE-UUID",
		"restore the core zones this node lacks: sdcadm create assets -s " + server + " --dev-allow-multiple-instances; the same for dhcpd and sdc",
		"after sdc: ln -s /zones/NEW-SDC-ZONE-UUID/root/opt/smartdc/sdc /opt/smartdc/sdc, and keep hermes and napi-ufds-watcher running in one sdc zone only",
	}
}
