package drift

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"cntools/usbkey/manifest"
)

// realManifest is a manifest shaped like a real /usbkey: three platforms,
// scripts, zone datasets and config, 650 entries.
func realManifest() *manifest.Manifest {
	t := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var es []manifest.Entry
	n := 0
	d := func(p string) {
		es = append(es, manifest.Entry{Path: p, Type: manifest.TypeDir, Mode: 0o755, MTime: t})
	}
	f := func(p string, size int64) {
		n++
		es = append(es, manifest.Entry{Path: p, Type: manifest.TypeFile, Size: size, Mode: 0o644,
			MTime: t.Add(time.Duration(n) * time.Second), SHA256: fmt.Sprintf("%064x", n*7919)})
	}
	for _, p := range []string{"boot", "config.inc", "datasets", "extra", "extra/joysetup", "os", "scripts", "tools"} {
		d(p)
	}
	f("config", 2048)
	f("config.inc/generic", 1024)
	f("boot/loader.conf", 300)
	f("extra/joysetup/node.config", 900)
	for _, stamp := range []string{"20250101T000000Z", "20250601T000000Z", "20260301T000000Z"} {
		d("os/" + stamp)
		d("os/" + stamp + "/platform")
		d("os/" + stamp + "/platform/i86pc")
		d("os/" + stamp + "/platform/i86pc/amd64")
		f("os/"+stamp+"/platform/i86pc/amd64/boot_archive", 400<<20)
		f("os/"+stamp+"/platform/i86pc/amd64/boot_archive.hash", 65)
		f("os/"+stamp+"/platform/i86pc/amd64/boot_archive.manifest", 120<<10)
		f("os/"+stamp+"/platform/i86pc/kernel/amd64/unix", 3<<20)
		f("os/"+stamp+"/platform/etc/version/platform", 17)
	}
	es = append(es, manifest.Entry{Path: "os/latest", Type: manifest.TypeSymlink, Mode: 0o777, MTime: t, Target: "20260301T000000Z"})
	for i := range 30 {
		f(fmt.Sprintf("datasets/zone-%02d.zfs.gz", i), 300<<20)
		f(fmt.Sprintf("datasets/zone-%02d.imgmanifest", i), 4<<10)
	}
	for i := len(es); i < 650; i++ {
		f(fmt.Sprintf("scripts/lib/module-%03d/index-%03d.js", i%40, i), int64(1000+i))
	}
	sortForTest(es)
	return &manifest.Manifest{Entries: es}
}

// sortForTest puts es in canonical order through an encode and decode.
func sortForTest(es []manifest.Entry) {
	var b bytes.Buffer
	if err := (&manifest.Manifest{Entries: es}).Encode(&b); err != nil {
		panic(err)
	}
	m, err := manifest.Decode(&b)
	if err != nil {
		panic(err)
	}
	copy(es, m.Entries)
}

type wireNodeOut struct {
	UUID     string        `json:"uuid"`
	Hostname string        `json:"hostname"`
	Result   *wireResOut   `json:"result,omitempty"`
	Error    *wireErrorOut `json:"error,omitempty"`
}

type wireResOut struct {
	ExitStatus int    `json:"exit_status"`
	Stdout     string `json:"stdout"`
	Stderr     string `json:"stderr"`
}

type wireErrorOut struct {
	Message string  `json:"message"`
	Name    string  `json:"name"`
	Code    *string `json:"code"`
}

// dcFixture is a stand-in `sdc-oneachnode -j` output for nodes nodes,
// sorted by hostname as -j sorts: every 100th node drifted (one file
// changed), every 250th failed (exit 127), every 400th not run (a Ur
// timeout). want counts them.
func dcFixture(nodes int) (ref *Copy, out []byte, want map[string]string) {
	m := realManifest()
	var b bytes.Buffer
	m.Encode(&b)
	refText := b.String()
	drifted := m.Entries[len(m.Entries)/2]
	changed := strings.Replace(refText, drifted.SHA256, strings.Repeat("f", 64), 1)
	var els []wireNodeOut
	want = map[string]string{}
	for i := range nodes {
		n := wireNodeOut{UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Hostname: fmt.Sprintf("cn%04d", i)}
		switch {
		case i%400 == 7:
			n.Error = &wireErrorOut{Message: "timeout for host " + n.UUID, Name: "VError"}
			want[n.Hostname] = NodeFailed
		case i%250 == 3:
			n.Result = &wireResOut{ExitStatus: 127, Stderr: "/bin/bash: line 3: /opt/smartdc/bin/usbkey-drift: No such file or directory\n"}
			want[n.Hostname] = NodeFailed
		case i%100 == 50:
			n.Result = &wireResOut{Stdout: changed}
			want[n.Hostname] = NodeDrift
		default:
			n.Result = &wireResOut{Stdout: refText}
			want[n.Hostname] = NodeInStep
		}
		els = append(els, n)
	}
	out, err := json.Marshal(els)
	if err != nil {
		panic(err)
	}
	return &Copy{Name: "usbkey", Manifest: m}, append(out, '\n'), want
}

// TestCompareOnEachNode1000 checks every node of a 1,000-node output is
// read and classed right (correctness, not time: see the benchmark).
func TestCompareOnEachNode1000(t *testing.T) {
	ref, out, want := dcFixture(1000)
	r, err := CompareOnEachNode(ref, bytes.NewReader(out), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Nodes) != 1000 {
		t.Fatalf("CompareOnEachNode: %d nodes, want 1000", len(r.Nodes))
	}
	for _, n := range r.Nodes {
		if n.Status != want[n.Hostname] {
			t.Errorf("node %s: status %s, want %s (%s)", n.Hostname, n.Status, want[n.Hostname], n.Failure)
		}
		if n.Status == NodeDrift && (len(n.Pair.Drifts) != 1 || n.Pair.Drifts[0].Kind != manifest.Content) {
			t.Errorf("node %s: drifts %v, want one content change", n.Hostname, paths(n.Pair))
		}
	}
	in, d, f := r.Counts()
	if in != 983 || d != 10 || f != 7 {
		t.Errorf("Counts() = %d, %d, %d, want 983, 10, 7", in, d, f)
	}
	// -J prints the same elements one a line.
	var els []json.RawMessage
	json.Unmarshal(out, &els)
	var lines bytes.Buffer
	for _, e := range els {
		lines.Write(e)
		lines.WriteByte('\n')
	}
	r2, err := CompareOnEachNode(ref, &lines, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if in2, d2, f2 := r2.Counts(); in2 != in || d2 != d || f2 != f {
		t.Errorf("-J: Counts() = %d, %d, %d, want %d, %d, %d", in2, d2, f2, in, d, f)
	}
}

// BenchmarkCompare1000Nodes parses a 1,000-node sdc-oneachnode -j output
// (each stdout a 650-entry manifest, 10 drifted, 7 failed) and compares
// every node with the reference, in one process, as usbkey-drift collect
// does. Goals: under 1 s and under 64 MiB allocated for the 1,000.
func BenchmarkCompare1000Nodes(b *testing.B) {
	ref, out, _ := dcFixture(1000)
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := CompareOnEachNode(ref, bytes.NewReader(out), Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Nodes) != 1000 {
			b.Fatalf("%d nodes", len(r.Nodes))
		}
	}
	b.StopTimer()
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/1000nodes")
	var ms1, ms2 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	CompareOnEachNode(ref, bytes.NewReader(out), Options{})
	runtime.ReadMemStats(&ms2)
	mib := float64(ms2.TotalAlloc-ms1.TotalAlloc) / (1 << 20)
	b.ReportMetric(mib, "MiB/1000nodes")
	b.Logf("1,000 nodes, %d MiB of sdc-oneachnode output: %.3f s, %.1f MiB allocated (goals: < 1 s, < 64 MiB)",
		len(out)>>20, b.Elapsed().Seconds()/float64(b.N), mib)
}
