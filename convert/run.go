package convert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// StepResult is how one step went.
type StepResult struct {
	Type   string `json:"type"` // "step"
	Name   string `json:"name"`
	Status string `json:"status"` // "done", "skipped" (verified done before), "failed", "running"
	Error  string `json:"error,omitempty"`
	// Seconds is how long the step took, once it is done or failed.
	Seconds float64 `json:"seconds,omitempty"`
}

// MarshalJSON gives seconds exactly when the step ran (done or failed),
// even when it took less than a millisecond, so that a script finds the
// field where it applies.
func (s StepResult) MarshalJSON() ([]byte, error) {
	type plain StepResult
	var secs *float64
	if s.Status == "done" || s.Status == "failed" {
		secs = &s.Seconds
	}
	return json.Marshal(struct {
		plain
		Seconds *float64 `json:"seconds,omitempty"` // the outer field wins over plain's
	}{plain(s), secs})
}

// Result is a whole run.
type Result struct {
	Preflight *Preflight
	Plan      *Plan
	Steps     []StepResult
	Verify    []Check
	Aborted   bool
}

// ErrPreflight means a preflight check failed; nothing was changed.
var ErrPreflight = errors.New("preflight failed")

// ErrVerify means the final checklist found something wrong.
var ErrVerify = errors.New("verification failed")

// StepError names the step that failed, and what to do.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("step %s: %v; the steps before it are done and journaled, the node is not a headnode yet: run convert-to-headnode again to continue from this step", e.Step, e.Err)
}
func (e *StepError) Unwrap() error { return e.Err }

// Prepare runs preflight and lays out the plan, changing nothing. A
// journal from an interrupted run is resumed unless restart.
func Prepare(ctx context.Context, o *Options, restart bool) (*Result, *Journal, error) {
	j, err := loadJournal(o.journalPath())
	if err != nil && !restart {
		return nil, nil, err
	}
	if restart {
		j = nil
	}
	if j != nil {
		// A resumed run converts the same key from the same source.
		for _, f := range []struct{ flag, given, journaled string }{
			{"--key", o.Key, j.Key}, {"--bootpool", o.BootPool, j.BootPool}, {"--from", o.From, j.From},
		} {
			if f.given != "" && f.given != f.journaled {
				return nil, nil, fmt.Errorf("a conversion begun %s with %s %q is in progress: run without %s to continue it, or with --restart to start over", j.Started.Format("2006-01-02 15:04Z"), f.flag, f.journaled, f.flag)
			}
		}
		if o.Platforms != nil && strings.Join(o.Platforms, ",") != strings.Join(j.Platforms, ",") {
			return nil, nil, fmt.Errorf("a conversion begun %s with --platforms %q is in progress: run without --platforms to continue it, or with --restart to start over", j.Started.Format("2006-01-02 15:04Z"), strings.Join(j.Platforms, ","))
		}
		o.Key, o.BootPool, o.From, o.Platforms = j.Key, j.BootPool, j.From, j.Platforms
	}
	o.Restart = restart
	pf := RunPreflight(ctx, o, j != nil)
	res := &Result{Preflight: pf}
	if !pf.OK() {
		return res, j, ErrPreflight
	}
	res.Plan = NewPlan(o, pf)
	if j == nil {
		j = &Journal{Version: 1, Started: o.now().UTC(), Key: pf.Key, BootPool: o.BootPool, From: o.From, Platforms: o.Platforms, Steps: map[string]time.Time{}, path: o.journalPath()}
		o.fresh = true
	}
	return res, j, nil
}

// Execute runs the plan's steps in order, skipping those journaled done
// whose result still verifies, and journaling each before the next.
func Execute(ctx context.Context, o *Options, res *Result, j *Journal) error {
	if o.Confirm != nil {
		ok, err := o.Confirm(res.Plan)
		if err != nil {
			return err
		}
		if !ok {
			res.Aborted = true
			return nil
		}
	}
	if err := j.save(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	for _, s := range res.Plan.Steps {
		if err := ctx.Err(); err != nil {
			// Interrupted between steps: status says where.
			if jerr := j.fail(s.Name, err, o.now()); jerr != nil {
				o.log().Warn("could not journal the interruption", "step", s.Name, "err", jerr)
			}
			return &StepError{Step: s.Name, Err: err}
		}
		if j.done(s.Name) && s.done(ctx) {
			res.step(o, StepResult{Type: "step", Name: s.Name, Status: "skipped"})
			continue
		}
		o.progress(StepResult{Type: "step", Name: s.Name, Status: "running"})
		o.log().Info("step", "step", s.Name, "what", s.What, "command", s.Command)
		start := time.Now()
		took := func() float64 { return float64(time.Since(start).Milliseconds()) / 1000 }
		if err := s.run(ctx); err != nil {
			res.step(o, StepResult{Type: "step", Name: s.Name, Status: "failed", Error: err.Error(), Seconds: took()})
			if jerr := j.fail(s.Name, err, o.now()); jerr != nil {
				o.log().Warn("could not journal the failure", "step", s.Name, "err", jerr)
			}
			return &StepError{Step: s.Name, Err: err}
		}
		if err := j.mark(s.Name, o.now()); err != nil {
			return &StepError{Step: s.Name, Err: fmt.Errorf("journal: %w", err)}
		}
		res.step(o, StepResult{Type: "step", Name: s.Name, Status: "done", Seconds: took()})
	}
	res.Verify = res.Plan.verify(ctx)
	for _, c := range res.Verify {
		if !c.OK {
			return ErrVerify
		}
	}
	return nil
}

func (r *Result) step(o *Options, s StepResult) {
	r.Steps = append(r.Steps, s)
	o.progress(s)
}

func (o *Options) progress(s StepResult) {
	if o.Progress != nil {
		o.Progress(s)
	}
}
