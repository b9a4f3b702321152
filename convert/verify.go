package convert

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"cntools/usbkey/key"
	"cntools/usbkey/populate"
)

// Verify checks, before the reboot, every item of RFD 67's "what does it
// mean to be a headnode" that can be checked then; the rest are listed as
// after-reboot items that the node's own boot brings about.
func Verify(ctx context.Context, o *Options, p *Plan) []Check {
	c := &conversion{o: o, key: p.Key, keyDir: p.Key, pi: p.Platform}
	if o.BootPool != "" {
		c.keyDir = "/" + o.BootPool + "/boot"
	}
	var out []Check
	add := func(name string, ok bool, detail string) {
		out = append(out, Check{Type: "verify", Name: name, OK: ok, Detail: detail})
	}
	add("the physical USB key is up to date", c.populateKeyDone(ctx), c.keyDir+" holds the key content and its marker")
	add("have full gz tools", exists(o.path(SdcBin)), SdcBin)
	add("have the usbkey copy", exists(o.path(UsbkeyPath+"/config")) && exists(o.path(CopyPath+"/os/"+p.Platform)),
		UsbkeyPath+"/config and "+CopyPath+" (after the reboot headnode.sh creates the zones/usbkey dataset and fs-joyent fills it from the key)")
	conf := c.keyLoaderConf()
	add("headnode=true at boot", key.LoaderVar(conf, "headnode") == "true" && key.LoaderVar(conf, "ipxe") == "false",
		"the key's boot/loader.conf has headnode=\"true\" and ipxe=\"false\"; sysinfo shows it after the reboot")
	add("the loader boots the key's platform", key.LoaderVar(conf, "platform-version") == p.Platform,
		"boot/loader.conf platform-version="+p.Platform)
	add("have sdcadm installed", exists(o.path(SdcadmDir)) && exists(o.path("/opt/smartdc/bin/sdcadm")), SdcadmDir)
	_, err := os.Stat(o.path(NodeConfigPath))
	add("no node.config", errors.Is(err, fs.ErrNotExist), NodeConfigPath+" moved aside")
	return out
}

// AfterReboot are the checklist items only the reboot can bring about.
var AfterReboot = []string{
	"headnode=true in sysinfo (from the key's loader.conf)",
	"zones/usbkey mounted at /usbkey (headnode.sh creates it and reboots again)",
	"sdc-vmapi, sdc-useradm et al work (they need a local sdc zone)",
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func (c *conversion) keyLoaderConf() []byte {
	dst, closeDst, err := c.keyTarget()
	if err != nil {
		return nil
	}
	defer closeDst()
	r, err := dst.Open("boot/loader.conf")
	if err != nil {
		return nil
	}
	defer r.Close()
	b, _ := io.ReadAll(io.LimitReader(r, 1<<20))
	return b
}

var _ = strings.TrimSpace
var _ = populate.MarkerFile
