package testscripts

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"cntools/gztools"
	"cntools/gztools/gztoolstest"
	"cntools/internal/node"
	"cntools/internal/tarx"
)

func init() {
	// As testscript.Main does for the tools, but for a program only the
	// tests have: the test binary, run as killinstall's child.
	if filepath.Base(os.Args[0]) == killedInstall {
		os.Exit(runKilledInstall(os.Args[1:]))
	}
	builtins["mkgztools"] = mkgztools
	builtins["lstree"] = lstree
	builtins["killinstall"] = killinstall
}

// mkgztools makes what gztools-install reads, from Go code (txtar holds
// no binary tarballs):
//
//	mkgztools image FILE VERSION UUID       a gz-tools-<stamp>.tgz
//	mkgztools usbkey DIR VERSION UUID [STAMP] a usbkey copy's gz-tools parts (and sdcadm-install.sh)
//	mkgztools shar FILE STAMP               an sdcadm shar as tools/mk-shar lays it out
//	mkgztools sdcadm-tgz FILE STAMP         a deployed sdcadm packed as usbkey-sync hook sdcadm packs it
//	mkgztools sdcadm-tree DIR STAMP         a deployed sdcadm tree, as sdcadm self-update leaves /opt/smartdc/sdcadm
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
	case "sdcadm-tgz":
		if len(args) != 3 {
			ts.Fatalf("usage: mkgztools sdcadm-tgz FILE STAMP")
		}
		ts.Check(os.MkdirAll(filepath.Dir(ts.MkAbs(args[1])), 0o755))
		ts.Check(gztoolstest.WriteTarGz(ts.MkAbs(args[1]), gztoolstest.SdcadmContents(args[2])))
	case "sdcadm-tree":
		if len(args) != 3 {
			ts.Fatalf("usage: mkgztools sdcadm-tree DIR STAMP")
		}
		dir := ts.MkAbs(args[1])
		tgz := dir + ".tgz"
		ts.Check(os.MkdirAll(filepath.Dir(dir), 0o755))
		ts.Check(gztoolstest.WriteTarGz(tgz, gztoolstest.SdcadmContents(args[2])))
		ts.Check(os.RemoveAll(dir))
		_, err := tarx.ExtractFile(context.Background(), tgz, dir, tarx.Options{})
		ts.Check(err)
		ts.Check(os.Remove(tgz))
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

// killedInstall is the name the test binary runs under as the child of
// killinstall. The stall hook it needs is the library's (gztools.Options),
// which the shipped gztools-install does not expose.
const killedInstall = "gztools-install-killed"

// killinstall POINT ROOT FROM: install FROM on the node at ROOT, as
// gztools-install --root ROOT --from FROM -y does, in a child process that
// is killed (SIGKILL) when the install reaches POINT ("tools-extract",
// "tools-swap", "sdcadm-archived"): a crash at a known place, not after a guessed delay. It
// prints the command line the killed run stands for.
func killinstall(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: killinstall POINT ROOT FROM")
	}
	point, root, from := args[0], args[1], args[2]
	exe, err := os.Executable()
	ts.Check(err)
	var stderr bytes.Buffer
	cmd := &exec.Cmd{Path: exe, Args: []string{killedInstall, point, root, from}, Dir: ts.MkAbs("."), Stderr: &stderr}
	out, err := cmd.StdoutPipe()
	ts.Check(err)
	ts.Check(cmd.Start())
	reached := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		reached <- line == "stalled at "+point+"\n"
	}()
	select {
	case ok := <-reached:
		if !ok {
			cmd.Wait()
			ts.Fatalf("the install ended before it reached %s: %s", point, stderr.String())
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		ts.Fatalf("the install did not reach %s within a minute: %s", point, stderr.String())
	}
	ts.Check(cmd.Process.Kill())
	cmd.Wait() // "signal: killed"
	fmt.Fprintf(ts.Stdout(), "killed at %s: %s\n", point, killedRequest(from).CommandLine(node.New(root)))
}

func killedRequest(from string) gztools.Request { return gztools.Request{From: from, Yes: true} }

// runKilledInstall is the child of killinstall: it plans and applies the
// install, and at POINT says so on stdout and waits to be killed.
func runKilledInstall(args []string) int {
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: "+killedInstall+" POINT ROOT FROM")
		return 2
	}
	point, root, from := args[0], args[1], args[2]
	stall := func(p string) {
		if p != point {
			return
		}
		fmt.Printf("stalled at %s\n", p)
		for {
			time.Sleep(time.Hour) // until killed
		}
	}
	ctx := context.Background()
	plan, err := gztools.NewPlan(ctx, node.New(root), killedRequest(from), gztools.Options{Stall: stall})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer plan.Close()
	if _, err := plan.Apply(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Fprintln(os.Stderr, "the install finished")
	return 0
}
