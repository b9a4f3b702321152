package payload

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tarball lays files out under a fresh /opt/smartdc and tars the given
// members with the real tar, the way sdc-headnode's Makefile builds
// cn_tools.tar.gz (`cd $(PROTO)/opt/smartdc && tar -czf ... $(CN_TOOLS_FILES)`).
func tarball(t *testing.T, files map[string]string, links map[string]string, members ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	for p, body := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(p, "bin/") {
			mode = 0o755
		}
		if err := os.WriteFile(full, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	for p, target := range links {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "out.tar.gz")
	cmd := exec.Command("tar", append([]string{"-C", dir, "-czf", out}, members...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v: %s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tritonCNTools is cn_tools.tar.gz as sdc-headnode builds it: its
// CN_TOOLS_FILES (Makefile:206-217) with node_modules' symlinked bins.
func tritonCNTools(t *testing.T, extra map[string]string) []byte {
	files := map[string]string{
		"bin/sdc-sbcreate":                   "#!/bin/bash\n",
		"bin/sdc-usbkey":                     "#!/bin/bash\nexec node cmd/sdc-usbkey.js \"$@\"\n",
		"cmd/sdc-usbkey.js":                  "// sdc-usbkey\n",
		"lib/bootpool.js":                    "//\n",
		"lib/common.js":                      "//\n",
		"lib/oscmds.js":                      "//\n",
		"lib/usbkey.js":                      "// usbkey\n",
		"man/man1/sdc-sbcreate.1":            ".TH sdc-sbcreate 1\n",
		"share/usbkey/contents.json":         "{}\n",
		"node_modules/cmdln/lib/cmdln.js":    "//\n",
		"node_modules/dashdash/package.json": "{}\n",
		"etc/version/usbkey":                 "1\n",
	}
	for p, b := range extra {
		files[p] = b
	}
	links := map[string]string{"node_modules/.bin/cmdln": "../cmdln/lib/cmdln.js"}
	return tarball(t, files, links, "bin/sdc-sbcreate", "bin/sdc-usbkey", "cmd/sdc-usbkey.js",
		"lib/bootpool.js", "lib/common.js", "lib/oscmds.js", "lib/usbkey.js",
		"man/man1/sdc-sbcreate.1", "share/usbkey", "node_modules", "etc")
}

// ourPayload is cn-tools-rfd67.tar.gz as `make cn-tools` lays it out.
func ourPayload(t *testing.T) []byte {
	return tarball(t, map[string]string{
		"bin/cn-tools":                            "\x7fELF...",
		"bin/sdcadm-sync":                         "#!/bin/bash\n",
		"man/man1/usbkey-format.1":                ".TH usbkey-format 1\n",
		"etc/cn-tools.version":                    "cn-tools test\n",
		"share/cn-tools/sdcadm-usbkey-sync.patch": "--- a\n",
	}, map[string]string{"bin/usbkey-format": "cn-tools", "bin/convert-to-headnode": "cn-tools"},
		"bin", "man", "etc", "share")
}

func TestMergeKeepsTritonAndAddsOurs(t *testing.T) {
	triton := tritonCNTools(t, nil)
	var out bytes.Buffer
	added, err := Merge(bytes.NewReader(triton), bytes.NewReader(ourPayload(t)), &out, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(t.TempDir(), "cn_tools.tar.gz")
	if err := os.WriteFile(merged, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	// Extract both as agentsetup.sh does (tar xzof into /opt/smartdc).
	extract := func(tgz string) string {
		dir := t.TempDir()
		if b, err := exec.Command("tar", "xzof", tgz, "-C", dir).CombinedOutput(); err != nil {
			t.Fatalf("tar xzof %s: %v: %s", tgz, err, b)
		}
		return dir
	}
	tritonFile := filepath.Join(t.TempDir(), "triton.tar.gz")
	os.WriteFile(tritonFile, triton, 0o644)
	want, got := extract(tritonFile), extract(merged)

	// Every Triton file, link and mode is there unchanged.
	filepath.Walk(want, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(want, p)
		gi, err := os.Lstat(filepath.Join(got, rel))
		if err != nil {
			t.Errorf("%s: Triton's, missing from the merged tarball", rel)
			return nil
		}
		if gi.Mode() != fi.Mode() {
			t.Errorf("%s: mode %v, Triton's is %v", rel, gi.Mode(), fi.Mode())
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			a, _ := os.Readlink(p)
			b, _ := os.Readlink(filepath.Join(got, rel))
			if a != b {
				t.Errorf("%s: links to %q, Triton's to %q", rel, b, a)
			}
		case fi.Mode().IsRegular():
			a, _ := os.ReadFile(p)
			b, _ := os.ReadFile(filepath.Join(got, rel))
			if !bytes.Equal(a, b) {
				t.Errorf("%s: content differs from Triton's", rel)
			}
		}
		return nil
	})

	// Ours is there, and the manifest names exactly what was added.
	if l, err := os.Readlink(filepath.Join(got, "bin/usbkey-format")); err != nil || l != "cn-tools" {
		t.Errorf("bin/usbkey-format -> %q (%v), want -> cn-tools", l, err)
	}
	m, err := os.ReadFile(filepath.Join(got, ManifestPath))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(m)), "\n")[1:]
	if strings.Join(lines, " ") != strings.Join(added, " ") {
		t.Errorf("manifest lists %q, Merge added %q", lines, added)
	}
	for _, p := range []string{"bin/cn-tools", "bin/usbkey-format", "etc/cn-tools.version", "share/cn-tools/sdcadm-usbkey-sync.patch", "man/man1/usbkey-format.1"} {
		if !strings.Contains("\n"+string(m), "\n"+p+"\n") {
			t.Errorf("manifest does not list %s", p)
		}
	}
	for _, p := range []string{"bin", "etc", "man", "bin/sdc-usbkey"} {
		if strings.Contains("\n"+string(m), "\n"+p+"\n") {
			t.Errorf("manifest lists %s, which is Triton's", p)
		}
	}
}

func TestMergeRefusesToReplaceTriton(t *testing.T) {
	// A Triton tarball that already has a file of ours: sdc-headnode's
	// must win, so the merge stops and names it.
	triton := tritonCNTools(t, map[string]string{"etc/cn-tools.version": "theirs\n"})
	var out bytes.Buffer
	_, err := Merge(bytes.NewReader(triton), bytes.NewReader(ourPayload(t)), &out, time.Now())
	if err == nil || !strings.Contains(err.Error(), "etc/cn-tools.version: in Triton's cn_tools.tar.gz and in cn-tools: refusing to replace Triton's") {
		t.Fatalf("Merge = %v, want a refusal naming etc/cn-tools.version", err)
	}
	if out.Len() != 0 {
		t.Errorf("Merge wrote %d bytes before refusing", out.Len())
	}
}

func TestMergeRefusesBadInput(t *testing.T) {
	good := tritonCNTools(t, nil)
	for name, triton := range map[string][]byte{
		"not gzip":  []byte("hello"),
		"truncated": good[:len(good)/2],
		"empty tar": tarball(t, nil, nil, "--files-from=/dev/null"),
	} {
		var out bytes.Buffer
		_, err := Merge(bytes.NewReader(triton), bytes.NewReader(ourPayload(t)), &out, time.Now())
		if err == nil || !strings.Contains(err.Error(), "give the cn_tools.tar.gz sdc-headnode built") {
			t.Errorf("%s: Merge = %v, want an error that says what to give", name, err)
		}
		if out.Len() != 0 {
			t.Errorf("%s: Merge wrote %d bytes before refusing", name, out.Len())
		}
	}
}
