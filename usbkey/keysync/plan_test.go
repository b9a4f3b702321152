package keysync

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"cntools/usbkey/manifest"
)

func file(p, sum string, size int64, mt time.Time) manifest.Entry {
	return manifest.Entry{Path: p, Type: manifest.TypeFile, Size: size, Mode: 0o644, MTime: mt, SHA256: sum}
}

func TestMakePlan(t *testing.T) {
	t0, t1 := mtime, mtime.Add(time.Hour)
	a, b := "aa", "bb" // hashes; the plan only compares them
	for _, tc := range []struct {
		name      string
		src, last *manifest.Entry
		now       *manifest.Entry
		force     bool
		want      string // send, skip, meta, check, conflict, failed
	}{
		{"new", ptr(file("f", a, 1, t0)), nil, nil, false, "send"},
		{"unchanged", ptr(file("f", a, 1, t0)), ptr(file("f", a, 1, t0)), ptr(file("f", "", 1, t0)), false, "skip"},
		{"source changed", ptr(file("f", b, 1, t1)), ptr(file("f", a, 1, t0)), ptr(file("f", "", 1, t0)), false, "send"},
		{"source touched", ptr(file("f", a, 1, t1)), ptr(file("f", a, 1, t0)), ptr(file("f", "", 1, t0)), false, "meta"},
		{"target changed", ptr(file("f", a, 1, t0)), ptr(file("f", a, 1, t0)), ptr(file("f", "", 2, t1)), false, "check"},
		{"no last manifest", ptr(file("f", a, 1, t0)), nil, ptr(file("f", "", 1, t0)), false, "check"},
		{"dir on target", ptr(file("f", a, 1, t0)), nil, &manifest.Entry{Path: "f", Type: manifest.TypeDir}, false, "failed"},
		{"symlink replaced by file, untouched", ptr(file("f", a, 1, t0)), &manifest.Entry{Path: "f", Type: manifest.TypeSymlink, Target: "x"}, &manifest.Entry{Path: "f", Type: manifest.TypeSymlink, Target: "x"}, false, "send"},
		{"symlink changed on target", ptr(file("f", a, 1, t0)), &manifest.Entry{Path: "f", Type: manifest.TypeSymlink, Target: "x"}, &manifest.Entry{Path: "f", Type: manifest.TypeSymlink, Target: "y"}, false, "conflict"},
		{"symlink changed on target, forced", ptr(file("f", a, 1, t0)), &manifest.Entry{Path: "f", Type: manifest.TypeSymlink, Target: "x"}, &manifest.Entry{Path: "f", Type: manifest.TypeSymlink, Target: "y"}, true, "send"},
	} {
		src := &manifest.Manifest{Entries: []manifest.Entry{*tc.src}}
		var last *manifest.Manifest
		if tc.last != nil {
			last = &manifest.Manifest{Entries: []manifest.Entry{*tc.last}}
		}
		now := map[string]*manifest.Entry{}
		if tc.now != nil {
			now["f"] = tc.now
		}
		if got := outcome(makePlan(src, last, now, scope{}, tc.force, false)); got != tc.want {
			t.Errorf("%s: makePlan = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestResolve(t *testing.T) {
	t0, t1 := mtime, mtime.Add(time.Hour)
	for _, tc := range []struct {
		name  string
		last  *manifest.Entry
		hash  string
		force bool
		want  string
	}{
		{"same as the source", nil, "src", false, "meta"},
		{"as the last sync left it", ptr(file("f", "old", 1, t0)), "old", false, "send"},
		{"edited on the target", ptr(file("f", "old", 1, t0)), "edited", false, "conflict"},
		{"edited on the target, forced", ptr(file("f", "old", 1, t0)), "edited", true, "send"},
		{"unknown to the last sync", nil, "other", false, "conflict"},
		{"unreadable", nil, "", false, "failed"},
	} {
		s := file("f", "src", 1, t1)
		var last *manifest.Manifest
		if tc.last != nil {
			last = &manifest.Manifest{Entries: []manifest.Entry{*tc.last}}
		}
		// The target file was touched since the last sync, so only its
		// hash can decide.
		now := map[string]*manifest.Entry{"f": ptr(file("f", "", 1, t0.Add(time.Minute)))}
		p := makePlan(&manifest.Manifest{Entries: []manifest.Entry{s}}, last, now, scope{}, tc.force, false)
		p.resolve(map[string]string{"f": tc.hash}, now, last, tc.force)
		if got := outcome(p); got != tc.want {
			t.Errorf("%s: resolve = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestPlanDelete(t *testing.T) {
	t0 := mtime
	last := &manifest.Manifest{Entries: []manifest.Entry{
		file("config", "c", 1, t0), {Path: "old", Type: manifest.TypeDir}, file("old/x", "x", 1, t0),
		{Path: "os/B", Type: manifest.TypeDir}, file("edited", "e", 1, t0),
	}}
	now := map[string]*manifest.Entry{}
	for _, e := range []manifest.Entry{
		file("config", "", 1, t0), {Path: "old", Type: manifest.TypeDir}, file("old/x", "", 1, t0),
		{Path: "os/B", Type: manifest.TypeDir},
		// Edited on the target since the last sync, and never synced:
		// neither is the sync's to delete.
		file("edited", "", 2, t0), {Path: "local", Type: manifest.TypeDir}, file("local/notes", "", 1, t0),
	} {
		now[key(e.Path)] = &e
	}
	sc := newScope([]string{"old", "config", "edited", "local"})
	p := makePlan(&manifest.Manifest{}, last, now, sc, false, true)
	var got []string
	for _, e := range p.deletes {
		got = append(got, e.Path)
	}
	if want := []string{"old/x", "old"}; !reflect.DeepEqual(got, want) {
		t.Errorf("deletes = %v, want %v (children first, only what the last sync left as it is, never config, nothing outside the paths)", got, want)
	}
	if want := []string{"edited"}; !reflect.DeepEqual(p.changed, want) {
		t.Errorf("changed = %v, want %v", p.changed, want)
	}
	// No manifest from an earlier sync: nothing is known to be the
	// sync's (the executor refuses Delete before planning).
	if p := makePlan(&manifest.Manifest{}, nil, now, scope{}, false, true); len(p.deletes) != 0 {
		t.Errorf("deletes without a last manifest = %v, want none", p.deletes)
	}
}

func TestPlanParents(t *testing.T) {
	dir := func(p string) manifest.Entry {
		return manifest.Entry{Path: p, Type: manifest.TypeDir, Mode: 0o755, MTime: mtime}
	}
	link := func(p, to string) *manifest.Entry {
		return &manifest.Entry{Path: p, Type: manifest.TypeSymlink, Target: to}
	}
	src := &manifest.Manifest{Entries: []manifest.Entry{dir("os"), dir("os/v"), file("os/v/unix", "u", 1, mtime)}}
	for _, tc := range []struct {
		name  string
		now   map[string]*manifest.Entry
		last  *manifest.Manifest
		force bool
		want  []string
	}{
		{"none on the target", nil, nil, false, nil},
		{"directories", map[string]*manifest.Entry{"os": ptr(dir("os"))}, nil, false, nil},
		{"symlink", map[string]*manifest.Entry{"os": link("os", "/etc")}, nil, false,
			[]string{"os is a symlink to /etc on the target, and the source has os/v under it"}},
		{"nested symlink", map[string]*manifest.Entry{"os": ptr(dir("os")), "os/v": link("os/v", "../..")}, nil, false,
			[]string{"os/v is a symlink to ../.. on the target, and the source has os/v/unix under it"}},
		{"file", map[string]*manifest.Entry{"os": ptr(file("os", "", 1, mtime))}, nil, false,
			[]string{"os is a file on the target, and the source has os/v under it"}},
		{"symlink, forced aside", map[string]*manifest.Entry{"os": link("os", "/etc")}, nil, true, nil},
		{"the last sync's symlink, removed first", map[string]*manifest.Entry{"os": link("os", "/etc")},
			&manifest.Manifest{Entries: []manifest.Entry{*link("os", "/etc")}}, false, nil},
	} {
		p := makePlan(src, tc.last, tc.now, scope{}, tc.force, false)
		if !reflect.DeepEqual(p.blocked, tc.want) {
			t.Errorf("%s: makePlan blocked = %q, want %q", tc.name, p.blocked, tc.want)
		}
	}
}

func ptr(e manifest.Entry) *manifest.Entry { return &e }

func outcome(p *plan) string {
	switch {
	case len(p.failed) > 0:
		return "failed"
	case len(p.conflicts) > 0:
		return "conflict"
	case len(p.check) > 0:
		return "check"
	case len(p.send) > 0:
		return "send"
	case len(p.meta) > 0:
		return "meta"
	case p.skipped > 0:
		return "skip"
	}
	return "nothing"
}

// --delete never removes recovery material the source has no place for
// (private/, images/, zones/, extra/), even when the last sync sent it.
func TestDeleteKeepsWhatTheSourceDoesNotOwn(t *testing.T) {
	at := time.Unix(1764590000, 0)
	f := func(p string) manifest.Entry {
		return manifest.Entry{Path: p, Type: manifest.TypeFile, Size: 1, Mode: 0o644, MTime: at, SHA256: "x"}
	}
	d := func(p string) manifest.Entry { return manifest.Entry{Path: p, Type: manifest.TypeDir, Mode: 0o755} }
	src := &manifest.Manifest{Entries: []manifest.Entry{f("config"), d("os"), f("os/a")}}
	last := &manifest.Manifest{Entries: []manifest.Entry{f("banner"), f("config"), d("os"), f("os/a"), f("os/b"), d("private"), f("private/answers.json")}}
	now := index(last)
	p := makePlan(src, last, now, newScope(nil), false, true)
	var got []string
	for _, e := range p.deletes {
		got = append(got, e.Path)
	}
	slices.Sort(got)
	if strings.Join(got, " ") != "banner os/b" {
		t.Errorf("deletes = %v, want banner and os/b (private/ is not the source's)", got)
	}
}
