package populate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"log/slog"

	"cntools/internal/atomicfile"
	"cntools/internal/progress"
	"cntools/internal/sshconn"
	"cntools/usbkey/config"
	"cntools/usbkey/fat32"
	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

// Options shape a run beyond what the request says: how, not what.
type Options struct {
	// CachePath is the manifest hash cache for the target; NewPlan
	// defaults it under the node's cache directory, MakePlan uses none.
	CachePath string
	// SourceCachePath is the hash cache of a source that is a directory
	// on this node, so that a file copied again unchanged (a second key
	// from the same standby copy) is read and written but not hashed;
	// NewPlan defaults it as CachePath, MakePlan uses none.
	SourceCachePath string
	// Opener opens the source and target; a shared one lets several
	// plans read one source (a tarball is then extracted once).
	Opener *keytree.Opener
	// SSH says how to reach a source on another node.
	SSH sshconn.Options
	Log *slog.Logger
	// Progress, when set, counts the bytes copied as they are written,
	// within files as well as between them.
	Progress *progress.Meter
}

// Action is one file to copy.
type Action struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Reason string `json:"reason"` // "new", "changed" or "damaged"
	mtime  time.Time
	mode   fs.FileMode
}

// Plan is what a run would do.
type Plan struct {
	*Selection
	Mkdirs  []string
	Copy    []Action
	Stale   []string        // temporary files an interrupted run left on the target
	Same    int             // files already on the target
	Bytes   int64           // bytes to copy
	Changes []config.Change // what --node-config changes in the config
	// Repairs is the damage found on the target's filesystem (a key's
	// FAT), mended in memory and written once the marker is off; the
	// files it names are copied again.
	Repairs []fat32.Problem

	src      keytree.Tree
	dst      keytree.Writer
	opts     Options
	noVerify bool
	closers  []io.Closer
}

// InStep reports whether the target already holds everything the plan
// would copy, marker included.
func (p *Plan) InStep() bool {
	if len(p.Copy) > 0 || len(p.Mkdirs) > 0 || len(p.Stale) > 0 || len(p.Repairs) > 0 {
		return false
	}
	_, err := p.dst.Lstat(MarkerFile)
	return err == nil
}

// ErrVerify means a written file read back differently: the key may be
// failing. It is fat32's, so a chunk compared as it is written and a file
// hashed after the copy fail the same way.
var ErrVerify = fat32.ErrVerify

// checker is a target whose filesystem populate checks: a key's FAT.
type checker interface {
	Check() ([]fat32.Problem, error)
	Repair() ([]fat32.Problem, error)
}

// repair mends the target's filesystem in memory before it is compared,
// so that an interrupted run or a power cut (lost clusters, FATs that
// differ, a directory reaching a free cluster) or a chain that cannot be
// read does not stop every later run. It returns the damage and the
// files that lost content, by lower-case path.
func repair(dst keytree.Writer, log *slog.Logger) ([]fat32.Problem, map[string]bool, error) {
	c, ok := dst.(checker)
	if !ok {
		return nil, nil, nil
	}
	ps, err := c.Repair()
	if err != nil {
		return nil, nil, err
	}
	damaged := map[string]bool{}
	for _, p := range ps {
		if log != nil {
			log.Warn("repairing the target's filesystem", "target", dst.String(), "problem", p.String())
		}
		if p.Path != "" {
			damaged[strings.ToLower(strings.TrimPrefix(p.Path, "/"))] = true
		}
	}
	return ps, damaged, nil
}

// checkClean refuses to mark a target whose filesystem is not consistent.
func checkClean(dst keytree.Writer) error {
	c, ok := dst.(checker)
	if !ok {
		return nil
	}
	ps, err := c.Check()
	if err != nil {
		return err
	}
	if len(ps) > 0 {
		var s []string
		for _, p := range ps {
			s = append(s, p.String())
		}
		return fmt.Errorf("the filesystem is damaged after the copy (%s); the key is left unmarked: run usbkey-populate again, and replace the key if it happens again", strings.Join(s, "; "))
	}
	return nil
}

// mtimeWindow is FAT's mtime resolution: times this close are the same.
const mtimeWindow = 2 * time.Second

// MakePlan compares the source's headnode content with the target and
// checks that it fits, writing nothing.
func MakePlan(ctx context.Context, src keytree.Tree, dst keytree.Writer, r Request, o Options) (*Plan, error) {
	return makePlan(ctx, startSelect(ctx, src, r), src, dst, r, o)
}

// makePlan is MakePlan with the source's selection under way: the target
// is checked while the source is walked.
func makePlan(ctx context.Context, s *selection, src keytree.Tree, dst keytree.Writer, r Request, o Options) (*Plan, error) {
	repairs, damaged, rerr := repair(dst, o.Log)
	sel, err := s.wait()
	if err != nil {
		return nil, err
	}
	if rerr != nil {
		return nil, fmt.Errorf("check target %s: %w", dst, rerr)
	}
	have, err := walk(ctx, dst)
	if err != nil {
		return nil, fmt.Errorf("read target %s: %w", dst, err)
	}
	vouched := vouchedFor(dst)
	_, fatTarget := dst.(*keytree.FATTree) // FAT has no modes to mend
	p := &Plan{Selection: sel, src: src, dst: dst, opts: o, noVerify: r.NoVerify, Repairs: repairs}
	onTarget := map[string]Entry{}
	for _, e := range have {
		onTarget[strings.ToLower(e.Path)] = e
		if !e.Dir && atomicfile.IsTemp(path.Base(e.Path)) {
			p.Stale = append(p.Stale, e.Path)
		}
	}
	free, unit := dst.Space()
	clusters := func(n int64) int64 { return (n + unit - 1) / unit }
	var need, freed int64
	for _, e := range sel.Entries {
		old, exists := onTarget[strings.ToLower(e.Path)]
		switch {
		case e.Dir && exists && old.Dir:
		case e.Dir:
			p.Mkdirs = append(p.Mkdirs, e.Path)
			need += unit
		case damaged[strings.ToLower(e.Path)]:
			p.Copy = append(p.Copy, Action{Path: e.Path, Size: e.Size, Reason: "damaged", mtime: e.MTime, mode: e.Mode})
			p.Bytes += e.Size
			need += clusters(e.Size) * unit
			if exists {
				freed += clusters(old.Size) * unit
			}
		case exists && !old.Dir && !fatTarget && tooOpen(old, e):
			// The same bytes, but readable by more than they should be
			// (a copy an older cn-tools wrote 0644): written again, so
			// that it gets its mode.
			p.Copy = append(p.Copy, Action{Path: e.Path, Size: e.Size, Reason: "mode", mtime: e.MTime, mode: e.Mode})
			p.Bytes += e.Size
			need += clusters(e.Size) * unit
			freed += clusters(old.Size) * unit
		case exists && !old.Dir && e.Data != nil && sameContent(dst, e):
			p.Same++
		case exists && !old.Dir && e.Data == nil && old.Size == e.Size && within(old.MTime, e.MTime, mtimeWindow) &&
			(vouched(e.Path, e.Size, old.MTime) || sameHash(src, dst, e.Path)):
			p.Same++
		default:
			a := Action{Path: e.Path, Size: e.Size, Reason: "new", mtime: e.MTime, mode: e.Mode}
			if exists {
				a.Reason = "changed"
				freed += clusters(old.Size) * unit
			}
			p.Copy = append(p.Copy, a)
			p.Bytes += e.Size
			need += clusters(e.Size) * unit
		}
	}
	if need > free+freed {
		return nil, fmt.Errorf("target %s: the copy needs %d bytes in %d-byte clusters, %d are free (%d more once replaced files are freed); use a larger key or narrow --platforms",
			dst, need, unit, free, freed)
	}
	return p, nil
}

// vouchedFor returns what the target's last complete run vouches for. A
// marked target's size and mtime are trusted. An unmarked one was
// interrupted (or never finished): a file there may have its directory
// entry without its data after a power cut, so only the files the last
// complete run's manifest lists with that size and mtime are trusted, and
// the rest are compared by content.
func vouchedFor(dst keytree.Tree) func(p string, size int64, mtime time.Time) bool {
	if r, err := dst.Open(MarkerFile); err == nil {
		r.Close()
		return func(string, int64, time.Time) bool { return true }
	}
	known := map[string]manifest.Entry{}
	if r, err := dst.Open(ManifestFile); err == nil {
		m, err := manifest.Decode(r)
		r.Close()
		if err == nil {
			for _, e := range m.Entries {
				known[strings.ToLower(e.Path)] = e
			}
		}
	}
	return func(p string, size int64, mtime time.Time) bool {
		e, ok := known[strings.ToLower(p)]
		return ok && e.Size == size && within(e.MTime, mtime, mtimeWindow)
	}
}

// sameHash compares a source file with the target's by content.
func sameHash(src, dst keytree.Tree, p string) bool {
	a, err := hashOf(dst, p)
	if err != nil {
		return false
	}
	b, err := hashOf(src, p)
	return err == nil && a == b
}

// sameContent compares a generated file with the target's copy.
func sameContent(dst keytree.Tree, e Entry) bool {
	b, err := readAll(dst.Open(e.Path))
	return err == nil && bytes.Equal(b, e.Data)
}

func within(a, b time.Time, d time.Duration) bool {
	x := a.Sub(b)
	return x <= d && x >= -d
}

// Result is what a run did.
type Result struct {
	Type     string             `json:"type"` // "usbkey-populate"
	Copied   int                `json:"copied"`
	Same     int                `json:"unchanged"`
	Bytes    int64              `json:"bytes"`
	Verified int                `json:"verified"`
	Manifest *manifest.Manifest `json:"-"`
}

// Run carries out a plan: marker off, directories, files (each hashed as it
// streams and, unless NoVerify, read back and hashed again), the manifest,
// and the marker last.
func Run(ctx context.Context, src keytree.Tree, dst keytree.Writer, p *Plan, o Options) (*Result, error) {
	if len(p.Copy) == 0 && len(p.Mkdirs) == 0 && len(p.Stale) == 0 && len(p.Repairs) == 0 {
		// Nothing to copy: a marked key whose manifest still says what is
		// on it is left untouched, so an unchanged run writes nothing.
		if m, ok := upToDate(ctx, dst, o); ok {
			return &Result{Type: "usbkey-populate", Same: p.Same, Manifest: m}, nil
		}
	}
	// The marker goes first, durably: from here until it is written again
	// the key is incomplete, even across a power cut.
	if err := dst.Remove(MarkerFile); err != nil {
		return nil, fmt.Errorf("remove marker: %w", err)
	}
	if err := dst.Flush(); err != nil {
		return nil, fmt.Errorf("remove marker: %w", err)
	}
	for _, st := range p.Stale {
		if err := dst.Remove(st); err != nil {
			return nil, fmt.Errorf("remove %s, left by an interrupted run: %w", st, err)
		}
	}
	for _, d := range p.Mkdirs {
		if err := dst.MkdirAll(d, time.Now()); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
	}
	res := &Result{Type: "usbkey-populate", Same: p.Same}
	var tick io.Writer
	if o.Progress != nil {
		tick = o.Progress
	}
	srcCache := loadSourceCache(dst, o)
	c := startCopy(ctx, src, p.Copy, tick, srcCache)
	defer c.stop()
	// Commits now and then, so that a run that is interrupted keeps most
	// of what it copied and the next run finishes the job. On a key
	// device a commit's flush runs in the background while the copy goes
	// on (keytree's StartCommit), and is finished at a later file's end.
	cm := newCommits(dst)
	// A file's line goes to the log once its hash is known, in order:
	// waiting for each hash as the file is written would hold the writer
	// back to the hasher's pace. The file a commit links last says so
	// ("committed") once that commit is finished, so its line waits for
	// that too.
	var unlogged []int
	logWritten := func(wait bool) {
		for ; len(unlogged) > 0; unlogged = unlogged[1:] {
			i := unlogged[0]
			if cm.pending == i && !wait {
				return
			}
			sum, ok := c.trySum(i)
			if !ok && !wait {
				return
			}
			if !ok {
				sum = c.sum(i)
			}
			a := p.Copy[i]
			o.Log.Debug("copied", "path", a.Path, "bytes", a.Size, "sha256", keytree.ShownSum(a.Path, sum), "committed", cm.linked[i])
		}
	}
	if o.Log != nil && o.Log.Enabled(ctx, slog.LevelDebug) {
		defer logWritten(true)
	} else {
		logWritten = func(bool) { unlogged = unlogged[:0] }
	}
	var sinceSync int64
	for i, a := range p.Copy {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r := c.file()
		err := writeFile(dst, a, r)
		if errors.Is(err, fat32.ErrNoSpace) && a.Reason != "new" && !r.Started() {
			// The plan counted the old file's clusters as free, but a
			// replaced file keeps them until the new one is committed.
			// The marker is off, so drop the old file first and retry.
			if err = dst.Remove(a.Path); err == nil {
				if err = cm.now(); err == nil {
					err = writeFile(dst, a, r)
				}
			}
		}
		if err != nil {
			return nil, err
		}
		res.Copied++
		res.Bytes += a.Size
		sinceSync += a.Size
		if err := cm.finish(false); err != nil {
			return nil, fmt.Errorf("sync %s: %w", dst, err)
		}
		if sinceSync >= commitEvery && cm.pending < 0 {
			if err := cm.start(i); err != nil {
				return nil, fmt.Errorf("sync %s: %w", dst, err)
			}
			sinceSync = 0
		}
		unlogged = append(unlogged, i)
		logWritten(false)
	}
	if err := cm.finish(true); err != nil {
		return nil, fmt.Errorf("sync %s: %w", dst, err)
	}
	logWritten(true)
	sums := make(map[string]string, len(p.Copy))
	for i, a := range p.Copy {
		sums[a.Path] = c.sum(i)
	}
	// The hash caches are written on goroutines of their own, beside the
	// flushes and the check that the marker waits for (each cost 10-15 ms
	// of a run's last 140 ms on the benchmark's machine); Run returns
	// only once they are. The source's is whole now: the hasher has
	// handed on every sum.
	var saving sync.WaitGroup
	defer saving.Wait()
	saving.Go(func() { saveSourceCache(srcCache, o) })
	// The manifest is built while the disk catches up with the copy (the
	// flush below). A file whose sum is "" (the source's cache knew it,
	// but it changed while it was read) is hashed from the key: every
	// chunk of it was read back and found to be what was read from the
	// source. Nothing is written or learnt of the target until its
	// content is verified.
	noVerify := p.noVerify
	building := make(chan builtManifest, 1)
	bctx, cancelBuild := context.WithCancel(ctx)
	defer cancelBuild()
	go func() {
		rehashed := map[string]string{}
		for _, a := range p.Copy {
			if sums[a.Path] != "" {
				continue
			}
			if err := bctx.Err(); err != nil {
				building <- builtManifest{err: err}
				return
			}
			sum, err := hashOf(dst, a.Path)
			if err != nil {
				building <- builtManifest{err: fmt.Errorf("hash %s on the target: %w", a.Path, err)}
				return
			}
			rehashed[a.Path] = sum
		}
		verified := func(p string, size int64) (string, bool) {
			sum, ok := sums[p]
			if sum == "" && ok {
				sum = rehashed[p]
			}
			return sum, ok && !noVerify
		}
		bm, err := buildManifest(bctx, dst, o, verified)
		bm.err = err
		building <- bm
	}()
	var bm builtManifest
	defer func() {
		if building != nil {
			cancelBuild()
			<-building // the build reads dst, which the caller closes
		}
	}()
	if err := dst.Flush(); err != nil {
		return nil, fmt.Errorf("sync %s: %w", dst, err)
	}
	if !p.noVerify {
		for _, a := range p.Copy {
			if dst.VerifiesWrites() {
				// Each chunk was read back and compared as it was
				// written; what is left to check is that the committed
				// file is the one written.
				if err := checkSize(dst, a.Path, a.Size); err != nil {
					return nil, fmt.Errorf("verify %s: %w", a.Path, err)
				}
				res.Verified++
				continue
			}
			got, err := hashOf(dst, a.Path)
			if err != nil {
				return nil, fmt.Errorf("verify %s: %w", a.Path, err)
			}
			if got != sums[a.Path] {
				return nil, fmt.Errorf("%w: %s: read back sha256 %s, wrote %s", ErrVerify, a.Path, got, sums[a.Path])
			}
			res.Verified++
		}
	}
	bm, building = <-building, nil
	if bm.err != nil {
		return nil, bm.err
	}
	if err := dst.WriteFile(ManifestFile, bytes.NewReader(bm.b), int64(len(bm.b)), 0o600, time.Now()); err != nil {
		return nil, fmt.Errorf("write manifest: %w", err)
	}
	saving.Go(func() { bm.saveCache(o) })
	res.Manifest = bm.m
	if err := dst.Flush(); err != nil {
		return nil, fmt.Errorf("write manifest: %w", err)
	}
	if err := checkClean(dst); err != nil {
		return nil, fmt.Errorf("%s: %w", dst, err)
	}
	// The marker last: only now is the key complete.
	if err := dst.WriteFile(MarkerFile, bytes.NewReader(nil), 0, keytree.DefaultFileMode, time.Now()); err != nil {
		return nil, fmt.Errorf("write marker: %w", err)
	}
	if err := dst.Flush(); err != nil {
		return nil, fmt.Errorf("write marker: %w", err)
	}
	return res, nil
}

// commitEvery is how much a run copies between commits; the crash tests
// commit far more often, to be cut in the middle of many commits.
var commitEvery int64 = 64 << 20

// commits are a run's commits: one at a time, begun after a file and, on
// a target that commits in the background, finished after a later one.
type commits struct {
	dst     keytree.Writer
	async   asyncCommitter // nil: every commit is whole
	pending int            // the file the commit under way links last; -1 for none
	linked  map[int]bool   // the files a finished commit linked last
}

// asyncCommitter is a target whose commit can wait for the disk in the
// background (keytree.FATTree).
type asyncCommitter interface {
	StartCommit() error
	FinishCommit(wait bool) (bool, error)
}

func newCommits(dst keytree.Writer) *commits {
	c := &commits{dst: dst, pending: -1, linked: map[int]bool{}}
	c.async, _ = dst.(asyncCommitter)
	return c
}

// start commits the files written so far, the last of them file i.
func (c *commits) start(i int) error {
	if c.async == nil {
		if err := c.dst.Commit(); err != nil {
			return err
		}
		c.linked[i] = true
		return nil
	}
	if err := c.async.StartCommit(); err != nil {
		return err
	}
	c.pending = i
	return c.finish(false)
}

// finish finishes the commit under way, if its flush has ended or wait.
func (c *commits) finish(wait bool) error {
	if c.pending < 0 {
		return nil
	}
	done, err := c.async.FinishCommit(wait)
	if err != nil || !done {
		return err
	}
	c.linked[c.pending], c.pending = true, -1
	return nil
}

// now commits at once, whole, taking over the commit under way.
func (c *commits) now() error {
	if err := c.dst.Commit(); err != nil {
		return err
	}
	if c.pending >= 0 {
		c.linked[c.pending], c.pending = true, -1
	}
	return nil
}

// loadSourceCache is the source's hash cache, for a target whose writes
// are read back as they are made: only there does a file the cache knew,
// and that changed while it was read, have a sum to fall back on (the
// key's, hashed after the copy). A cache that cannot be read costs time,
// never the answer.
func loadSourceCache(dst keytree.Writer, o Options) *manifest.Cache {
	if o.SourceCachePath == "" || !dst.VerifiesWrites() {
		return nil
	}
	c, err := manifest.LoadCache(o.SourceCachePath)
	if err != nil {
		if o.Log != nil {
			o.Log.Warn("the source's hash cache is not used", "path", o.SourceCachePath, "err", err)
		}
		return &manifest.Cache{}
	}
	return c
}

func saveSourceCache(c *manifest.Cache, o Options) {
	if c != nil && c.Changed() {
		saveCache(c, o.SourceCachePath, o.Log)
	}
}

// saveCache writes a hash cache; one that cannot be written costs the
// next run time, never its answer.
func saveCache(c *manifest.Cache, path string, log *slog.Logger) {
	err := os.MkdirAll(filepath.Dir(path), 0o755)
	if err == nil {
		err = c.Save(path)
	}
	if err != nil && log != nil {
		log.Warn("hash cache not saved", "path", path, "err", err)
	}
}

// writeFile writes one file of the copy from r. An error reading the
// source comes back as it is: it already names the file.
func writeFile(dst keytree.Writer, a Action, r *pieceReader) error {
	err := dst.WriteFile(a.Path, r, a.Size, a.mode, a.mtime)
	if se := (*sourceError)(nil); errors.As(err, &se) {
		return se.err
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", a.Path, err)
	}
	return nil
}

func hashOf(dst keytree.Tree, p string) (string, error) {
	r, err := dst.Open(p)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	b := hashBufs.Get().(*[slabSize]byte)
	defer hashBufs.Put(b)
	// Hiding the file's WriteTo keeps the large buffer: *os.File's
	// would copy through 32 KiB of its own.
	if _, err := io.CopyBuffer(h, struct{ io.Reader }{r}, b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// buildManifest describes what is on the target, hashing only files the
// cache does not know.
func buildManifest(ctx context.Context, dst keytree.Tree, o Options, known func(string, int64) (string, bool)) (builtManifest, error) {
	var cache *manifest.Cache
	if o.CachePath != "" {
		if c, err := manifest.LoadCache(o.CachePath); err == nil {
			cache = c
		}
	}
	m, err := manifest.Build(ctx, dst, manifest.Options{Cache: cache, Known: known, Exclude: func(p string) bool {
		return strings.EqualFold(p, MarkerFile) || strings.EqualFold(p, ManifestFile)
	}})
	if err != nil {
		return builtManifest{}, fmt.Errorf("manifest of %s: %w", dst, err)
	}
	var b bytes.Buffer
	if err := m.Encode(&b); err != nil {
		return builtManifest{}, err
	}
	return builtManifest{m: m, b: b.Bytes(), cache: cache}, nil
}

// builtManifest is a target's manifest, encoded, and the target's hash
// cache that learnt its sums: saved only once the content is verified.
type builtManifest struct {
	m     *manifest.Manifest
	b     []byte
	cache *manifest.Cache
	err   error // the build's, when it ran on a goroutine of its own
}

func (bm builtManifest) saveCache(o Options) {
	if bm.cache != nil {
		saveCache(bm.cache, o.CachePath, o.Log)
	}
}

// upToDate reports whether the target is marked and its manifest file
// matches its content.
func upToDate(ctx context.Context, dst keytree.Tree, o Options) (*manifest.Manifest, bool) {
	if _, err := readAll(dst.Open(MarkerFile)); err != nil {
		return nil, false
	}
	r, err := dst.Open(ManifestFile)
	if err != nil {
		return nil, false
	}
	old, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return nil, false
	}
	bm, err := buildManifest(ctx, dst, o, nil)
	if err != nil || !bytes.Equal(bm.b, old) {
		return nil, false
	}
	bm.saveCache(o)
	return bm.m, true
}

// checkSize confirms the committed file p has size bytes.
func checkSize(t keytree.Tree, p string, size int64) error {
	fi, err := t.Lstat(p)
	if err != nil {
		return err
	}
	if fi.Size != size {
		return fmt.Errorf("%d bytes on %s, %d written", fi.Size, t, size)
	}
	return nil
}

// selection is SelectFrom run on a goroutine of its own, so that on two
// cores the source's walk (3,100 entries of a headnode's key content: about
// 30 ms on the benchmark's machine) and the opening and check of the
// target's FAT (about 25 ms) overlap.
type selection struct {
	done chan struct{}
	sel  *Selection
	err  error
}

func startSelect(ctx context.Context, src keytree.Tree, r Request) *selection {
	s := &selection{done: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.sel, s.err = SelectFrom(ctx, src, r)
	}()
	return s
}

// wait waits for the selection; it may be called any number of times.
func (s *selection) wait() (*Selection, error) {
	<-s.done
	return s.sel, s.err
}

// SelectFrom reads src and picks what goes on a key, as a plan does, with
// nothing to compare it with; FAT32's limits are checked.
func SelectFrom(ctx context.Context, src keytree.Tree, r Request) (*Selection, error) {
	entries, err := walk(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("read source %s: %w", src, err)
	}
	var conf []byte
	for _, e := range entries {
		if strings.EqualFold(e.Path, "boot/loader.conf") {
			if conf, err = readAll(src.Open(e.Path)); err != nil {
				return nil, fmt.Errorf("read source %s: %w", src, err)
			}
		}
	}
	sel, err := Select(entries, conf, r.Platforms, r.Include)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", src, err)
	}
	if err := CheckFAT(sel.Entries); err != nil {
		return nil, err
	}
	return sel, nil
}

// tooOpen reports whether the target's file old grants group or others
// more than the Writer would give the source's file e now.
func tooOpen(old, e Entry) bool {
	want := keytree.FileMode(e.Path, e.Mode)
	return old.Mode.Perm()&0o077&^want != 0
}
