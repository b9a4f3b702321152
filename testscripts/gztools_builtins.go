package testscripts

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"cntools/gztools/gztoolstest"
)

func init() {
	builtins["mkgztools"] = mkgztools
	builtins["lstree"] = lstree
	builtins["waitfile"] = waitfile
}

// mkgztools makes what gztools-install reads, from Go code (txtar holds
// no binary tarballs):
//
//	mkgztools image FILE VERSION UUID       a gz-tools-<stamp>.tgz
//	mkgztools usbkey DIR VERSION UUID [STAMP] a usbkey copy's gz-tools parts (and sdcadm-install.sh)
//	mkgztools shar FILE STAMP               an sdcadm shar as tools/mk-shar lays it out
//	mkgztools hostile NAME FILE             a tarball gztools-install must refuse
//	mkgztools tgz FILE NAME=BODY...         a tarball of plain files
func mkgztools(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: mkgztools image|usbkey|shar|hostile|tgz ...")
	}
	switch args[0] {
	case "image":
		if len(args) != 4 {
			ts.Fatalf("usage: mkgztools image FILE VERSION UUID")
		}
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), gztoolstest.GzToolsImage(args[2], args[3]), 0o644))
	case "usbkey":
		if len(args) != 4 && len(args) != 5 {
			ts.Fatalf("usage: mkgztools usbkey DIR VERSION UUID [SDCADM-STAMP]")
		}
		stamp := ""
		if len(args) == 5 {
			stamp = args[4]
		}
		ts.Check(gztoolstest.WriteUsbkeyCopy(ts.MkAbs(args[1]), args[2], args[3], stamp))
	case "shar":
		if len(args) != 3 {
			ts.Fatalf("usage: mkgztools shar FILE STAMP")
		}
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), gztoolstest.SdcadmShar(args[2]), 0o755))
	case "hostile":
		if len(args) != 3 {
			ts.Fatalf("usage: mkgztools hostile NAME FILE (names: %s)", strings.Join(gztoolstest.HostileNames(), " "))
		}
		b, ok := gztoolstest.Hostile()[args[1]]
		if !ok {
			ts.Fatalf("no hostile tarball %q (names: %s)", args[1], strings.Join(gztoolstest.HostileNames(), " "))
		}
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), b, 0o644))
	case "tgz":
		var es []gztoolstest.Entry
		for _, a := range args[2:] {
			name, body, _ := strings.Cut(a, "=")
			es = append(es, gztoolstest.File(name, 0o644, body))
		}
		ts.Check(gztoolstest.WriteTarGz(ts.MkAbs(args[1]), es))
	default:
		ts.Fatalf("mkgztools: unknown kind %q", args[0])
	}
}

// lstree DIR: list DIR's tree, one entry a line, sorted: type and mode as
// ls -l spells them, size of files, path, and symlink target, for golden
// files.
func lstree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: lstree DIR")
	}
	root := ts.MkAbs(args[0])
	ts.Check(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		var line string
		switch {
		case fi.Mode().IsRegular():
			line = fmt.Sprintf("%s %6d %s", lsMode(fi.Mode()), fi.Size(), filepath.ToSlash(rel))
		case fi.Mode()&fs.ModeSymlink != 0:
			t, _ := os.Readlink(p)
			line = fmt.Sprintf("%s %6s %s -> %s", lsMode(fi.Mode()), "", filepath.ToSlash(rel), t)
		default:
			line = fmt.Sprintf("%s %6s %s/", lsMode(fi.Mode()), "", filepath.ToSlash(rel))
		}
		fmt.Fprintln(ts.Stdout(), line)
		return nil
	}))
}

func lsMode(m fs.FileMode) string {
	b := []byte("-rwxrwxrwx")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	}
	for i := 0; i < 9; i++ {
		if m&(1<<uint(8-i)) == 0 {
			b[i+1] = '-'
		}
	}
	if m&fs.ModeSetuid != 0 {
		b[3] = 's'
	}
	return string(b)
}

// waitfile FILE: wait up to a minute for FILE to exist (a background tool
// reaching the point where a test will kill it).
func waitfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("%s did not appear within a minute", args[0])
}
