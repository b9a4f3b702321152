package testscripts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"

	"cntools/convert"
	"cntools/convert/converttest"
	"cntools/gztools"
	"cntools/usbkey/keycopy"
	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

func init() {
	builtins["mknode"] = mknode
	builtins["treemanifest"] = treemanifest
	builtins["afterreboot"] = afterreboot
	builtins["holdlock"] = holdlock
}

// holdlock [-tool TOOL] DIR [PID]: write the lock that lets one run of
// TOOL at a time change the node under DIR (convert-to-headnode's by
// default, or gztools-install's), as a running TOOL holds it: this test
// process, which is alive, or PID, which may be gone.
func holdlock(ts *testscript.TestScript, neg bool, args []string) {
	tool := "convert-to-headnode"
	if len(args) >= 2 && args[0] == "-tool" {
		tool, args = args[1], args[2:]
	}
	lockDir := map[string]string{"convert-to-headnode": convert.LockDir, "gztools-install": gztools.LockDir}[tool]
	if neg || len(args) < 1 || len(args) > 2 || lockDir == "" {
		ts.Fatalf("usage: holdlock [-tool convert-to-headnode|gztools-install] DIR [PID]")
	}
	dir := filepath.Join(ts.MkAbs(args[0]), lockDir)
	ts.Check(os.MkdirAll(dir, 0o755))
	holder := keycopy.Holder(tool)
	if len(args) == 2 {
		host, _ := os.Hostname()
		holder = fmt.Sprintf("%s pid %s on %s since 2026-01-01T00:00:00Z", tool, args[1], host)
	}
	ts.Check(os.WriteFile(filepath.Join(dir, keycopy.LockName), []byte(holder+"\n"), 0o644))
}

// afterreboot DIR: make the converted node under DIR what it is after its
// two headnode boots (headnode=true, zones/usbkey mounted and filled from
// the key, the gz tools and sdcadm that headnode.sh installs).
func afterreboot(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: afterreboot DIR")
	}
	ts.Check(converttest.AfterReboot(ts.MkAbs(args[0])))
}

// mknode DIR: write a simulated set-up CN under DIR (facts, a 4 GiB sparse
// key at /dev/rdsk/c1t0d0p0, a standby copy of the key content).
func mknode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mknode DIR")
	}
	ts.Check(converttest.WriteNode(ts.MkAbs(args[0])))
}

// treemanifest DIR OUT: write the manifest of DIR (every file's hash,
// mode and mtime) to OUT, to show that a run changed nothing. dev/, where
// the simulated node keeps its 4 GiB key, is left out: scripts check the
// key itself.
func treemanifest(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: treemanifest DIR OUT")
	}
	m, err := manifest.Build(context.Background(), keytree.Dir(ts.MkAbs(args[0])), manifest.Options{
		Exclude: func(p string) bool { return p == "dev" },
	})
	ts.Check(err)
	f, err := os.Create(ts.MkAbs(args[1]))
	ts.Check(err)
	defer f.Close()
	ts.Check(m.Encode(f))
}
