package tool

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// State is what a run is doing now, in a few words ("formatting
// /dev/rdsk/c1t0d0p0"), for the line an interrupt prints. Commands set it
// through Env.Doing; the zero value says nothing.
type State struct {
	mu      sync.Mutex
	doing   string
	json    bool // the run prints JSON: so does what a signal says
	cleanup []func()
}

// SetJSON says the run prints JSON (-j), so that what a signal makes it
// say is a JSON object too.
func (s *State) SetJSON(on bool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.json = on
	s.mu.Unlock()
}

func (s *State) isJSON() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.json
}

// say writes what a signal makes the run say: a line, or under -j a JSON
// object with its type first.
func (s *State) say(w io.Writer, name, signal, doing string, now bool) {
	if s.isJSON() {
		json.NewEncoder(w).Encode(struct {
			Type   string `json:"type"`
			Tool   string `json:"tool"`
			Signal string `json:"signal"`
			Doing  string `json:"doing,omitempty"`
			Now    bool   `json:"stopping_now"`
		}{"interrupt", name, signal, doing, now})
		return
	}
	if now {
		fmt.Fprintf(w, "%s: %s again: stopping now\n", name, signal)
		return
	}
	if doing != "" {
		doing = " while " + doing
	}
	fmt.Fprintf(w, "%s: %s%s: stopping at the next safe point; send it again to stop at once\n", name, signal, doing)
}

// AtHardExit registers f to run when a second signal ends the run at once,
// for what must not outlive it (an image file the run created). f runs on
// the signal's goroutine while the run is still going, so it must be safe
// to call concurrently with it, and quick.
func (s *State) AtHardExit(f func()) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.cleanup = append(s.cleanup, f)
	s.mu.Unlock()
}

func (s *State) hardExit() {
	if s == nil {
		return
	}
	s.mu.Lock()
	fs := s.cleanup
	s.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// Set records what the run is doing now; "" clears it.
func (s *State) Set(doing string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.doing = doing
	s.mu.Unlock()
}

func (s *State) get() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doing
}

// WatchSignals makes SIGINT and SIGTERM stop the run named name.
//
// The first cancels the context it returns, so the run stops at its next
// safe point, and says on stderr what the run was doing and that a second
// one stops it at once. The second calls exit(ExitError) without waiting:
// a run blocked where no context reaches (an open(2) of a FIFO, a hung
// device, an unanswered read) still ends, so SIGKILL is never the only
// way out. stop restores the default handling.
func WatchSignals(parent context.Context, name string, stderr io.Writer, st *State, exit func(int)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			st.say(stderr, name, signalName(sig), st.get(), false)
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-ch:
			st.say(stderr, name, signalName(sig), "", true)
			st.hardExit()
			exit(ExitError)
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel()
		})
	}
}

func signalName(sig os.Signal) string {
	if sig == os.Interrupt {
		return "interrupted"
	}
	return "terminated"
}
