package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"cntools/internal/atomicfile"
	"cntools/internal/node"
)

// JournalPath is where a conversion records its progress, under the root.
const JournalPath = node.StateDir + "/convert-to-headnode.json"

// Journal records which steps are done, written (atomically) after each
// one and before the next begins.
type Journal struct {
	Version   int                  `json:"version"`
	Started   time.Time            `json:"started"`
	Key       string               `json:"key,omitempty"`
	BootPool  string               `json:"bootpool,omitempty"`
	From      string               `json:"from"`
	Platforms []string             `json:"platforms,omitempty"`
	Steps     map[string]time.Time `json:"steps"` // step name -> when it was done
	// Failed is the step that failed last, until a run gets past it.
	Failed *Failure `json:"failed,omitempty"`
	path   string
}

// Failure is a step that failed: when, and the error as the operator saw
// it (errors never carry secrets).
type Failure struct {
	Step  string    `json:"step"`
	At    time.Time `json:"at"`
	Error string    `json:"error"`
}

func loadJournal(path string) (*Journal, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var j Journal
	if err := json.Unmarshal(b, &j); err != nil || j.Version != 1 {
		return nil, fmt.Errorf("journal %s is damaged or from another version: run with --restart to start over", path)
	}
	j.path = path
	if j.Steps == nil {
		j.Steps = map[string]time.Time{}
	}
	return &j, nil
}

func (j *Journal) done(step string) bool { _, ok := j.Steps[step]; return ok }

// StepOrder is the order a conversion to a key runs its steps in.
var StepOrder = []string{"usbkey-copy", "format-key", "populate-key", "finish-service"}

// bootPoolOrder is a boot-pool conversion's.
var bootPoolOrder = []string{"usbkey-copy", "boot-dataset", "populate-key", "installboot", "bootfs", "finish-service"}

// Order is the steps of the journal's conversion, for showing it: the
// fixed ones, then any others it journaled, in the order they were done.
func (j *Journal) Order() []string {
	order := StepOrder
	if j.BootPool != "" {
		order = bootPoolOrder
	}
	out := append([]string{}, order...)
	var more []string
	for name := range j.Steps {
		if !slices.Contains(out, name) {
			more = append(more, name)
		}
	}
	sort.Slice(more, func(a, b int) bool { return j.Steps[more[a]].Before(j.Steps[more[b]]) })
	return append(out, more...)
}

func (j *Journal) mark(step string, at time.Time) error {
	j.Steps[step] = at.UTC()
	if j.Failed != nil && j.Failed.Step == step {
		j.Failed = nil
	}
	return j.save()
}

// fail records that step failed with err, for status to say.
func (j *Journal) fail(step string, err error, at time.Time) error {
	j.Failed = &Failure{Step: step, At: at.UTC(), Error: err.Error()}
	return j.save()
}

func (j *Journal) save() error {
	if err := os.MkdirAll(filepath.Dir(j.path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(j.path, append(b, '\n'), 0o644)
}
