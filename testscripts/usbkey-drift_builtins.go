package testscripts

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() {
	builtins["mtimes"] = mtimes
	builtins["remotedrift"] = remotedrift
}

// mtimes DIR TIME: set the mtime of DIR and everything under it (symlinks
// excepted) to TIME (RFC 3339), so that copies made by cp, which does not
// keep mtimes, compare equal and goldens hold fixed times.
func mtimes(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mtimes DIR TIME")
	}
	t, err := time.Parse(time.RFC3339, args[1])
	ts.Check(err)
	ts.Check(filepath.WalkDir(ts.MkAbs(args[0]), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, t, t)
	}))
}

// remotedrift NAME: make usbkey-drift callable in the sessions of sshd NAME,
// as on a CN where the toolkit is installed (sessionBin). It runs
// `manifest --no-cache`, so the test machine's /var/cache is left alone.
func remotedrift(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: remotedrift NAME")
	}
	real, err := exec.LookPath("usbkey-drift")
	ts.Check(err)
	wrapper := fmt.Sprintf("#!/bin/sh\n[ \"$1\" = manifest ] || exit 2\nexec %q manifest --no-cache \"$2\"\n", real)
	ts.Check(os.WriteFile(filepath.Join(sessionBin(ts, args[0]), "usbkey-drift"), []byte(wrapper), 0o755))
}
