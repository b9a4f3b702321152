package gztools

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"strings"
	"time"

	"cntools/gztools/shar"
	"cntools/internal/node"
	"cntools/internal/progress"
	"cntools/internal/tarx"
	"cntools/usbkey/keycopy"
)

// Options are what a run takes besides the request and the node.
type Options struct {
	Now func() time.Time // time.Now when nil
	Log *slog.Logger     // no log when nil
	// Stall, when not nil, is called at named points of Apply
	// ("tools-extract", "tools-swap"). Tests block there and kill the
	// process, to see what an interrupted install leaves.
	Stall func(point string)
	// Meter, when not nil, starts a progress meter for the extraction of
	// what, total bytes of tarball.
	Meter func(what string, total int64) *progress.Meter
	// ReadOnly keeps NewPlan from writing anything but its own temporary
	// files (a dry run). Otherwise, unless the request is a Check,
	// NewPlan extracts tools.tar.gz beside /opt/smartdc as it compares
	// it, so the tarball is inflated once and Apply only swaps the tree
	// in; read-only, Apply extracts it again.
	ReadOnly bool
}

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
	note  string // what the step installs, before the summary of diffs
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

// Plan is what a node needs to match a source.
type Plan struct {
	req    Request
	n      *node.Node
	o      Options
	src    *Source
	sdcadm sdcadmSource
	steps  []*step
	notes  []string
	tmp    string
	staged string   // the destination a tree is staged beside, until it is swapped in
	made   []string // the directories made for it, deepest first
	unlock func()   // the node's gztools-install lock, held by a plan that writes
}

// LockDir is where a gztools-install that changes something takes its
// lock: a plan stages the new tools tree beside /opt/smartdc and holds it
// until Apply swaps it in (over a confirmation prompt), so a second run
// would remove or swap in the first one's half-written tree.
var LockDir = path.Join(node.StateDir, "gztools-install")

// lock takes the node's gztools-install lock for a plan that writes.
func (p *Plan) lock() (err error) {
	p.unlock, err = keycopy.LockRun(p.n.Path(LockDir), "gztools-install", "wait for it to finish")
	return err
}

// NewPlan opens the request's source on n, compares the node with it and
// returns what differs. It reads everything and writes temporary
// directories under the node's /var/tmp and, unless o.ReadOnly or a Check,
// the new tools tree in a staging directory beside /opt/smartdc, which
// Apply swaps in; Close removes what Apply did not use. It refuses a
// source that is not a gz-tools image or usbkey copy, or holds an archive
// that is hostile or corrupt (Refused says which errors those are).
func NewPlan(ctx context.Context, n *node.Node, req Request, o Options) (_ *Plan, err error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	p := &Plan{req: req, n: n, o: o}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	if !o.ReadOnly && !req.Check {
		if err := p.lock(); err != nil {
			return nil, err
		}
	}
	tmp := n.Path(node.TmpDir)
	if p.src, err = OpenSource(ctx, n.Path(req.SourcePath()), tmp); err != nil {
		return nil, err
	}
	p.sdcadm = chooseSdcadm(n, req, p.src)
	if err := os.MkdirAll(tmp, 0o1777); err != nil {
		return nil, err
	}
	if p.tmp, err = os.MkdirTemp(tmp, "gztools-plan."); err != nil {
		return nil, err
	}
	for _, add := range []func(context.Context) error{p.planTools, p.planUsbkey, p.planSdcadm} {
		if err := add(ctx); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Close removes the plan's temporary files, what opening the source
// extracted, and a staged tree that was not swapped in.
func (p *Plan) Close() {
	p.unstage()
	if p.tmp != "" {
		os.RemoveAll(p.tmp)
		p.tmp = ""
	}
	if p.src != nil {
		p.src.Close()
		p.src = nil
	}
	if p.unlock != nil {
		p.unlock()
		p.unlock = nil
	}
}

// unstage removes a tree staged but not swapped in, and what was made for
// it.
func (p *Plan) unstage() {
	if p.staged != "" {
		unstage(p.staged, p.made)
		p.staged, p.made = "", nil
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
		// An interrupt while the operator was asked (or between steps)
		// stops here: the swap of a staged tree takes no context.
		if err := ctx.Err(); err != nil {
			return done, fmt.Errorf("%s: not installed: %w", s.path, err)
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
	if s.note != "" {
		return s.note + ": " + s.describeDiffs()
	}
	return s.describeDiffs()
}

func (s *step) describeDiffs() string {
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

// Refused reports whether err is a refusal of the source (its layout, a
// hostile or corrupt archive, a shar without its payload) rather than a
// failure to read or write: the source is at fault, and nothing was
// installed from it.
func Refused(err error) bool {
	for _, e := range []error{tarx.ErrUnsafe, tarx.ErrUnsupported, tarx.ErrCorrupt, ErrNotGzTools, shar.ErrNoPayload} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
