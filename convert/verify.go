package convert

import (
	"context"

	"cntools/internal/node"
	"cntools/usbkey/config"
	"cntools/usbkey/key"
	"cntools/usbkey/keytree"
	"cntools/usbkey/populate"
)

// Verify checks, before the reboot, every item of RFD 67's "what does it
// mean to be a headnode" that the key decides, and that the running CN is
// as it was; the rest are listed as after-reboot items that the node's
// own boot brings about.
func Verify(ctx context.Context, o *Options, p *Plan) []Check {
	n := o.Node
	keyDir := o.keyDir(p.Key)
	var out []Check
	add := func(name string, ok bool, detail string) {
		out = append(out, Check{Type: "verify", Name: name, OK: ok, Detail: detail})
	}
	kt, err := o.trees().Open(ctx, keytree.Location{Raw: keyDir, Kind: keytree.KindLocal, Path: keyDir})
	if err != nil {
		add("the key can be read", false, err.Error())
		return out
	}
	defer kt.Close()
	add("the physical USB key is up to date", inStep(ctx, o, keyRequest(o, p.Key, p.Platforms)), keyDir+" holds the key content and its marker")
	conf, _ := keytree.ReadSmall(kt, "boot/loader.conf")
	add("headnode=true at boot", key.LoaderVar(conf, "headnode") == "true" && key.LoaderVar(conf, "ipxe") == "false",
		"the key's boot/loader.conf has headnode=\"true\" and ipxe=\"false\"; sysinfo shows it after the reboot")
	add("the loader boots the key's platform", key.LoaderVar(conf, "platform-version") == p.Platform,
		"boot/loader.conf platform-version="+p.Platform)
	add("the key's config is this node's", configNamesNode(ctx, o, kt),
		"its hostname, admin NIC and admin IP are this node's")
	_, err = kt.Lstat("boot/networking.json")
	add("no other node's networking.json", err != nil, "boot/networking.json would override the config's networking at boot")
	_, errTools := kt.Lstat("tools.tar.gz")
	_, errSdcadm := kt.Lstat("sdcadm-install.sh")
	add("the key carries the gz tools and sdcadm", errTools == nil && errSdcadm == nil,
		"tools.tar.gz and sdcadm-install.sh, which headnode.sh installs after the second boot")
	add("the running CN is unchanged", exists(n.Path(node.NodeConfig)) && !exists(n.Path(node.UsbkeyDir+"/config")) && !exists(n.Path(node.SdcadmDir)),
		node.NodeConfig+" in place, no "+node.UsbkeyDir+"/config, no "+node.SdcadmDir+": booted as a CN again, it is the CN it was")
	return out
}

// configNamesNode reports whether conf gives this node's hostname, admin
// NIC and admin IP.
func configNamesNode(ctx context.Context, o *Options, kt keytree.Tree) bool {
	conf, err := keytree.ReadSmall(kt, "config")
	if err != nil {
		return false
	}
	id, err := populate.ReadIdentity(ctx, o.Node)
	if err != nil {
		return false
	}
	f, err := config.Parse(conf)
	if err != nil {
		return false
	}
	nicKey, nic := id.AdminNIC()
	for k, want := range map[string]string{"hostname": id.Hostname, "admin_ip": id.AdminIP, nicKey: nic} {
		if got, _, ok := f.Get(k); !ok || got != want {
			return false
		}
	}
	return true
}

// AfterReboot are the checklist items only the reboots can bring about.
var AfterReboot = []string{
	"headnode=true in sysinfo (from the key's loader.conf)",
	"zones/usbkey created and mounted at /usbkey (headnode.sh creates it and reboots a second time)",
	"the gz tools and sdcadm installed (headnode.sh, from /usbkey/tools.tar.gz and /usbkey/sdcadm-install.sh)",
	"convert-to-headnode finish, run by the one-shot service svc:/site/cn-tools-finish: /usbkey/extra seeded from the standby copy (the key cannot carry it), node.config moved aside, the scratch copy removed, the checklist verified",
	"by hand, as finish prints: the dead headnode's CNAPI record retired, and the sdc, assets and dhcpd zones restored on this node",
}
