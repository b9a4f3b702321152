package drift

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"cntools/usbkey/config"
	"cntools/usbkey/keycopy"
	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

// codes are the first column of the text report.
var codes = map[string]string{
	manifest.Missing:  "-", // in the reference, not in the copy
	manifest.Extra:    "+", // in the copy, not in the reference
	manifest.Content:  "M",
	manifest.Metadata: "m", // mode or mtime only
}

// indent puts config key lines under the path column.
const indent = "     "

// WriteText writes the human report: one line per path, a code column then
// the path, and under a config file the keys that differ. Nothing at all
// when the copies are in step. With more than one copy compared, each
// copy's lines follow a "NAME (against REF):" line.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, p := range r.Pairs {
		if len(p.Drifts) == 0 {
			continue
		}
		if len(r.Pairs) > 1 {
			fmt.Fprintf(bw, "%s (against %s):\n", p.Copy, r.Reference)
		}
		for i := range p.Drifts {
			writeDriftText(bw, "", &p.Drifts[i])
		}
	}
	return bw.Flush()
}

// writeDriftText writes one drifted path, each line after prefix.
func writeDriftText(w *bufio.Writer, prefix string, d *Drift) {
	fmt.Fprintf(w, "%s%-4s %s", prefix, codes[d.Kind], d.Path)
	if d.Kind == manifest.Metadata {
		fmt.Fprintf(w, " (%s)", strings.Join(metadataDetail(d.Ref, d.Other), ", "))
	}
	w.WriteByte('\n')
	for _, c := range d.Config {
		w.WriteString(prefix + indent + c.String() + "\n")
	}
	if d.ConfigNote != "" {
		w.WriteString(prefix + indent + "(" + d.ConfigNote + ")\n")
	}
}

// metadataDetail says which of mode and mtime differ, reference first.
func metadataDetail(a, b *manifest.Entry) []string {
	var out []string
	if a.Mode != b.Mode {
		out = append(out, "mode "+modeString(a.Mode)+" -> "+modeString(b.Mode))
	}
	if !a.MTime.Equal(b.MTime) {
		out = append(out, "mtime "+a.MTime.Format(timeLayout)+" -> "+b.MTime.Format(timeLayout))
	}
	return out
}

// modeString is the mode in octal as chmod takes it, as manifests write it.
func modeString(m fs.FileMode) string { return fmt.Sprintf("%04o", keycopy.UnixMode(m)) }

const timeLayout = "2006-01-02T15:04:05Z"

// The JSON report is NDJSON, one object per line, each with a "type":
//
//	{"type":"drift","reference":R,"copy":C,"path":P,"kind":"content","in_reference":{...},"in_copy":{...}}
//	{"type":"config-change","reference":R,"copy":C,"path":"config","key":K,"change":"changed","old":O,"new":N}
//	{"type":"summary","reference":R,"copies":[C...],"differences":N,"in_step":false}
//
// Secret values are "**redacted**" (config.Value marshals them so).
type jsonEntry struct {
	Type   string `json:"type"`
	Size   *int64 `json:"size,omitempty"`
	Mode   string `json:"mode"`
	MTime  string `json:"mtime"`
	Target string `json:"target,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

type jsonDrift struct {
	Type        string     `json:"type"`
	Reference   string     `json:"reference"`
	Copy        string     `json:"copy"`
	Path        string     `json:"path"`
	Kind        string     `json:"kind"`
	InReference *jsonEntry `json:"in_reference,omitempty"`
	InCopy      *jsonEntry `json:"in_copy,omitempty"`
	ConfigNote  string     `json:"config_note,omitempty"`
}

type jsonChange struct {
	Type      string            `json:"type"`
	Reference string            `json:"reference"`
	Copy      string            `json:"copy"`
	Path      string            `json:"path"`
	Key       string            `json:"key"`
	Change    config.ChangeKind `json:"change"`
	Old       *config.Value     `json:"old,omitempty"`
	New       *config.Value     `json:"new,omitempty"`
}

type jsonSummary struct {
	Type        string   `json:"type"`
	Reference   string   `json:"reference"`
	Copies      []string `json:"copies"`
	Differences int      `json:"differences"`
	InStep      bool     `json:"in_step"`
}

// WriteJSON writes the report as NDJSON, ending with a summary object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	sum := jsonSummary{Type: "summary", Reference: r.Reference, Copies: []string{}, Differences: r.Count(), InStep: r.InStep()}
	for _, p := range r.Pairs {
		sum.Copies = append(sum.Copies, p.Copy)
		for i := range p.Drifts {
			if err := encodeDrift(enc, r.Reference, p.Copy, &p.Drifts[i]); err != nil {
				return err
			}
		}
	}
	return enc.Encode(sum)
}

// encodeDrift writes one drifted path and its config changes.
func encodeDrift(enc *json.Encoder, ref, copyName string, d *Drift) error {
	j := jsonDrift{Type: "drift", Reference: ref, Copy: copyName, Path: d.Path, Kind: d.Kind,
		InReference: entryJSON(d.Ref), InCopy: entryJSON(d.Other), ConfigNote: d.ConfigNote}
	if err := enc.Encode(j); err != nil {
		return err
	}
	for _, c := range d.Config {
		jc := jsonChange{Type: "config-change", Reference: ref, Copy: copyName, Path: d.Path, Key: c.Key, Change: c.Kind}
		if c.Kind != config.Added {
			jc.Old = &c.Old
		}
		if c.Kind != config.Removed {
			jc.New = &c.New
		}
		if err := enc.Encode(jc); err != nil {
			return err
		}
	}
	return nil
}

func entryJSON(e *manifest.Entry) *jsonEntry {
	if e == nil {
		return nil
	}
	j := &jsonEntry{Type: e.Type, Mode: modeString(e.Mode), MTime: e.MTime.UTC().Format(timeLayout), Target: e.Target, SHA256: e.SHA256}
	if keytree.Secret(e.Path) {
		// stdout is often kept in a file: no hash of what holds secrets
		// (see keytree.ShownSum).
		j.SHA256 = ""
	}
	if e.Type == manifest.TypeFile {
		size := e.Size
		j.Size = &size
	}
	return j
}
