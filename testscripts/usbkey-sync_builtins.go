package testscripts

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"cntools/internal/atomicfile"
)

func init() {
	builtins["tmpfs"] = tmpfsCmd
	builtins["waittmp"] = waittmp
	builtins["remotesync"] = remotesync
}

// remotesync NAME [CMD...]: make usbkey-sync and usbkey-state (or the
// CMDs named) callable in the sessions of sshd NAME, as on a CN where
// cn_tools.tar.gz is installed.
func remotesync(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: remotesync NAME [CMD...]")
	}
	cmds := args[1:]
	if len(cmds) == 0 {
		cmds = []string{"usbkey-sync", "usbkey-state"}
	}
	bin := sessionBin(ts, args[0])
	for _, c := range cmds {
		real, err := exec.LookPath(c)
		ts.Check(err)
		ts.Check(os.Symlink(real, filepath.Join(bin, c)))
	}
}

// sessionBin returns a directory first in the PATH of sshd NAME's
// sessions (sshtest's SessionEnv).
func sessionBin(ts *testscript.TestScript, name string) string {
	dir := filepath.Join(ts.Getenv("WORK"), "sshd-"+name)
	servers.Lock()
	s := servers.m[dir]
	servers.Unlock()
	if s == nil {
		ts.Fatalf("no sshd %s: sshd start %s first", name, name)
	}
	bin := filepath.Join(dir, "bin")
	ts.Check(os.MkdirAll(bin, 0o755))
	ts.Check(s.SessionEnv("PATH=" + bin + ":$PATH"))
	return bin
}

// tmpfs DIR SIZE: mount a tmpfs of SIZE (e.g. 1m) on DIR, unmounted when
// the script ends, so a target fills up as a real disk does.
func tmpfsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tmpfs DIR SIZE")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+args[1], "tmpfs", dir).CombinedOutput(); err != nil {
		ts.Fatalf("mount tmpfs on %s: %v: %s", dir, err, out)
	}
	ts.Defer(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			ts.Logf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// waittmp DIR: wait (up to 60 s) until a sync's temporary file under DIR
// holds data, so a test cuts the connection in the middle of a transfer
// rather than after a guessed delay.
func waittmp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waittmp DIR [NAME]")
	}
	dir := ts.MkAbs(args[0])
	// With NAME, only the temporary file of that file counts: a small
	// file's, written and renamed in a moment, says nothing of a big one.
	of := func(string) bool { return true }
	if len(args) == 2 {
		of = func(tmp string) bool { return strings.HasPrefix(tmp, "."+args[1]+".") }
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		found := false
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && atomicfile.IsTemp(d.Name()) && of(d.Name()) {
				if fi, err := d.Info(); err == nil && fi.Size() > 0 {
					found = true
					return filepath.SkipAll
				}
			}
			return nil
		})
		if found {
			return
		}
	}
	ts.Fatalf("%s: no temporary file with data after 60 s", args[0])
}
