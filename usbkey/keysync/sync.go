package keysync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"cntools/internal/progress"
	"cntools/internal/sshconn"
	"cntools/usbkey/keycopy"
	"cntools/usbkey/manifest"
)

// Run syncs o.Source to every target, o.Jobs targets at once, and returns
// one Result per target, in the order given. It returns an error only when
// nothing can be synced (a refused target path, an unreadable source); a
// target that fails is reported in its Result and does not stop the
// others.
func Run(ctx context.Context, targets []sshconn.Target, o Options) ([]*Result, error) {
	o = o.withDefaults()
	for _, t := range targets {
		if err := keycopy.CheckPath(t.Path); err != nil {
			return nil, fmt.Errorf("target %s: %w", TargetName(t), err)
		}
	}
	if o.Delete {
		if err := deletableSource(o.Source); err != nil {
			return nil, err
		}
	}
	if err := checkSource(o.Source); err != nil {
		return nil, err
	}
	// The source is manifested while the targets are dialled, locked and
	// listed, which need nothing of it; a source that fails stops them.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	src := &sourceWait{done: make(chan struct{})}
	// Run returns only once the source's stamp is kept: not after its
	// caller has let the node's lock go, nor cut off by an exit.
	var stamping sync.WaitGroup
	stamping.Go(func() { manifestSource(ctx, cancel, src, o) })
	defer stamping.Wait()
	// One part of the progress bar a target, in the order given.
	results, parts := make([]*Result, len(targets)), make([]*progress.Part, len(targets))
	for i, l := range barLabels(targets) {
		parts[i] = o.Progress.Part(l)
	}
	sem := make(chan struct{}, o.Jobs)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = syncTarget(ctx, t, parts[i], src, o)
		}()
	}
	wg.Wait()
	if err := src.error(); err != nil {
		return nil, err
	}
	return results, nil
}

// manifestSource makes src: from the stamp kept when the source is as it
// describes (stamp.go), else by manifesting the source, keeping its stamp
// when the sync is of the whole tree. A source that fails cancels ctx.
func manifestSource(ctx context.Context, cancel context.CancelCauseFunc, src *sourceWait, o Options) {
	start := time.Now()
	var stampSum, binary string
	var racy bool
	if o.Paths == nil && o.CachePath != "" {
		binary = thisBinary()
		var err error
		if stampSum, racy, err = stampSource(ctx, o.Source, time.Now()); err != nil {
			o.Log.Debug("source not stamped: manifesting it", "err", err)
			stampSum = ""
		}
		if sum, ok := keptStamp(o.stampCopy(), binary, stampSum); ok {
			src.stamped, src.stampSum = true, sum
			src.build = func() (*manifest.Manifest, error) {
				m, err := SourceManifest(ctx, o)
				if err != nil {
					cancel(err)
				}
				return m, err
			}
			close(src.done)
			o.Log.Debug("source as stamped when its manifest was last made: its hash is the one kept", "elapsed", time.Since(start).Round(time.Millisecond))
			return
		}
	}
	src.m, src.err = SourceManifest(ctx, o)
	src.bad.Store(src.err != nil)
	close(src.done)
	if src.err != nil {
		cancel(src.err)
		return
	}
	o.Log.Debug("source manifest", "entries", len(src.m.Entries), "elapsed", time.Since(start).Round(time.Millisecond))
	if stampSum == "" || binary == "" || racy {
		return
	}
	if _, err := src.bytes(); err != nil {
		return
	}
	if err := keepStamp(o.stampCopy(), stamp{binary: binary, source: stampSum, manifest: src.sum}); err != nil {
		o.Log.Warn("source stamp not kept: the next sync manifests the source again", "path", o.stampCopy(), "err", err)
	}
}

// errNoManifest refuses Delete on a target no sync has finished on: only
// what the last sync's manifest lists is the sync's to delete.
func errNoManifest(name string) error {
	return fmt.Errorf("--delete refused: target %s has no %s from an earlier sync, so nothing there is known to be the sync's to delete: sync once without --delete first", name, ManifestFile)
}

// syncTarget brings one target in step, as far as it can, counting the
// bytes it sends on part.
func syncTarget(ctx context.Context, t sshconn.Target, part *progress.Part, source *sourceWait, o Options) *Result {
	res := &Result{Type: "target", Target: TargetName(t), Conflicting: []string{}, Kept: []string{}, Failed: []string{}}
	fail := func(err error) *Result {
		res.err, res.Error = err, err.Error()
		if !source.failed() {
			o.Log.Error("target failed", "target", res.Target, "err", err)
		}
		return res
	}
	r, err := dialRemote(ctx, t, o.SSH)
	if err != nil {
		return fail(err)
	}
	// Its share of the bytes is known once it is planned.
	r.meter, r.log = part, o.Log
	defer r.Close()
	defer func() { res.WireSent, res.WireReceived = r.client.Wire() }()
	if o.DryRun {
		if err := r.need(); err != nil {
			return fail(err)
		}
		if err := keycopy.CheckRoot(r.sftp, r.name, r.root); err != nil {
			return fail(err)
		}
		if _, err := r.sftp.Stat(r.root); errors.Is(err, fs.ErrNotExist) {
			if o.Delete {
				return fail(errNoManifest(res.Target))
			}
			src, err := source.get()
			if err != nil {
				return fail(err)
			}
			p := makePlan(src, nil, nil, newScope(o.Paths), o.Force, o.Delete)
			res.Plan, res.Sent, res.Bytes = p.lines(), len(p.send)+len(p.links), p.bytes
			return res
		}
	}
	x := &executor{r: r, o: o, res: res, sc: newScope(o.Paths), source: source, touched: map[string]bool{}, bad: map[string]bool{}, deleted: map[string]bool{}, madeLinks: map[string]*manifest.Entry{}}
	if !o.DryRun {
		// The target's usbkey-sync holds its lock for this sync
		// (hold.go); without it, the target is locked over SFTP.
		h := r.hold(ctx, x.probeMethod())
		switch {
		case h.stream != nil:
			defer func() {
				if err := h.release(); err != nil {
					o.Log.Warn("the target's lock may not be released: if the next sync finds it held, remove it on that host", "target", res.Target, "path", r.abs(keycopy.LockName), "err", err)
				}
			}()
		case h.holder != "" && !keycopy.Stale(h.holder):
			return fail(&keycopy.LockedError{Tree: r.name, Holder: h.holder, Path: r.abs(keycopy.LockName)})
		case ctx.Err() != nil:
			return fail(ctx.Err())
		default:
			o.Log.Debug("the target's usbkey-sync did not hold it: locking it over SFTP", "target", res.Target, "err", h.stErr)
			if err := r.prepare(); err != nil {
				return fail(err)
			}
			unlock, err := r.lock()
			if err != nil {
				return fail(err)
			}
			defer unlock()
			h = nil // the state, if any, is asked for as before
		}
		x.held = h
	}
	start := time.Now()
	if err := x.plan(ctx); err != nil {
		return fail(err)
	}
	if !o.DryRun {
		r.meter.SetTotal(x.p.bytes)
	}
	o.Log.Debug("planned", "target", res.Target, "send", len(x.p.send), "bytes", x.p.bytes, "verify", res.Verified, "elapsed", time.Since(start).Round(time.Millisecond))
	if o.DryRun {
		res.Plan, res.Sent, res.Bytes = x.p.lines(), len(x.p.send)+len(x.p.links), x.p.bytes
		return res
	}
	start = time.Now()
	if len(x.p.lines()) > 0 {
		if err := r.need(); err != nil {
			return fail(err)
		}
	}
	if !x.found {
		x.apply(ctx)
	}
	o.Log.Debug("applied", "target", res.Target, "elapsed", time.Since(start).Round(time.Millisecond))
	if x.abort == nil {
		if err := ctx.Err(); err != nil {
			x.abort = err
		}
	}
	if x.abort != nil {
		return fail(x.abort)
	}
	// A plan from a finding (idle.go) found the target's manifest and
	// this host's copy of it the source's already: there is nothing to
	// write, and the source's manifest need not be made.
	if !x.found {
		n, err := x.putManifest(ctx, x.next())
		if err != nil {
			res.Failed = append(res.Failed, ManifestFile)
			o.Log.Error("manifest not written: the next sync hashes the target's files again", "target", res.Target, "err", err)
		}
		res.MetaBytes = n
	}
	x.keepListing()
	x.keepIdle()
	sort.Strings(res.Failed)
	o.Log.Info("synced", "target", res.Target, "sent", res.Sent, "bytes", res.Bytes, "skipped", res.Skipped,
		"conflicting", len(res.Conflicting), "deleted", res.Deleted, "failed", len(res.Failed))
	return res
}

// executor carries out one target's plan.
type executor struct {
	r      *remote
	o      Options
	res    *Result
	sc     scope
	src    *manifest.Manifest // from source, once plan has it
	source *sourceWait

	// method hashes on the target what SFTP wrote; receiver: files go
	// through the target's receiver instead (receive.go).
	method   string
	receiver bool
	held     *held // what the target's usbkey-sync said; nil in a dry run

	last      *manifest.Manifest
	lastRaw   []byte // last as the target holds it
	lastLocal bool   // lastRaw is this host's copy, which the target's hashes as
	now       map[string]*manifest.Entry
	p         *plan

	mu        sync.Mutex
	abort     error           // the connection is gone: stop
	touched   map[string]bool // directories whose entries changed
	bad       map[string]bool // paths not in step: conflicts and failures
	deleted   map[string]bool
	madeLinks map[string]*manifest.Entry // symlinks made, as read back
	keptRaw   []byte                     // the listing kept here, as read
	nowKept   bool                       // now is keptRaw's: the target said it still lists so
	dirsSet   bool                       // dirTimes set a directory's mode or mtime
	found     bool                       // the plan is a finding kept (idle.go): nothing to apply
	checked   bool                       // the plan hashed files on the target to decide

	hashWarn sync.Once // the hashing command failed: said once
}

// probeMethod is the hashing command --verify forces, if any: with the
// receiver forced, the best command, for what goes over SFTP.
func (x *executor) probeMethod() string {
	if x.o.Verify == VerifyReceiver {
		return ""
	}
	return x.o.Verify
}

// learn takes the target's hashing command and whether it has
// usbkey-sync to tell its state, and so receive files.
func (x *executor) learn(method string, stOK bool) {
	x.method = method
	x.receiver = stOK && (x.o.Verify == "" || x.o.Verify == VerifyReceiver)
	x.res.Verified = x.method
	if x.receiver {
		x.res.Verified = VerifyReceiver
	}
}

// plan reads the target and decides what it needs, hashing on the target
// the files listing cannot decide.
func (x *executor) plan(ctx context.Context) error {
	if x.planIdle() {
		return nil
	}
	// The target's state (listing.go) says whether the listing kept from
	// the last sync still holds. The listing takes the longest and needs
	// nothing else: it goes on while the verification method is found
	// and the manifest read.
	var st targetState
	var stOK bool
	var stErr error
	stated := make(chan struct{})
	go func() {
		defer close(stated)
		var method string
		if h := x.held; h != nil {
			method, st, stOK, stErr = h.method, h.st, h.stOK, h.stErr
		} else {
			method, st, stOK, stErr = x.r.probe(ctx, x.probeMethod())
		}
		x.learn(method, stOK)
	}()
	var temps []string
	var listErr error
	listed := make(chan struct{})
	go func() {
		defer close(listed)
		if local := x.o.listingCopy(x.res.Target); local != "" {
			if b, err := os.ReadFile(local); err == nil {
				x.keptRaw = b
				if <-stated; stOK {
					if x.now = x.keptListing(st, b); x.now != nil {
						x.nowKept = true
						return
					}
				}
			}
		}
		x.now, temps, listErr = x.r.list(ctx, x.sc, x.o.Files)
	}()
	var err error
	<-stated
	if !stOK {
		if x.o.Verify == VerifyReceiver {
			<-listed
			return fmt.Errorf("--verify %s: no usbkey-sync state from target %s (%v): install cn_tools there (it puts usbkey-sync in /opt/smartdc/bin), or sync without --verify", VerifyReceiver, x.res.Target, stErr)
		}
		x.o.Log.Debug("no usbkey-sync state on the target: listing it over SFTP", "target", x.res.Target, "err", stErr)
	}
	x.last, x.lastRaw, err = x.lastManifest(ctx, st, stOK)
	<-listed
	if err != nil {
		return err
	}
	if x.o.Delete && x.last == nil {
		return errNoManifest(x.res.Target)
	}
	if listErr != nil {
		return listErr
	}
	if !x.o.DryRun {
		// Left by an interrupted sync; never content.
		if len(temps) > 0 {
			if err := x.r.need(); err != nil {
				return err
			}
		}
		for _, tmp := range temps {
			if err := x.r.remove(manifest.Entry{Path: tmp}); err != nil {
				return err
			}
			x.touch(tmp)
			x.o.Log.Debug("removed leftover", "target", x.res.Target, "path", tmp)
		}
	}
	if x.src, err = x.source.get(); err != nil {
		return err
	}
	x.p = makePlan(x.src, x.last, x.now, x.sc, x.o.Force, x.o.Delete)
	if len(x.p.blocked) > 0 {
		return fmt.Errorf("%s: a sync never writes through a symlink or into a file; move it away on the target, or sync with --force to keep it as NAME%s<stamp>", strings.Join(x.p.blocked, "; "), keycopy.ConflictSuffix)
	}
	for _, p := range x.p.changed {
		x.o.Log.Warn("not deleted: changed on the target since the last sync", "target", x.res.Target, "path", p)
	}
	if len(x.p.check) > 0 {
		x.checked = true
		var ps []string
		for _, e := range x.p.check {
			ps = append(ps, x.now[key(e.Path)].Path)
		}
		got := x.hashes(ctx, ps)
		byPath := map[string]string{}
		for _, e := range x.p.check {
			byPath[e.Path] = got[x.now[key(e.Path)].Path]
		}
		x.p.resolve(byPath, x.now, x.last, x.o.Force)
	}
	x.res.Skipped = x.p.skipped
	for _, c := range x.p.conflicts {
		x.bad[key(c)] = true
		x.res.Conflicting = append(x.res.Conflicting, c)
		x.o.Log.Warn("conflict: changed on the target since the last sync; left as it is (--force keeps it as a .conflict- copy and sends the source's)",
			"target", x.res.Target, "path", c)
	}
	for p, why := range x.p.failed {
		x.failed(p, errors.New(why))
	}
	return nil
}

func (x *executor) touch(p string) {
	x.mu.Lock()
	x.touched[key(path.Dir(p))] = true
	x.mu.Unlock()
}

// failed records a path that is not in step, and stops the target when
// the connection is gone.
func (x *executor) failed(p string, err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.bad[key(p)] = true
	x.res.Failed = append(x.res.Failed, p)
	if x.abort == nil && x.r.lost(err) {
		x.abort = err
	}
	x.o.Log.Error("not synced", "target", x.res.Target, "path", p, "err", err)
}

func (x *executor) stopped(ctx context.Context) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.abort != nil || ctx.Err() != nil
}

// apply runs the plan: directories, links, files in groups, metadata,
// deletions, then directory mtimes.
func (x *executor) apply(ctx context.Context) {
	p, r := x.p, x.r
	for _, e := range p.mkdirs {
		if x.stopped(ctx) {
			return
		}
		err := x.aside(e)
		if err == nil {
			err = r.mkdir(e)
		}
		x.touch(e.Path)
		if err == nil {
			continue
		}
		x.failed(e.Path, err)
		if t := x.now[key(e.Path)]; t != nil && t.Type != manifest.TypeDir {
			// What was in its way is still there: what goes under
			// it would go through a symlink or fail.
			x.mu.Lock()
			x.abort = cmp.Or(x.abort, fmt.Errorf("%s: could not make it a directory: %w", e.Path, err))
			x.mu.Unlock()
			return
		}
	}
	for _, e := range p.links {
		if x.stopped(ctx) {
			return
		}
		err := x.aside(e)
		if err == nil {
			err = r.symlink(e)
		}
		if err != nil {
			x.failed(e.Path, err)
			continue
		}
		x.touch(e.Path)
		x.res.Sent++
		// Its mtime is the target's clock's: read back for the
		// listing kept (without it, the next sync lists).
		if made, err := r.lstat(e.Path); err == nil {
			x.madeLinks[key(e.Path)] = made
		}
	}
	send := p.send
	if x.receiver {
		// What must be moved aside first goes over SFTP, which does
		// that between its hash and its rename.
		var direct []*manifest.Entry
		send = nil
		for _, e := range p.send {
			if k := key(e.Path); x.p.keep[k] || x.p.clear[k] && x.now[k] != nil {
				send = append(send, e)
			} else {
				direct = append(direct, e)
			}
		}
		if len(direct) > 0 {
			send = append(send, x.receiveFiles(ctx, direct)...)
		}
	}
	// A group is verified and renamed into place while the next one is
	// written: the target hashes while the network carries data.
	var pending sync.WaitGroup
	for _, g := range groups(send) {
		if x.stopped(ctx) {
			break
		}
		tmps := x.writeGroup(ctx, g)
		pending.Wait()
		pending.Add(1)
		go func() {
			defer pending.Done()
			x.finishGroup(ctx, g, tmps)
		}()
	}
	pending.Wait()
	if x.stopped(ctx) {
		return
	}
	for _, e := range p.meta {
		if x.stopped(ctx) {
			return
		}
		if err := r.setMeta(e); err != nil {
			x.failed(e.Path, err)
		}
	}
	for _, e := range p.deletes {
		if x.stopped(ctx) {
			return
		}
		if err := r.remove(e); err != nil {
			// A directory still holding a conflict copy stays.
			x.o.Log.Warn("not deleted", "target", x.res.Target, "path", e.Path, "err", err)
			continue
		}
		x.touch(e.Path)
		x.deleted[key(e.Path)] = true
		x.res.Deleted++
		x.o.Log.Debug("deleted", "target", x.res.Target, "path", e.Path)
	}
	x.dirTimes(ctx)
}

// aside moves what is in the way of e before it is made: a conflict copy
// with Force, or the last sync's entry of another type.
func (x *executor) aside(e *manifest.Entry) error {
	k := key(e.Path)
	switch {
	case x.p.keep[k]:
		kept := e.Path + keycopy.ConflictSuffix + x.o.Now().UTC().Format(stampLayout)
		if err := x.r.sftp.PosixRename(x.r.abs(e.Path), x.r.abs(kept)); err != nil {
			return x.r.wrap("keep conflict copy of", x.r.abs(e.Path), err)
		}
		x.kept(kept)
	case x.p.clear[k] && x.now[k] != nil:
		return x.r.remove(*x.now[k])
	}
	return nil
}

func (x *executor) kept(p string) {
	x.mu.Lock()
	x.res.Kept = append(x.res.Kept, p)
	x.mu.Unlock()
	x.o.Log.Warn("conflict: kept the target's version", "target", x.res.Target, "copy", p)
}

// stampLayout dates conflict copies.
const stampLayout = "20060102T150405Z"

// dirTimes gives the directories the source's mtimes, after their entries
// changed (which moved them) or when they differ.
func (x *executor) dirTimes(ctx context.Context) {
	for i := range x.src.Entries {
		e := &x.src.Entries[i]
		if e.Type != manifest.TypeDir || x.stopped(ctx) {
			continue
		}
		k := key(e.Path)
		if t := x.now[k]; t != nil && !x.touched[k] && t.MTime.Unix() == e.MTime.Unix() && t.Mode == e.Mode {
			continue
		}
		if x.bad[k] {
			continue
		}
		x.dirsSet = true
		err := x.r.need()
		if err == nil {
			err = x.r.setMeta(e)
		}
		if err != nil {
			x.failed(e.Path, err)
		}
	}
}
