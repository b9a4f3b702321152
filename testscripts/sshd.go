package testscripts

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"cntools/internal/sshconn/sshtest"
)

func init() {
	builtins["sshd"] = sshdCmd
}

// servers holds the running sshds by $WORK/sshd-NAME, which is unique to
// one script and one name, since scripts run in parallel.
var servers = struct {
	sync.Mutex
	m map[string]*sshtest.Server
}{m: map[string]*sshtest.Server{}}

// sshdCmd runs a real OpenSSH sshd for a script:
//
//	sshd start NAME  start one under $WORK/sshd-NAME; set SSHD_NAME_PORT,
//	                 SSHD_NAME_ADDR, SSHD_NAME_DIR, SSHD_NAME_USER; add its host key to
//	                 $WORK/.ssh/known_hosts, put the client key in
//	                 $WORK/.ssh/id_ed25519 and set HOME=$WORK, so the tools
//	                 connect as they would from an operator's account
//	sshd stop NAME   stop it, and every session on it
//	sshd cut NAME    kill its sessions, keep it listening
//
// NAME is upper-cased in the variable names. A server still running when
// the script ends is stopped.
func sshdCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sshd start|stop|cut NAME")
	}
	op, name := args[0], args[1]
	key := filepath.Join(ts.Getenv("WORK"), "sshd-"+name)
	servers.Lock()
	s := servers.m[key]
	servers.Unlock()
	switch op {
	case "start":
		if s != nil {
			ts.Fatalf("sshd %s is already running", name)
		}
		sshdStart(ts, name, key)
	case "stop":
		if s == nil {
			ts.Fatalf("sshd %s is not running", name)
		}
		servers.Lock()
		delete(servers.m, key)
		servers.Unlock()
		ts.Check(s.Stop())
	case "cut":
		if s == nil {
			ts.Fatalf("sshd %s is not running", name)
		}
		ts.Check(s.KillSessions())
	default:
		ts.Fatalf("usage: sshd start|stop|cut NAME")
	}
}

func sshdStart(ts *testscript.TestScript, name, dir string) {
	s, err := sshtest.Start(dir)
	ts.Check(err)
	servers.Lock()
	servers.m[dir] = s
	servers.Unlock()
	ts.Defer(func() {
		servers.Lock()
		delete(servers.m, dir)
		servers.Unlock()
		if err := s.Stop(); err != nil {
			ts.Logf("sshd %s: %v", name, err)
		}
	})
	v := "SSHD_" + strings.ToUpper(name) + "_"
	ts.Setenv(v+"PORT", strconv.Itoa(s.Port))
	ts.Setenv(v+"ADDR", s.Addr)
	ts.Setenv(v+"DIR", s.Dir)
	ts.Setenv(v+"USER", s.User)

	work := ts.Getenv("WORK")
	dotssh := filepath.Join(work, ".ssh")
	ts.Check(os.MkdirAll(dotssh, 0o700))
	kh, err := os.OpenFile(filepath.Join(dotssh, "known_hosts"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	ts.Check(err)
	_, err = kh.WriteString(s.HostKeyLine + "\n")
	ts.Check(err)
	ts.Check(kh.Close())
	// Every server authorizes the key it generated; the first one's
	// key becomes the script's, and later servers authorize it too.
	id := filepath.Join(dotssh, "id_ed25519")
	if _, err := os.Stat(id); os.IsNotExist(err) {
		copyKey(ts, s.IdentityFile, id)
		copyKey(ts, s.IdentityFile+".pub", id+".pub")
	} else {
		pub, err := os.ReadFile(id + ".pub")
		ts.Check(err)
		f, err := os.OpenFile(filepath.Join(s.Dir, "authorized_keys"), os.O_WRONLY|os.O_APPEND, 0o600)
		ts.Check(err)
		_, err = f.Write(pub)
		ts.Check(err)
		ts.Check(f.Close())
	}
	ts.Setenv("HOME", work)
}

func copyKey(ts *testscript.TestScript, from, to string) {
	b, err := os.ReadFile(from)
	ts.Check(err)
	// ssh refuses a private key that others can read.
	ts.Check(os.WriteFile(to, b, 0o600))
}
