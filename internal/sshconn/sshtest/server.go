package sshtest

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHD is the server binary; sshd must be run by absolute path, because it
// re-executes itself for each connection.
const SSHD = "/usr/sbin/sshd"

// startTimeout bounds waiting for the banner of a fresh sshd.
const startTimeout = 15 * time.Second

// Server is a running sshd and the files a client needs to reach it.
type Server struct {
	Addr         string        // 127.0.0.1:port
	Port         int           //
	Dir          string        // holds everything below
	User         string        // the login that is authorized: the current user
	HostKey      ssh.PublicKey // the server's ed25519 host key
	HostKeyLine  string        // known_hosts line for HostKey at [127.0.0.1]:port
	KnownHosts   string        // Dir/known_hosts, holding HostKeyLine
	IdentityFile string        // Dir/id_ed25519, the authorized client key
	Log          string        // Dir/sshd.log, sshd's stderr

	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has been waited for
	err  error         // from cmd.Wait
}

// Option changes how Start configures sshd.
type Option func(*settings)

type settings struct{ extra []string }

// WithConfig appends lines to sshd_config, e.g. "MaxSessions 2".
func WithConfig(lines ...string) Option {
	return func(s *settings) { s.extra = append(s.extra, lines...) }
}

// Start writes a configuration and keys under dir and starts sshd on a
// free port of 127.0.0.1, returning once it has sent its banner.
func Start(dir string, opts ...Option) (*Server, error) {
	var set settings
	for _, o := range opts {
		o(&set)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sshd dir: %w", err)
	}
	u, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("sshd: current user: %w", err)
	}
	s := &Server{
		Dir: dir, User: u.Username,
		KnownHosts:   filepath.Join(dir, "known_hosts"),
		IdentityFile: filepath.Join(dir, "id_ed25519"),
		Log:          filepath.Join(dir, "sshd.log"),
	}
	if s.HostKey, err = writeKey(filepath.Join(dir, "ssh_host_ed25519_key"), "host"); err != nil {
		return nil, err
	}
	client, err := writeKey(s.IdentityFile, u.Username+"@sshtest")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(client), 0o600); err != nil {
		return nil, fmt.Errorf("sshd: %w", err)
	}
	// Debian's sshd wants its privilege separation directory when run
	// as root; a container has no systemd to make it.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil && os.Geteuid() == 0 {
		return nil, fmt.Errorf("sshd: %w", err)
	}
	// The free port is found by binding and releasing it, so another
	// process may take it first; sshd then exits and we try another.
	for try := 0; ; try++ {
		err = s.start(set)
		if err == nil || try == 2 || !strings.Contains(err.Error(), "exited") {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	s.HostKeyLine = knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKey)
	if err := os.WriteFile(s.KnownHosts, []byte(s.HostKeyLine+"\n"), 0o600); err != nil {
		s.Stop()
		return nil, fmt.Errorf("sshd: %w", err)
	}
	return s, nil
}

// start picks a port, writes sshd_config for it and runs sshd.
func (s *Server) start(set settings) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("sshd: find a free port: %w", err)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	s.Addr = l.Addr().String()
	l.Close()
	conf := filepath.Join(s.Dir, "sshd_config")
	if err := os.WriteFile(conf, []byte(s.config(set)), 0o600); err != nil {
		return fmt.Errorf("sshd: %w", err)
	}
	logf, err := os.OpenFile(s.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("sshd: %w", err)
	}
	defer logf.Close()
	s.cmd = exec.Command(SSHD, "-D", "-e", "-f", conf)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("sshd: %w; install openssh-server", err)
	}
	s.done = make(chan struct{})
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	if err := s.waitBanner(); err != nil {
		s.Stop()
		return err
	}
	return nil
}

// config is the sshd_config: everything under Dir, keys only, the
// current user (root in CI) allowed, many connections at once.
func (s *Server) config(set settings) string {
	q := strconv.Quote
	lines := []string{
		"Port " + strconv.Itoa(s.Port),
		"ListenAddress 127.0.0.1",
		"HostKey " + q(filepath.Join(s.Dir, "ssh_host_ed25519_key")),
		"PidFile " + q(filepath.Join(s.Dir, "sshd.pid")),
		"AuthorizedKeysFile " + q(filepath.Join(s.Dir, "authorized_keys")),
		"StrictModes no",
		"UsePAM no",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PubkeyAuthentication yes",
		"PermitRootLogin yes",
		"AllowUsers " + s.User,
		"UseDNS no",
		"PrintMotd no",
		"MaxStartups 200",
		"MaxSessions 100",
		"Subsystem sftp internal-sftp",
		// Sessions get a HOME of their own, so the shell sshd runs for a
		// command does not read the test user's ~/.bashrc: on this
		// machine that runs pyenv, whose lock a killed session leaves
		// behind, stalling every later session for 60 s.
		"SetEnv HOME=" + s.Dir,
	}
	return strings.Join(append(lines, set.extra...), "\n") + "\n"
}

// waitBanner waits until the port answers with an SSH banner.
func (s *Server) waitBanner() error {
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-s.done:
			return fmt.Errorf("sshd exited at start (%v): %s", s.err, s.logTail())
		default:
		}
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			line, rerr := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if rerr == nil && strings.HasPrefix(line, "SSH-2.0-") {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sshd on %s: no banner within %v: %s", s.Addr, startTimeout, s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.Log)
	if len(b) > 1024 {
		b = b[len(b)-1024:]
	}
	return strings.TrimSpace(string(b))
}

// writeKey writes a new ed25519 private key in OpenSSH format to path,
// its public half to path.pub, and returns the public key.
func writeKey(path, comment string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, err
	}
	// sshd and ssh both refuse a private key others can read.
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("sshd key: %w", err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " " + comment + "\n"
	if err := os.WriteFile(path+".pub", []byte(line), 0o644); err != nil {
		return nil, fmt.Errorf("sshd key: %w", err)
	}
	return sp, nil
}

var errStopped = errors.New("sshd is not running")

// SessionEnv exports each NAME=VALUE (shell words, so "PATH=/x:$PATH"
// works) to the commands sshd runs from now on: Debian's bash reads
// ~/.bashrc for a command sshd runs, and the sessions' HOME is Dir. Tests
// put a tool in PATH this way, as a CN's sessions find cn_tools in
// /opt/smartdc/bin.
func (s *Server) SessionEnv(vars ...string) error {
	f, err := os.OpenFile(filepath.Join(s.Dir, ".bashrc"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	for _, v := range vars {
		fmt.Fprintf(f, "export %s\n", v)
	}
	return f.Close()
}
