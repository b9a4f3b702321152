package sshconn_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"cntools/internal/sshconn"
	"cntools/internal/sshconn/sshtest"
)

// start runs a real sshd for one test.
func start(t testing.TB, opts ...sshtest.Option) *sshtest.Server {
	return sshtest.ForTest(t, opts...)
}

func target(s *sshtest.Server) sshconn.Target {
	return sshconn.Target{User: s.User, Host: "127.0.0.1", Port: s.Port, Path: "/"}
}

func options(s *sshtest.Server) sshconn.Options {
	return sshconn.Options{
		KnownHosts:     []string{s.KnownHosts},
		IdentityFiles:  []string{s.IdentityFile},
		ConnectTimeout: 10 * time.Second,
	}
}

func dial(t *testing.T, s *sshtest.Server, o sshconn.Options) *sshconn.Client {
	t.Helper()
	c, err := sshconn.Dial(context.Background(), target(s), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSFTPPutGet(t *testing.T) {
	s := start(t)
	c := dial(t, s, options(s))
	sc, err := c.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	want := bytes.Repeat([]byte("usbkey "), 200_000) // > one 256 KiB packet
	remote := filepath.Join(t.TempDir(), "put")
	f, err := sc.Create(remote)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(bytes.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(remote); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("put: remote file has %d bytes, %v, want %d identical bytes", len(got), err, len(want))
	}
	g, err := sc.Open(remote)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var got bytes.Buffer
	if _, err := g.WriteTo(&got); err != nil || !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("get: %d bytes, %v, want %d identical bytes", got.Len(), err, len(want))
	}
	// limits@openssh.com means the transfer above used 255 KiB packets.
	for _, ext := range []string{"fsync@openssh.com", "posix-rename@openssh.com", "limits@openssh.com"} {
		if _, ok := sc.HasExtension(ext); !ok {
			t.Errorf("sftp server does not offer %s", ext)
		}
	}
}

func TestDialDefaultsFromHome(t *testing.T) {
	s := start(t)
	home := t.TempDir()
	dotssh := filepath.Join(home, ".ssh")
	copyFile(t, s.IdentityFile, filepath.Join(dotssh, "id_ed25519"))
	copyFile(t, s.KnownHosts, filepath.Join(dotssh, "known_hosts"))
	env := map[string]string{"HOME": home}
	c := dial(t, s, sshconn.Options{Getenv: func(k string) string { return env[k] }})
	var out bytes.Buffer
	if err := c.Run(context.Background(), "echo hello", &out); err != nil || out.String() != "hello\n" {
		t.Fatalf("Run(echo hello) = %q, %v, want \"hello\\n\"", out.String(), err)
	}
}

func TestRun(t *testing.T) {
	s := start(t)
	c := dial(t, s, options(s))
	var out bytes.Buffer
	err := c.Run(context.Background(), "echo partial; echo 'manifest: no such dir' >&2; exit 3", &out)
	if err == nil || !strings.Contains(err.Error(), "exit status 3: manifest: no such dir") {
		t.Errorf("Run(exit 3) = %v, want an error with the exit status and stderr", err)
	}
	if out.String() != "partial\n" {
		t.Errorf("Run(exit 3) stdout = %q, want \"partial\\n\"", out.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err = c.Run(ctx, "sleep 30", io.Discard)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(begin) > 5*time.Second {
		t.Errorf("Run(sleep 30) with a 300ms context = %v after %v, want a deadline error at once", err, time.Since(begin))
	}
}

func TestUnknownHostRefused(t *testing.T) {
	s := start(t)
	o := options(s)
	o.KnownHosts = []string{writeFile(t, "known_hosts", "")}
	_, err := sshconn.Dial(context.Background(), target(s), o)
	if !errors.Is(err, sshconn.ErrUnknownHostKey) {
		t.Fatalf("Dial with an empty known_hosts = %v, want ErrUnknownHostKey", err)
	}
	for _, want := range []string{ssh.FingerprintSHA256(s.HostKey), "\n" + s.HostKeyLine, o.KnownHosts[0], "out of band"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Dial error does not contain %q:\n%v", want, err)
		}
	}
	if !strings.HasPrefix(s.HostKeyLine, "[127.0.0.1]:") {
		t.Errorf("known_hosts line %q: want the [host]:port form", s.HostKeyLine)
	}
}

func TestChangedHostKeyRefused(t *testing.T) {
	s := start(t)
	other := start(t) // a different host key, stored for s's address
	line := strings.Replace(other.HostKeyLine, other.Addr[len("127.0.0.1:"):], s.Addr[len("127.0.0.1:"):], 1)
	o := options(s)
	o.KnownHosts = []string{writeFile(t, "known_hosts", "# earlier\n"+line+"\n")}
	_, err := sshconn.Dial(context.Background(), target(s), o)
	if !errors.Is(err, sshconn.ErrHostKeyChanged) {
		t.Fatalf("Dial with another key in known_hosts = %v, want ErrHostKeyChanged", err)
	}
	var hke *sshconn.HostKeyError
	if !errors.As(err, &hke) || len(hke.Known) != 1 || hke.Known[0].Line != 2 {
		t.Fatalf("Dial error = %#v, want a *HostKeyError naming line 2", err)
	}
	for _, want := range []string{ssh.FingerprintSHA256(s.HostKey), ssh.FingerprintSHA256(other.HostKey), s.HostKeyLine, "man-in-the-middle"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Dial error does not contain %q:\n%v", want, err)
		}
	}
}

func TestHashedKnownHosts(t *testing.T) {
	s := start(t)
	kh := writeFile(t, "known_hosts", s.HostKeyLine+"\n")
	if out, err := exec.Command("ssh-keygen", "-H", "-f", kh).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -H: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(kh); !bytes.HasPrefix(b, []byte("|1|")) {
		t.Fatalf("ssh-keygen -H left %q, want a hashed entry", b)
	}
	o := options(s)
	o.KnownHosts = []string{kh}
	dial(t, s, o)
}

// TestOtherHostKeyTypes: the server also has an ECDSA host key that
// known_hosts does not hold; OpenSSH connects, and so must we.
func TestOtherHostKeyTypes(t *testing.T) {
	dir := t.TempDir()
	ecdsa := filepath.Join(dir, "ssh_host_ecdsa_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", ecdsa).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	// ECDSA first makes it the server's preferred key.
	s := start(t, sshtest.WithConfig("HostKey "+ecdsa, "HostKeyAlgorithms ecdsa-sha2-nistp256,ssh-ed25519"))
	dial(t, s, options(s))
}

func TestWrongIdentity(t *testing.T) {
	s := start(t)
	stranger := start(t) // its client key is not authorized on s
	o := options(s)
	o.IdentityFiles = []string{stranger.IdentityFile}
	_, err := sshconn.Dial(context.Background(), target(s), o)
	if !errors.Is(err, sshconn.ErrAuth) {
		t.Fatalf("Dial with an unauthorized key = %v, want ErrAuth", err)
	}
	for _, want := range []string{s.User + "@127.0.0.1:", stranger.IdentityFile} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Dial error does not contain %q:\n%v", want, err)
		}
	}
}

func TestEncryptedIdentity(t *testing.T) {
	key := filepath.Join(t.TempDir(), "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "passphrase", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	_, err := sshconn.Dial(context.Background(), sshconn.Target{User: "root", Host: "127.0.0.1", Port: 1},
		sshconn.Options{IdentityFiles: []string{key}, KnownHosts: []string{writeFile(t, "kh", "")}})
	if err == nil || !strings.Contains(err.Error(), "encrypted") || !strings.Contains(err.Error(), "ssh-agent") {
		t.Errorf("Dial with an encrypted key = %v, want an error saying to use ssh-agent", err)
	}
}

// TestConnectTimeout: a peer that accepts TCP and never speaks SSH must
// fail the handshake within ConnectTimeout, which x/crypto alone does not.
func TestConnectTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent
		}
	}()
	s := start(t) // only for a key and a known_hosts file
	tg := sshconn.Target{User: "root", Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}
	o := options(s)
	o.ConnectTimeout = 500 * time.Millisecond
	begin := time.Now()
	_, err = sshconn.Dial(context.Background(), tg, o)
	took := time.Since(begin)
	if err == nil || !strings.Contains(err.Error(), "no ssh handshake within 500ms") {
		t.Errorf("Dial to a silent peer = %v, want a handshake timeout", err)
	}
	if took > 2*time.Second {
		t.Errorf("Dial to a silent peer took %v, want about 500ms", took)
	}
}

// TestKillSessionsMidTransfer: the server side of an upload dies; the
// upload must fail, not hang.
func TestKillSessionsMidTransfer(t *testing.T) {
	s := start(t)
	c := dial(t, s, options(s))
	sc, err := c.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	f, err := sc.Create(filepath.Join(t.TempDir(), "big"))
	if err != nil {
		t.Fatal(err)
	}
	src := &signalReader{after: 1 << 20, reached: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := f.ReadFrom(io.LimitReader(src, 4<<30))
		done <- err
	}()
	<-src.reached
	if err := s.KillSessions(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("upload after KillSessions succeeded, want an error")
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("upload still running 20s after KillSessions")
	}
}

// TestIdleTimeout: a peer that stops answering but keeps the connection
// (SIGSTOP here; a hung node in life) fails the next operation after
// IdleTimeout instead of blocking it forever.
func TestIdleTimeout(t *testing.T) {
	s := start(t)
	o := options(s)
	o.IdleTimeout, o.KeepAlive, o.KeepAliveMax = time.Second, 300*time.Millisecond, 10
	c := dial(t, s, o)
	sc, err := c.SFTP()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	time.Sleep(2 * time.Second) // idle, alive: keepalives keep it open
	if _, err := sc.Stat("/"); err != nil {
		t.Fatalf("Stat after 2s idle with keepalives = %v, want nil", err)
	}
	pids, err := s.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pids {
		stopProcess(t, p)
	}
	begin := time.Now()
	_, err = sc.Stat("/")
	if err == nil || time.Since(begin) > 5*time.Second {
		t.Errorf("Stat on a frozen peer = %v after %v, want an error after about 1s", err, time.Since(begin))
	}
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "idle timeout") {
		t.Errorf("Err() after the idle timeout = %v, want it to say idle timeout", err)
	}
}

// TestKeepAliveUnanswered: with a long idle timeout, unanswered keepalives
// are what close the connection to a frozen peer.
func TestKeepAliveUnanswered(t *testing.T) {
	s := start(t)
	o := options(s)
	o.IdleTimeout, o.KeepAlive, o.KeepAliveMax = time.Minute, 200*time.Millisecond, 2
	c := dial(t, s, o)
	pids, err := s.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pids {
		stopProcess(t, p)
	}
	begin := time.Now()
	for c.Err() == nil && time.Since(begin) < 10*time.Second {
		time.Sleep(50 * time.Millisecond)
	}
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "no answer to 2 keepalives") {
		t.Fatalf("Err() %v after freezing the peer = %v, want unanswered keepalives", time.Since(begin), err)
	}
	if err := c.Run(context.Background(), "true", io.Discard); err == nil {
		t.Errorf("Run after the keepalives closed the connection = nil, want an error")
	}
}

type signalReader struct {
	n, after int
	reached  chan struct{}
}

func (r *signalReader) Read(b []byte) (int, error) {
	clear(b)
	if r.n < r.after && r.n+len(b) >= r.after {
		close(r.reached)
	}
	r.n += len(b)
	return len(b), nil
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
