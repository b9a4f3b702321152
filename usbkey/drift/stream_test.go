package drift

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// manifestFiles writes a reference manifest (the real-key fixture) and n
// others beside it, one in a hundred with one file's content changed, as a
// DC's collected manifests would be.
func manifestFiles(tb testing.TB, n int) (srcs []ManifestSource, drifted int) {
	tb.Helper()
	dir := tb.TempDir()
	m := realManifest()
	var b bytes.Buffer
	m.Encode(&b)
	refText := b.String()
	changed := strings.Replace(refText, m.Entries[len(m.Entries)/2].SHA256, strings.Repeat("f", 64), 1)
	src := func(name, body string) ManifestSource {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			tb.Fatal(err)
		}
		return ManifestSource{Name: name, Open: func() (io.ReadCloser, error) { return os.Open(p) }}
	}
	srcs = append(srcs, src("usbkey.json", refText))
	for i := range n {
		body := refText
		if i%100 == 50 {
			body, drifted = changed, drifted+1
		}
		srcs = append(srcs, src(fmt.Sprintf("cn%05d.json", i), body))
	}
	return srcs, drifted
}

func TestCompareStream(t *testing.T) {
	srcs, drifted := manifestFiles(t, 300)
	r, err := CompareStream(srcs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pairs) != 300 {
		t.Fatalf("%d pairs, want 300", len(r.Pairs))
	}
	got := 0
	for i, p := range r.Pairs {
		if want := srcs[i+1].Name; p.Copy != want {
			t.Errorf("pair %d is %s, want %s (the order given)", i, p.Copy, want)
		}
		if len(p.Drifts) > 0 {
			got++
			if len(p.Drifts) != 1 || p.Drifts[0].Kind != "content" {
				t.Errorf("%s: drifts %+v, want the one changed file", p.Copy, p.Drifts)
			}
		}
	}
	if got != drifted {
		t.Errorf("%d copies drift, want %d", got, drifted)
	}
	// The same answer as decoding every manifest.
	var copies []*Copy
	for _, s := range srcs {
		rc, _ := s.Open()
		c, err := LoadManifest(s.Name, rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		copies = append(copies, c)
	}
	if all := Compare(copies[0], copies[1:], Options{}); all.Count() != r.Count() {
		t.Errorf("CompareStream found %d differences, Compare %d", r.Count(), all.Count())
	}
	// A broken manifest names itself.
	bad := append(srcs[:2:2], ManifestSource{Name: "broken.json", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("{")), nil }})
	if _, err := CompareStream(bad, Options{}); err == nil || !strings.HasPrefix(err.Error(), "broken.json: ") {
		t.Errorf("CompareStream(broken) = %v, want an error naming broken.json", err)
	}
}

// BenchmarkCompareManifests compares a reference with 1,000 and 10,000
// manifest files (the real-key fixture, one in a hundred drifted), as
// `usbkey-drift compare ref.json *.json` does, and reports the seconds, the
// peak heap and the bytes allocated. Goals (issue 14): under 1 s and
// 64 MiB for 1,000, linear beyond.
func BenchmarkCompareManifests(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			srcs, _ := manifestFiles(b, n)
			var peak atomic.Uint64
			stop := make(chan struct{})
			go func() {
				var ms runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(2 * time.Millisecond):
					}
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
				}
			}()
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for b.Loop() {
				if _, err := CompareStream(srcs, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			close(stop)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			secs := b.Elapsed().Seconds() / float64(b.N)
			peakMiB := float64(peak.Load()) / (1 << 20)
			allocMiB := float64(after.TotalAlloc-before.TotalAlloc) / float64(b.N) / (1 << 20)
			b.ReportMetric(secs, "s/compare")
			b.ReportMetric(peakMiB, "MiB-peak-heap")
			b.Logf("reference + %d manifests: %.3f s, peak heap %.1f MiB, %.0f MiB allocated (goal for 1,000: < 1 s, < 64 MiB)", n, secs, peakMiB, allocMiB)
		})
	}
}
