package convert

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"cntools/internal/node"
	"cntools/usbkey/keycopy"
)

// State is where a conversion stands on a node: its journal, finish's,
// whether a run holds the lock now, and the command that goes on from
// here.
type State struct {
	Type       string      `json:"type"`              // "status"
	Running    string      `json:"running,omitempty"` // the lock's holder, while a run goes on
	Conversion *StepsState `json:"conversion,omitempty"`
	Finish     *StepsState `json:"finish,omitempty"`
	Next       string      `json:"next"` // what to do now, in words
	Command    string      `json:"command,omitempty"`
}

// StepsState is one journal, for showing: every step in order.
type StepsState struct {
	Started time.Time   `json:"started"`
	Key     string      `json:"key,omitempty"`
	Pool    string      `json:"bootpool,omitempty"`
	From    string      `json:"from,omitempty"`
	Steps   []StepState `json:"steps"`
	Failed  *Failure    `json:"failed,omitempty"`
}

// StepState is one step: done (with when), failed, or to do.
type StepState struct {
	Name   string     `json:"name"`
	Status string     `json:"status"` // "done", "failed" or "to do"
	At     *time.Time `json:"at,omitempty"`
}

// Complete reports whether every step is done.
func (s *StepsState) Complete() bool {
	for _, st := range s.Steps {
		if st.Status != "done" {
			return false
		}
	}
	return true
}

func stepsState(j *Journal, order []string) *StepsState {
	s := &StepsState{Started: j.Started, Key: j.Key, Pool: j.BootPool, From: cmp.Or(j.From, node.StandbyDir), Failed: j.Failed}
	for name := range j.Steps {
		if !slices.Contains(order, name) {
			order = append(order, name)
		}
	}
	for _, name := range order {
		st := StepState{Name: name, Status: "to do"}
		if at, ok := j.Steps[name]; ok {
			st.Status, st.At = "done", &at
		} else if j.Failed != nil && j.Failed.Step == name {
			st.Status = "failed"
		}
		s.Steps = append(s.Steps, st)
	}
	return s
}

// ReadState reads where the conversion on o's node stands. It changes
// nothing and takes no lock.
func ReadState(o *Options) (*State, error) {
	st := &State{Type: "status"}
	if b, err := os.ReadFile(filepath.Join(o.Node.Path(LockDir), keycopy.LockName)); err == nil {
		if h := strings.TrimSpace(string(b)); !keycopy.Stale(h) {
			st.Running = h
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	cj, err := loadJournal(o.journalPath())
	if err != nil {
		return nil, err
	}
	fj, err := loadJournal(o.Node.Path(FinishJournalPath))
	if err != nil {
		return nil, err
	}
	if cj != nil {
		order := StepOrder
		if cj.BootPool != "" {
			order = bootPoolOrder
		}
		st.Conversion = stepsState(cj, slices.Clone(order))
	}
	if fj != nil {
		st.Finish = stepsState(fj, slices.Clone(FinishOrder))
	}
	tool := func(args ...string) string { return o.Node.ToolLine("convert-to-headnode", args...) }
	switch {
	case st.Running != "":
		st.Next = "a run is going on now (" + st.Running + "): wait for it"
	case st.Conversion == nil && st.Finish == nil:
		st.Next = "no conversion has started on this node: see the plan first"
		st.Command = tool("-n")
	case st.Finish != nil && st.Finish.Complete():
		st.Next = "the conversion and finish are done: this node is the headnode; see finish's list of what is left to do by hand"
	case st.Finish != nil:
		st.Next = "finish stopped before its end: continue it"
		if st.Finish.Failed != nil {
			st.Next = "finish failed at step " + st.Finish.Failed.Step + ": mend what the error says, then continue it"
		}
		st.Command = tool("-y", "finish")
	case st.Conversion.Complete():
		st.Next = "the key is ready: reboot from it; after the second headnode boot the finish service runs finish, or run it by hand"
		st.Command = tool("-y", "finish")
	default:
		st.Next = "the conversion stopped before its end: continue it from the first step not done"
		if st.Conversion.Failed != nil {
			st.Next = "the conversion failed at step " + st.Conversion.Failed.Step + ": mend what the error says, then continue it"
		}
		st.Command = tool("-y")
	}
	return st, nil
}
