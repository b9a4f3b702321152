package cmd

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"cntools/usbkey/bootfiles/bootfilestest"
)

// toolEnv makes the test binary run the tool it names, with the
// arguments in argsEnv (separated by tabs), as the installed binary would.
const (
	toolEnv = "CNTOOLS_TEST_TOOL"
	argsEnv = "CNTOOLS_TEST_TOOL_ARGS"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(toolEnv); name != "" {
		os.Args = append([]string{name}, strings.Split(os.Getenv(argsEnv), "\t")...)
		OSMain(name)
	}
	os.Exit(m.Run())
}

// openPTY returns a new pseudo-terminal's controlling side and its
// terminal, for a tool that asks only on a terminal.
func openPTY(t *testing.T) (ptm, pts *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptm.Close() })
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pts.Close() })
	return ptm, pts
}

// TestInterruptAtThePrompt: usbkey-format waits at its confirmation for a
// line from the terminal, a read no context reaches. The first Ctrl-C
// says so and cannot end it; the second ends it at once with exit 2, and
// the image it would have created does not exist.
func TestInterruptAtThePrompt(t *testing.T) {
	dir := t.TempDir()
	if err := bootfilestest.WriteDir(filepath.Join(dir, "boot")); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "key.img")
	_, pts := openPTY(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), toolEnv+"=usbkey-format",
		argsEnv+"="+strings.Join([]string{"--boot-dir", filepath.Join(dir, "boot"), "--size", "4gb", img}, "\t"))
	cmd.Stdin = pts
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitFor := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if strings.Contains(stderr.String(), want) {
				return
			}
		}
		t.Fatalf("no %q on stderr after 10 s; stderr:\n%s", want, stderr.String())
	}
	waitFor("Would you like to continue? [y/N] ")
	cmd.Process.Signal(os.Interrupt)
	waitFor("usbkey-format: interrupted: stopping at the next safe point; send it again to stop at once\n")
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("usbkey-format after two interrupts: %v, want exit status 2; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("usbkey-format still running 10 s after the second interrupt")
	}
	if !strings.HasSuffix(stderr.String(), "usbkey-format: interrupted again: stopping now\n") {
		t.Errorf("stderr ends %q, want the second interrupt said", stderr.String())
	}
	if _, err := os.Stat(img); err == nil {
		t.Errorf("%s exists after an interrupted confirmation", img)
	}
}

// syncBuffer is a bytes.Buffer the child's stderr copier writes while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
