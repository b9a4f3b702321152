package cmd

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"cntools/convert"
	"cntools/internal/sshconn"
	"cntools/internal/tool"
	"cntools/usbkey/device"
)

func convertApp() *cli.App {
	return &cli.App{
		Usage:     "turn this compute node into the headnode (RFD 67 case 3)",
		UsageText: "convert-to-headnode [options]\nconvert-to-headnode [options] finish\nconvert-to-headnode [options] status [-H] [-o COL,...]",
		Description: `Checks everything first (preflight), prints the plan with the single-tool
command for each step, then: copies the key content into /zones/usbkey-copy
with this node's identity in its config (hostname, admin NIC and IP, every
nic tag and aggregation from its boot parameters) and a headnode
loader.conf, formats the key (or, with --bootpool POOL, creates POOL/boot),
fills it, marker last, and verifies what RFD 67 says a headnode is that
the key decides. Nothing else on the running CN changes: booted as a CN
again, it is the CN it was. Each step is journaled before the next begins;
after a crash or Ctrl-C, run it again to continue (--restart starts over).
It does not reboot unless --reboot.

The key boots the platform this node runs when the source has it, and
never an older one; it carries that platform and the one the source boots
unless --platforms says otherwise, and the content must fit before
anything is wiped. A disk that holds a Triton key already is not
formatted, and another plugged-in Triton key stops the conversion, unless
--force.

The source (--from) is any location usbkey-populate takes; by default this
node's standby copy, /zones/usbkey-standby. The key is --key, or the one
removable disk that is safe to format. After the reboot headnode.sh creates
zones/usbkey, reboots a second time, and installs the gz tools and sdcadm
from the key's copy.

EXIT STATUS
   0  converted and verified (or, with --dry-run, the plan was printed)
   1  a preflight check or the verification failed
   2  usage or runtime error, including a failed step (the message says how to continue)`,
		Flags: append(append(tool.CommonFlags(), tool.DestructiveFlags()...),
			&cli.StringFlag{Name: "key", Usage: "the USB key `DEVICE` or image to make the headnode's key"},
			&cli.StringFlag{Name: "bootpool", Usage: "put the key content in `POOL`'s boot filesystem instead of on a key"},
			&cli.StringFlag{Name: "from", Usage: "key content `SOURCE` (default /zones/usbkey-standby)"},
			&cli.StringFlag{Name: "platforms", Usage: "carry these `STAMP,...` on the key (default: the one it boots and the one this node runs)"},
			&cli.BoolFlag{Name: "restart", Usage: "ignore the journal of an earlier run and start over"},
			&cli.BoolFlag{Name: "force", Usage: "format a key disk that holds a Triton key already"},
			&cli.BoolFlag{Name: "reboot", Usage: "reboot when the conversion is verified"},
		),
		Commands: []*cli.Command{{
			Name:  "finish",
			Usage: "after the reboots: seed /usbkey/extra, move node.config aside, remove the scratch copy, verify",
			Description: `Runs on the new headnode once headnode.sh has created zones/usbkey and rebooted a
second time. Seeds /usbkey/extra from the standby copy (agents, dockerlogger,
joysetup: what the key cannot carry; a file there is replaced only by a newer
one), makes extra/joysetup/node.config name this node's admin IP where it
named the old headnode's, moves node.config aside, removes /zones/usbkey-copy
once /usbkey holds it, and verifies RFD 67's checklist, listing what is left
to do by hand. Journaled and resumable like the conversion.`,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "from", Usage: "the standby copy `DIR` the conversion used (default /zones/usbkey-standby)"},
				&cli.BoolFlag{Name: "restart", Usage: "ignore the journal of an earlier run and start over"},
				&cli.BoolFlag{Name: "service", Usage: "run as the one-shot SMF service: before the node is ready, wait quietly for the next boot"},
				&cli.BoolFlag{Name: "install-service", Usage: "only install the one-shot SMF service that runs finish after the reboots"},
			},
			Action: finishAction,
		}, {
			Name:  "status",
			Usage: "show where a conversion stands: each step, a failure and its error, and the command that continues",
			Flags: tool.TableFlags(),
			Action: func(c *cli.Context) error {
				env := tool.FromContext(c)
				st, err := convert.ReadState(convertOptions(c, env))
				if err != nil {
					return err
				}
				if env.JSON {
					return env.Emit(st, nil)
				}
				return printConvertState(env.Stdout, c, st)
			},
		}},
		Action: convertAction,
	}
}

func convertOptions(c *cli.Context, env *tool.Env) *convert.Options {
	return &convert.Options{
		Node: env.Node, Key: c.String("key"), Platforms: splitList(c.String("platforms")), BootPool: c.String("bootpool"), From: c.String("from"), Force: c.Bool("force"),
		Log: env.Log, Now: env.Now, SSH: sshconn.Options{Getenv: env.Getenv, NodePath: env.Node.Path, Log: env.Log},
	}
}

func convertAction(c *cli.Context) error {
	env := tool.FromContext(c)
	if c.NArg() > 0 {
		return tool.Usage("unexpected argument %q; see convert-to-headnode -h", c.Args().First())
	}
	o := convertOptions(c, env)
	defer o.Close()
	if !env.DryRun {
		unlock, err := convert.Lock(env.Node)
		if err != nil {
			return err
		}
		defer unlock()
	}
	res, journal, err := convert.Prepare(env.Ctx, o, c.Bool("restart"))
	done, err := runPlan(env, o, res, journal, err, "convert this node into the headnode")
	if done || res.Aborted {
		return err
	}
	switch {
	case errors.Is(err, convert.ErrVerify):
		return tool.Problem(errors.New("verification failed: the checks marked FAIL say what is missing; run convert-to-headnode again to redo those steps"))
	case err != nil:
		return err
	}
	env.Emit(struct {
		Type        string   `json:"type"`
		Converted   bool     `json:"converted"`
		Reboot      string   `json:"reboot"`
		AfterReboot []string `json:"after_reboot"`
	}{"result", true, convert.RebootNote, convert.AfterReboot}, func(w io.Writer) {
		fmt.Fprintln(w, "converted: this node will boot as the headnode.")
		fmt.Fprintf(w, "after the reboot: %s.\n", convert.RebootNote)
		for _, a := range convert.AfterReboot {
			fmt.Fprintf(w, "    then: %s\n", a)
		}
	})
	if !c.Bool("reboot") {
		notRebooting(env, "run `reboot` when ready (or pass --reboot)")
		return nil
	}
	if !env.Node.Live() {
		notRebooting(env, "--root is not the live node")
		return nil
	}
	return exec.CommandContext(env.Ctx, "/usr/sbin/reboot").Run()
}

// notRebooting says why the run ends without a reboot: a line on stderr,
// or under --json a log record, as everything on stderr is then.
func notRebooting(env *tool.Env, why string) {
	if env.JSON {
		env.Log.Info("not rebooting", "reason", why)
		return
	}
	fmt.Fprintln(env.Stderr, "not rebooting: "+why)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func emitCheck(env *tool.Env, ch convert.Check) {
	env.Emit(ch, func(w io.Writer) {
		mark := "PASS"
		switch {
		case !ch.OK:
			mark = "FAIL"
		case ch.Warn:
			mark = "WARN"
		}
		prefix := ""
		if env.DryRun {
			prefix = "[dry-run] " // every line of a dry run says so
		}
		fmt.Fprintf(w, "%s%s %-8s %s: %s\n", prefix, mark, ch.Type, ch.Name, ch.Detail)
	})
}

func emitPlan(env *tool.Env, p *convert.Plan) {
	env.Emit(p, func(w io.Writer) {
		prefix := ""
		if env.DryRun {
			prefix = "[dry-run] "
		}
		target := p.Key
		if p.BootPool != "" {
			target = "/" + p.BootPool + "/boot"
		}
		if p.Type == "finish-plan" {
			fmt.Fprintf(w, "%splan: finish making this node the headnode, from the standby copy %s\n", prefix, p.From)
		} else {
			fmt.Fprintf(w, "%splan: make this node a headnode booting %s from %s, key content from %s\n", prefix, p.Platform, target, p.From)
		}
		for _, ch := range p.Identity {
			fmt.Fprintf(w, "%s  config %s\n", prefix, ch)
		}
		for _, sk := range p.Skipped {
			fmt.Fprintf(w, "%s  skip %s: %s\n", prefix, sk.Path, sk.Reason)
		}
		for i, s := range p.Steps {
			fmt.Fprintf(w, "%s  %d. %-13s %s\n", prefix, i+1, s.Name, s.What)
			if s.Command != "" {
				fmt.Fprintf(w, "%s       $ %s\n", prefix, s.Command)
			}
		}
		if len(p.Instances) > 0 {
			fmt.Fprintf(w, "%sa reboot interrupts the zones this node hosts: %s\n", prefix, strings.Join(p.Instances, ", "))
		}
		if p.Reboot != "" {
			fmt.Fprintf(w, "%sreboot: %s\n", prefix, p.Reboot)
		}
	})
}

// splitList splits a comma-separated flag; "" is nil, the default.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func finishAction(c *cli.Context) error {
	env := tool.FromContext(c)
	if c.NArg() > 0 {
		return tool.Usage("unexpected argument %q; see convert-to-headnode finish -h", c.Args().First())
	}
	if c.Bool("install-service") {
		if err := convert.InstallFinishService(env.Node); err != nil {
			return fmt.Errorf("install %s: %w", convert.FinishService, err)
		}
		return env.Emit(struct {
			Type     string `json:"type"`
			FMRI     string `json:"fmri"`
			Manifest string `json:"manifest"`
		}{"service", convert.FinishService, convert.FinishManifest}, func(w io.Writer) {
			fmt.Fprintf(w, "installed %s (%s): it runs finish once this node has booted as the headnode\n", convert.FinishService, convert.FinishManifest)
		})
	}
	o := &convert.Options{Node: env.Node, From: c.String("from"), Log: env.Log, Now: env.Now}
	defer o.Close()
	if !env.DryRun {
		unlock, err := convert.Lock(env.Node)
		if err != nil {
			return err
		}
		defer unlock()
	}
	res, journal, err := convert.PrepareFinish(env.Ctx, o, c.Bool("restart"))
	if errors.Is(err, convert.ErrPreflight) && c.Bool("service") {
		// As the SMF service, on a boot before the node is ready (the
		// first headnode boot, before headnode.sh's own reboot): wait for
		// the next one, without putting the service in maintenance.
		for _, ch := range res.Preflight.Checks {
			emitCheck(env, ch)
		}
		env.Log.Info("not ready for finish: waiting for the next boot")
		return nil
	}
	done, err := runPlan(env, o, res, journal, err, "finish making this node the headnode")
	if done || res.Aborted {
		return err
	}
	if errors.Is(err, convert.ErrVerify) {
		return tool.Problem(errors.New("verification failed: the checks marked FAIL say what is missing; run convert-to-headnode finish again when they are fixed"))
	}
	if err != nil {
		return err
	}
	si, _ := env.Node.Facts.Sysinfo(env.Ctx)
	todo := convert.FinishToDo(si.UUID())
	return env.Emit(struct {
		Type     string   `json:"type"`
		Finished bool     `json:"finished"`
		ToDo     []string `json:"to_do"`
	}{"result", true, todo}, func(w io.Writer) {
		fmt.Fprintln(w, "finished: this node is the headnode. Left to do by hand:")
		for _, t := range todo {
			fmt.Fprintf(w, "    %s\n", t)
		}
	})
}

// stepProgress reports each step on stderr as [i/n] name: status, or as
// JSON objects on stdout under --json.
func stepProgress(env *tool.Env, n int) func(convert.StepResult) {
	i := 0
	return func(s convert.StepResult) {
		if s.Status == "running" {
			i++
		}
		if env.JSON {
			if s.Status != "running" {
				env.Emit(s, nil)
			}
			return
		}
		took := ""
		if s.Status == "done" || s.Status == "failed" {
			took = fmt.Sprintf(" (%.1f s)", s.Seconds)
		}
		fmt.Fprintf(env.Stderr, "[%d/%d] %s: %s%s\n", i+boolInt(s.Status == "skipped"), n, s.Name, s.Status, took)
		if s.Status == "skipped" {
			i++
		}
	}
}

// runPlan shows a prepared run's preflight and plan, then, unless it is a
// dry run, confirms, executes and shows the verification. done means the
// caller has nothing more to print: err, when not nil, is the whole story.
func runPlan(env *tool.Env, o *convert.Options, res *convert.Result, journal *convert.Journal, err error, action string) (done bool, _ error) {
	if res != nil {
		for _, ch := range res.Preflight.Checks {
			emitCheck(env, ch)
		}
	}
	if errors.Is(err, convert.ErrPreflight) {
		return true, tool.Problem(errors.New("preflight failed: nothing was changed; fix what is marked FAIL and run again"))
	}
	if err != nil {
		return true, err
	}
	emitPlan(env, res.Plan)
	if env.DryRun {
		return true, nil
	}
	closeLog, err := env.LogToFile()
	if err != nil {
		return true, err
	}
	defer closeLog()
	o.Confirm = func(p *convert.Plan) (bool, error) {
		var summary []string
		// The physical disk first, as diskinfo lists it: what is wiped.
		if name, isDisk := device.DiskName(p.Key); isDisk {
			if disks, err := env.Node.Facts.Disks(env.Ctx); err == nil {
				for _, d := range disks {
					if d.Name == name {
						summary = append(summary, fmt.Sprintf("wipe %s (%s %s %s, %s): everything on it is lost", p.Key, d.Type, d.Vendor, d.Product, device.HumanSize(d.Size)))
					}
				}
			}
		}
		if len(p.Identity) > 0 {
			summary = append(summary, "the key's config takes this node's identity:")
		}
		for _, ch := range p.Identity {
			summary = append(summary, "config "+ch.String())
		}
		for i, s := range p.Steps {
			summary = append(summary, fmt.Sprintf("%d. %s", i+1, s.What))
		}
		return env.Confirm(action, summary)
	}
	o.Progress = stepProgress(env, len(res.Plan.Steps))
	err = convert.Execute(env.Ctx, o, res, journal)
	stepTable(env, res.Steps)
	for _, ch := range res.Verify {
		emitCheck(env, ch)
	}
	return false, err
}

// printConvertState shows a conversion's state: a table of steps per
// journal (-H, -o step,status,at), the failure, and what to run next.
func printConvertState(w io.Writer, c *cli.Context, st *convert.State) error {
	if st.Running != "" {
		fmt.Fprintf(w, "running: %s\n", st.Running)
	}
	for _, j := range []struct {
		what string
		s    *convert.StepsState
	}{{"conversion", st.Conversion}, {"finish", st.Finish}} {
		if j.s == nil {
			continue
		}
		target := j.s.Key
		if j.s.Pool != "" {
			target = "pool " + j.s.Pool
		}
		head := fmt.Sprintf("%s started %s", j.what, j.s.Started.Format("2006-01-02 15:04:05Z"))
		if target != "" {
			head += ", key " + target
		}
		if j.s.From != "" {
			head += ", from " + j.s.From
		}
		fmt.Fprintln(w, head)
		t := tool.Table{Columns: []string{"step", "status", "at"}}
		for _, s := range j.s.Steps {
			at := ""
			if s.At != nil {
				at = s.At.Format(time.RFC3339)
			}
			t.Rows = append(t.Rows, []string{s.Name, s.Status, at})
		}
		if err := t.Print(w, c); err != nil {
			return err
		}
		if f := j.s.Failed; f != nil {
			fmt.Fprintf(w, "failed: step %s at %s: %s\n", f.Step, f.At.Format(time.RFC3339), f.Error)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "next: %s\n", st.Next)
	if st.Command != "" {
		fmt.Fprintf(w, "    %s\n", st.Command)
	}
	return nil
}

// stepTable closes a run with its steps and how long each took, on
// stderr with the progress (under --json each step's object carries its
// seconds instead).
func stepTable(env *tool.Env, steps []convert.StepResult) {
	if env.JSON || len(steps) == 0 {
		return
	}
	tw := tabwriter.NewWriter(env.Stderr, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tSTATUS\tSECONDS")
	var total float64
	for _, s := range steps {
		secs := "-"
		if s.Status != "skipped" {
			secs = fmt.Sprintf("%.1f", s.Seconds)
			total += s.Seconds
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Status, secs)
	}
	fmt.Fprintf(tw, "total\t\t%.1f\n", total)
	tw.Flush()
}
