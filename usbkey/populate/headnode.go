package populate

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// setParams edits loader.conf the way SmartOS's edit_param does
// (smartos-boot.md §2.7): every line that assigns key is rewritten to
// key="value"; a key not there is appended. Other lines stay as they are.
func setParams(conf []byte, params [][2]string) []byte {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(conf))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	for _, kv := range params {
		re := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(kv[0]) + `\s*=`)
		line := fmt.Sprintf("%s=%q", kv[0], kv[1])
		found := false
		for i, l := range lines {
			if re.MatchString(l) {
				lines[i], found = line, true
			}
		}
		if !found {
			lines = append(lines, line)
		}
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// headnodeLoaderConf is the key's boot/loader.conf for this node booting
// as headnode from platform pi: headnode="true", and ipxe="false" and
// os_console set to this node's console, because the first-boot step that
// sets them (joysetup's headnode_boot_setup: usb_key_disable_ipxe and
// usb_key_set_console) never runs on a converted CN (triton-usbkey.md
// §1.5). On a boot pool, the lines piadm writes for one.
func headnodeLoaderConf(conf []byte, pi, console, bootpool string) []byte {
	if console == "" {
		console = "text" // usb_key_set_console's default
	}
	params := [][2]string{
		{"headnode", "true"},
		{"ipxe", "false"},
		{"os_console", console},
		{"bootfile", "/os/" + pi + "/platform/i86pc/kernel/amd64/unix"},
		{"boot_archive_name", "/os/" + pi + "/platform/i86pc/amd64/boot_archive"},
		{"boot_archive.hash_name", "/os/" + pi + "/platform/i86pc/amd64/boot_archive.hash"},
		{"platform-version", pi},
	}
	if bootpool != "" {
		params = append(params, [2]string{"fstype", "ufs"}, [2]string{"triton_bootpool", bootpool})
	}
	return setParams(conf, params)
}
