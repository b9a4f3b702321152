package keysync

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

// A group of files is written, verified and renamed into place together,
// so that verification takes one command on the target per group rather
// than one per file, and an interrupted run keeps the groups it finished.
const (
	groupFiles = 512
	groupBytes = 256 << 20
)

func groups(es []*manifest.Entry) [][]*manifest.Entry {
	var out [][]*manifest.Entry
	var cur []*manifest.Entry
	var n int64
	for _, e := range es {
		if len(cur) > 0 && (len(cur) == groupFiles || n+e.Size > groupBytes) {
			out = append(out, cur)
			cur, n = nil, 0
		}
		cur = append(cur, e)
		n += e.Size
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// each runs f over es on o.Files workers, until the target stops.
func (x *executor) each(ctx context.Context, es []*manifest.Entry, f func(i int, e *manifest.Entry)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(x.o.Files, len(es)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				f(i, es[i])
			}
		}()
	}
	for i := range es {
		if x.stopped(ctx) {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// writeGroup writes each file of g under its temporary name; tmps[i] is
// "" for a file that failed.
func (x *executor) writeGroup(ctx context.Context, g []*manifest.Entry) (tmps []string) {
	tmps = make([]string, len(g))
	x.each(ctx, g, func(i int, e *manifest.Entry) {
		if x.stopped(ctx) {
			return
		}
		x.o.Log.Debug("writing", "target", x.res.Target, "path", e.Path, "bytes", e.Size)
		tmp, n, err := x.r.write(x.o.Source, e, !x.touches())
		x.mu.Lock()
		x.res.Bytes += n
		x.mu.Unlock()
		x.touch(e.Path)
		if err != nil {
			x.failed(e.Path, err)
			return
		}
		tmps[i] = tmp
	})
	return tmps
}

// finishGroup hashes the files writeGroup wrote on the target and renames
// those that match the source's manifest into place. One that does not
// match is removed: the old file stays.
func (x *executor) finishGroup(ctx context.Context, g []*manifest.Entry, tmps []string) {
	var written []string
	for _, t := range tmps {
		if t != "" {
			written = append(written, t)
		}
	}
	if len(written) == 0 || x.stopped(ctx) {
		x.cleanup(tmps)
		return
	}
	if x.touches() {
		x.setTimes(ctx, g, tmps)
		written = slices.DeleteFunc(written, func(t string) bool { return !slices.Contains(tmps, t) })
	}
	start := time.Now()
	sums := x.hashes(ctx, written)
	x.o.Log.Debug("verified", "target", x.res.Target, "files", len(written), "elapsed", time.Since(start).Round(time.Millisecond))
	x.each(ctx, g, func(i int, e *manifest.Entry) {
		tmp := tmps[i]
		if tmp == "" {
			return
		}
		tmps[i] = ""
		var err error
		switch got := sums[tmp]; {
		case got == "":
			err = fmt.Errorf("verify %s: could not hash it on the target", x.r.abs(tmp))
		case got != e.SHA256:
			err = fmt.Errorf("verify %s: sha256 %s on the target, %s in the source's manifest: the source changed during the sync, or the target stores something else; sync again", e.Path, keytree.ShownSum(e.Path, got), keytree.ShownSum(e.Path, e.SHA256))
		default:
			if err = x.aside(e); err == nil {
				err = x.r.place(tmp, e.Path)
			}
		}
		if err != nil {
			x.r.remove(manifest.Entry{Path: tmp})
			x.failed(e.Path, err)
			return
		}
		x.mu.Lock()
		x.res.Sent++
		x.mu.Unlock()
		x.o.Log.Debug("sent", "target", x.res.Target, "path", e.Path, "bytes", e.Size)
	})
	x.cleanup(tmps)
}

// hashes hashes the target's files ps, warning once per target when the
// hashing command fails and the files are read back instead: that is
// slower and reads over the network, so the operator should know why.
func (x *executor) hashes(ctx context.Context, ps []string) map[string]string {
	got, err := x.r.hashes(ctx, x.method, ps, x.o.Files)
	if err != nil {
		x.hashWarn.Do(func() {
			x.o.Log.Warn("hashing on the target failed: reading the files back over SFTP instead", "target", x.res.Target, "verify", x.method, "err", err)
		})
	}
	return got
}

func (x *executor) aborted() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.abort != nil
}

// cleanup removes temporary files that were not placed, while the
// connection lasts; a later run removes the rest.
func (x *executor) cleanup(tmps []string) {
	for _, t := range tmps {
		if t != "" && !x.aborted() {
			x.r.remove(manifest.Entry{Path: t})
		}
	}
}
