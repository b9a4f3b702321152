package gztools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"cntools/gztools/shar"
	"cntools/internal/atomicfile"
	"cntools/internal/node"
	"cntools/internal/tarx"
)

// Where install-sdcadm.sh puts sdcadm.
const (
	SdcadmDir      = node.SdcadmDir
	SdcadmConf     = "/var/sdcadm/sdcadm.conf"
	selfUpdatesDir = "/var/sdcadm/self-updates"
	smfManifest    = "/var/svc/manifest/site/sdcadm-setup.xml"
	// selfUpdatesKept is how many archived trees install-sdcadm.sh keeps.
	selfUpdatesKept = 5
)

func (p *Plan) planSdcadm(ctx context.Context) error {
	sh := p.sdcadm.path
	if sh == "" {
		p.notes = append(p.notes, "sdcadm not installed: the source has no sdcadm-install.sh or "+SdcadmTarballDir+"/sdcadm-*.tgz; pass --sdcadm SHAR")
		return nil
	}
	tgz := sh
	if !p.sdcadm.tarball {
		f, err := os.Open(sh)
		if err != nil {
			return fmt.Errorf("sdcadm shar: %w", err)
		}
		payload, err := shar.Payload(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", sh, err)
		}
		tgz = filepath.Join(p.tmp, shar.PayloadName)
		if err := os.WriteFile(tgz, payload, 0o600); err != nil {
			return err
		}
	}
	if p.sdcadm.version == "" {
		v, err := tgzVersion(tgz)
		if err != nil {
			return fmt.Errorf("%s: %w", sh, err)
		}
		p.sdcadm.version = v
	}
	p.o.Log.Info("sdcadm to install", "version", p.sdcadm.version, "from", p.sdcadm.from)
	si, err := p.n.Facts.Sysinfo(ctx)
	if err != nil {
		return fmt.Errorf("sdcadm.conf needs this server's uuid: %w", err)
	}
	uuid := si.UUID()
	if uuid == "" {
		return fmt.Errorf("sdcadm.conf needs this server's uuid: sysinfo has no UUID")
	}

	dest := p.n.Path(SdcadmDir)
	s := &step{what: "sdcadm", path: SdcadmDir, note: p.sdcadm.String()}
	if exists(dest+".new") || (!exists(dest) && exists(dest+".old")) {
		s.diffs = append(s.diffs, Diff{Path: SdcadmDir, Kind: Incomplete, Detail: "an interrupted install left sdcadm.new or sdcadm.old; run gztools-install to finish it"})
	}
	ds, err := checkTree(ctx, tgz, dest, SdcadmDir, treeCheck{})
	if err != nil {
		return fmt.Errorf("%s: %w", sh, err)
	}
	if !isDir(dest) {
		ds = []Diff{{Path: SdcadmDir, Kind: Missing, Detail: "sdcadm not installed"}}
	}
	s.diffs = append(s.diffs, ds...)
	s.apply = func(ctx context.Context) (string, error) { return p.installSdcadm(ctx, tgz) }
	p.steps = append(p.steps, s)

	// A run killed after the tree was swapped in but before the SMF
	// manifest was in place leaves a whole tree and no manifest: it is a
	// change of its own, not part of the tree's.
	if len(s.diffs) == 0 {
		src := filepath.Join(dest, "smf/manifests/sdcadm-setup.xml")
		if a, err := fileSum(src); err == nil {
			if b, err := fileSum(p.n.Path(smfManifest)); err != nil || a != b {
				p.steps = append(p.steps, &step{
					what:  "sdcadm",
					path:  smfManifest,
					diffs: []Diff{{Path: smfManifest, Kind: Missing, Detail: "sdcadm-setup SMF manifest not in place"}},
					apply: func(context.Context) (string, error) { return "", installFile(src, p.n.Path(smfManifest), 0o444) },
				})
			}
		}
	}

	for _, rel := range sortedLinks() {
		target := sdcadmLinks[rel]
		link := filepath.Join(ToolsDir, rel)
		if got, err := os.Readlink(p.n.Path(link)); err != nil || got != target {
			p.steps = append(p.steps, &step{
				what:  "sdcadm",
				path:  link,
				diffs: []Diff{{Path: link, Kind: Missing, Detail: "want a symlink to " + target}},
				apply: func(context.Context) (string, error) { return "-> " + target, symlinkOver(target, p.n.Path(link)) },
			})
		}
	}
	if err := p.planConf(uuid); err != nil {
		return err
	}
	return nil
}

func sortedLinks() []string {
	var names []string
	for n := range sdcadmLinks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// installSdcadm lays out contents.tgz as install-sdcadm.sh does: extract
// into sdcadm.new, archive the old tree under /var/sdcadm/self-updates,
// swap through sdcadm.old. A run that died between the two renames left
// no sdcadm and a sdcadm.old: that is put back first, as the script's
// trap would have.
func (p *Plan) installSdcadm(ctx context.Context, tgz string) (string, error) {
	dest := p.n.Path(SdcadmDir)
	newDir, oldDir := dest+".new", dest+".old"
	if !exists(dest) && exists(oldDir) {
		if err := os.Rename(oldDir, dest); err != nil {
			return "", err
		}
	}
	for _, d := range []string{newDir, oldDir} {
		if err := os.RemoveAll(d); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return "", err
	}
	if _, err := tarx.ExtractFile(ctx, tgz, newDir, tarx.Options{}); err != nil {
		return "", err
	}
	if err := os.Chmod(newDir, 0o755); err != nil {
		return "", err
	}
	detail := p.sdcadm.String()
	if isDir(dest) {
		archive, err := p.archiveSdcadm(dest)
		if err != nil {
			return "", fmt.Errorf("archive the previous sdcadm: %w", err)
		}
		old := strings.TrimSpace(readString(filepath.Join(dest, "etc/buildstamp")))
		if v, err := SdcadmVersion(dest); err == nil {
			old = v
		}
		detail += fmt.Sprintf(" (previous %s archived in %s)", old, filepath.Join(selfUpdatesDir, filepath.Base(archive)))
		if err := syncAll(); err != nil {
			return "", err
		}
		p.o.stall("sdcadm-archived")
		if err := os.Rename(dest, oldDir); err != nil {
			return "", err
		}
	}
	if err := os.Rename(newDir, dest); err != nil {
		return "", err
	}
	if err := os.RemoveAll(oldDir); err != nil {
		return "", err
	}
	// install-sdcadm.sh runs svccfg import; here the manifest is put
	// where SMF's manifest-import finds it at the next boot.
	if src := filepath.Join(dest, "smf/manifests/sdcadm-setup.xml"); isFile(src) {
		if err := installFile(src, p.n.Path(smfManifest), 0o444); err != nil {
			return "", err
		}
	}
	p.o.Log.Info("installed sdcadm", "version", p.sdcadm.version, "from", p.sdcadm.from)
	return detail, nil
}

// archiveSdcadm copies the sdcadm at dest into a new stamped directory of
// self-updates, as install-sdcadm.sh does, and returns it. When the newest
// archive there already holds this sdcadm (the same buildstamp), that one
// is returned instead: a run killed between the archive and the swap
// would otherwise archive it again at every rerun, and pruning to
// selfUpdatesKept would push real older versions out. The copy is made
// under a dot-name and renamed, so a kill mid-copy leaves no archive that
// looks whole (and the next run removes it).
func (p *Plan) archiveSdcadm(dest string) (string, error) {
	dir := p.n.Path(selfUpdatesDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	newest := ""
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return "", err
			}
			continue
		}
		newest = max(newest, e.Name())
	}
	stamp := strings.TrimSpace(readString(filepath.Join(dest, "etc/buildstamp")))
	if newest != "" && stamp != "" && strings.TrimSpace(readString(filepath.Join(dir, newest, "sdcadm/etc/buildstamp"))) == stamp {
		p.o.Log.Info("previous sdcadm already archived", "archive", filepath.Join(dir, newest), "buildstamp", stamp)
		return filepath.Join(dir, newest), nil
	}
	name := p.o.Now().UTC().Format("20060102T150405Z")
	// Two archives within a second (an install right after another)
	// must not collide; the suffix still sorts after the stamp.
	for i := 1; exists(filepath.Join(dir, name)); i++ {
		name = p.o.Now().UTC().Format("20060102T150405Z") + fmt.Sprintf("-%d", i)
	}
	archive, partial := filepath.Join(dir, name), filepath.Join(dir, "."+name+".partial")
	if err := os.Mkdir(partial, 0o755); err != nil {
		return "", err
	}
	if err := copyTree(dest, filepath.Join(partial, "sdcadm")); err != nil {
		os.RemoveAll(partial)
		return "", err
	}
	if err := syncAll(); err != nil {
		return "", err
	}
	if err := os.Rename(partial, archive); err != nil {
		return "", err
	}
	if err := pruneDirs(dir, selfUpdatesKept); err != nil {
		return "", err
	}
	return archive, nil
}

// planConf sets serverUuid in sdcadm.conf, keeping what else it holds.
func (p *Plan) planConf(uuid string) error {
	conf := map[string]any{}
	b, err := os.ReadFile(p.n.Path(SdcadmConf))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(b, &conf); err != nil {
			return fmt.Errorf("%s: %w; fix or remove it", SdcadmConf, err)
		}
	}
	if conf["serverUuid"] == uuid {
		return nil
	}
	conf["serverUuid"] = uuid
	out, err := json.MarshalIndent(conf, "", "    ")
	if err != nil {
		return err
	}
	kind := Content
	if b == nil {
		kind = Missing
	}
	p.steps = append(p.steps, &step{
		what:  "sdcadm.conf",
		path:  SdcadmConf,
		diffs: []Diff{{Path: SdcadmConf, Kind: kind, Detail: "want serverUuid " + uuid}},
		apply: func(context.Context) (string, error) {
			if err := os.MkdirAll(filepath.Dir(p.n.Path(SdcadmConf)), 0o755); err != nil {
				return "", err
			}
			return "serverUuid " + uuid, atomicfile.WriteFile(p.n.Path(SdcadmConf), append(out, '\n'), 0o644)
		},
	})
	return nil
}

// symlinkOver points link at target, replacing what link was, by a rename
// so that the link never goes missing.
func symlinkOver(target, link string) error {
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return err
	}
	tmp := link + ".gztools-install"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, link)
}

// pruneDirs keeps the newest n entries of dir (their names are stamps).
func pruneDirs(dir string, n int) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for len(names) > n {
		if err := os.RemoveAll(filepath.Join(dir, names[0])); err != nil {
			return err
		}
		names = names[1:]
	}
	return nil
}
