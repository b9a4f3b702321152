package cmd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cntools/internal/sshconn/sshtest"
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

	out := onTerminal(t, run)
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

// onTerminal runs run with a pseudo-terminal for its stderr and returns
// what the terminal showed.
func onTerminal(t *testing.T, run func(stderr *os.File)) string {
	t.Helper()
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
	select {
	case out := <-got:
		return out
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal's output never ended")
	}
	return ""
}

// TestSyncProgressOnATerminal runs usbkey-sync to two real sshds with its
// stderr on a pseudo-terminal: one bar, whose description gives each
// target's share, in the order the targets were given.
func TestSyncProgressOnATerminal(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "usbkey") // --from is on the node, under --root
	for p, body := range map[string][]byte{
		"config": []byte("hostname=hn\n"),
		"os/20260301T000000Z/platform/i86pc/amd64/boot_archive": bytes.Repeat([]byte("platform"), 8<<20/8),
	} {
		f := filepath.Join(src, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(f), 0o755)
		if err := os.WriteFile(f, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--root", root, "--from", "/usbkey"}
	var labels []string
	for range 2 {
		s := sshtest.ForTest(t)
		args = append(args, "-t", fmt.Sprintf("%s@127.0.0.1:%d:%s", s.User, s.Port, filepath.Join(t.TempDir(), "standby")),
			"-i", s.IdentityFile, "--known-hosts", s.KnownHosts)
		labels = append(labels, fmt.Sprintf("127.0.0.1:%d 100%%", s.Port))
	}
	var err error
	out := onTerminal(t, func(stderr *os.File) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), toolEnv+"=usbkey-sync", argsEnv+"="+strings.Join(args, "\t"))
		cmd.Stderr = stderr
		cmd.Stdout = io.Discard
		err = cmd.Run()
	})
	if err != nil {
		t.Fatalf("usbkey-sync: %v\n%s", err, out)
	}
	want := "usbkey-sync " + strings.Join(labels, " ")
	for _, w := range []string{want, "16 MiB", "\r"} {
		if !strings.Contains(out, w) {
			t.Errorf("the terminal shows no %q:\n%q", w, out)
		}
	}
}
