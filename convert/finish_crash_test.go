package convert_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cntools/convert"
	"cntools/internal/node"
)

func finishCmd(bin, root string) *exec.Cmd {
	cmd := exec.Command(bin, "--root", root, "-y", "-v", "finish")
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	return cmd
}

// TestFinishKilledResumes kills finish with SIGKILL as each step starts,
// then runs it again: the node ends as an uninterrupted finish leaves it.
func TestFinishKilledResumes(t *testing.T) {
	bin := buildTools(t)
	ref := convertedAndRebooted(t)
	if out, err := finishCmd(bin, ref).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted finish: %v\n%s", err, out)
	}
	want := state(t, ref)
	for _, step := range []string{"seed-extra", "joysetup-ntp", "node-config", "remove-copy", "remove-service"} {
		root := convertedAndRebooted(t)
		cmd := finishCmd(bin, root)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		logf := filepath.Join(root, "var/log/cn-tools/convert-to-headnode.log")
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if b, _ := os.ReadFile(logf); bytes.Contains(b, []byte(`"step":"`+step+`"`)) {
				break
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		if out, err := finishCmd(bin, root).CombinedOutput(); err != nil {
			t.Errorf("at step %s: rerun: %v\n%s", step, err, out)
			continue
		}
		if got := state(t, root); got != want && !sameButCommands(want, got) {
			t.Errorf("killed at step %s: the resumed finish differs from an uninterrupted one:\n%s", step, diffLines(want, got))
		}
		if b, _ := os.ReadFile(filepath.Join(root, node.CommandsFile)); !strings.Contains(string(b), "/usr/sbin/svccfg delete -f "+convert.FinishService+"\n") {
			t.Errorf("killed at step %s: the finish service was never deleted: %q", step, b)
		}
	}
}

// sameButCommands: a finish killed right after svccfg delete runs it again
// on the rerun (the service is then gone, which svccfg reports and finish
// takes as done), so the recorded commands may hold it twice.
func sameButCommands(want, got string) bool {
	strip := func(s string) string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if !strings.Contains(l, `"path":"var/run/nodefacts/commands"`) {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	return strip(want) == strip(got)
}
