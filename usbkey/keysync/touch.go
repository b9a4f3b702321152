package keysync

import (
	"context"
	"io"
	"strings"
	"time"

	"cntools/usbkey/manifest"
)

// Setting a file's mtime over SFTP is one request a file, a fifth of what
// a small file costs. Files of a group that share an mtime (what a tarball
// or a platform build leaves) get it from one touch(1) on the target
// instead, which POSIX gives every target: TZ=UTC0 touch -m -t. The rest,
// and all of them when that fails, get it over SFTP.

// touchMin is the fewest files sharing an mtime that one touch command
// serves: below it, the command's session costs more than the requests.
const touchMin = 8

// touchLayout is touch -t's [[CC]YY]MMDDhhmm[.SS], read in UTC0: illumos
// touch takes -m and -t (illumos-joyent usr/src/cmd/touch/touch.c:111-142)
// and reads the time with mktime, in TZ (touch.c:388-440).
const touchLayout = "200601021504.05"

// touches reports whether mtimes are set by setTimes rather than as each
// file is written: only where commands run on the target.
func (x *executor) touches() bool { return x.method != VerifyReadBack }

// setTimes gives the temporary files tmps of g their mtimes before they
// are verified; a file whose mtime could not be set is removed and
// failed, and its tmps entry cleared.
func (x *executor) setTimes(ctx context.Context, g []*manifest.Entry, tmps []string) {
	byTime := map[int64][]int{}
	for i, t := range tmps {
		if t != "" {
			byTime[g[i].MTime.Unix()] = append(byTime[g[i].MTime.Unix()], i)
		}
	}
	var one []*manifest.Entry // those left to SFTP
	var oneTmp []string
	for _, is := range byTime {
		if len(is) >= touchMin && x.touch1(ctx, g[is[0]].MTime, tmps, is) == nil {
			continue
		}
		for _, i := range is {
			one, oneTmp = append(one, g[i]), append(oneTmp, tmps[i])
		}
	}
	failed := map[string]bool{}
	x.each(ctx, one, func(i int, e *manifest.Entry) {
		if err := x.r.sftp.Chtimes(x.r.abs(oneTmp[i]), e.MTime, e.MTime); err != nil {
			x.r.remove(manifest.Entry{Path: oneTmp[i]})
			x.failed(e.Path, x.r.wrap("set mtime of", x.r.abs(oneTmp[i]), err))
			x.mu.Lock()
			failed[oneTmp[i]] = true
			x.mu.Unlock()
		}
	})
	for i, t := range tmps {
		if failed[t] {
			tmps[i] = ""
		}
	}
}

// touch1 sets the mtime t on the files tmps[is], in commands of at most
// argBudget bytes of names.
func (x *executor) touch1(ctx context.Context, t time.Time, tmps []string, is []int) error {
	var ps []string
	for _, i := range is {
		ps = append(ps, tmps[i])
	}
	for _, b := range batches(ps) {
		var cmd strings.Builder
		cmd.WriteString("cd " + quote(x.r.root) + " && TZ=UTC0 touch -m -t " + t.UTC().Format(touchLayout))
		for _, p := range b {
			cmd.WriteString(" " + quote("./"+p))
		}
		if err := x.r.client.Run(ctx, cmd.String(), io.Discard); err != nil {
			x.o.Log.Debug("touch failed: setting mtimes over SFTP", "target", x.res.Target, "err", err)
			return err
		}
		x.o.Log.Debug("mtimes set by touch", "target", x.res.Target, "files", len(b))
	}
	return nil
}
