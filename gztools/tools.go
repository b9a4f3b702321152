package gztools

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"cntools/internal/atomicfile"
	"cntools/internal/tarx"
)

// The node paths gz-tools are installed at and recorded in.
const (
	ToolsDir       = "/opt/smartdc"
	ImageFile      = "/opt/smartdc/etc/gz-tools.image" // where Triton records the gz-tools image uuid
	imageFileInTar = "etc/gz-tools.image"
)

// sdcadmLinks are the entries the sdcadm install adds among the tools.
var sdcadmLinks = map[string]string{
	"bin/sdcadm":        "/opt/smartdc/sdcadm/bin/sdcadm",
	"man/man1/sdcadm.1": "/opt/smartdc/sdcadm/man/man1/sdcadm.1",
}

func (p *Plan) planTools(ctx context.Context) error {
	dest := p.n.Path(ToolsDir)
	st, err := loadState(p.n.Path(stateFile))
	if err != nil {
		return err
	}
	check := treeCheck{
		extraOK: func(rel string) bool {
			if _, ok := sdcadmLinks[rel]; ok {
				return true
			}
			for r := rel; r != "."; r = path.Dir(r) {
				if st.kept[r] {
					return true
				}
			}
			return false
		},
	}
	if p.src.ImageUUID != "" {
		check.ignore = map[string]bool{imageFileInTar: true}
	}
	s := &step{what: "tools", path: ToolsDir}
	h := hooks{}
	n := 0
	h.afterEntry = func(*tarx.Entry) {
		if n++; n == 3 {
			p.o.stall("tools-extract")
		}
	}
	h.afterSwap = func(string) { p.o.stall("tools-swap") }
	if pendingSwap(dest) {
		s.diffs = append(s.diffs, Diff{Path: ToolsDir, Kind: Incomplete, Detail: "an interrupted install waits to be swapped in; run gztools-install to finish it"})
	}
	var ds []Diff
	if p.o.ReadOnly || p.req.Check || pendingSwap(dest) {
		// Compared now and extracted by Apply: the swap an interrupted
		// run left is finished first, with its own staged tree.
		ds, err = checkTree(ctx, p.src.Tools, dest, ToolsDir, check)
	} else {
		ds, err = p.stageTools(ctx, dest, check, h)
	}
	if err != nil {
		return err
	}
	s.diffs = append(s.diffs, ds...)
	if p.staged != "" && !s.needed() {
		p.unstage()
	}
	s.apply = func(ctx context.Context) (string, error) {
		var kept []string
		var err error
		if p.staged != "" {
			kept, err = swapTree(dest, h)
			p.staged, p.made = "", nil
		} else {
			done := p.meter(&h)
			kept, err = installTree(ctx, p.src.Tools, dest, h)
			done()
		}
		if err != nil {
			return "", err
		}
		if err := saveState(p.n.Path(stateFile), kept); err != nil {
			return "", err
		}
		return fmt.Sprintf("from %s: %s", filepath.Base(p.src.Tools), summarize(s.diffs)), nil
	}
	p.steps = append(p.steps, s)

	// The image uuid: tools.tar.gz carries it, but a gz-tools image's own
	// image_uuid is what update-gz-tools compares against.
	uuid := p.src.ImageUUID
	if uuid == "" {
		return nil
	}
	got, _ := os.ReadFile(p.n.Path(ImageFile))
	if strings.TrimSpace(string(got)) == uuid {
		return nil
	}
	kind := Content
	if got == nil {
		kind = Missing
	}
	p.steps = append(p.steps, &step{
		what:  "gz-tools.image",
		path:  ImageFile,
		diffs: []Diff{{Path: ImageFile, Kind: kind, Detail: fmt.Sprintf("want %s", uuid)}},
		apply: func(context.Context) (string, error) {
			if err := os.MkdirAll(filepath.Dir(p.n.Path(ImageFile)), 0o755); err != nil {
				return "", err
			}
			return "gz-tools image " + uuid, atomicfile.WriteFile(p.n.Path(ImageFile), []byte(uuid+"\n"), 0o644)
		},
	})
	return nil
}

// stageTools extracts tools.tar.gz beside dest and compares each entry
// with what dest holds as it is written: the tarball is inflated once,
// for the plan and the install. A tarball tarx refuses leaves nothing
// staged.
func (p *Plan) stageTools(ctx context.Context, dest string, check treeCheck, h hooks) ([]Diff, error) {
	c := newTreeDiff(dest, ToolsDir, filepath.Join(dest, stageDir, "tree"), check)
	defer c.close()
	stall := h.afterEntry
	h.content = c.begin
	h.afterEntry = func(e *tarx.Entry) {
		if err := c.end(e); err != nil && c.err == nil {
			c.err = err
		}
		stall(e)
	}
	done := p.meter(&h)
	_, made, err := stageTree(ctx, p.src.Tools, dest, h)
	done()
	if err != nil {
		return nil, err
	}
	p.staged, p.made = dest, made
	if c.err != nil {
		return nil, c.err
	}
	return c.finish()
}

// meter starts the progress meter of the tools' extraction, when there is
// one, and returns what stops it.
func (p *Plan) meter(h *hooks) func() {
	if p.o.Meter == nil {
		return func() {}
	}
	fi, err := os.Stat(p.src.Tools)
	if err != nil {
		return func() {}
	}
	m := p.o.Meter("extracting "+filepath.Base(p.src.Tools), fi.Size())
	h.progress = m
	return m.Done
}
