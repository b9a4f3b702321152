package gztools

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"cntools/internal/atomicfile"
	"cntools/internal/node"
)

// stateFile records what the last install kept of the old tool tree, so
// that Check reports as extra only what appeared after it.
const stateFile = node.StateDir + "/gztools-install.json"

type state struct {
	Kept []string `json:"kept"`
	kept map[string]bool
}

func loadState(p string) (*state, error) {
	st := &state{kept: map[string]bool{}}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("%s: %w; remove it and run gztools-install again", p, err)
	}
	for _, k := range st.Kept {
		st.kept[k] = true
	}
	return st, nil
}

func saveState(p string, kept []string) error {
	if kept == nil {
		kept = []string{}
	}
	b, err := json.MarshalIndent(state{Kept: kept}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(p, append(b, '\n'), 0o644)
}
