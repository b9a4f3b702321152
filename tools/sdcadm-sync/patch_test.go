package sdcadmsync_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The sdcadm master commit the patch is made against; testdata/sdcadm holds
// that commit's copies of the files the patch changes.
const sdcadmBase = "7fb53d9cb828dfda176d92e44a8a5c936d002344"

const patchFile = "sdcadm-usbkey-sync.patch"

// cleanEnv is the environment without GIT_* (a GIT_DIR from outside would
// send git apply elsewhere) and without the hook override.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GIT_") || strings.HasPrefix(kv, "SDCADM_USBKEY_SYNC=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// copyTree copies the regular files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// patchedTree applies the patch to a copy of the pinned sdcadm files and
// returns the copy's root.
func patchedTree(t *testing.T) string {
	t.Helper()
	patch, err := filepath.Abs(patchFile)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "sdcadm")
	copyTree(t, filepath.Join("testdata", "sdcadm"), root)
	env := cleanEnv()
	run(t, root, env, "git", "init", "-q")
	run(t, root, env, "git", "apply", "--check", patch)
	run(t, root, env, "git", "apply", patch)
	return root
}

func TestPatchNamesBaseAndPinnedFilesMatch(t *testing.T) {
	b, err := os.ReadFile(patchFile)
	if err != nil {
		t.Fatal(err)
	}
	patch := string(b)
	if !strings.Contains(patch, "\nbase-commit: "+sdcadmBase+"\n") {
		t.Errorf("%s does not name its base commit %s", patchFile, sdcadmBase)
	}
	if _, err := os.Stat(filepath.Join("testdata", "sdcadm", "LICENSE")); err != nil {
		t.Errorf("sdcadm's licence is not kept with its files: %v", err)
	}
	// Each changed file's pre-image blob is the pinned copy: the pinned
	// files are sdcadm master's, not edited to fit the patch.
	re := regexp.MustCompile(`(?m)^diff --git a/(\S+) b/\S+\n(?:new file mode \d+\n)?index ([0-9a-f]+)\.\.`)
	ms := re.FindAllStringSubmatch(patch, -1)
	if len(ms) == 0 {
		t.Fatalf("no file diffs in %s", patchFile)
	}
	env := cleanEnv()
	for _, m := range ms {
		file, pre := m[1], m[2]
		if strings.Trim(pre, "0") == "" {
			continue // a new file
		}
		got := strings.TrimSpace(run(t, ".", env, "git", "hash-object", filepath.Join("testdata", "sdcadm", file)))
		if !strings.HasPrefix(got, pre) {
			t.Errorf("testdata/sdcadm/%s is blob %s, the patch expects %s", file, got, pre)
		}
	}
}

func TestPatchedFilesParse(t *testing.T) {
	root := patchedTree(t)
	for _, f := range []string{"lib/platform.js", "lib/usbkey-sync.js", "lib/cli/do_update_gz_tools.js", "lib/cli/do_update_agents.js"} {
		run(t, root, cleanEnv(), "node", "--check", filepath.Join(root, f))
	}
}

type result struct {
	Err       *string  `json:"err"`
	Callbacks int      `json:"callbacks"`
	Installed []string `json:"installed"`
	Progress  []string `json:"progress"`
}

// TestPatchedInstall runs the patched Platform.prototype.install
// (testdata/driver.js) with a recording usbkey-sync.
func TestPatchedInstall(t *testing.T) {
	root := patchedTree(t)
	driver, err := filepath.Abs(filepath.Join("testdata", "driver.js"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	image := filepath.Join(dir, "platform-release-20260401-20260401t000000z.tgz")
	if err := os.WriteFile(image, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	stub := filepath.Join(dir, "usbkey-sync")
	script := "#!/bin/sh\necho \"$*\" >> \"$STUB_CALLS\"\n" +
		"if [ -n \"$STUB_FAIL\" ]; then echo 'usbkey-sync: 2 targets not in step' >&2; exit 1; fi\n"
	if err := os.WriteFile(stub, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		scenario  string
		tool      string // SDCADM_USBKEY_SYNC; "" is the stub
		fail      bool
		wantCalls []string
		wantWarn  bool
	}{
		{name: "latest", scenario: "latest",
			wantCalls: []string{"hook platform-install 20260301T000000Z"}},
		{name: "already installed", scenario: "installed"},
		{name: "headnode on latest: abort", scenario: "abort"},
		{name: "image file", scenario: "image",
			wantCalls: []string{"hook platform-install 20260401T000000Z"}},
		{name: "hook fails", scenario: "latest", fail: true,
			wantCalls: []string{"hook platform-install 20260301T000000Z"}, wantWarn: true},
		{name: "usbkey-sync not installed", scenario: "latest",
			tool: filepath.Join(dir, "absent")},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := filepath.Join(dir, "calls"+string(rune('a'+i)))
			tool := tt.tool
			if tool == "" {
				tool = stub
			}
			env := cleanEnv("SDCADM_USBKEY_SYNC="+tool, "STUB_CALLS="+calls)
			if tt.fail {
				env = append(env, "STUB_FAIL=1")
			}
			args := []string{driver, root, tt.scenario}
			if tt.scenario == "image" {
				args = append(args, image)
			}
			cmd := exec.Command("node", args...)
			cmd.Env = env
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("node driver.js: %v\n%s", err, out)
			}
			var res result
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("driver output %q: %v", out, err)
			}
			if res.Err != nil {
				t.Errorf("install called back with %q; progress:\n%s", *res.Err, strings.Join(res.Progress, "\n"))
			}
			if res.Callbacks != 1 {
				t.Errorf("install called back %d times", res.Callbacks)
			}
			var got []string
			if b, err := os.ReadFile(calls); err == nil {
				got = strings.Split(strings.TrimSpace(string(b)), "\n")
			} else if !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.wantCalls) {
				t.Errorf("usbkey-sync calls %q, want %q; progress:\n%s", got, tt.wantCalls, strings.Join(res.Progress, "\n"))
			}
			if tt.wantCalls != nil && len(res.Installed) != 1 {
				t.Errorf("install-platform.sh ran %d times, want once before the hook", len(res.Installed))
			}
			warned := slices.ContainsFunc(res.Progress, func(s string) bool {
				return strings.HasPrefix(s, "Warning:") && strings.Contains(s, "2 targets not in step")
			})
			if warned != tt.wantWarn {
				t.Errorf("failure reported: %v, want %v; progress:\n%s", warned, tt.wantWarn, strings.Join(res.Progress, "\n"))
			}
			if i := slices.IndexFunc(res.Progress, func(s string) bool { return strings.HasPrefix(s, "Syncing standby") }); tt.wantCalls != nil {
				j := slices.Index(res.Progress, "Platform installer finished successfully")
				if i < 0 || j < 0 || i < j {
					t.Errorf("the hook did not run after the installer succeeded; progress:\n%s", strings.Join(res.Progress, "\n"))
				}
			}
		})
	}
}
