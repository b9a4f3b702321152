package gztoolstest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"cntools/gztools/shar"
)

// Tools returns the entries of a tools.tar.gz as sdc-headnode's `make
// tools` lays it out (paths relative to /opt/smartdc), small but with
// every kind of entry a real one has: scripts, wrapper symlinks into
// ../lib/wrap.sh, read-only share files, dangling man page links into
// the sdc zone, node_modules, and etc/gz-tools.image. version changes the
// content of bin/sdc and the image uuid, as an upgrade does.
func Tools(version, uuid string) []Entry {
	es := []Entry{
		Dir("bin/", 0o755),
		File("bin/sdc", 0o755, "#!/bin/bash\n# sdc "+version+"\nexec /usr/node/bin/node /opt/smartdc/cmd/sdc.js \"$@\"\n"),
		File("bin/sdc-usbkey", 0o755, "#!/bin/bash\nexec /usr/node/bin/node /opt/smartdc/cmd/sdc-usbkey.js \"$@\"\n"),
		File("bin/sdc-sbcreate", 0o755, "#!/bin/bash\necho sbcreate\n"),
		File("bin/libdc.sh", 0o755, "# libdc\n"),
		Symlink("bin/sdc-vmapi", "../lib/wrap.sh"),
		Symlink("bin/sdc-cnapi", "../lib/wrap.sh"),
		Dir("cmd/", 0o755),
		File("cmd/sdc-usbkey.js", 0o755, "// sdc-usbkey\n"),
		Dir("lib/", 0o755),
		File("lib/wrap.sh", 0o755, "#!/bin/bash\n# find the sdc zone and run the command there\n"),
		File("lib/usbkey.js", 0o755, "// usbkey.js\n"),
		Dir("share/", 0o755),
		Dir("share/servicebundle/", 0o755),
		File("share/servicebundle/pubkey.key", 0o444, "-----BEGIN PUBLIC KEY-----\n"),
		Dir("share/usbkey/", 0o755),
		File("share/usbkey/update-usbkey.0.esp.sh", 0o755, "#!/bin/bash\n"),
		Dir("man/", 0o755),
		Dir("man/man1/", 0o755),
		File("man/man1/sdc.1", 0o444, ".TH SDC 1\n"),
		Symlink("man/man1/sdc-vmapi.1", "../../sdc/man/man1/sdc-vmapi.1"),
		Dir("node_modules/", 0o755),
		Dir("node_modules/cmdln/", 0o755),
		File("node_modules/cmdln/package.json", 0o644, `{"name":"cmdln"}`+"\n"),
		Dir("etc/", 0o755),
		File("etc/gz-tools.image", 0o644, uuid+"\n"),
	}
	if version >= "2" {
		es = append(es, File("bin/sdc-healthcheck", 0o755, "#!/bin/bash\n# new in "+version+"\n"))
	}
	return es
}

// CNTools returns the CN subset, as `make cn_tools.tar.gz` picks it.
func CNTools(version, uuid string) []Entry {
	var es []Entry
	keep := map[string]bool{"bin/": true, "bin/sdc-sbcreate": true, "bin/sdc-usbkey": true, "cmd/": true, "cmd/sdc-usbkey.js": true,
		"lib/": true, "lib/usbkey.js": true, "share/": true, "share/usbkey/": true, "share/usbkey/update-usbkey.0.esp.sh": true,
		"node_modules/": true, "node_modules/cmdln/": true, "node_modules/cmdln/package.json": true, "etc/": true, "etc/gz-tools.image": true}
	for _, e := range Tools(version, uuid) {
		if keep[e.Name] {
			es = append(es, e)
		}
	}
	return es
}

// Scripts returns sdc-headnode's scripts/ (a few of them).
func Scripts(version string) map[string]string {
	return map[string]string{
		"headnode.sh":     "#!/bin/bash\n# headnode.sh " + version + "\n",
		"joysetup.sh":     "#!/bin/bash\n# joysetup.sh\n",
		"agentsetup.sh":   "#!/bin/bash\n# agentsetup.sh\n",
		"update_cn_tools": "#!/bin/ksh\n# update_cn_tools\n",
	}
}

// GzToolsImage returns a gz-tools-<stamp>.tgz as `make gz-tools` builds
// it: top folder gz-tools/ with tools.tar.gz, cn_tools.tar.gz, scripts/,
// default/, image_uuid, and a copy of every script at the top level.
func GzToolsImage(version, uuid string) []byte {
	es := []Entry{Dir("gz-tools/", 0o755), Dir("gz-tools/scripts/", 0o755), Dir("gz-tools/default/", 0o755)}
	for name, body := range sortedMap(Scripts(version)) {
		es = append(es, File("gz-tools/scripts/"+name, 0o755, body), File("gz-tools/"+name, 0o755, body))
	}
	es = append(es,
		File("gz-tools/default/user-script.common", 0o644, "#!/bin/bash\n"),
		File("gz-tools/tools.tar.gz", 0o644, string(TarGz(Tools(version, uuid)))),
		File("gz-tools/cn_tools.tar.gz", 0o644, string(TarGz(CNTools(version, uuid)))),
		File("gz-tools/image_uuid", 0o644, uuid+"\n"),
	)
	return TarGz(es)
}

// SdcadmContents returns the entries of an sdcadm shar's contents.tgz.
func SdcadmContents(stamp string) []Entry {
	return []Entry{
		Dir("bin/", 0o755),
		File("bin/sdcadm", 0o755, "#!/bin/bash\nexec /opt/smartdc/sdcadm/node/bin/node --abort_on_uncaught_exception /opt/smartdc/sdcadm/lib/cli/index.js \"$@\"\n"),
		Dir("lib/", 0o755),
		Dir("lib/cli/", 0o755),
		File("lib/cli/index.js", 0o644, "// sdcadm "+stamp+"\n"),
		Dir("etc/", 0o755),
		File("etc/buildstamp", 0o644, stamp+"\n"),
		File("etc/defaults.json", 0o644, "{}\n"),
		Dir("smf/", 0o755),
		Dir("smf/manifests/", 0o755),
		File("smf/manifests/sdcadm-setup.xml", 0o644, "<?xml version=\"1.0\"?>\n<service_bundle name=\"sdcadm-setup\"/>\n"),
		Dir("man/", 0o755),
		Dir("man/man1/", 0o755),
		File("man/man1/sdcadm.1", 0o444, ".TH SDCADM 1\n"),
		Dir("node/", 0o755),
		Dir("node/bin/", 0o755),
		File("node/bin/node", 0o755, "\x7fELF fake node\n"),
		Dir("node_modules/", 0o755),
		File("package.json", 0o644, `{"name":"sdcadm","version":"`+stamp+`"}`+"\n"),
		Dir("tools/", 0o755),
		File("tools/rotate-logs.sh", 0o755, "#!/bin/bash\n"),
	}
}

// SdcadmShar returns an sdcadm-<stamp>.sh laid out as sdcadm's
// tools/mk-shar writes it: the headnode-only prologue, the md5sum helper,
// GNU shar's extraction of install-sdcadm.sh and the uuencoded
// contents.tgz, then the lines that run the installer.
func SdcadmShar(stamp string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `#!/bin/bash
#
# This shar will install/upgrade "sdcadm" on a SmartDataCenter headnode GZ.
#
function fatal {
    echo "$0: error: $*" >&2
    exit 3
}
[[ "$(zonename)" == "global" ]] || fatal "not running in global zone"
[[ "$(sysinfo | json "Boot Parameters.headnode")" == "true" ]] \
    || fatal "not running on the headnode"

echo "Extracting sdcadm %s to /var/tmp/sdcadm."

if [ `+"`pwd`"+` != '/var/tmp/sdcadm' ]; then
    rm -rf /var/tmp/sdcadm
    mkdir -p /var/tmp/sdcadm
    cd /var/tmp/sdcadm
fi
mkdir -p /var/tmp/sdcadm/.temp_bin
export PATH=/var/tmp/sdcadm/.temp_bin:$PATH
cat > /var/tmp/sdcadm/.temp_bin/md5sum << 'EOFTOOL'
#!/bin/bash
openssl dgst -md5 "$@"
EOFTOOL

chmod +x /var/tmp/sdcadm/.temp_bin/md5sum

# This is a shell archive.  Save it in a file, remove anything before
# this line, and then unpack it by entering "sh file".
# ============= contents.tgz ==============
  sed 's/^X//' << 'SHAR_EOF' | uudecode &&
`, stamp)
	b.Write(shar.Encode("contents.tgz", TarGz(SdcadmContents(stamp))))
	b.WriteString(`SHAR_EOF
# ============= install-sdcadm.sh ==============
  sed 's/^X//' << 'SHAR_EOF' > 'install-sdcadm.sh' &&
X#!/bin/bash
XDESTDIR=/opt/smartdc/sdcadm
Xmkdir -p $DESTDIR.new && tar xzf contents.tgz -C $DESTDIR.new
SHAR_EOF

set -o errexit
set -o pipefail

echo "Installing sdcadm ` + stamp + `."
bash ./install-sdcadm.sh

cd /var/tmp
rm -rf /var/tmp/sdcadm

echo "Installed sdcadm successfully."
exit 0
`)
	return b.Bytes()
}

// WriteUsbkeyCopy writes the gz-tools parts of a usbkey copy into dir:
// tools.tar.gz, cn_tools.tar.gz, scripts/, and sdcadm-install.sh when
// sdcadmStamp is not empty.
func WriteUsbkeyCopy(dir, version, uuid, sdcadmStamp string) error {
	if err := os.MkdirAll(filepath.Join(dir, "scripts"), 0o755); err != nil {
		return err
	}
	files := map[string][]byte{
		"tools.tar.gz":    TarGz(Tools(version, uuid)),
		"cn_tools.tar.gz": TarGz(CNTools(version, uuid)),
	}
	for name, body := range Scripts(version) {
		files["scripts/"+name] = []byte(body)
	}
	if sdcadmStamp != "" {
		files["sdcadm-install.sh"] = SdcadmShar(sdcadmStamp)
	}
	for name, body := range files {
		mode := os.FileMode(0o644)
		if filepath.Dir(name) == "scripts" || filepath.Ext(name) == ".sh" {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(dir, name), body, mode); err != nil {
			return err
		}
		if err := os.Chmod(filepath.Join(dir, name), mode); err != nil {
			return err
		}
	}
	return nil
}
