package sshtest_test

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"cntools/internal/sshconn/sshtest"
)

// TestStartStop logs in with OpenSSH's own client, the one judge of whether
// the files Start writes are right, and checks Stop leaves nothing running.
func TestStartStop(t *testing.T) {
	s, err := sshtest.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if !strings.HasPrefix(s.HostKeyLine, "[127.0.0.1]:") {
		t.Errorf("HostKeyLine = %q, want it to start with [127.0.0.1]:", s.HostKeyLine)
	}
	// A session left open while Stop runs: Stop must kill it too.
	bg := ssh(s, "sleep 60")
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	defer bg.Process.Kill()
	out, err := ssh(s, "echo ok").CombinedOutput()
	if err != nil || !bytes.Equal(out, []byte("ok\n")) {
		t.Fatalf("ssh echo ok = %q, %v, want \"ok\\n\"\nsshd log:\n%s", out, err, readFile(s.Log))
	}
	pids, err := s.Sessions()
	if err != nil || len(pids) == 0 {
		t.Fatalf("Sessions() = %v, %v, want the sleep's sshd processes", pids, err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, p := range pids {
		if st := procState(p); st != "" {
			t.Errorf("process %d left after Stop: state %s", p, st)
		}
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop() = %v, want nil", err)
	}
}

func TestKillSessions(t *testing.T) {
	s, err := sshtest.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	bg := ssh(s, "sleep 60")
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	defer bg.Process.Kill()
	// Wait until the session exists before cutting it.
	for i := 0; i < 500; i++ {
		if pids, _ := s.Sessions(); len(pids) >= 2 {
			break
		}
		exec.Command("sleep", "0.01").Run()
	}
	if err := s.KillSessions(); err != nil {
		t.Fatal(err)
	}
	if err := bg.Wait(); err == nil {
		t.Errorf("ssh sleep 60 after KillSessions: exit 0, want a cut connection")
	}
	// The listener survives and takes new logins.
	if out, err := ssh(s, "echo again").CombinedOutput(); err != nil {
		t.Errorf("ssh after KillSessions = %q, %v", out, err)
	}
}

func ssh(s *sshtest.Server, cmd string) *exec.Cmd {
	return exec.Command("ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-i", s.IdentityFile, "-o", "UserKnownHostsFile="+s.KnownHosts, "-o", "StrictHostKeyChecking=yes",
		"-p", strconv.Itoa(s.Port), s.User+"@127.0.0.1", cmd)
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

// procState is the state letter in /proc/PID/stat, or "" if PID is gone.
func procState(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(b, ')')
	return string(b[i+2 : i+3])
}
