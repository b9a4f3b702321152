// Package testscripts runs the tools the way an operator does, from
// testscripts/*.txtar, against real image files, real fsck.fat, sgdisk and
// mtools, and node facts written under a --root.
package testscripts

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"cntools/tools/cmd"
	"cntools/usbkey/keycopy"
)

func TestMain(m *testing.M) {
	tools := map[string]func(){}
	for _, n := range cmd.Names() {
		tools[n] = func() { cmd.OSMain(n) }
	}
	// A binary of its own, as cn_tools ships it.
	tools["usbkey-state"] = keycopy.Main
	testscript.Main(m, tools)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 ".",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("CNTOOLS_UPDATE") == "1",
		Setup: func(env *testscript.Env) error {
			// mtools refuses images whose geometry it finds odd unless told.
			env.Setenv("MTOOLS_SKIP_CHECK", "1")
			env.Setenv("NO_COLOR", "1")
			env.Setenv("PATH", env.Getenv("PATH")+":/usr/sbin:/sbin")
			// The shell tools shipped beside the binaries.
			wd, err := os.Getwd()
			if err != nil {
				return err
			}
			env.Setenv("SDCADM_SYNC", filepath.Join(wd, "..", "tools", "sdcadm-sync", "sdcadm-sync"))
			return nil
		},
		Cmds: builtins,
	})
}
