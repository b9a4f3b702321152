package keysync

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"log/slog"

	"cntools/internal/sshconn"
)

// A hashing command that fails is said once per target, with its error,
// and the files are read back instead.
func TestHashCommandFailureWarned(t *testing.T) {
	s := startSSHD(t)
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "standby")
	files := map[string]string{"config": "c\n"}
	for i := range 20 {
		files[fmt.Sprintf("os/a-rather-long-platform-file-name-%02d", i)] = "secret content"
	}
	writeTree(t, src, files)
	// Already on the target, so planning hashes too: two hashing runs.
	writeTree(t, dst, map[string]string{"config": "c\n"})
	var buf bytes.Buffer
	r := syncOnce(t, s, src, dst, func(o *Options) {
		o.Verify = VerifyDigest // not on this Linux target
		o.Log = slog.New(slog.NewTextHandler(&buf, nil))
	})
	if !r.InStep() || r.Sent != 20 || r.Skipped != 1 {
		t.Fatalf("sync = %+v, want 20 sent, 1 skipped, read back", r)
	}
	out := buf.String()
	if n := strings.Count(out, "hashing on the target failed"); n != 1 {
		t.Errorf("log has %d hashing warnings, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "exit status") || !strings.Contains(out, r.Target) {
		t.Errorf("warning lacks the target or the command's error:\n%s", out)
	}
	if strings.Contains(out, "secret content") {
		t.Errorf("warning quotes file contents:\n%s", out)
	}
}

// A failed command's error quotes only the head of a long command.
func TestRunErrorShortensCommand(t *testing.T) {
	s := startSSHD(t)
	c, err := sshconn.Dial(context.Background(), targetOf(s, "/"), sshOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cmd := "exit 3 # " + strings.Repeat("x", 60000)
	err = c.Run(context.Background(), cmd, &bytes.Buffer{})
	if err == nil || len(err.Error()) > 600 || !strings.Contains(err.Error(), fmt.Sprintf("... (%d bytes)", len(cmd))) || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("Run(%d-byte command) = %d-byte error %.300q..., want the first 200 bytes and the length", len(cmd), len(fmt.Sprint(err)), err)
	}
}
