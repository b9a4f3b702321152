package gztools_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"cntools/gztools"
	"cntools/gztools/gztoolstest"
	"cntools/internal/node"
	"cntools/internal/tarx/tarxtest"
)

// BenchmarkInstall201MiB runs gztools-install (plan and apply, from a
// usbkey copy whose tools.tar.gz is a 201 MiB tools tarball, --skip-usbkey,
// no sdcadm) onto a fresh root, and GNU `tar xzf` of the same tarball into
// a fresh directory, alternately, three times each. It reports the
// fastest wall-clock runs' ratio (ours / tar; goal at most 0.8) and the
// ratio of the CPU time (user + system) the two spent, which a machine
// shared with other work distorts less.
func BenchmarkInstall201MiB(b *testing.B) {
	dir := b.TempDir()
	usbkey := filepath.Join(dir, "usbkey")
	if err := gztoolstest.WriteUsbkeyCopy(usbkey, "1", "0b0b0b0b-0000-4000-8000-000000000001", ""); err != nil {
		b.Fatal(err)
	}
	tgz := filepath.Join(usbkey, "tools.tar.gz")
	if err := tarxtest.WriteToolsTarball(tgz, 201<<20); err != nil {
		b.Fatal(err)
	}
	tarBin, err := exec.LookPath("tar")
	if err != nil {
		b.Fatalf("GNU tar is needed to compare against: %v", err)
	}
	run := 0
	ours := func() (time.Duration, time.Duration) {
		run++
		root := filepath.Join(dir, fmt.Sprint("root", run))
		if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o755); err != nil {
			b.Fatal(err)
		}
		cpu := cpuTime(syscall.RUSAGE_SELF)
		start := time.Now()
		ctx := context.Background()
		req := gztools.Request{From: "/usbkey", SkipUsbkey: true, Yes: true}
		if err := os.Symlink(usbkey, filepath.Join(root, "usbkey")); err != nil {
			b.Fatal(err)
		}
		p, err := gztools.NewPlan(ctx, node.New(root), req, gztools.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Apply(ctx); err != nil {
			b.Fatal(err)
		}
		p.Close()
		d, c := time.Since(start), cpuTime(syscall.RUSAGE_SELF)-cpu
		os.RemoveAll(root)
		return d, c
	}
	gnu := func() (time.Duration, time.Duration) {
		run++
		out := filepath.Join(dir, fmt.Sprint("tar", run))
		os.Mkdir(out, 0o755)
		cpu := cpuTime(syscall.RUSAGE_CHILDREN)
		start := time.Now()
		if out, err := exec.Command(tarBin, "xzf", tgz, "-C", out).CombinedOutput(); err != nil {
			b.Fatalf("tar xzf: %v: %s", err, out)
		}
		d, c := time.Since(start), cpuTime(syscall.RUSAGE_CHILDREN)-cpu
		os.RemoveAll(out)
		return d, c
	}
	b.ResetTimer()
	for range b.N {
		bestOurs, bestTar := time.Duration(1<<62), time.Duration(1<<62)
		var cpuOurs, cpuTar time.Duration
		for range 3 {
			d, c := gnu()
			bestTar, cpuTar = min(bestTar, d), cpuTar+c
			d, c = ours()
			bestOurs, cpuOurs = min(bestOurs, d), cpuOurs+c
		}
		ratio := bestOurs.Seconds() / bestTar.Seconds()
		b.ReportMetric(ratio, "ratio")
		b.ReportMetric(cpuOurs.Seconds()/cpuTar.Seconds(), "cpu-ratio")
		b.Logf("gztools-install 201 MiB: ours %v (CPU %v), tar xzf %v (CPU %v), ratio %.2f (CPU %.2f)",
			bestOurs.Round(time.Millisecond), (cpuOurs / 3).Round(time.Millisecond), bestTar.Round(time.Millisecond), (cpuTar / 3).Round(time.Millisecond),
			ratio, cpuOurs.Seconds()/cpuTar.Seconds())
	}
}

// cpuTime is the user and system time of who: this process, or the
// children it has waited for.
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
