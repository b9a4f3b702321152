package gztools

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"cntools/internal/node"
	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

// Where the headnode serves cn_tools.tar.gz from.
const (
	JoysetupDir = node.UsbkeyDir + "/extra/joysetup"
	// cnToolsBackups is how many cn_tools.<stamp>.tar.gz sdcadm's
	// removeOldCNToolsTarballs keeps.
	cnToolsBackups = 4
)

func (p *Plan) planUsbkey(ctx context.Context) error {
	if p.req.SkipUsbkey {
		return nil
	}
	if !isDir(p.n.Path(node.UsbkeyDir)) {
		p.notes = append(p.notes, fmt.Sprintf("no usbkey copy at %s: cn_tools.tar.gz and scripts/ not placed there", node.UsbkeyDir))
		return nil
	}
	if err := p.planCNTools(); err != nil {
		return err
	}
	for _, name := range []string{"joysetup.sh", "agentsetup.sh"} {
		if src := filepath.Join(p.src.Scripts, name); isFile(src) {
			if err := p.planFile("joysetup", src, path.Join(JoysetupDir, name), 0o755); err != nil {
				return err
			}
		}
	}
	copies := []string{node.UsbkeyDir}
	if isFile(p.n.Path(node.KeyMount + "/.joyliveusb")) {
		copies = append(copies, node.KeyMount)
	} else {
		p.notes = append(p.notes, fmt.Sprintf("no key mounted at %s: scripts/ updated on %s only", node.KeyMount, node.UsbkeyDir))
	}
	for _, c := range copies {
		if sameDir(p.n.Path(c), p.src.Dir) {
			continue // the source itself
		}
		if err := p.planScripts(ctx, c); err != nil {
			return err
		}
		for _, f := range []string{p.src.Tools, p.src.CNTools} {
			if err := p.planFile("file", f, path.Join(c, filepath.Base(f)), 0o644); err != nil {
				return err
			}
		}
		if p.src.Default != "" {
			ents, err := os.ReadDir(p.src.Default)
			if err != nil {
				return err
			}
			for _, e := range ents {
				if e.Type().IsRegular() {
					if err := p.planFile("file", filepath.Join(p.src.Default, e.Name()), path.Join(c, "default", e.Name()), 0o644); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// planCNTools places cn_tools.tar.gz where the headnode serves it, keeping
// the previous one as cn_tools.<stamp>.tar.gz as update-gz-tools and
// update_cn_tools do.
func (p *Plan) planCNTools() error {
	dst := path.Join(JoysetupDir, "cn_tools.tar.gz")
	same, err := sameFile(p.src.CNTools, p.n.Path(dst))
	if err != nil || same {
		return err
	}
	kind := Content
	if !exists(p.n.Path(dst)) {
		kind = Missing
	}
	p.steps = append(p.steps, &step{
		what:  "cn_tools",
		path:  dst,
		diffs: []Diff{{Path: dst, Kind: kind, Detail: "differs from the source's cn_tools.tar.gz"}},
		apply: func(context.Context) (string, error) {
			real := p.n.Path(dst)
			detail := "installed"
			if exists(real) {
				backup := fmt.Sprintf("cn_tools.%s.tar.gz", p.o.Now().UTC().Format("20060102T150405"))
				if err := os.Rename(real, filepath.Join(filepath.Dir(real), backup)); err != nil {
					return "", err
				}
				detail = "previous kept as " + backup
			}
			if err := installFile(p.src.CNTools, real, 0o644); err != nil {
				return "", err
			}
			return detail, pruneBackups(filepath.Dir(real))
		},
	})
	return nil
}

// pruneBackups keeps the newest cnToolsBackups cn_tools.<stamp>.tar.gz.
func pruneBackups(dir string) error {
	m, err := filepath.Glob(filepath.Join(dir, "cn_tools.*.tar.gz"))
	if err != nil {
		return err
	}
	sort.Strings(m) // the stamps sort by time
	for len(m) > cnToolsBackups {
		if err := os.Remove(m[0]); err != nil {
			return err
		}
		m = m[1:]
	}
	return nil
}

// planFile copies one file when its content differs.
func (p *Plan) planFile(what, src, dst string, mode fs.FileMode) error {
	same, err := sameFile(src, p.n.Path(dst))
	if err != nil || same {
		return err
	}
	kind := Content
	if !exists(p.n.Path(dst)) {
		kind = Missing
	}
	p.steps = append(p.steps, &step{
		what:  what,
		path:  dst,
		diffs: []Diff{{Path: dst, Kind: kind, Detail: "differs from the source's " + filepath.Base(src)}},
		apply: func(context.Context) (string, error) {
			return "", installFile(src, p.n.Path(dst), mode)
		},
	})
	return nil
}

// planScripts replaces scripts/ on one copy of the key, as update-gz-tools
// does (rm -rf, then cp -Rp), but through a staged copy and renames.
func (p *Plan) planScripts(ctx context.Context, copyDir string) error {
	dst := path.Join(copyDir, "scripts")
	real := p.n.Path(dst)
	src, err := manifest.Build(ctx, keytree.Dir(p.src.Scripts), manifest.Options{})
	if err != nil {
		return fmt.Errorf("%s: %w", p.src.Scripts, err)
	}
	have := &manifest.Manifest{}
	if isDir(real) {
		if have, err = manifest.Build(ctx, keytree.Dir(real), manifest.Options{}); err != nil {
			return fmt.Errorf("%s: %w", real, err)
		}
	}
	// The key is pcfs: no modes, 2 s times; times never count here.
	cmp := manifest.CompareOptions{IgnoreMTime: true, IgnoreMode: copyDir == node.KeyMount}
	var diffs []Diff
	for _, d := range manifest.Compare(src, have, cmp) {
		diffs = append(diffs, Diff{Path: path.Join(dst, d.Path), Kind: d.Kind, Detail: "differs from the source's scripts/"})
	}
	if !isDir(real) {
		diffs = []Diff{{Path: dst, Kind: Missing, Detail: "no scripts/"}}
	}
	if len(diffs) == 0 {
		return nil
	}
	p.steps = append(p.steps, &step{
		what:  "scripts",
		path:  dst,
		diffs: diffs,
		apply: func(context.Context) (string, error) { return "", replaceDir(p.src.Scripts, real) },
	})
	return nil
}

// replaceDir makes dst a copy of src: the copy is made beside it, then
// swapped in.
func replaceDir(src, dst string) error {
	dir, base := filepath.Split(dst)
	tmp, old := filepath.Join(dir, "."+base+".new"), filepath.Join(dir, "."+base+".old")
	for _, p := range []string{tmp, old} {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	if err := copyTree(src, tmp); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if exists(dst) {
		if err := os.Rename(dst, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// sameDir reports whether a and b are one directory.
func sameDir(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb) || strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}
