package keysync

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cntools/internal/sshconn"
	"cntools/internal/sshconn/sshtest"
)

// Run with make bench, or
// go test -run '^$' -bench . -benchtime 3x ./usbkey/keysync/

// randomFile writes size bytes that do not compress, quickly.
func randomFile(t testing.TB, p string, size int64, seed uint64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)})
	buf := make([]byte, 1<<20)
	for size > 0 {
		n := min(size, int64(len(buf)))
		r.Read(buf[:n])
		if _, err := f.Write(buf[:n]); err != nil {
			t.Fatal(err)
		}
		size -= n
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour) // older than the cache's racy window
	os.Chtimes(p, old, old)
}

// smallTree writes n files of size bytes, 100 to a directory.
func smallTree(t testing.TB, root string, n int, size int64) {
	for i := range n {
		randomFile(t, filepath.Join(root, "extra", "d"+strconv.Itoa(i/100), "f"+strconv.Itoa(i)), size, uint64(i+1))
	}
}

func benchServers(b *testing.B, n int) []*sshtest.Server {
	var out []*sshtest.Server
	for range n {
		out = append(out, startSSHDWithState(b)) // a CN with cn_tools installed
	}
	return out
}

func rsyncTo(s *sshtest.Server, src, dst string) *exec.Cmd {
	ssh := fmt.Sprintf("ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=%s -i %s -p %d", s.KnownHosts, s.IdentityFile, s.Port)
	return exec.Command("rsync", "-a", "--stats", "-e", ssh, src+"/", s.User+"@127.0.0.1:"+dst+"/")
}

// BenchmarkInitialVsRsync: a 1 GiB tree (one 400 MiB file, 3,000 files of
// 208 KiB) to two targets, against rsync -a -e ssh to the same two at once.
func BenchmarkInitialVsRsync(b *testing.B) {
	src := b.TempDir()
	randomFile(b, filepath.Join(src, "os/20260301T000000Z/platform/i86pc/amd64/boot_archive"), 400<<20, 0)
	smallTree(b, src, 3000, 208<<10)
	servers := benchServers(b, 2)
	var ours, theirs time.Duration
	for i := 0; b.Loop(); i++ {
		var ts []sshconn.Target
		o := Options{Source: src}
		for j, s := range servers {
			ts = append(ts, targetOf(s, filepath.Join(b.TempDir(), "ours"+strconv.Itoa(j))))
			o.SSH = sshOptions(s) // the servers share the script key; known_hosts differ
		}
		o.SSH.KnownHosts = []string{servers[0].KnownHosts, servers[1].KnownHosts}
		o.SSH.IdentityFiles = []string{servers[0].IdentityFile, servers[1].IdentityFile}
		start := time.Now()
		rs, err := Run(context.Background(), ts, o)
		if err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
		for _, r := range rs {
			if !r.InStep() {
				b.Fatalf("%s: %+v", r.Target, r)
			}
		}

		start = time.Now()
		var wg sync.WaitGroup
		for _, s := range servers {
			cmd := rsyncTo(s, src, filepath.Join(b.TempDir(), "rsync"))
			wg.Add(1)
			go func() {
				defer wg.Done()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Errorf("rsync: %v: %s", err, out)
				}
			}()
		}
		wg.Wait()
		theirs += time.Since(start)
	}
	b.ReportMetric(ours.Seconds()/float64(b.N), "cntools-s")
	b.ReportMetric(theirs.Seconds()/float64(b.N), "rsync-s")
	b.ReportMetric(float64(ours)/float64(theirs), "ratio")
	b.Logf("initial sync of 1 GiB (400 MiB + 3,000 files) to 2 targets: usbkey-sync %v, rsync -a -e ssh %v, ratio %.2fx (below 1 is faster than rsync)",
		(ours / time.Duration(b.N)).Round(time.Millisecond), (theirs / time.Duration(b.N)).Round(time.Millisecond), float64(ours)/float64(theirs))
}

// twoTargets is o to two servers, each with a fresh directory under dir.
func twoTargets(b *testing.B, servers []*sshtest.Server, dir string, o Options) ([]sshconn.Target, Options) {
	var ts []sshconn.Target
	for j, s := range servers {
		ts = append(ts, targetOf(s, filepath.Join(dir, "ours"+strconv.Itoa(j))))
		// The servers share the script key; their known_hosts differ.
		o.SSH = sshOptions(s)
	}
	o.SSH.KnownHosts = []string{servers[0].KnownHosts, servers[1].KnownHosts}
	o.SSH.IdentityFiles = []string{servers[0].IdentityFile, servers[1].IdentityFile}
	return ts, o
}

// runOurs syncs and returns the time and the wire bytes of the first
// target, both ways.
func runOurs(b *testing.B, ts []sshconn.Target, o Options, sent int) (time.Duration, int64) {
	start := time.Now()
	rs, err := Run(context.Background(), ts, o)
	d := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range rs {
		if !r.InStep() || sent >= 0 && r.Sent != sent {
			b.Fatalf("%s: sent %d (want %d): %+v", r.Target, r.Sent, sent, r)
		}
	}
	return d, rs[0].WireSent + rs[0].WireReceived
}

// runRsync runs rsync -a -e ssh --stats to every server at once, into
// dst on each, and returns the time and the bytes rsync says it moved to
// the first (sent and received).
func runRsync(b *testing.B, servers []*sshtest.Server, src, dst string) (time.Duration, int64) {
	start := time.Now()
	var wg sync.WaitGroup
	wire := make([]int64, len(servers))
	for i, s := range servers {
		cmd := rsyncTo(s, src, filepath.Join(dst, "rsync"+strconv.Itoa(i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := cmd.CombinedOutput()
			if err != nil {
				b.Errorf("rsync: %v: %s", err, out)
			}
			wire[i] = rsyncWire(string(out))
		}()
	}
	wg.Wait()
	return time.Since(start), wire[0]
}

var rsyncStatRE = regexp.MustCompile(`Total bytes (?:sent|received): ([\d,]+)`)

// rsyncWire adds up rsync --stats' "Total bytes sent" and "received".
func rsyncWire(out string) int64 {
	var n int64
	for _, m := range rsyncStatRE.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
		n += v
	}
	return n
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// BenchmarkInitial5000VsRsync: 5,000 files of 4 KiB to two targets at
// once, against two rsync -a -e ssh at once. Goal: below 1x.
func BenchmarkInitial5000VsRsync(b *testing.B) {
	src := b.TempDir()
	smallTree(b, src, 5000, 4<<10)
	servers := benchServers(b, 2)
	var ours, theirs time.Duration
	for b.Loop() {
		ts, o := twoTargets(b, servers, b.TempDir(), Options{Source: src})
		d, _ := runOurs(b, ts, o, 5000)
		ours += d
		d, _ = runRsync(b, servers, src, b.TempDir())
		theirs += d
	}
	reportRatio(b, "initial sync of 5,000 files of 4 KiB to 2 targets", ours, theirs)
}

func reportRatio(b *testing.B, what string, ours, theirs time.Duration) {
	n := time.Duration(b.N)
	b.ReportMetric((ours / n).Seconds(), "cntools-s")
	b.ReportMetric((theirs / n).Seconds(), "rsync-s")
	b.ReportMetric(float64(ours)/float64(theirs), "ratio")
	b.Logf("%s: usbkey-sync %v, rsync -a -e ssh %v, ratio %.2fx (below 1 is faster than rsync)",
		what, (ours / n).Round(time.Millisecond), (theirs / n).Round(time.Millisecond), float64(ours)/float64(theirs))
}

// BenchmarkUnchanged5000VsRsync: a sync with nothing changed, 5,000
// files to two targets, the source's hash cache warm, against rsync's
// no-op to the same two; and the bytes each moved to one target. Goals:
// below 0.5x and 0.3 s; 64 KiB on the wire.
func BenchmarkUnchanged5000VsRsync(b *testing.B) {
	src := b.TempDir()
	smallTree(b, src, 5000, 4<<10)
	servers := benchServers(b, 2)
	againstRsync(b, servers, src, 5000, 0, func(int) {}, "unchanged sync of 5,000 files")
}

// againstRsync syncs src to two targets and rsyncs it to two others
// (want files sent), then b.N times changes the source (change) and runs
// both again (sent files sent), reporting times and wire bytes.
func againstRsync(b *testing.B, servers []*sshtest.Server, src string, want, sent int, change func(i int), what string) {
	dst := b.TempDir()
	ts, o := twoTargets(b, servers, dst, Options{Source: src, CachePath: filepath.Join(b.TempDir(), "cache.json")})
	runOurs(b, ts, o, want)
	runRsync(b, servers, src, dst)
	var ours, theirs time.Duration
	var ourWire, theirWire int64
	for i := 0; b.Loop(); i++ {
		change(i)
		d, w := runOurs(b, ts, o, sent)
		ours, ourWire = ours+d, ourWire+w
		d, w = runRsync(b, servers, src, dst)
		theirs, theirWire = theirs+d, theirWire+w
	}
	reportRatio(b, what+", 2 targets", ours, theirs)
	reportWire(b, what, ourWire, theirWire)
}

func reportWire(b *testing.B, what string, ours, theirs int64) {
	n := int64(b.N)
	b.ReportMetric(mib(ours/n), "cntools-wire-MiB")
	b.ReportMetric(mib(theirs/n), "rsync-wire-MiB")
	b.Logf("%s: %.3f MiB on the wire to one target (SFTP and commands, both ways), rsync --stats %.3f MiB",
		what, mib(ours/n), mib(theirs/n))
}

// BenchmarkOneChanged5000: one 1 MiB file changed in a tree of 5,000
// small files, synced to two targets: the bytes on the wire to one target
// (SFTP and commands, both ways) against rsync --stats' for the same
// change. Goal: 1.1 MiB.
func BenchmarkOneChanged5000(b *testing.B) {
	src := b.TempDir()
	smallTree(b, src, 5000, 4<<10)
	big := filepath.Join(src, "os/20260301T000000Z/platform/i86pc/amd64/boot_archive.hash")
	randomFile(b, big, 1<<20, 0)
	servers := benchServers(b, 2)
	againstRsync(b, servers, src, 5001, 1, func(i int) { randomFile(b, big, 1<<20, uint64(i+1)) }, "one changed 1 MiB file among 5,000")
}
