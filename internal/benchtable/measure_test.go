package benchtable

import (
	"context"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestMeasureRunsAtOnce(t *testing.T) {
	// Each waits for the other's file: run one after the other, they
	// would wait until the context ends them.
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wait := func(mine, theirs string) *exec.Cmd {
		return exec.CommandContext(ctx, "sh", "-c", `touch "$1"; while [ ! -e "$2" ]; do sleep 0.01; done`, "sh", dir+"/"+mine, dir+"/"+theirs)
	}
	s, err := Measure([]*exec.Cmd{wait("a", "b"), wait("b", "a")})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Stdout) != 2 {
		t.Errorf("%d outputs, want 2", len(s.Stdout))
	}
}

func TestMeasureCountsMemoryAndCPU(t *testing.T) {
	// A process that touches 64 MiB shows at least that much, and CPU.
	cmd := exec.Command("sh", "-c", "head -c 67108864 /dev/zero | tr '\\0' x | sort >/dev/null; echo done")
	s, err := Measure([]*exec.Cmd{cmd})
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxRSS < 32<<20 {
		t.Errorf("peak memory %d bytes, want the sort's tens of MiB (children counted)", s.MaxRSS)
	}
	if s.CPU <= 0 {
		t.Errorf("CPU %v, want some", s.CPU)
	}
	if s.Stdout[0] != "done\n" {
		t.Errorf("stdout %q", s.Stdout[0])
	}
}

func TestMeasureIsNotTheParentsMemory(t *testing.T) {
	// This process holds 256 MiB; a child that exec's true must not be
	// charged with it (Go's vfork and Linux's exec would do so).
	big := make([]byte, 256<<20)
	for i := range big {
		big[i] = byte(i)
	}
	s, err := Measure([]*exec.Cmd{exec.Command("true")})
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxRSS > 16<<20 {
		t.Errorf("true's peak memory %d MiB, want a few: the parent's was counted", s.MaxRSS>>20)
	}
	runtime.KeepAlive(big)
}

func TestMeasureRefusesAnUnexpectedExit(t *testing.T) {
	_, err := Measure([]*exec.Cmd{exec.Command("sh", "-c", "echo broken >&2; exit 3")})
	if err == nil || !strings.Contains(err.Error(), "exit 3") || !strings.Contains(err.Error(), "broken") {
		t.Errorf("err = %v, want the exit status and stderr", err)
	}
	if _, err := Measure([]*exec.Cmd{exec.Command("sh", "-c", "exit 1")}, 0, 1); err != nil {
		t.Errorf("exit 1 allowed: %v", err)
	}
	if _, err := Measure([]*exec.Cmd{exec.Command("/nonexistent/tool")}); err == nil {
		t.Error("a missing command measured")
	}
}
