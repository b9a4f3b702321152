package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"cntools/internal/atomicfile"
	"cntools/internal/node"
)

// JournalPath is where a conversion records its progress, under the root.
const JournalPath = node.StateDir + "/convert-to-headnode.json"

// Journal records which steps are done, written (atomically) after each
// one and before the next begins.
type Journal struct {
	Version  int                  `json:"version"`
	Started  time.Time            `json:"started"`
	Key      string               `json:"key,omitempty"`
	BootPool string               `json:"bootpool,omitempty"`
	From     string               `json:"from"`
	Steps    map[string]time.Time `json:"steps"` // step name -> when it was done
	path     string
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

// StepOrder is the order steps run in, for showing a journal.
var StepOrder = []string{"usbkey-copy", "format-key", "populate-key", "gztools", "usbkey-config", "node-config"}

func (j *Journal) mark(step string, at time.Time) error {
	j.Steps[step] = at.UTC()
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
