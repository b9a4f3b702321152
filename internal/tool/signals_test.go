package tool

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// blockedEnv makes the test binary a tool stuck where no context reaches:
// opening a FIFO no one writes to, as usbkey-status once was.
const blockedEnv = "CNTOOLS_TEST_BLOCKED_FIFO"

func TestMain(m *testing.M) {
	if fifo := os.Getenv(blockedEnv); fifo != "" {
		st := new(State)
		st.Set("reading " + fifo)
		_, stop := WatchSignals(context.Background(), "blocked", os.Stderr, st, os.Exit)
		defer stop()
		fmt.Fprintln(os.Stderr, "blocked: opening", fifo)
		f, err := os.Open(fifo) // blocks until a writer comes: none will
		if err == nil {
			f.Close()
		}
		os.Exit(ExitOK)
	}
	os.Exit(m.Run())
}

// TestSecondSignalEndsABlockedTool: the first SIGINT or SIGTERM says what
// the tool was doing and cannot end it (it ignores the context); the
// second ends it at once with exit status 2.
func TestSecondSignalEndsABlockedTool(t *testing.T) {
	for _, sigs := range [][2]syscall.Signal{
		{syscall.SIGINT, syscall.SIGINT},
		{syscall.SIGTERM, syscall.SIGTERM},
		{syscall.SIGINT, syscall.SIGTERM},
	} {
		t.Run(fmt.Sprintf("%v then %v", sigs[0], sigs[1]), func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := unix.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), blockedEnv+"="+fifo)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			lines := make(chan string, 10)
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			expect := func(want string) {
				t.Helper()
				select {
				case l := <-lines:
					if l != want {
						t.Fatalf("stderr line %q, want %q", l, want)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("no stderr line %q after 5 s", want)
				}
			}
			expect("blocked: opening " + fifo)
			// The handler is in place before that line; a little time lets
			// the open(2) start, so the signal finds the tool inside it.
			time.Sleep(50 * time.Millisecond)
			cmd.Process.Signal(sigs[0])
			name := map[syscall.Signal]string{syscall.SIGINT: "interrupted", syscall.SIGTERM: "terminated"}
			expect("blocked: " + name[sigs[0]] + " while reading " + fifo + ": stopping at the next safe point; send it again to stop at once")
			cmd.Process.Signal(sigs[1])
			expect("blocked: " + name[sigs[1]] + " again: stopping now")
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			select {
			case err := <-waited:
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != ExitError {
					t.Errorf("blocked tool after two signals: %v, want exit status %d", err, ExitError)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("blocked tool still running 5 s after the second signal")
			}
			for l := range lines {
				if strings.TrimSpace(l) != "" {
					t.Errorf("more on stderr: %q", l)
				}
			}
		})
	}
}

// Under -j what a signal makes a run say is a JSON object with its type
// first, as every line on stdout and the final error are.
func TestInterruptSaidAsJSON(t *testing.T) {
	var b strings.Builder
	st := new(State)
	st.say(&b, "usbkey-populate", "interrupted", "copying os/x", false)
	st.SetJSON(true)
	st.say(&b, "usbkey-populate", "interrupted", "copying os/x", false)
	st.say(&b, "usbkey-populate", "interrupted", "", true)
	want := "usbkey-populate: interrupted while copying os/x: stopping at the next safe point; send it again to stop at once\n" +
		`{"type":"interrupt","tool":"usbkey-populate","signal":"interrupted","doing":"copying os/x","stopping_now":false}` + "\n" +
		`{"type":"interrupt","tool":"usbkey-populate","signal":"interrupted","stopping_now":true}` + "\n"
	if b.String() != want {
		t.Errorf("said:\n%s\nwant:\n%s", b.String(), want)
	}
}
