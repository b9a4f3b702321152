package convert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"cntools/internal/atomicfile"
	"cntools/internal/node"
	"cntools/usbkey/config"
	"cntools/usbkey/keytree"
)

// seedExtra copies standby/extra into usbkey/extra: what the key cannot
// carry, which CN setup downloads from the headnode (agentsetup.sh fetches
// extra/agents/latest). A file already there stays unless the standby's is
// newer and differs: headnode.sh made some of it (extra/joysetup) on the
// second boot. Symlinks (agents/latest) are made as they are. With check,
// nothing is written; the result is what would be seeded.
func seedExtra(standby, usbkey string, check bool) ([]string, error) {
	src := keytree.Dir(filepath.Join(standby, "extra"))
	defer src.Close()
	if _, err := src.Lstat(""); errors.Is(err, fs.ErrNotExist) {
		return nil, nil // a standby copy without extra/ has nothing to seed
	}
	es, err := keytree.Walk(context.Background(), src)
	if err != nil {
		return nil, err
	}
	dst := filepath.Join(usbkey, "extra")
	var seeded []string
	for _, e := range es {
		to := filepath.Join(dst, filepath.FromSlash(e.Path))
		have, err := os.Lstat(to)
		switch {
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return seeded, err
		case e.IsDir():
			if err == nil {
				continue
			}
		case e.IsSymlink():
			if err == nil {
				continue // headnode.sh or an operator made it: theirs
			}
		case !e.Mode.IsRegular():
			continue // keytree lists nothing else, but never copy it
		case err == nil && (!e.MTime.After(have.ModTime()) || sameContent(filepath.Join(standby, "extra", e.Path), to)):
			continue
		}
		seeded = append(seeded, e.Path)
		if check {
			continue
		}
		if err := seedOne(src, e, to); err != nil {
			return seeded, fmt.Errorf("seed extra/%s: %w", e.Path, err)
		}
	}
	return seeded, nil
}

func seedOne(src keytree.Tree, e keytree.Entry, to string) error {
	switch {
	case e.IsDir():
		return os.MkdirAll(to, 0o755)
	case e.IsSymlink():
		tmp := filepath.Join(filepath.Dir(to), atomicfile.TempName(filepath.Base(to)))
		if err := os.Symlink(e.Target, tmp); err != nil {
			return err
		}
		return os.Rename(tmp, to)
	}
	r, err := src.Open(e.Path)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := atomicfile.Create(to, e.Mode.Perm())
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := io.Copy(f, r); err != nil {
		return err
	}
	f.SetModTime(e.MTime)
	return f.Commit()
}

func sameContent(a, b string) bool {
	x, err := os.ReadFile(a)
	if err != nil {
		return false
	}
	y, err := os.ReadFile(b)
	return err == nil && string(x) == string(y)
}

// joysetupConfig is what CNs fetch at setup and at every boot (sdc-cnapi
// lib/workflows/server-setup.js 136-148; illumos-joyent smartdc-init
// install_config 163-164).
const joysetupConfig = node.UsbkeyDir + "/extra/joysetup/node.config"

// rewriteJoysetup makes extra/joysetup/node.config name this node's admin
// IP wherever it named the old headnode's (ntp_hosts, from the old
// compute_node_ntp_hosts: sdc-headnode scripts/headnode.sh 350-399). The
// old headnode's admin IP is the standby copy's admin_ip. With check, it
// reports whether it would change the file.
func rewriteJoysetup(ctx context.Context, o *Options, check bool) (bool, error) {
	p := o.Node.Path(joysetupConfig)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	old, err := os.ReadFile(o.Node.Path(o.from() + "/config"))
	if err != nil {
		return false, err
	}
	hn, err := config.Parse(old)
	if err != nil {
		return false, fmt.Errorf("%s/config: %w", o.from(), err)
	}
	oldIP, _, _ := hn.Get("admin_ip")
	si, err := o.Node.Facts.Sysinfo(ctx)
	if err != nil {
		return false, err
	}
	newIP := si.AdminIP()
	if oldIP == "" || newIP == "" || oldIP == newIP {
		return false, nil
	}
	f, err := config.Parse(b)
	if err != nil {
		return false, fmt.Errorf("%s: %w", joysetupConfig, err)
	}
	changed := false
	for _, k := range f.Keys() {
		v, _, _ := f.Get(k)
		if nv := replaceIP(v, oldIP, newIP); nv != v {
			if err := f.Set(k, nv); err != nil {
				return false, fmt.Errorf("%s: %w", joysetupConfig, err)
			}
			changed = true
		}
	}
	if !changed || check {
		return changed, nil
	}
	// The rewrite keeps the file's mode: it is what the headnode serves
	// CNs, as headnode.sh made it.
	fi, err := os.Stat(p)
	if err != nil {
		return false, err
	}
	return true, atomicfile.WriteFile(p, f.Bytes(), fi.Mode().Perm())
}

// replaceIP swaps ip old for new in a comma- or space-separated list.
func replaceIP(list, old, new string) string {
	fields := strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' })
	hit := false
	for i, f := range fields {
		if f == old {
			fields[i], hit = new, true
		}
	}
	if !hit {
		return list
	}
	sep := ","
	if !strings.Contains(list, ",") {
		sep = " "
	}
	return strings.Join(fields, sep)
}

// moveAside is mv; a file already moved is done.
func moveAside(from, to string) error {
	err := os.Rename(from, to)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// removeCopy removes the conversion's scratch copy once /usbkey, filled
// from the key by fs-joyent, holds every file of it with the same size:
// until then the copy may be the only complete one on this node.
func removeCopy(o *Options) error {
	cp := o.Node.Path(node.CopyDir)
	if !exists(cp) {
		return nil
	}
	src := keytree.Dir(cp)
	defer src.Close()
	es, err := keytree.Walk(context.Background(), src)
	if err != nil {
		return err
	}
	usbkey := o.Node.Path(node.UsbkeyDir)
	for _, e := range es {
		if !e.Mode.IsRegular() || strings.HasPrefix(e.Path, ".") {
			continue // the marker and manifest stay on the key; fs-joyent skips dot-files
		}
		fi, err := os.Stat(filepath.Join(usbkey, filepath.FromSlash(e.Path)))
		if err != nil || fi.Size() != e.Size {
			return fmt.Errorf("%s/%s is not in %s as the copy has it: keeping %s; check that fs-joyent filled /usbkey from the key", node.CopyDir, e.Path, node.UsbkeyDir, node.CopyDir)
		}
	}
	return os.RemoveAll(cp)
}
