package convert_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"cntools/convert"
	"cntools/internal/node"
)

// The plan's printed commands, run one by one in a shell on a fresh node,
// leave it exactly as the wrapper leaves another: a step and its command
// are one request, so they cannot drift apart.
func TestPrintedCommandsDoWhatTheStepsDo(t *testing.T) {
	bin := buildTools(t)
	ref := newNode(t)
	if out, err := convertCmd(bin, ref).CombinedOutput(); err != nil {
		t.Fatalf("the wrapper: %v\n%s", err, out)
	}

	byHand := newNode(t)
	o := &convert.Options{Node: node.New(byHand)}
	defer o.Close()
	res, _, err := convert.Prepare(context.Background(), o, false)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	o.Close() // the standby copy's lock: the printed commands run on their own
	if len(res.Plan.Steps) != len(convert.StepOrder) {
		t.Fatalf("the plan has %d steps, want %d", len(res.Plan.Steps), len(convert.StepOrder))
	}
	for _, s := range res.Plan.Steps {
		if !strings.Contains(s.Command, byHand) {
			t.Errorf("step %s: %s does not name the node's root %s", s.Name, s.Command, byHand)
		}
		cmd := exec.Command("sh", "-c", s.Command)
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"), "NO_COLOR=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("step %s: $ %s: %v\n%s", s.Name, s.Command, err, out)
		}
	}
	if got, want := state(t, byHand), state(t, ref); got != want {
		t.Errorf("the printed commands leave the node unlike the wrapper:\n%s", diffLines(want, got))
	}
}

// A boot-pool conversion formats nothing and fills /POOL/boot.
func TestBootPoolPlanFormatsNothing(t *testing.T) {
	root := newNode(t)
	if err := os.MkdirAll(filepath.Join(root, "zones"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := &convert.Options{Node: node.New(root), BootPool: "zones"}
	defer o.Close()
	res, _, err := convert.Prepare(context.Background(), o, false)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	var names []string
	for _, s := range res.Plan.Steps {
		names = append(names, s.Name)
		if s.Name == "populate-key" && !strings.Contains(s.Command, " --mkdir ") || strings.Contains(s.Command, "usbkey-format") {
			t.Errorf("step %s: $ %s", s.Name, s.Command)
		}
	}
	if got := strings.Join(names, " "); got != "usbkey-copy boot-dataset populate-key installboot bootfs finish-service" {
		t.Errorf("boot-pool steps = %s", got)
	}
	if !strings.Contains(res.Plan.Steps[0].Command, " --headnode --boot-platform 20260301T000000Z --bootpool zones ") {
		t.Errorf("the copy step does not make a boot-pool loader.conf: $ %s", res.Plan.Steps[0].Command)
	}
}

// A failed preflight changes nothing on the node.
func TestPreflightFailureChangesNothing(t *testing.T) {
	root := newNode(t)
	if err := os.Remove(filepath.Join(root, "zones/usbkey-standby/config")); err != nil {
		t.Fatal(err)
	}
	before := state(t, root)
	o := &convert.Options{Node: node.New(root)}
	defer o.Close()
	res, _, err := convert.Prepare(context.Background(), o, false)
	o.Close()
	if err != convert.ErrPreflight {
		t.Fatalf("Prepare = %v, want ErrPreflight", err)
	}
	failed := ""
	for _, c := range res.Preflight.Checks {
		if !c.OK {
			failed += c.Name + ": " + c.Detail + "\n"
		}
	}
	if !strings.Contains(failed, "has no config") {
		t.Errorf("failed checks:\n%s\nwant the missing config named", failed)
	}
	if after := state(t, root); after != before {
		t.Errorf("a failed preflight changed the node:\n%s", diffLines(before, after))
	}
}
