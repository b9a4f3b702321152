package gztools

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"log/slog"

	"cntools/internal/node"
)

// Options say what to install where.
type Options struct {
	Root   string  // the node's root; every node path resolves under it
	Source *Source // from OpenSource
	Sdcadm string  // the sdcadm shar; "" means the source's, if any
	// SkipUsbkey leaves /usbkey and the mounted key alone: the conversion
	// builds its usbkey copy elsewhere, and a CN's /usbkey is on its ramdisk.
	SkipUsbkey bool
	Facts      node.Facts // for the server uuid in sdcadm.conf
	Now        func() time.Time
	Log        *slog.Logger
	// Stall, when not nil, is called at named points of Apply
	// ("tools-extract", "tools-swap"); tests block there and kill the run.
	Stall func(point string)
}

// path resolves a node path under the root.
func (o *Options) path(p string) string { return filepath.Join(o.Root, p) }

// Change is one thing Apply changes (or, planned, would change).
type Change struct {
	Type   string `json:"type"` // "change"
	What   string `json:"what"` // tools, gz-tools.image, cn_tools, scripts, sdcadm, ...
	Path   string `json:"path"` // node path
	Detail string `json:"detail"`
}

// step is one destination: what differs there, and how to fix it.
type step struct {
	what  string
	path  string
	diffs []Diff
	apply func(ctx context.Context) (detail string, err error)
}

// needed reports whether the step has something to fix; extra files
// alone are reported by Check, never removed.
func (s *step) needed() bool {
	for _, d := range s.diffs {
		if d.Kind != Extra {
			return true
		}
	}
	return false
}

// Plan is what a root needs to match a source.
type Plan struct {
	o     Options
	steps []*step
	notes []string
	tmp   string
}

// NewPlan compares the root with the source and returns what differs.
// It reads everything and writes only a temporary directory under the
// root's /var/tmp, which Close removes.
func NewPlan(ctx context.Context, o Options) (*Plan, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	p := &Plan{o: o}
	if err := os.MkdirAll(o.path("/var/tmp"), 0o1777); err != nil {
		return nil, err
	}
	var err error
	if p.tmp, err = os.MkdirTemp(o.path("/var/tmp"), "gztools-plan."); err != nil {
		return nil, err
	}
	for _, add := range []func(context.Context) error{p.planTools, p.planUsbkey, p.planSdcadm} {
		if err := add(ctx); err != nil {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

// Close removes the plan's temporary files.
func (p *Plan) Close() {
	if p.tmp != "" {
		os.RemoveAll(p.tmp)
	}
}

// Diffs lists every difference between the root and the source.
func (p *Plan) Diffs() []Diff {
	var ds []Diff
	for _, s := range p.steps {
		ds = append(ds, s.diffs...)
	}
	return ds
}

// Notes are things the operator should know, such as that sdcadm will not
// be installed.
func (p *Plan) Notes() []string { return p.notes }

// Changes lists what Apply would change.
func (p *Plan) Changes() []Change {
	var cs []Change
	for _, s := range p.steps {
		if s.needed() {
			cs = append(cs, Change{Type: "change", What: s.what, Path: s.path, Detail: s.describe()})
		}
	}
	return cs
}

// Apply makes the changes, in order: tools first, so that a failure later
// never leaves new scripts or sdcadm beside old tools.
func (p *Plan) Apply(ctx context.Context) ([]Change, error) {
	var done []Change
	for _, s := range p.steps {
		if !s.needed() {
			continue
		}
		p.o.Log.Info("installing", "what", s.what, "path", s.path)
		detail, err := s.apply(ctx)
		if err != nil {
			return done, fmt.Errorf("%s: %w", s.path, err)
		}
		if detail == "" {
			detail = s.describe()
		}
		done = append(done, Change{Type: "change", What: s.what, Path: s.path, Detail: detail})
	}
	return done, nil
}

// describe says what differs at the step's path: one word for a single
// file, counts for a tree.
func (s *step) describe() string {
	if len(s.diffs) == 1 && s.diffs[0].Path == s.path {
		switch s.diffs[0].Kind {
		case Content, Metadata:
			return "changed"
		default:
			return s.diffs[0].Kind
		}
	}
	return summarize(s.diffs)
}

// summarize counts diffs by kind: "3 missing, 1 changed".
func summarize(ds []Diff) string {
	n := map[string]int{}
	for _, d := range ds {
		k := d.Kind
		if k == Content || k == Metadata {
			k = "changed"
		}
		n[k]++
	}
	var parts []string
	for _, k := range []string{Incomplete, Missing, "changed", Extra} {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

func (o *Options) stall(point string) {
	if o.Stall != nil {
		o.Stall(point)
	}
}
