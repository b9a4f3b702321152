package keysync

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"cntools/internal/sshconn"
	"cntools/internal/sshconn/sshtest"
)

// Run with make bench, or
// go test -run '^$' -bench . -benchtime 1x ./usbkey/sync/

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
		out = append(out, startSSHD(b))
	}
	return out
}

func rsyncTo(s *sshtest.Server, src, dst string) *exec.Cmd {
	ssh := fmt.Sprintf("ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=%s -i %s -p %d", s.KnownHosts, s.IdentityFile, s.Port)
	return exec.Command("rsync", "-a", "-e", ssh, src+"/", s.User+"@127.0.0.1:"+dst+"/")
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

// BenchmarkUnchanged5000: a sync with nothing changed, 5,000 files, the
// source's hash cache warm. Goal: under 1 s.
func BenchmarkUnchanged5000(b *testing.B) {
	src := b.TempDir()
	smallTree(b, src, 5000, 4<<10)
	s := startSSHD(b)
	o := Options{Source: src, SSH: sshOptions(s), CachePath: filepath.Join(b.TempDir(), "cache.json")}
	ts := []sshconn.Target{targetOf(s, filepath.Join(b.TempDir(), "standby"))}
	if rs, err := Run(context.Background(), ts, o); err != nil || !rs[0].InStep() {
		b.Fatal(err, rs[0])
	}
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		rs, err := Run(context.Background(), ts, o)
		total += time.Since(start)
		if err != nil || !rs[0].InStep() || rs[0].Sent != 0 || rs[0].Skipped != 5000 {
			b.Fatal(err, rs[0])
		}
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "unchanged-s")
	b.Logf("unchanged sync of 5,000 files: %v (goal < 1 s)", (total / time.Duration(b.N)).Round(time.Millisecond))
}

// BenchmarkOneChanged: one 1 MiB file changed in a tree of 500 files:
// the bytes written over SFTP, file data and then the manifest, against
// 1 MiB. Goal: within 10%.
func BenchmarkOneChanged(b *testing.B) {
	src := b.TempDir()
	smallTree(b, src, 500, 4<<10)
	big := filepath.Join(src, "os/20260301T000000Z/platform/i86pc/amd64/boot_archive.hash")
	randomFile(b, big, 1<<20, 0)
	s := startSSHD(b)
	o := Options{Source: src, SSH: sshOptions(s), CachePath: filepath.Join(b.TempDir(), "cache.json")}
	ts := []sshconn.Target{targetOf(s, filepath.Join(b.TempDir(), "standby"))}
	if rs, err := Run(context.Background(), ts, o); err != nil || !rs[0].InStep() {
		b.Fatal(err, rs[0])
	}
	var data, meta int64
	for i := 0; b.Loop(); i++ {
		randomFile(b, big, 1<<20, uint64(i+1))
		rs, err := Run(context.Background(), ts, o)
		if err != nil || !rs[0].InStep() || rs[0].Sent != 1 {
			b.Fatal(err, rs[0])
		}
		data, meta = data+rs[0].Bytes, meta+rs[0].MetaBytes
	}
	n := float64(b.N)
	b.ReportMetric(float64(data)/n/(1<<20), "data-ratio")
	b.ReportMetric(float64(data+meta)/n/(1<<20), "total-ratio")
	b.Logf("one changed 1 MiB file among 500: %d bytes of file data (ratio %.3f), %d bytes with the manifest (ratio %.3f); goal within 10%% of 1 MiB",
		data/int64(b.N), float64(data)/n/(1<<20), (data+meta)/int64(b.N), float64(data+meta)/n/(1<<20))
}
