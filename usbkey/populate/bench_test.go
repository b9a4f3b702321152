package populate

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"cntools/usbkey/bootfiles"
	"cntools/usbkey/bootfiles/bootfilestest"
	"cntools/usbkey/key"
	"cntools/usbkey/keytree"
	"cntools/usbkey/parttable"
)

const benchImage = 4 << 30

// benchTree writes a usbkey copy with a 400 MiB platform file and 3,000
// small files, the workload the populate benchmark names.
func benchTree(b *testing.B, dir string) {
	b.Helper()
	if err := bootfilestest.WriteDir(dir); err != nil {
		b.Fatal(err)
	}
	w := func(p string, data []byte) {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old)
	}
	w("boot/loader.conf", []byte(`platform-version="20260301T000000Z"`+"\n"))
	for _, f := range []string{"config", "config.inc/generic", "tools.tar.gz", "cn_tools.tar.gz", "LICENSE", "sdcadm-install.sh"} {
		w(f, []byte(f+"\n"))
	}
	r := rand.New(rand.NewSource(1))
	big := make([]byte, 400<<20)
	r.Read(big)
	w("os/20260301T000000Z/platform/i86pc/amd64/boot_archive", big)
	for i := 0; i < 3000; i++ {
		small := make([]byte, 512+r.Intn(8192))
		r.Read(small)
		w(fmt.Sprintf("scripts/dir%02d/file-%04d.js", i%30, i), small)
	}
}

// BenchmarkPopulateVsMtools fills a freshly formatted 4 GiB key image from
// the tree, then fills a fresh image made by mkfs.vfat with `mcopy -s` of
// the same tree, then runs populate again on the unchanged key. It reports
// the first ratio (ours/mtools; goal: at most 1) and the unchanged run's
// seconds (goal: under 1 s).
func BenchmarkPopulateVsMtools(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join(dir, "usbkey")
	benchTree(b, src)
	set, err := bootfiles.FromDir(src)
	if err != nil {
		b.Fatal(err)
	}
	l, _ := parttable.V2Layout(benchImage / 512)
	ctx := context.Background()
	var ours, peer, again, oursCPU, peerCPU time.Duration
	for i := 0; i < b.N; i++ {
		img := filepath.Join(dir, "ours.img")
		os.Remove(img)
		sh(b, "sync")
		cpu := cpuTime(syscall.RUSAGE_SELF)
		start := time.Now()
		f, err := os.Create(img)
		if err != nil {
			b.Fatal(err)
		}
		f.Truncate(benchImage)
		if _, err := key.Format(f, benchImage, key.FormatOptions{Boot: set}); err != nil {
			b.Fatal(err)
		}
		run := func() int {
			fs, err := keytree.OpenKey(f, benchImage, true)
			if err != nil {
				b.Fatal(err)
			}
			fs.VerifyWrites = true
			dst := keytree.FAT(fs, f, img)
			o := Options{CachePath: filepath.Join(dir, "cache.json")}
			p, err := MakePlan(ctx, keytree.Dir(src), dst, Request{}, o)
			if err != nil {
				b.Fatal(err)
			}
			res, err := p.Apply(ctx)
			if err != nil {
				b.Fatal(err)
			}
			return res.Copied
		}
		if n := run(); n < 3000 {
			b.Fatalf("first run copied %d files, want over 3000", n)
		}
		ours += time.Since(start)
		oursCPU += cpuTime(syscall.RUSAGE_SELF) - cpu
		start = time.Now()
		if n := run(); n != 0 {
			b.Fatalf("unchanged run copied %d files", n)
		}
		again += time.Since(start)
		f.Close()

		pimg := filepath.Join(dir, "peer.img")
		os.Remove(pimg)
		sh(b, "sync")
		cpu = cpuTime(syscall.RUSAGE_CHILDREN)
		start = time.Now()
		sh(b, "truncate", "-s", strconv.Itoa(benchImage), pimg)
		sh(b, "mkfs.vfat", "-F", "32", "-s", "8", "-n", "SMARTOSBOOT", "--offset", strconv.FormatUint(l.Root.Start, 10), pimg, strconv.FormatUint(l.Root.Size/2, 10))
		root := pimg + "@@" + strconv.FormatUint(l.Root.Start*512, 10)
		var args []string
		es, _ := os.ReadDir(src)
		for _, e := range es {
			args = append(args, filepath.Join(src, e.Name()))
		}
		sh(b, "mcopy", append(append([]string{"-s", "-i", root}, args...), "::/")...)
		sh(b, "sync", pimg)
		peer += time.Since(start)
		peerCPU += cpuTime(syscall.RUSAGE_CHILDREN) - cpu
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64(ours)/float64(peer), "ratio")
	b.ReportMetric(float64(oursCPU)/float64(peerCPU), "cpu-ratio")
	b.ReportMetric((again / n).Seconds(), "unchanged-s")
	b.Logf("populate 4 GiB image (400 MiB platform + 3,000 files): cntools %v (CPU %v), mkfs.vfat+mcopy -s %v (CPU %v), ratio %.2fx (CPU %.2fx); unchanged rerun %v",
		ours/n, oursCPU/n, peer/n, peerCPU/n, float64(ours)/float64(peer), float64(oursCPU)/float64(peerCPU), again/n)
}

// cpuTime is the user and system time of who (this process, or the
// children it has waited for): on a shared machine it tells the work done
// apart from the time spent waiting for a core.
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func sh(b *testing.B, name string, args ...string) {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s: %v\n%s", name, err, out)
	}
}
