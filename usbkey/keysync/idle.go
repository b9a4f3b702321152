package keysync

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"cntools/usbkey/keycopy"
	"cntools/usbkey/manifest"
)

// A sync's plan is a function of the source's manifest, the target's
// manifest and listing, the paths and --force and --delete alone
// (makePlan). When the target's manifest is the source's byte for byte and
// the target's listing is one a sync planned against before and found
// nothing to do, the plan is empty again, and neither the kept listing
// nor the target's manifest needs reading, decoding or comparing: the
// three hashes the target's state and this host's source give decide it.
// A sync that planned nothing on a whole tree, with both hashes known,
// keeps that finding beside its copy of the target's manifest; any
// difference in a hash or a flag misses it, and the sync plans as before.
// On the 2-core test machine decoding the kept listing and planning was
// a fifth of a no-op sync's CPU on this host.

// idleHeader starts the finding kept; another version is not read.
const idleHeader = "cntools-idle 1"

// idleFinding is a whole-tree plan found empty: for the target listing
// and manifest with these hashes, with these flags, skipping skipped.
type idleFinding struct {
	listing, manifest string
	force, delete     bool
	skipped           int
}

func (f idleFinding) encode() []byte {
	return fmt.Appendf(nil, "%s %s %s %t %t %d\n", idleHeader, f.listing, f.manifest, f.force, f.delete, f.skipped)
}

func parseIdle(b []byte) (f idleFinding, ok bool) {
	rest, ok := strings.CutPrefix(string(b), idleHeader+" ")
	if !ok {
		return f, false
	}
	v := strings.Fields(rest)
	if len(v) != 5 || !isSHA256Hex(v[0]) || !isSHA256Hex(v[1]) {
		return f, false
	}
	var err1, err2, err3 error
	f.listing, f.manifest = v[0], v[1]
	f.force, err1 = strconv.ParseBool(v[2])
	f.delete, err2 = strconv.ParseBool(v[3])
	f.skipped, err3 = strconv.Atoi(v[4])
	return f, err1 == nil && err2 == nil && err3 == nil && f.skipped >= 0
}

// idleCopy is where this host keeps the finding for the target name.
func (o Options) idleCopy(name string) string {
	local := o.localCopy(name)
	if local == "" {
		return ""
	}
	return strings.TrimSuffix(local, ".json") + ".idle"
}

// finding is what this sync would keep: the hashes the target gave, the
// flags, what it skipped.
func (x *executor) finding() idleFinding {
	return idleFinding{listing: x.held.st.listing, manifest: x.held.st.manifest, force: x.o.Force, delete: x.o.Delete, skipped: x.res.Skipped}
}

// planIdle takes the plan from the finding kept, when it holds for the
// target's state and the source, and reports whether it did.
func (x *executor) planIdle() bool {
	h := x.held
	if h == nil || !h.stOK || x.sc.paths != nil {
		return false
	}
	local := x.o.idleCopy(x.res.Target)
	if local == "" {
		return false
	}
	b, err := os.ReadFile(local)
	if err != nil {
		return false
	}
	f, ok := parseIdle(b)
	want := idleFinding{listing: h.st.listing, manifest: h.st.manifest, force: x.o.Force, delete: x.o.Delete, skipped: f.skipped}
	if !ok || f != want {
		return false
	}
	// This host's copy of the target's manifest must hold it too, or
	// the sync must write it: then it plans as before.
	if !x.source.sumIs(h.st.manifest) || !hashIs(x.o.localCopy(x.res.Target), h.st.manifest) {
		return false
	}
	x.learn(h.method, true)
	x.lastLocal = true
	x.now, x.nowKept = map[string]*manifest.Entry{}, true
	x.p, x.found = &plan{skipped: f.skipped}, true
	x.res.Skipped = f.skipped
	x.o.Log.Debug("target and source unchanged since a sync found nothing to do: nothing to plan", "target", x.res.Target)
	return true
}

// keepIdle keeps this sync's finding when it planned the whole tree from
// the kept listing and the source's own manifest, by listing alone, and
// did nothing. A sync that planned from the finding keeps it as it is.
func (x *executor) keepIdle() {
	h := x.held
	local := x.o.idleCopy(x.res.Target)
	if x.found || h == nil || !h.stOK || local == "" || x.sc.paths != nil || !x.nowKept || x.last != x.src ||
		!x.source.sumIs(h.st.manifest) || x.checked || !x.idle() {
		return
	}
	if err := keepFile(local, x.finding().encode()); err != nil {
		x.o.Log.Warn("finding not kept: the next sync plans again", "target", x.res.Target, "path", local, "err", err)
	}
}

// hashIs reports whether the file at p hashes as sum (hex).
func hashIs(p, sum string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	got, err := keycopy.SumOf(f)
	return err == nil && got == sum
}
