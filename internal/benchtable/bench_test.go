package benchtable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"cntools/convert/converttest"
	"cntools/gztools/gztoolstest"
	"cntools/internal/atomicfile"
	"cntools/internal/sshconn/sshtest"
	"cntools/internal/tarx/tarxtest"
	"cntools/usbkey/bootfiles/bootfilestest"
	"cntools/usbkey/parttable"
)

// BenchmarkTable measures every row of issue 14's table, ours against the
// peer, alternately, and prints the Markdown table. make bench runs it
// with the environment below set:
//
//	CNTOOLS_BENCH_ROUNDS  counted rounds per row (default 9)
//	CNTOOLS_BENCH_OUT     also write the table to this file
//	CNTOOLS_BENCH_README  splice the table into this README, between
//	                      BeginMarker and EndMarker (only when every row ran)
//
// go test -run '^$' -bench 'Table/sync' -benchtime 1x ./internal/benchtable/
// runs some rows; each row runs its rounds once whatever b.N is.
func BenchmarkTable(b *testing.B) {
	rounds := 9
	if s := os.Getenv("CNTOOLS_BENCH_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("CNTOOLS_BENCH_ROUNDS=%q: want a count of rounds, 1 or more", s)
		}
		rounds = n
	}
	w := newBench(b)
	m := Machine{When: time.Now(), Cores: runtime.NumCPU(), LoadBefore: loadAverage(), Rounds: rounds,
		Description: runtime.Version() + ", Linux " + kernel()}
	var results []Result
	rows := w.rows()
	for _, row := range rows {
		b.Run(row.name, func(b *testing.B) {
			for b.Loop() {
				res, err := Alternate(row.Row, rounds)
				if err != nil {
					b.Fatal(err)
				}
				results = append(results, res)
				if row.Theirs != nil {
					b.ReportMetric(res.Ratio(), "ratio")
				}
				b.ReportMetric(res.OursMedian(), map[bool]string{true: "ours-bytes", false: "ours-s"}[row.Bytes])
			}
		})
	}
	m.LoadAfter = loadAverage()
	var table bytes.Buffer
	if err := WriteTable(&table, m, results); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("\n%s\n", table.String())
	if p := os.Getenv("CNTOOLS_BENCH_OUT"); p != "" {
		if err := os.WriteFile(p, table.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if p := os.Getenv("CNTOOLS_BENCH_README"); p != "" {
		if len(results) != len(rows) {
			b.Logf("%s left as it is: %d of %d rows ran", p, len(results), len(rows))
			return
		}
		if err := spliceFile(p, table.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}

// spliceFile replaces the table in the README at p, atomically.
func spliceFile(p string, table []byte) error {
	old, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	text, err := Splice(old, table)
	if err != nil {
		return err
	}
	f, err := atomicfile.Create(p, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(text); err != nil {
		return err
	}
	return f.Commit()
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// bench holds what every row shares: the scratch directory, the built
// tools, the sshd servers standing in for two core CNs.
type bench struct {
	tb      testing.TB
	dir     string
	tools   string
	env     []string
	servers []*sshtest.Server
}

type namedRow struct {
	name string
	*Row
}

func newBench(tb testing.TB) *bench {
	w := &bench{tb: tb, dir: tb.TempDir()}
	w.tools = w.path("bin")
	buildTools(tb, w.tools)
	home := w.path("home")
	// The tools log in with the keys named on their command lines and no
	// agent; mtools is told not to question the images' geometry.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SSH_AUTH_SOCK=") && !strings.HasPrefix(kv, "HOME=") {
			w.env = append(w.env, kv)
		}
	}
	w.env = append(w.env, "HOME="+home, "MTOOLS_SKIP_CHECK=1", "NO_COLOR=1")
	w.servers = []*sshtest.Server{sshtest.ForTest(tb), sshtest.ForTest(tb)}
	// The targets have the toolkit, as a CN with cn_tools.tar.gz does
	// (usbkey-sync asks its target for its state) and as rsync needs
	// rsync there: Debian's bash reads the .bashrc in the sessions' HOME
	// for a command sshd runs.
	for _, s := range w.servers {
		if err := s.SessionEnv("PATH=" + w.tools + ":$PATH"); err != nil {
			tb.Fatal(err)
		}
	}
	return w
}

// path makes a directory under the scratch directory and returns it.
func (w *bench) path(name string) string {
	p := filepath.Join(w.dir, name)
	if err := os.MkdirAll(p, 0o755); err != nil {
		w.tb.Fatal(err)
	}
	return p
}

func (w *bench) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = w.env
	cmd.Dir = w.dir
	return cmd
}

// rel names p relative to w.dir, where every command runs: our tools
// resolve an absolute path under their --root, as a path on the node.
func (w *bench) rel(p string) string {
	r, err := filepath.Rel(w.dir, p)
	if err != nil {
		panic(err)
	}
	return r
}

// tool runs one of ours, as built.
func (w *bench) tool(name string, args ...string) *exec.Cmd {
	return w.command(filepath.Join(w.tools, name), args...)
}

// sync is usbkey-sync from src to dsts[i] on server i, its run log and
// hash cache under root, printing JSON.
func (w *bench) sync(root, src string, dsts ...string) *exec.Cmd {
	args := []string{"--root", root, "--from", w.rel(src), "-j"}
	for i, d := range dsts {
		s := w.servers[i]
		args = append(args, "-t", fmt.Sprintf("%s@127.0.0.1:%d:%s", s.User, s.Port, d), "-i", s.IdentityFile, "--known-hosts", s.KnownHosts)
	}
	return w.tool("usbkey-sync", args...)
}

// rsync is rsync -a -e ssh from src to dst on server i, as an operator
// runs it; ssh reads no config but what is given here.
func (w *bench) rsync(i int, src, dst string, extra ...string) *exec.Cmd {
	s := w.servers[i]
	ssh := fmt.Sprintf("ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=%s -i %s -p %d", s.KnownHosts, s.IdentityFile, s.Port)
	args := append([]string{"-a"}, extra...)
	return w.command("rsync", append(args, "-e", ssh, src+"/", fmt.Sprintf("%s@127.0.0.1:%s/", s.User, dst))...)
}

// both runs one command per target at once.
func both(f func(i int, dst string) *exec.Cmd, dsts ...string) []*exec.Cmd {
	var cmds []*exec.Cmd
	for i, d := range dsts {
		cmds = append(cmds, f(i, d))
	}
	return cmds
}

// fresh names n target directories for this side and round, none existing.
func (w *bench) fresh(side string, round, n int) []string {
	var out []string
	for i := range n {
		p := filepath.Join(w.dir, fmt.Sprintf("%s-%d-%d", side, round, i))
		os.RemoveAll(p)
		out = append(out, p)
	}
	return out
}

func removeAll(ps []string) {
	for _, p := range ps {
		os.RemoveAll(p)
	}
}

// measured runs cmds through Measure and then removes what the round
// wrote, so the next round starts as this one did, and flushes the disk,
// untimed: the removal of what a round wrote (hundreds of MiB, the disk
// discarding their blocks) would otherwise still be queued on the disk
// when the next side starts, and be waited for by whichever side
// flushes first.
func measured(cleanup []string, cmds []*exec.Cmd, ok ...int) (Sample, error) {
	s, err := Measure(cmds, ok...)
	removeAll(cleanup)
	syscall.Sync()
	return s, err
}

func (w *bench) rows() []namedRow {
	pop := w.populateFixture()
	return []namedRow{
		{"sync-initial-small", w.syncInitial("`usbkey-sync` initial, 5,000 small files (160 MB), 2 targets", "small", syncSmallTree)},
		{"sync-noop", w.syncNoop()},
		{"sync-initial-large", w.syncInitial("`usbkey-sync` initial, 384 MiB in 635 files, 2 targets", "large", syncLargeTree)},
		{"wire-noop", w.wireBytes(false)},
		{"wire-one-changed", w.wireBytes(true)},
		{"drift-compare-1000", w.driftCompare(1000, time.Second, 64<<20)},
		{"drift-compare-10000", w.driftCompare(10000, 10*time.Second, 640<<20)},
		{"populate", w.populate(pop, false)},
		{"populate-cold", w.populate(pop, true)},
		{"format", w.format()},
		{"gztools-install", w.gztools()},
	}
}

// lazily writes a fixture the first time a row runs, so a filtered run
// pays only for its own rows.
func lazily(f func() error) func() error {
	var done bool
	var err error
	return func() error {
		if !done {
			done, err = true, f()
		}
		return err
	}
}

func ratioBelow(goal float64) func(Result) bool {
	return func(r Result) bool { return r.Ratio() < goal }
}

func (w *bench) syncInitial(work, name string, tree func(testing.TB, string)) *Row {
	src := filepath.Join(w.dir, name)
	root := filepath.Join(w.dir, name+"-root")
	prep := lazily(func() error { tree(w.tb, src); return nil })
	return &Row{
		Work: work, Peer: "rsync -a -e ssh", Goal: "< 1.0×", Met: ratioBelow(1),
		Before: func(int) error { return prep() },
		Warm:   func() error { return warmTree(src) },
		Ours: func(r int) (Sample, error) {
			// A first sync: no target copy and no hash cache yet.
			os.RemoveAll(filepath.Join(root, "var/cache"))
			dsts := w.fresh(name+"-ours", r, 2)
			return measured(dsts, []*exec.Cmd{w.sync(root, src, dsts...)})
		},
		Theirs: func(r int) (Sample, error) {
			dsts := w.fresh(name+"-rsync", r, 2)
			return measured(dsts, both(func(i int, d string) *exec.Cmd { return w.rsync(i, src, d) }, dsts...))
		},
	}
}

// syncNoop: both sides' targets already hold the tree.
func (w *bench) syncNoop() *Row {
	src, root := filepath.Join(w.dir, "noop"), filepath.Join(w.dir, "noop-root")
	ours, theirs := w.fresh("noop-ours", 0, 2), w.fresh("noop-rsync", 0, 2)
	prep := lazily(func() error {
		syncSmallTree(w.tb, src)
		if _, err := Measure([]*exec.Cmd{w.sync(root, src, ours...)}); err != nil {
			return err
		}
		_, err := Measure(both(func(i int, d string) *exec.Cmd { return w.rsync(i, src, d) }, theirs...))
		return err
	})
	return &Row{
		Work: "`usbkey-sync` no-op, 5,000 files, 2 targets", Peer: "rsync -a -e ssh",
		Goal:   "< 0.5× and < 0.3 s",
		Met:    func(r Result) bool { return r.Ratio() < 0.5 && r.OursMedian() < 0.3 },
		Before: func(int) error { return prep() },
		Ours: func(int) (Sample, error) {
			return Measure([]*exec.Cmd{w.sync(root, src, ours...)})
		},
		Theirs: func(int) (Sample, error) {
			return Measure(both(func(i int, d string) *exec.Cmd { return w.rsync(i, src, d) }, theirs...))
		},
	}
}

// wireBytes: the bytes crossing the connection to one target, counted
// by usbkey-sync at the SFTP layer and by rsync --stats, for a sync with
// nothing changed or with one 1 MiB file changed among 5,000.
func (w *bench) wireBytes(change bool) *Row {
	name := "wire"
	work, goal, limit := "bytes on the wire, no-op, 5,000 files", "≤ 64 KiB", float64(64<<10)
	if change {
		name = "wire-changed"
		work, goal, limit = "bytes on the wire, one 1 MiB file changed among 5,000", "≤ 1.1 MiB", 1.1*(1<<20)
	}
	src, root := filepath.Join(w.dir, name), filepath.Join(w.dir, name+"-root")
	ours, theirs := filepath.Join(w.dir, name+"-ours"), filepath.Join(w.dir, name+"-rsync")
	big := filepath.Join(src, "os/20260301T000000Z/platform/i86pc/amd64/boot_archive.hash")
	prep := lazily(func() error {
		syncSmallTree(w.tb, src)
		writeFile(w.tb, src, strings.TrimPrefix(big, src+"/"), 1<<20, 0)
		if _, err := Measure([]*exec.Cmd{w.sync(root, src, ours)}); err != nil {
			return err
		}
		_, err := Measure([]*exec.Cmd{w.rsync(0, src, theirs)})
		return err
	})
	base := time.Now().Add(-2 * time.Hour)
	return &Row{
		Work: work, Peer: "rsync -a --stats -e ssh", Bytes: true, Goal: goal,
		Met: func(r Result) bool { return r.OursMedian() <= limit },
		Before: func(round int) error {
			if err := prep(); err != nil || !change {
				return err
			}
			// New content, and an mtime of its own so neither side's
			// size-and-mtime check passes it over.
			body := make([]byte, 1<<20)
			noise(body, uint64(round+100))
			if err := os.WriteFile(big, body, 0o644); err != nil {
				return err
			}
			t := base.Add(time.Duration(round) * time.Second)
			return os.Chtimes(big, t, t)
		},
		Ours: func(int) (Sample, error) {
			s, err := Measure([]*exec.Cmd{w.sync(root, src, ours)})
			if err != nil {
				return s, err
			}
			s.Value, err = oursWireBytes(s.Stdout[0])
			return s, err
		},
		Theirs: func(int) (Sample, error) {
			s, err := Measure([]*exec.Cmd{w.rsync(0, src, theirs, "--stats")})
			if err != nil {
				return s, err
			}
			s.Value, err = rsyncWireBytes(s.Stdout[0])
			return s, err
		},
	}
}

// oursWireBytes adds up what usbkey-sync -j says crossed the connection.
func oursWireBytes(out string) (float64, error) {
	var total float64
	found := false
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var t struct {
			Type     string   `json:"type"`
			Sent     *float64 `json:"wire_sent_bytes"`
			Received *float64 `json:"wire_received_bytes"`
		}
		if err := json.Unmarshal([]byte(line), &t); err != nil {
			return 0, fmt.Errorf("usbkey-sync -j printed %q: %w", line, err)
		}
		if t.Type == "target" && t.Sent != nil && t.Received != nil {
			total += *t.Sent + *t.Received
			found = true
		}
	}
	if !found {
		return 0, fmt.Errorf("usbkey-sync -j printed no target line with wire_sent_bytes and wire_received_bytes:\n%s", out)
	}
	return total, nil
}

var rsyncTotal = regexp.MustCompile(`(?m)^Total bytes (sent|received): ([\d,]+)$`)

// rsyncWireBytes adds rsync --stats's bytes sent and received.
func rsyncWireBytes(out string) (float64, error) {
	ms := rsyncTotal.FindAllStringSubmatch(out, -1)
	if len(ms) != 2 {
		return 0, fmt.Errorf("rsync --stats printed no byte totals:\n%s", out)
	}
	var total float64
	for _, m := range ms {
		n, err := strconv.ParseFloat(strings.ReplaceAll(m[2], ",", ""), 64)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// driftCompare: usbkey-drift compare of a reference and n manifests, one
// in a hundred with one file's content changed, as collected from a DC.
func (w *bench) driftCompare(n int, limit time.Duration, mem int64) *Row {
	dir := filepath.Join(w.dir, fmt.Sprintf("manifests-%d", n))
	var args []string
	prep := lazily(func() error {
		tree := filepath.Join(w.dir, "drift-tree")
		if _, err := os.Stat(tree); err != nil {
			if err := converttest.WriteStandby(tree); err != nil {
				return err
			}
			for i := range 600 {
				writeFile(w.tb, tree, fmt.Sprintf("scripts/lib/m%02d/index%03d.js", i%40, i), 1000+i, uint64(i))
			}
		}
		s, err := Measure([]*exec.Cmd{w.tool("usbkey-drift", "manifest", "--no-cache", tree)})
		if err != nil {
			return err
		}
		ref := s.Stdout[0]
		i := strings.Index(ref[len(ref)/2:], `"sha256":"`) + len(ref)/2 + len(`"sha256":"`)
		changed := ref[:i] + strings.Repeat("f", 64) + ref[i+64:]
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		args = []string{"compare", "-j", filepath.Join(dir, "usbkey.json")}
		if err := os.WriteFile(args[2], []byte(ref), 0o644); err != nil {
			return err
		}
		for i := range n {
			body, p := ref, filepath.Join(dir, fmt.Sprintf("cn%05d.json", i))
			if i%100 == 50 {
				body = changed
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				return err
			}
			args = append(args, p)
		}
		return nil
	})
	return &Row{
		Work: fmt.Sprintf("`usbkey-drift compare`, reference + %d manifests", n),
		Goal: fmt.Sprintf("< %g s and < %d MiB", limit.Seconds(), mem>>20),
		Met: func(r Result) bool {
			peak, _ := r.PeakRSS()
			return r.OursMedian() < limit.Seconds() && peak < mem
		},
		Before: func(int) error { return prep() },
		Ours: func(int) (Sample, error) {
			// Exit 1: the copies drift, as they were made to.
			s, err := Measure([]*exec.Cmd{w.tool("usbkey-drift", args...)}, 1)
			if err == nil {
				if got := strings.Count(s.Stdout[0], `"type":"drift"`); got != n/100 {
					err = fmt.Errorf("usbkey-drift compare found %d drifted paths, want %d", got, n/100)
				}
			}
			return s, err
		},
	}
}

// keySource is a headnode's key content: what converttest's standby copy
// holds but only /usbkey has, a 256 MiB boot_archive and 3,000 small files.
func (w *bench) keySource() func() (string, error) {
	src := filepath.Join(w.dir, "key-content")
	return lazilyValue(func() (string, error) {
		if err := converttest.WriteStandby(src); err != nil {
			return "", err
		}
		for _, p := range []string{"extra", "os/latest", "boot/networking.json"} {
			if err := os.RemoveAll(filepath.Join(src, p)); err != nil {
				return "", err
			}
		}
		writeFile(w.tb, src, "os/"+converttest.Platform+"/platform/i86pc/amd64/boot_archive", 256<<20, 7)
		smallFiles(w.tb, src, "zones/bench", 3000)
		return src, nil
	})
}

// lazilyValue is lazily for a fixture that names what it wrote.
func lazilyValue(f func() (string, error)) func() (string, error) {
	var s string
	run := lazily(func() (err error) { s, err = f(); return err })
	return func() (string, error) { return s, run() }
}

const keySize = 4 << 30

// layout is the v2 key's partitions on a keySize image.
func layout() parttable.Layout {
	l, err := parttable.V2Layout(keySize / 512)
	if err != nil {
		panic(err)
	}
	return l
}

// bootDir writes the boot files and names them relative to w.dir.
func (w *bench) bootDir() func() (string, error) {
	return lazilyValue(func() (string, error) {
		return "boot-files", bootfilestest.WriteDir(filepath.Join(w.dir, "boot-files"))
	})
}

// populate: filling a freshly formatted 4 GiB key image, against mcopy
// into the same fresh image and a sync of it. Warm, the source's sums are
// in the hash cache a populate keeps of a directory it read (the warm-up
// round's): a second key from the same standby copy. Cold, the cache is
// removed before each of our runs: a source this node never populated
// from.
func (w *bench) populate(fixture func() (string, error), cold bool) *Row {
	root, pristine := w.populateRoot(), filepath.Join(w.dir, "pristine.img")
	work := "`usbkey-populate` of a fresh 4 GiB key, 360 MiB in 3,100 files, from a copy it populated a key from before"
	if cold {
		work = "`usbkey-populate` of a fresh 4 GiB key, 360 MiB in 3,100 files, from a copy it never hashed (no hash cache)"
	}
	var src string
	prep := func() (err error) {
		src, err = fixture()
		return err
	}
	image := func(side string) (string, error) {
		img := filepath.Join(w.dir, side+".img")
		os.Remove(img)
		return img, exec.Command("cp", "--sparse=always", pristine, img).Run()
	}
	off := strconv.FormatUint(layout().Root.Start*512, 10)
	return &Row{
		Work: work, Peer: "mcopy -o -m -s + sync",
		Goal: "≤ 1.0×", Met: func(r Result) bool { return r.Ratio() <= 1 },
		Before: func(int) error { return prep() },
		Warm:   func() error { return warmTree(src) },
		Ours: func(int) (Sample, error) {
			img, err := image("populate-ours")
			if err != nil {
				return Sample{}, err
			}
			if cold {
				caches, _ := filepath.Glob(filepath.Join(root, "var/cache/cn-tools/populate-source_*.json"))
				removeAll(caches)
			}
			return measured([]string{img}, []*exec.Cmd{w.tool("usbkey-populate", "--root", root, "--from", w.rel(src), "-y", w.rel(img))})
		},
		Theirs: func(int) (Sample, error) {
			img, err := image("populate-mtools")
			if err != nil {
				return Sample{}, err
			}
			script := `set -e; cd "$3"; mcopy -o -m -s -i "$1@@$2" * ::/; sync "$1"`
			return measured([]string{img}, []*exec.Cmd{w.command("sh", "-c", script, "sh", img, off, src)})
		},
	}
}

func (w *bench) populateRoot() string { return filepath.Join(w.dir, "populate-root") }

// populateFixture makes, once for both populate rows, the key content and
// a freshly formatted image (pristine.img) each run gets a copy of; it
// names the content.
func (w *bench) populateFixture() func() (string, error) {
	source, boot := w.keySource(), w.bootDir()
	return lazilyValue(func() (string, error) {
		src, err := source()
		if err != nil {
			return "", err
		}
		b, err := boot()
		if err != nil {
			return "", err
		}
		_, err = Measure([]*exec.Cmd{w.tool("usbkey-format", "--root", w.populateRoot(), "--boot-dir", b, "--size", strconv.Itoa(keySize), "-y", "pristine.img")})
		return src, err
	})
}

// format: a 4 GiB key image, made from nothing, against the fastest way
// the peers make the same layout: the partition table laid down from a
// template (no sgdisk, whose own sync and sleep would flatter us),
// mkfs.vfat at each partition's offset, dd of gptzfsboot, mcopy of the
// loader files, and one sync of the image.
func (w *bench) format() *Row {
	boot := w.bootDir()
	root := filepath.Join(w.dir, "format-root")
	head, tail := filepath.Join(w.dir, "gpt-head.bin"), filepath.Join(w.dir, "gpt-tail.bin")
	l := layout()
	var bootDir string
	prep := lazily(func() error {
		var err error
		if bootDir, err = boot(); err != nil {
			return err
		}
		// The template: our own key's first 34 and last 33 sectors (the
		// protective MBR and both GPTs), which sgdisk would have written.
		tmpl := filepath.Join(w.dir, "template.img")
		if _, err := Measure([]*exec.Cmd{w.tool("usbkey-format", "--root", root, "--boot-dir", bootDir, "--size", strconv.Itoa(keySize), "-y", w.rel(tmpl))}); err != nil {
			return err
		}
		defer os.Remove(tmpl)
		for _, c := range [][]string{
			{"dd", "if=" + tmpl, "of=" + head, "bs=512", "count=34", "status=none"},
			{"dd", "if=" + tmpl, "of=" + tail, "bs=512", "skip=" + strconv.FormatUint(l.Sectors-33, 10), "status=none"},
		} {
			if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
				return fmt.Errorf("%v: %w: %s", c, err, out)
			}
		}
		return os.MkdirAll(filepath.Join(w.dir, "esp/efi/boot"), 0o755)
	})
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	// mkfs_pcfs's cluster sizes, which ours writes too (mkfs.c:1341):
	// one sector for the 256 MiB ESP, two for this root. mkfs.vfat's own
	// choice for the ESP is too few clusters for FAT32, which mtools
	// then cannot write.
	rootCluster := uint64(1)
	for l.Root.Size >= rootCluster*0x400000 {
		rootCluster *= 2
	}
	return &Row{
		Work: "`usbkey-format` of a 4 GiB image", Peer: "dd + mkfs.vfat + dd + mcopy + sync",
		Goal: "≤ 1.0×", Met: func(r Result) bool { return r.Ratio() <= 1 },
		Before: func(int) error { return prep() },
		Ours: func(r int) (Sample, error) {
			img := filepath.Join(w.dir, "format-ours.img")
			os.Remove(img)
			return measured([]string{img}, []*exec.Cmd{w.tool("usbkey-format", "--root", root, "--boot-dir", bootDir, "--size", strconv.Itoa(keySize), "-y", w.rel(img))})
		},
		Theirs: func(r int) (Sample, error) {
			img := filepath.Join(w.dir, "format-peer.img")
			os.Remove(img)
			if err := os.Link(filepath.Join(w.dir, bootDir, "boot/loader64.efi"), filepath.Join(w.dir, "esp/efi/boot/bootx64.efi")); err != nil && !os.IsExist(err) {
				return Sample{}, err
			}
			script := strings.Join([]string{
				`set -e`,
				`truncate -s ` + u(keySize) + ` "$1"`,
				`dd if="$2" of="$1" conv=notrunc status=none`,
				`dd if="$3" of="$1" bs=512 seek=` + u(l.Sectors-33) + ` conv=notrunc status=none`,
				`mkfs.vfat -F 32 -s 1 -n SYSTEM --offset ` + u(l.ESP.Start) + ` "$1" ` + u(l.ESP.Size/2) + ` >/dev/null`,
				`dd if="$4/boot/gptzfsboot" of="$1" bs=512 seek=` + u(l.Boot.Start) + ` conv=notrunc status=none`,
				`mkfs.vfat -F 32 -s ` + u(rootCluster) + ` -n SMARTOSBOOT --offset ` + u(l.Root.Start) + ` "$1" ` + u(l.Root.Size/2) + ` >/dev/null`,
				`mcopy -s -i "$1@@` + u(l.ESP.Start*512) + `" "$5/efi" ::/`,
				`mcopy -s -i "$1@@` + u(l.Root.Start*512) + `" "$4/boot" ::/`,
				`sync "$1"`,
			}, "\n")
			return measured([]string{img}, []*exec.Cmd{w.command("sh", "-c", script, "sh", img, head, tail, bootDir, filepath.Join(w.dir, "esp"))})
		},
	}
}

// gztools: installing the global-zone tools from a usbkey copy whose
// tools.tar.gz is about 200 MiB, on a fresh CN root, against tar xzf of
// that tarball.
func (w *bench) gztools() *Row {
	src := filepath.Join(w.dir, "gz-usbkey")
	tgz := filepath.Join(src, "tools.tar.gz")
	prep := lazily(func() error {
		if err := gztoolstest.WriteUsbkeyCopy(src, "3.4.2", "6d0b1d7e-0000-4000-8000-00000000c0de", "20260301T000000Z"); err != nil {
			return err
		}
		// Shaped like sdc-headnode's: many small compressible files and a
		// few binaries that do not compress.
		return tarxtest.WriteToolsTarball(tgz, 201<<20)
	})
	return &Row{
		Work: "`gztools-install` of a 201 MiB tools.tar.gz", Peer: "tar xzf",
		Goal: "≤ 0.8×", Met: func(r Result) bool { return r.Ratio() <= 0.8 },
		Before: func(int) error { return prep() },
		Warm:   func() error { return warmTree(src) },
		Ours: func(r int) (Sample, error) {
			root := w.fresh("gz-ours", r, 1)[0]
			if err := converttest.WriteNode(root); err != nil {
				return Sample{}, err
			}
			return measured([]string{root}, []*exec.Cmd{w.tool("gztools-install", "--root", root, "--from", w.rel(src), "--skip-usbkey", "-y")})
		},
		Theirs: func(r int) (Sample, error) {
			dst := w.fresh("gz-tar", r, 1)[0]
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return Sample{}, err
			}
			return measured([]string{dst}, []*exec.Cmd{w.command("tar", "xzf", tgz, "-C", dst)})
		},
	}
}
