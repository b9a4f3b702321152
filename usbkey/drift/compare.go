package drift

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"cntools/usbkey/config"
	"cntools/usbkey/manifest"
)

// Options say what counts as drift.
type Options struct {
	// All reports what the copy rules make different by design (see the
	// package comment): top-level dot-files, private/, and extra/ and
	// os/latest between a key and a copy that is not one. Directory
	// mtimes are never compared.
	All bool
	// IgnoreMTime does not compare file mtimes at all, for copies made
	// by tools that do not keep them.
	IgnoreMTime bool
}

// fatWindow is the mtime resolution of FAT.
const fatWindow = 2 * time.Second

// Report is the result of comparing copies with the first.
type Report struct {
	Reference string  // the reference copy's name
	Pairs     []*Pair // one per other copy, in the order given
}

// Pair is what differs between the reference and one other copy.
type Pair struct {
	Copy   string  // the other copy's name
	Drifts []Drift // in canonical path order
}

// Drift is one path that differs. Kind is manifest's: manifest.Missing (in
// the reference, not in the copy), manifest.Extra, manifest.Content or
// manifest.Metadata.
type Drift struct {
	Path       string
	Kind       string
	Ref, Other *manifest.Entry // nil on the side that lacks the path
	// Config lists the keys that differ, for a config file whose content
	// differs; secrets are masked by config.Change itself.
	Config []config.Change
	// ConfigNote says why the keys of a changed config file are not
	// listed. It never holds a value from the file.
	ConfigNote string
}

// InStep reports whether every copy matched the reference.
func (r *Report) InStep() bool {
	for _, p := range r.Pairs {
		if len(p.Drifts) > 0 {
			return false
		}
	}
	return true
}

// Count is the number of differences over all copies.
func (r *Report) Count() int {
	n := 0
	for _, p := range r.Pairs {
		n += len(p.Drifts)
	}
	return n
}

// Compare compares each of copies with ref.
func Compare(ref *Copy, copies []*Copy, o Options) *Report {
	r := &Report{Reference: ref.Name}
	for _, c := range copies {
		r.Pairs = append(r.Pairs, comparePair(ref, c, o))
	}
	return r
}

func comparePair(ref, c *Copy, o Options) *Pair {
	fat := ref.FAT || c.FAT
	co := manifest.CompareOptions{IgnoreMTime: o.IgnoreMTime}
	if fat {
		co.IgnoreMode, co.MTimeWindow = true, fatWindow
	}
	keyPair := ref.Key != c.Key
	p := &Pair{Copy: c.Name}
	for _, d := range manifest.Compare(ref.Manifest, c.Manifest, co) {
		if !o.All && ignored(d.Path, keyPair) {
			continue
		}
		if d.Kind == manifest.Metadata && d.A.Type == manifest.TypeDir && d.B.Type == manifest.TypeDir &&
			(co.IgnoreMode || d.A.Mode == d.B.Mode) {
			continue // only the directory's mtime differs
		}
		dr := Drift{Path: d.Path, Kind: d.Kind, Ref: d.A, Other: d.B}
		if d.Kind == manifest.Content && isConfigFile(d.Path) && d.A.Type == manifest.TypeFile && d.B.Type == manifest.TypeFile {
			dr.Config, dr.ConfigNote = configChanges(ref, c, d.A.Path, d.B.Path)
		}
		p.Drifts = append(p.Drifts, dr)
	}
	return p
}

// ignored reports whether p differs between copies by design.
func ignored(p string, keyPair bool) bool {
	top, _, _ := strings.Cut(p, "/")
	switch {
	case strings.HasPrefix(top, "."):
		return true
	case strings.EqualFold(top, "private"):
		return true
	case keyPair && strings.EqualFold(top, "extra"):
		return true
	case keyPair && strings.EqualFold(p, "os/latest"):
		return true
	}
	return false
}

// configChanges lists the keys that differ between the two copies' config
// file. A file that does not parse is named by side and line only: the
// parse error could quote a secret.
func configChanges(ref, c *Copy, refPath, otherPath string) ([]config.Change, string) {
	a, ok := ref.Configs[refPath]
	if !ok {
		return nil, "keys not compared: " + noConfigReason(ref)
	}
	b, ok := c.Configs[otherPath]
	if !ok {
		return nil, "keys not compared: " + noConfigReason(c)
	}
	fa, err := config.Parse(a)
	if err != nil {
		return nil, "keys not compared: " + parseNote(ref.Name, err)
	}
	fb, err := config.Parse(b)
	if err != nil {
		return nil, "keys not compared: " + parseNote(c.Name, err)
	}
	ch := config.Diff(fa, fb)
	if len(ch) == 0 {
		return nil, "same keys and values; only comments, order or quoting differ"
	}
	return ch, ""
}

func noConfigReason(c *Copy) string {
	if c.ConfigErr != "" {
		return c.Name + ": " + c.ConfigErr
	}
	return c.Name + ": not read"
}

func parseNote(name string, err error) string {
	var pe *config.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s: line %d does not parse", name, pe.Line)
	}
	return name + ": does not parse"
}
