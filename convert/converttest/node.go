// Package converttest writes a simulated compute node under a root
// directory: the node-facts files the tools read under --root, a sparse
// image standing in for a USB key, and a standby copy of a headnode's key
// content with a small synthetic platform. make demo and the conversion's
// tests run convert-to-headnode against it.
package converttest

import (
	"encoding/base64"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"

	"cntools/gztools/gztoolstest"
	"cntools/internal/node"
	"cntools/usbkey/bootfiles/bootfilestest"
)

// The simulated node's facts.
const (
	Platform = "20260301T000000Z"
	KeyDisk  = "c1t0d0"
	KeyPath  = "/dev/rdsk/c1t0d0p0"
	KeySize  = 4 << 30 // a 4 GiB USB key
	Standby  = node.StandbyDir
	Hostname = "cn7"
	AdminIP  = "10.99.99.37"
	// Secret is planted in the config; it must never be printed.
	Secret = "planted-secret-d3adb33f"
)

// WriteNode writes a set-up CN under root.
func WriteNode(root string) error {
	files := map[string]string{
		"tmp/.sysinfo.json": fmt.Sprintf(`{
  "UUID": "564d8e3a-1c27-4a8f-9b36-2f6b2b1c7f10",
  "Hostname": %q,
  "Setup": "true",
  "Live Image": %q,
  "Datacenter Name": "us-east-1",
  "Network Interfaces": {
    "ixgbe0": {"MAC Address": "0c:c4:7a:aa:bb:01", "ip4addr": %q, "Link Status": "up", "NIC Names": ["admin"]},
    "ixgbe1": {"MAC Address": "0c:c4:7a:aa:bb:02", "ip4addr": "", "Link Status": "up", "NIC Names": ["external"]}
  },
  "Virtual Network Interfaces": {
    "external0": {"MAC Address": "90:b8:d0:11:22:33", "ip4addr": "198.51.100.7", "Link Status": "up", "Host Interface": "ixgbe1"}
  },
  "Boot Parameters": {"console": "ttyb"}
}
`, Hostname, Platform, AdminIP),
		"tmp/bootparams":                                     "console=ttyb\nboot-file=http://10.99.99.9/os/" + Platform + "/platform/i86pc/kernel/amd64/unix\n",
		"etc/mnttab":                                         "zones\t/zones\tzfs\trw,devices,setuid,nonbmand,exec,xattr,atime\t1764590000\n",
		"var/run/nodefacts/diskinfo":                         fmt.Sprintf("USB\t%s\tSanDisk\tUltra\t%d\tyes\tno\nSCSI\tc0t0d0\tINTEL\tSSDSC2KB48\t480103981056\tno\tyes\n", KeyDisk, int64(KeySize)),
		"var/run/nodefacts/zpool-list":                       "zones\t476G\t100G\t376G\t-\t-\t5%\t21%\t1.00x\tONLINE\t-\n\t/dev/dsk/c0t0d0\t476G\t100G\t376G\t-\t-\t5%\t21%\n",
		"var/lib/setup.json":                                 `{"complete": true}` + "\n",
		"opt/smartdc/config/node.config":                     "datacenter_name='us-east-1'\nroot_shadow='$5$x$" + Secret + "'\n",
		"opt/smartdc/bin/sdc-usbkey":                         "#!/bin/sh\n",
		"etc/zones/index":                                    "global:installed:/\nb1f6f1a2-0000-4000-8000-000000000001:running:/zones/b1f6f1a2-0000-4000-8000-000000000001:b1f6f1a2-0000-4000-8000-000000000001\nb1f6f1a2-0000-4000-8000-000000000002:running:/zones/b1f6f1a2-0000-4000-8000-000000000002:b1f6f1a2-0000-4000-8000-000000000002\n",
		"etc/zones/b1f6f1a2-0000-4000-8000-000000000001.xml": zoneXML("binder1"),
		"etc/zones/b1f6f1a2-0000-4000-8000-000000000002.xml": zoneXML("manatee1"),
	}
	for p, body := range files {
		if err := write(root, p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	// The USB key: a sparse file where the node's /dev/rdsk node would be.
	key := filepath.Join(root, KeyPath)
	if err := os.MkdirAll(filepath.Dir(key), 0o755); err != nil {
		return err
	}
	f, err := os.Create(key)
	if err != nil {
		return err
	}
	if err := f.Truncate(KeySize); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return WriteStandby(filepath.Join(root, Standby))
}

// WriteStandby writes a headnode's key content into dir.
func WriteStandby(dir string) error {
	if err := bootfilestest.WriteDir(dir); err != nil {
		return err
	}
	if err := gztoolstest.WriteUsbkeyCopy(dir, "3.4.2", "6d0b1d7e-0000-4000-8000-00000000c0de", "20260301T000000Z"); err != nil {
		return err
	}
	big := make([]byte, 8<<20)
	rand.New(rand.NewSource(67)).Read(big)
	files := map[string][]byte{
		"boot/loader.conf": []byte(`loader_logo="smartos"
loader_brand="smartos"
headnode="true"
ttyb-mode="115200,8,n,1,-"
ipxe="true"
smt_enabled="true"
console="ttyb,ttya,ttyc,ttyd,text"
os_console="ttyb"
platform-version="` + Platform + `"
`),
		"config": []byte(`# headnode0's config
datacenter_name=us-east-1
admin_nic=00:0c:29:aa:bb:01
admin_ip=10.99.99.7
admin_netmask=255.255.255.0
external_nic=00:0c:29:aa:bb:02
external_ip=203.0.113.7
binder_admin_ips=10.99.99.11
root_shadow='$5$2HOHRnK3$` + Secret + `'
ufds_admin_pw=` + Secret + `
hostname=headnode0
`),
		"config.inc/generic": []byte("initial_script=scripts/headnode.sh\nutc_offset=0\n"),
		"LICENSE":            []byte("Mozilla Public License 2.0\n"),
		"os/" + Platform + "/platform/i86pc/kernel/amd64/unix":       []byte("unix\n"),
		"os/" + Platform + "/platform/i86pc/amd64/boot_archive":      big,
		"os/" + Platform + "/platform/i86pc/amd64/boot_archive.hash": []byte("0123456789abcdef0123456789abcdef01234567\n"),
		"os/" + Platform + "/platform/etc/version/platform":          []byte(Platform + "\n"),
	}
	for p, body := range files {
		if err := write(dir, p, body, 0o644); err != nil {
			return err
		}
	}
	return os.Symlink(Platform, filepath.Join(dir, "os", "latest"))
}

func zoneXML(alias string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<zone name="z" zonepath="/zones/z" autoboot="true" brand="joyent-minimal">
  <attr name="alias" type="string" value="` + base64.StdEncoding.EncodeToString([]byte(alias)) + `"/>
</zone>
`
}

func write(root, p string, body []byte, mode os.FileMode) error {
	full := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	return os.WriteFile(full, body, mode)
}
