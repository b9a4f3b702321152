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
	if pendingSwap(dest) {
		s.diffs = append(s.diffs, Diff{Path: ToolsDir, Kind: Incomplete, Detail: "an interrupted install waits to be swapped in; run gztools-install to finish it"})
	}
	ds, err := checkTree(ctx, p.src.Tools, dest, ToolsDir, check)
	if err != nil {
		return err
	}
	s.diffs = append(s.diffs, ds...)
	s.apply = func(ctx context.Context) (string, error) {
		h := hooks{}
		n := 0
		h.afterEntry = func(*tarx.Entry) {
			if n++; n == 3 {
				p.o.stall("tools-extract")
			}
		}
		h.afterSwap = func(string) { p.o.stall("tools-swap") }
		if p.o.Meter != nil {
			if fi, err := os.Stat(p.src.Tools); err == nil {
				m := p.o.Meter("extracting "+filepath.Base(p.src.Tools), fi.Size())
				defer m.Done()
				h.progress = m
			}
		}
		kept, err := installTree(ctx, p.src.Tools, dest, h)
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
