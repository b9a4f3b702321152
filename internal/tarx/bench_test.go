package tarx_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"cntools/internal/tarx"
	"cntools/internal/tarx/tarxtest"
)

// BenchmarkExtract200MiB extracts a 200 MiB tools tarball with Extract and
// with GNU `tar xzf`, on the same machine into the same filesystem, and
// reports ours / tar as "ratio" (below 1 is faster). Each is run three
// times and the fastest run counts, so a stray page-cache flush does not
// decide the ratio.
func BenchmarkExtract200MiB(b *testing.B) {
	dir := b.TempDir()
	tgz := filepath.Join(dir, "tools.tar.gz")
	if err := tarxtest.WriteToolsTarball(tgz, 200<<20); err != nil {
		b.Fatal(err)
	}
	tarBin, err := exec.LookPath("tar")
	if err != nil {
		b.Fatalf("GNU tar is needed to compare against: %v", err)
	}
	run := 0
	ours := func() time.Duration {
		run++
		out := filepath.Join(dir, fmt.Sprint("ours", run))
		start := time.Now()
		if _, err := tarx.ExtractFile(context.Background(), tgz, out, tarx.Options{}); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		os.RemoveAll(out)
		return d
	}
	gnu := func() time.Duration {
		run++
		out := filepath.Join(dir, fmt.Sprint("tar", run))
		os.Mkdir(out, 0o755)
		start := time.Now()
		if out, err := exec.Command(tarBin, "xzf", tgz, "-C", out).CombinedOutput(); err != nil {
			b.Fatalf("tar xzf: %v: %s", err, out)
		}
		d := time.Since(start)
		os.RemoveAll(out)
		return d
	}
	b.ResetTimer()
	for range b.N {
		bestOurs, bestTar := time.Duration(1<<62), time.Duration(1<<62)
		for range 3 {
			bestTar = min(bestTar, gnu())
			bestOurs = min(bestOurs, ours())
		}
		ratio := bestOurs.Seconds() / bestTar.Seconds()
		b.ReportMetric(ratio, "ratio")
		b.Logf("extract 200 MiB: ours %v, tar %v, ratio %.2f", bestOurs.Round(time.Millisecond), bestTar.Round(time.Millisecond), ratio)
	}
}
