package testscripts

import (
	"context"
	"os"
	"os/exec"

	"github.com/rogpeppe/go-internal/testscript"

	"cntools/convert/converttest"
	"cntools/usbkey/manifest"
)

func init() {
	builtins["mknode"] = mknode
	builtins["treemanifest"] = treemanifest
	builtins["mounttmpfs"] = mounttmpfs
}

// mounttmpfs DIR SIZE: mount a tmpfs of SIZE (as mount(8) takes it: 1m)
// on DIR, unmounted when the script ends, to run a node out of space.
// make test runs as root, as CI does.
func mounttmpfs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mounttmpfs DIR SIZE")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+args[1], "tmpfs", dir).CombinedOutput(); err != nil {
		ts.Fatalf("mount tmpfs on %s: %v: %s", dir, err, out)
	}
	ts.Defer(func() { exec.Command("umount", "-l", dir).Run() })
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
	m, err := manifest.Build(context.Background(), manifest.DirTree(ts.MkAbs(args[0])), manifest.Options{
		Exclude: func(p string) bool { return p == "dev" },
	})
	ts.Check(err)
	f, err := os.Create(ts.MkAbs(args[1]))
	ts.Check(err)
	defer f.Close()
	ts.Check(m.Encode(f))
}
