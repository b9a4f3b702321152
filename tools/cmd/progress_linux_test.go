package cmd

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestProgressOnATerminal runs usbkey-populate with its stderr on a real
// pseudo-terminal, as an operator's would be: it draws a bar with bytes,
// rate and ETA, redrawn in place; the same run off a terminal draws none.
func TestProgressOnATerminal(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	big := bytes.Repeat([]byte("platform"), 8<<20/8) // 8 MiB
	for p, body := range map[string][]byte{
		"config": []byte("hostname=hn\n"), "config.inc/generic": []byte("x\n"), "scripts/headnode.sh": []byte("#!/bin/sh\n"),
		"tools.tar.gz": []byte("t"), "cn_tools.tar.gz": []byte("c"),
		"boot/loader.conf": []byte("platform-version=\"20260301T000000Z\"\n"),
		"os/20260301T000000Z/platform/i86pc/amd64/boot_archive": big,
	} {
		f := filepath.Join(src, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(f), 0o755)
		if err := os.WriteFile(f, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(stderr *os.File) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), toolEnv+"=usbkey-populate",
			argsEnv+"="+strings.Join([]string{"--from", src, "--mkdir", "-y", dst}, "\t"))
		cmd.Stderr = stderr
		if out, err := cmd.Output(); err != nil {
			t.Fatalf("usbkey-populate: %v\n%s", err, out)
		}
	}

	ptm, pts := openPTY(t)
	got := make(chan string)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for {
			n, err := ptm.Read(buf) // EIO once the terminal side is closed
			b.Write(buf[:n])
			if err != nil {
				got <- b.String()
				return
			}
		}
	}()
	run(pts)
	pts.Close()
	var out string
	select {
	case out = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal's output never ended")
	}
	for _, want := range []string{"populating " + dst, "100%", "MiB", "\r"} {
		if !strings.Contains(out, want) {
			t.Errorf("the terminal shows no %q:\n%q", want, out)
		}
	}

	// Off a terminal: no bar, no carriage returns.
	os.RemoveAll(dst)
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	run(f)
	f.Seek(0, io.SeekStart)
	b, _ := io.ReadAll(f)
	if bytes.Contains(b, []byte("\r")) || bytes.Contains(b, []byte("|")) {
		t.Errorf("a bar off a terminal:\n%q", b)
	}
}
