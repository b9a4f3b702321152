package convert_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cntools/convert"
	"cntools/convert/converttest"
	"cntools/internal/node"
)

func finishNode(t *testing.T, root string) (*convert.Result, error) {
	t.Helper()
	o := &convert.Options{Node: node.New(root)}
	defer o.Close()
	res, j, err := convert.PrepareFinish(context.Background(), o, false)
	if err != nil {
		return res, err
	}
	return res, convert.Execute(context.Background(), o, res, j)
}

// convertedAndRebooted is a node converted, then booted twice as headnode.
func convertedAndRebooted(t *testing.T) string {
	t.Helper()
	root := newNode(t)
	o := &convert.Options{Node: node.New(root)}
	if _, err := convertNode(t, o); err != nil {
		t.Fatalf("convert: %v", err)
	}
	o.Close()
	if err := converttest.AfterReboot(root); err != nil {
		t.Fatal(err)
	}
	return root
}

// finish on the new headnode: /usbkey/extra seeded from the standby copy
// (agents/latest a symlink still), joysetup's node.config naming this
// node, node.config aside, the scratch copy gone, and the checklist true.
// A second run does nothing.
func TestFinishAfterReboot(t *testing.T) {
	root := convertedAndRebooted(t)
	res, err := finishNode(t, root)
	if err != nil {
		t.Fatalf("finish: %v\n%s", err, failed(res))
	}
	for _, c := range res.Verify {
		if !c.OK {
			t.Errorf("verify %s: %s", c.Name, c.Detail)
		}
	}
	usbkey := filepath.Join(root, node.UsbkeyDir)
	if target, err := os.Readlink(filepath.Join(usbkey, "extra/agents/latest")); err != nil || target != "agents-1.0.0.sh" {
		t.Errorf("extra/agents/latest = %q, %v; want a symlink to agents-1.0.0.sh", target, err)
	}
	for _, p := range []string{"extra/dockerlogger/dockerlogger-1.0.0.sh", "extra/joysetup/joysetup.sh"} {
		if _, err := os.Stat(filepath.Join(usbkey, p)); err != nil {
			t.Errorf("/usbkey/%s not seeded: %v", p, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(usbkey, "extra/joysetup/node.config")); err != nil || string(b) != "ntp_hosts="+converttest.AdminIP+"\n" {
		t.Errorf("extra/joysetup/node.config = %q, %v; want ntp_hosts naming this node", b, err)
	}
	if _, err := os.Stat(filepath.Join(root, node.NodeConfig)); err == nil {
		t.Errorf("node.config still in place")
	}
	if _, err := os.Stat(filepath.Join(root, node.NodeConfig+".pre-headnode")); err != nil {
		t.Errorf("node.config not moved aside: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, node.CopyDir)); err == nil {
		t.Errorf("the scratch copy is still there")
	}
	again, err := finishNode(t, root)
	if err != nil {
		t.Fatalf("finish again: %v", err)
	}
	for _, s := range again.Steps {
		if s.Status != "skipped" {
			t.Errorf("finish again: step %s %s, want skipped", s.Name, s.Status)
		}
	}
}

// What headnode.sh made in /usbkey/extra stays unless the standby's is newer.
func TestFinishKeepsNewerFiles(t *testing.T) {
	root := convertedAndRebooted(t)
	mine := filepath.Join(root, node.UsbkeyDir, "extra/joysetup/joysetup.sh")
	os.MkdirAll(filepath.Dir(mine), 0o755)
	if err := os.WriteFile(mine, []byte("#!/bin/bash\n# headnode.sh's, newer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := finishNode(t, root); err != nil {
		t.Fatalf("finish: %v", err)
	}
	if b, _ := os.ReadFile(mine); !strings.Contains(string(b), "newer") {
		t.Errorf("finish replaced a newer joysetup.sh with the standby's: %q", b)
	}
}

// Before the reboots, finish changes nothing and says when to run it.
func TestFinishBeforeReboot(t *testing.T) {
	root := newNode(t)
	res, err := finishNode(t, root)
	if !errors.Is(err, convert.ErrPreflight) {
		t.Fatalf("finish on a CN = %v, want a failed preflight", err)
	}
	for _, want := range []string{"this node has not booted as a headnode", "zones/usbkey is not mounted at /usbkey"} {
		if !strings.Contains(failed(res), want) {
			t.Errorf("failed checks:\n%s\nwant %q", failed(res), want)
		}
	}
	if _, err := os.Stat(filepath.Join(root, node.NodeConfig)); err != nil {
		t.Errorf("node.config moved on a CN: %v", err)
	}
}

// A step that fails stops finish with the steps before it journaled; once
// the cause is fixed the rerun does only what is left.
func TestFinishResumes(t *testing.T) {
	root := convertedAndRebooted(t)
	// fs-joyent has not copied one file: the copy must stay.
	missing := filepath.Join(root, node.UsbkeyDir, "banner")
	banner, _ := os.ReadFile(missing)
	os.Remove(missing)
	if _, err := finishNode(t, root); err == nil || !strings.Contains(err.Error(), "banner is not in /usbkey") {
		t.Fatalf("finish = %v, want the remove-copy step to fail on banner", err)
	}
	if _, err := os.Stat(filepath.Join(root, node.CopyDir)); err != nil {
		t.Fatalf("the scratch copy was removed though /usbkey lacks a file: %v", err)
	}
	os.WriteFile(missing, banner, 0o644)
	res, err := finishNode(t, root)
	if err != nil {
		t.Fatalf("finish again: %v", err)
	}
	var did []string
	for _, s := range res.Steps {
		if s.Status == "done" {
			did = append(did, s.Name)
		}
	}
	if got := strings.Join(did, " "); got != "remove-copy remove-service" {
		t.Errorf("the rerun did %q, want only remove-copy and remove-service", got)
	}
}

// The conversion installs the one-shot service; finish, its work done,
// removes it through svccfg (recorded under --root).
func TestFinishRemovesItsService(t *testing.T) {
	root := convertedAndRebooted(t)
	manifest := filepath.Join(root, convert.FinishManifest)
	b, err := os.ReadFile(manifest)
	if err != nil || !strings.Contains(string(b), `exec="/opt/smartdc/bin/convert-to-headnode -y finish --service"`) || !strings.Contains(string(b), "svc:/system/smartdc/init") {
		t.Fatalf("the finish service's manifest = %q, %v", b, err)
	}
	if _, err := finishNode(t, root); err != nil {
		t.Fatalf("finish: %v", err)
	}
	if _, err := os.Stat(manifest); err == nil {
		t.Errorf("finish left its service's manifest")
	}
	got, _ := os.ReadFile(filepath.Join(root, node.CommandsFile))
	if string(got) != "/usr/sbin/svccfg delete -f svc:/site/cn-tools-finish:default\n" {
		t.Errorf("recorded commands = %q", got)
	}
}
