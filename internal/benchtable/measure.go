package benchtable

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// GNUTime is GNU time, which reports each process's peak memory.
//
// The benchmark cannot take ru_maxrss from its own wait4: Go starts a
// process with vfork semantics (CLONE_VM), and at exec Linux records the
// shared address space's high-water mark as the child's (fs/exec.c,
// setmax_mm_hiwater_rss), so every child showed the test binary's own
// 371 MiB. GNU time forks from a process of a few hundred KiB.
const GNUTime = "/usr/bin/time"

// Sample is one side of one round: the processes it ran, measured together.
type Sample struct {
	Wall   time.Duration // from the first start to the last exit
	CPU    time.Duration // user plus system time of every process and its children
	MaxRSS int64         // bytes: the peak resident sets of processes run at once, added
	Stdout []string      // each process's standard output
	Value  float64       // what a row counts instead of time (bytes on the wire), if any
}

// Measure starts cmds at once, waits for all of them, and measures them
// together. A process that exits with a status not in ok (0 when ok is
// empty) is an error that carries its stderr.
func Measure(cmds []*exec.Cmd, ok ...int) (Sample, error) {
	if len(ok) == 0 {
		ok = []int{0}
	}
	outs := make([]*bytes.Buffer, len(cmds))
	errs := make([]*bytes.Buffer, len(cmds))
	names := make([]string, len(cmds))
	rss := make([]string, len(cmds))
	dir, err := os.MkdirTemp("", "benchtable-")
	if err != nil {
		return Sample{}, err
	}
	defer os.RemoveAll(dir)
	for i, c := range cmds {
		names[i] = strings.Join(c.Args, " ")
		rss[i] = filepath.Join(dir, strconv.Itoa(i))
		c.Args = append([]string{GNUTime, "-q", "-f", "%M", "-o", rss[i], c.Path}, c.Args[1:]...)
		c.Path = GNUTime
	}
	start := time.Now()
	for i, c := range cmds {
		outs[i], errs[i] = new(bytes.Buffer), new(bytes.Buffer)
		c.Stdout, c.Stderr = outs[i], errs[i]
		if err := c.Start(); err != nil {
			for _, started := range cmds[:i] {
				started.Process.Kill()
				started.Wait()
			}
			return Sample{}, fmt.Errorf("%s: %w", names[i], err)
		}
	}
	var s Sample
	var failed []error
	for i, c := range cmds {
		err := c.Wait()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			failed = append(failed, fmt.Errorf("%s: %w", names[i], err))
			continue
		}
		if code := c.ProcessState.ExitCode(); !contains(ok, code) {
			failed = append(failed, fmt.Errorf("%s: exit %d, want %v: %s", names[i], code, ok, tail(errs[i].String())))
		}
		if ru, _ := c.ProcessState.SysUsage().(*syscall.Rusage); ru != nil {
			// wait4's times cover the process and the children it
			// waited for (rsync's ssh, sh's commands).
			s.CPU += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
		// GNU time's %M is the largest ru_maxrss of the command and
		// the children it waited for, in KiB.
		kib, err := readKiB(rss[i])
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: peak memory: %w", names[i], err))
		}
		s.MaxRSS += kib << 10
		s.Stdout = append(s.Stdout, outs[i].String())
	}
	s.Wall = time.Since(start)
	return s, errors.Join(failed...)
}

func contains(codes []int, c int) bool {
	for _, x := range codes {
		if x == c {
			return true
		}
	}
	return false
}

// tail is the end of a process's stderr, enough to say why it failed.
func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

// readKiB reads the one number GNU time wrote to p.
func readKiB(p string) (int64, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 0, fmt.Errorf("%s: GNU time wrote nothing", p)
	}
	return strconv.ParseInt(fields[len(fields)-1], 10, 64)
}
