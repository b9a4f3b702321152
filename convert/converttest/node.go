// Package converttest writes a simulated compute node under a root
// directory: the node-facts files the tools read under --root (its nic tags
// in boot parameters as sdc-booter gives them, sysinfo, pools, zones), a
// sparse image standing in for a USB key, and a standby copy with what a
// real headnode's /usbkey holds, small synthetic platforms included. make
// demo and the conversion's tests run convert-to-headnode against it, on
// each Variant.
package converttest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"cntools/gztools"
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

// Variant is one kind of CN: how its links are tagged, as booter's boot
// parameters (or networking.json) say and sysinfo shows.
type Variant struct {
	Name string
	// Links is sysinfo's "Network Interfaces", "Virtual Network
	// Interfaces" and "Link Aggregations", as JSON members.
	Links string
	// BootParams are the tag lines booter gave the node.
	BootParams string
	// Networking is the node's /system/boot/networking.json, "" for none.
	Networking string
	// Want are lines the key's config must have; WantNot keys it must not.
	Want, WantNot []string
}

// Variants are the CNs the conversion is tested on.
var Variants = []Variant{{
	Name: "admin on a NIC, external address on external0",
	Links: `"Network Interfaces": {
    "ixgbe0": {"MAC Address": "0c:c4:7a:aa:bb:01", "ip4addr": "` + AdminIP + `", "Link Status": "up", "NIC Names": ["admin"]},
    "ixgbe1": {"MAC Address": "0c:c4:7a:aa:bb:02", "ip4addr": "", "Link Status": "up", "NIC Names": ["external"]}
  },
  "Virtual Network Interfaces": {
    "external0": {"MAC Address": "90:b8:d0:11:22:33", "ip4addr": "198.51.100.7", "Link Status": "up", "Host Interface": "ixgbe1"}
  }`,
	BootParams: "admin_nic=0c:c4:7a:aa:bb:01\nexternal_nic=0c:c4:7a:aa:bb:02\n",
	Want:       []string{"admin_nic=0c:c4:7a:aa:bb:01", "external_nic=0c:c4:7a:aa:bb:02", "external_ip=198.51.100.7", "external_mac=90:b8:d0:11:22:33", "headnode_default_gateway=203.0.113.1"},
	WantNot:    []string{"sdc_underlay_nic", "aggr0_aggr"},
}, {
	Name: "admin on an aggregation, external tag without an address, an underlay tag",
	// As sysinfo lists an aggregation: among the network interfaces, with
	// its address and tags, its ports not there; under Link Aggregations
	// only its LACP mode and ports (smartos-live src/sysinfo 495-535,
	// 1157-1172).
	Links: `"Network Interfaces": {
    "aggr0": {"MAC Address": "0c:c4:7a:aa:bb:01", "ip4addr": "` + AdminIP + `", "Link Status": "up", "NIC Names": ["admin"]},
    "igb0": {"MAC Address": "0c:c4:7a:aa:bb:05", "ip4addr": "", "Link Status": "up", "NIC Names": ["external", "sdc_underlay"]}
  },
  "Link Aggregations": {
    "aggr0": {"LACP mode": "active", "Interfaces": ["ixgbe0", "ixgbe1"]}
  }`,
	BootParams: "admin_nic=aggr0\naggr0_aggr=\"0c:c4:7a:aa:bb:01,0c:c4:7a:aa:bb:02\"\naggr0_lacp_mode=active\nexternal_nic=0c:c4:7a:aa:bb:05\nsdc_underlay_nic=0c:c4:7a:aa:bb:05\n",
	Want: []string{"admin_nic=aggr0", "aggr0_aggr=0c:c4:7a:aa:bb:01,0c:c4:7a:aa:bb:02", "aggr0_lacp_mode=active",
		"external_nic=0c:c4:7a:aa:bb:05", "sdc_underlay_nic=0c:c4:7a:aa:bb:05", "external_network=203.0.113.0", "headnode_default_gateway=203.0.113.1"},
	WantNot: []string{"external_ip", "external_mac", "internal_nic"},
}, {
	Name: "tags only in boot parameters, no external tag",
	Links: `"Network Interfaces": {
    "e1000g0": {"MAC Address": "0:c:29:aa:bb:1", "ip4addr": "` + AdminIP + `", "Link Status": "up", "NIC Names": ["admin"]},
    "e1000g1": {"MAC Address": "0:c:29:aa:bb:2", "Link Status": "up"}
  }`,
	BootParams: "admin_nic=00:0c:29:aa:bb:01\ninternal_nic=00:0c:29:aa:bb:02\n",
	Want:       []string{"admin_nic=00:0c:29:aa:bb:01", "internal_nic=00:0c:29:aa:bb:02", "external_network=203.0.113.0"},
	WantNot:    []string{"external_nic", "external_ip", "headnode_default_gateway"},
}, {
	Name: "booted with a networking.json",
	Links: `"Network Interfaces": {
    "ixgbe0": {"MAC Address": "0c:c4:7a:aa:bb:01", "ip4addr": "` + AdminIP + `", "Link Status": "up", "NIC Names": ["admin"]},
    "ixgbe1": {"MAC Address": "0c:c4:7a:aa:bb:02", "Link Status": "up", "NIC Names": ["sdc_underlay"]}
  }`,
	BootParams: "admin_nic=0c:c4:7a:aa:bb:01\n",
	Networking: `{"admin_tag": "admin", "nictags": [{"name": "admin", "mac": "0c:c4:7a:aa:bb:01", "mtu": 1500},
  {"name": "sdc_underlay", "mac": "0c:c4:7a:aa:bb:02", "mtu": 9000}],
  "vnics": [{"nic_tag": "admin", "ip": "` + AdminIP + `", "netmask": "255.255.255.0", "mac": "0c:c4:7a:aa:bb:01"}]}`,
	Want:    []string{"admin_nic=0c:c4:7a:aa:bb:01", "sdc_underlay_nic=0c:c4:7a:aa:bb:02", "sdc_underlay_mtu=9000"},
	WantNot: []string{"external_nic", "external_ip"},
}}

// WriteNode writes a set-up CN under root: the first variant.
func WriteNode(root string) error { return WriteVariant(root, Variants[0]) }

// WriteVariant writes a set-up CN of variant v under root.
func WriteVariant(root string, v Variant) error {
	files := map[string]string{
		"tmp/.sysinfo.json": fmt.Sprintf(`{
  "UUID": "564d8e3a-1c27-4a8f-9b36-2f6b2b1c7f10",
  "Hostname": %q,
  "Setup": "true",
  "Live Image": %q,
  "Datacenter Name": "us-east-1",
  %s,
  "Boot Parameters": {"console": "ttyb"}
}
`, Hostname, Platform, v.Links),
		"tmp/bootparams":                                     "console=ttyb\nboot-file=http://10.99.99.9/os/" + Platform + "/platform/i86pc/kernel/amd64/unix\nrabbitmq=guest:guest:10.99.99.24:5672\n" + v.BootParams,
		"etc/mnttab":                                         "zones\t/zones\tzfs\trw,devices,setuid,nonbmand,exec,xattr,atime\t1764590000\n",
		"var/run/nodefacts/diskinfo":                         fmt.Sprintf("USB\t%s\tSanDisk\tUltra\t%d\tyes\tno\nSCSI\tc0t0d0\tINTEL\tSSDSC2KB48\t480103981056\tno\tyes\n", KeyDisk, int64(KeySize)),
		"var/run/nodefacts/zpool-list":                       "zones\t476G\t100G\t376G\t-\t-\t5%\t21%\t1.00x\tONLINE\t-\n\t/dev/dsk/c0t0d0s1\t476G\t100G\t376G\t-\t-\t5%\t21%\n",
		"var/run/nodefacts/zpool-props":                      "zones\t-\t268435456\n",
		"var/lib/setup.json":                                 `{"complete": true}` + "\n",
		"opt/smartdc/config/node.config":                     "datacenter_name='us-east-1'\nroot_shadow='$5$x$" + Secret + "'\n",
		"opt/smartdc/bin/sdc-usbkey":                         "#!/bin/sh\n",
		"etc/zones/index":                                    "global:installed:/\nb1f6f1a2-0000-4000-8000-000000000001:running:/zones/b1f6f1a2-0000-4000-8000-000000000001:b1f6f1a2-0000-4000-8000-000000000001\nb1f6f1a2-0000-4000-8000-000000000002:running:/zones/b1f6f1a2-0000-4000-8000-000000000002:b1f6f1a2-0000-4000-8000-000000000002\n",
		"etc/zones/b1f6f1a2-0000-4000-8000-000000000001.xml": zoneXML("binder1"),
		"etc/zones/b1f6f1a2-0000-4000-8000-000000000002.xml": zoneXML("manatee1"),
	}
	if v.Networking != "" {
		files["system/boot/networking.json"] = v.Networking
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

// OldPlatform is on the standby copy too: older than the running one, so
// the key does not boot it and, by default, does not carry it.
const OldPlatform = "20250101T000000Z"

// WriteStandby writes into dir a standby copy with everything a real
// headnode's /usbkey holds (triton-usbkey.md §2.1, §2.2): the key content,
// two platforms, what lives only in /usbkey (extra/, os/latest), and the
// old headnode's own boot/networking.json and config.
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
		// The old headnode's own network config: it must not reach the key.
		"boot/networking.json": []byte(`{"nictags": [{"name": "admin", "mac": "00:0c:29:aa:bb:01"}]}` + "\n"),
		"config": []byte(`# headnode0's config
datacenter_name=us-east-1
admin_nic=00:0c:29:aa:bb:01
admin_ip=10.99.99.7
admin_netmask=255.255.255.0
external_nic=aggr9
aggr9_aggr=00:0c:29:aa:bb:02,00:0c:29:aa:bb:03
aggr9_lacp_mode=active
external_ip=203.0.113.7
external_mac=90:b8:d0:12:34:56
external_gateway=203.0.113.1
external_netmask=255.255.255.0
external_network=203.0.113.0
external_provisionable_start=203.0.113.20
external_provisionable_end=203.0.113.250
headnode_default_gateway=203.0.113.1
binder_admin_ips=10.99.99.11
ntp_hosts=pool.ntp.org
compute_node_ntp_hosts=10.99.99.7
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
		"os/" + OldPlatform + "/platform/i86pc/kernel/amd64/unix":    []byte("old unix\n"),
		"os/" + OldPlatform + "/platform/i86pc/amd64/boot_archive":   []byte("old archive\n"),
		"os/" + OldPlatform + "/platform/etc/version/platform":       []byte(OldPlatform + "\n"),
		"default/config":                           []byte("# the installer's default config\n"),
		"ur-scripts/agents-1.0.0.sh":               []byte("#!/bin/sh\n"),
		"images/sdc-assets.imgmanifest":            []byte("{}\n"),
		"images/sdc-assets.zfs.gz":                 []byte("zfs stream\n"),
		"zones/assets/zoneconfig":                  []byte("# assets\n"),
		"services/sapi.json":                       []byte("{}\n"),
		"manifests/sdc-agents.manifest":            []byte("{}\n"),
		"application.json":                         []byte("{}\n"),
		"banner":                                   []byte("Triton DataCenter\n"),
		"version":                                  []byte("release-20260301-20260301T000000Z\n"),
		"private/root.password." + Platform:        []byte(Secret + "\n"),
		"extra/agents/agents-1.0.0.sh":             []byte("#!/bin/sh\n"),
		"extra/joysetup/joysetup.sh":               []byte("#!/bin/bash\n"),
		"extra/joysetup/node.config":               []byte("ntp_hosts='10.99.99.7'\n"),
		"extra/dockerlogger/dockerlogger-1.0.0.sh": []byte("#!/bin/sh\n"),
	}
	for p, body := range files {
		if err := write(dir, p, body, 0o644); err != nil {
			return err
		}
	}
	if err := os.Symlink("agents-1.0.0.sh", filepath.Join(dir, "extra", "agents", "latest")); err != nil {
		return err
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

// AfterReboot makes the converted node at root what it is once it has
// booted from its key twice: headnode=true in its boot parameters and
// sysinfo, zones/usbkey mounted at /usbkey and filled from the key by
// fs-joyent (the key's content less its dot-files), and what headnode.sh
// installs after the second boot (the gz tools and sdcadm).
func AfterReboot(root string) error {
	bp, err := os.ReadFile(filepath.Join(root, node.BootParamsFile))
	if err != nil {
		return err
	}
	si, err := os.ReadFile(filepath.Join(root, node.SysinfoFile))
	if err != nil {
		return err
	}
	mnttab, err := os.ReadFile(filepath.Join(root, node.MnttabFile))
	if err != nil {
		return err
	}
	files := map[string]string{
		node.BootParamsFile: string(bp) + "headnode=true\n",
		node.SysinfoFile:    strings.Replace(string(si), `"Boot Parameters": {"console": "ttyb"}`, `"Boot Parameters": {"console": "ttyb", "headnode": "true"}`, 1),
		node.MnttabFile:     string(mnttab) + "zones/usbkey\t/usbkey\tzfs\trw,devices,setuid,nonbmand,exec,xattr,atime\t1764600000\n",
	}
	for p, body := range files {
		if err := write(root, p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	// fs-joyent's copy of the key: the usbkey copy is what went on it.
	copyDir := filepath.Join(root, node.CopyDir)
	if err := os.MkdirAll(filepath.Join(root, node.UsbkeyDir), 0o755); err != nil {
		return err
	}
	if err := copyKey(root, copyDir); err != nil {
		return err
	}
	return headnodeSetup(root)
}

// headnodeSetup is what headnode.sh does on the first boots as headnode
// once /usbkey is filled (sdc-headnode scripts/headnode.sh 350-425):
// extra/joysetup from the key content when it is missing, the gz tools
// from tools.tar.gz (`tar xzof`) when /opt/smartdc/bin/sdc is missing, and
// sdcadm from sdcadm-install.sh when /opt/smartdc/sdcadm is missing. The
// shar cannot run here; gztools-install installs it as the shar's
// install-sdcadm.sh lays it out.
func headnodeSetup(root string) error {
	usbkey := filepath.Join(root, node.UsbkeyDir)
	joysetup := filepath.Join(usbkey, "extra", "joysetup")
	if _, err := os.Stat(joysetup); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(joysetup, 0o755); err != nil {
			return err
		}
		for _, f := range []string{"scripts/joysetup.sh", "scripts/agentsetup.sh", "cn_tools.tar.gz"} {
			b, err := os.ReadFile(filepath.Join(usbkey, f))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(joysetup, filepath.Base(f)), b, 0o644); err != nil {
				return err
			}
		}
	}
	if _, err := os.Stat(filepath.Join(root, node.SdcBin)); errors.Is(err, fs.ErrNotExist) {
		dest := filepath.Join(root, "opt/smartdc")
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return err
		}
		if out, err := exec.Command("tar", "xzof", filepath.Join(usbkey, "tools.tar.gz"), "-C", dest).CombinedOutput(); err != nil {
			return fmt.Errorf("tar xzof tools.tar.gz: %v: %s", err, out)
		}
	}
	if _, err := os.Stat(filepath.Join(root, node.SdcadmDir)); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(usbkey, "sdcadm-install.sh")); err == nil {
			ctx := context.Background()
			p, err := gztools.NewPlan(ctx, node.New(root), gztools.Request{SkipUsbkey: true, Yes: true}, gztools.Options{})
			if err != nil {
				return fmt.Errorf("sdcadm-install.sh: %w", err)
			}
			defer p.Close()
			if _, err := p.Apply(ctx); err != nil {
				return fmt.Errorf("sdcadm-install.sh: %w", err)
			}
		}
	}
	return nil
}

// copyKey is fs-joyent's copy of the key into /usbkey.
func copyKey(root, copyDir string) error {
	return filepath.WalkDir(copyDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(copyDir, p)
		if rel == "." {
			return nil
		}
		if strings.HasPrefix(rel, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		to := filepath.Join(root, node.UsbkeyDir, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		// As the copy has it: a 0600 config stays 0600 in /usbkey.
		return os.WriteFile(to, b, fi.Mode().Perm())
	})
}
