package testscripts

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"cntools/usbkey/bootfiles/bootfilestest"
	"cntools/usbkey/parttable"
)

var builtins = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"exitcode": exitcode,
	"mkboot":   mkboot,
	"sparse":   sparse,
	"partcopy": partcopy,
	"bytesat":  bytesat,
}

// exitcode N prog args...: run prog and require exit status N exactly;
// testscript's exec only tells success from failure (go-internal#271).
func exitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N prog [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// mkboot dir|tgz PATH: write a synthetic platform boot tree.
func mkboot(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkboot dir|tgz PATH")
	}
	switch args[0] {
	case "dir":
		ts.Check(bootfilestest.WriteDir(ts.MkAbs(args[1])))
	case "tgz":
		ts.Check(bootfilestest.WriteTarball(ts.MkAbs(args[1])))
	default:
		ts.Fatalf("mkboot: %q is neither dir nor tgz", args[0])
	}
}

// sparse FILE SIZE: create a sparse file, standing in for a disk.
func sparse(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sparse FILE SIZE")
	}
	size, err := strconv.ParseInt(args[1], 0, 64)
	ts.Check(err)
	p := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(p[:strings.LastIndexByte(p, '/')], 0o755))
	f, err := os.Create(p)
	ts.Check(err)
	ts.Check(f.Truncate(size))
	ts.Check(f.Close())
}

// partcopy IMAGE INDEX OUT: copy GPT partition INDEX of IMAGE to OUT,
// keeping holes, so fsck.fat can check a filesystem inside an image.
func partcopy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: partcopy IMAGE INDEX OUT")
	}
	idx, err := strconv.Atoi(args[1])
	ts.Check(err)
	in, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer in.Close()
	fi, err := in.Stat()
	ts.Check(err)
	g, err := parttable.ReadGPT(in, uint64(fi.Size()/512))
	ts.Check(err)
	x := g.Entries[idx].Extent()
	out, err := os.Create(ts.MkAbs(args[2]))
	ts.Check(err)
	defer out.Close()
	size := int64(x.Size) * 512
	ts.Check(out.Truncate(size))
	buf := make([]byte, 1<<20)
	zero := make([]byte, len(buf))
	r := io.NewSectionReader(in, int64(x.Start)*512, size)
	for off := int64(0); off < size; {
		n, err := r.ReadAt(buf, off)
		if n > 0 && !bytes.Equal(buf[:n], zero[:n]) {
			_, werr := out.WriteAt(buf[:n], off)
			ts.Check(werr)
		}
		off += int64(n)
		if err == io.EOF {
			break
		}
		ts.Check(err)
	}
}

// bytesat FILE OFFSET HEX: the bytes at OFFSET are HEX.
func bytesat(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: bytesat FILE OFFSET HEX")
	}
	off, err := strconv.ParseInt(args[1], 0, 64)
	ts.Check(err)
	want, err := hex.DecodeString(strings.ReplaceAll(args[2], " ", ""))
	ts.Check(err)
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	got := make([]byte, len(want))
	_, err = f.ReadAt(got, off)
	ts.Check(err)
	if eq := bytes.Equal(got, want); eq == neg {
		ts.Fatalf("%s at %#x: %x (want %s%x)", args[0], off, got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}
