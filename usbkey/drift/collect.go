package drift

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"cntools/internal/node"
)

// The states of a node in a DC report.
const (
	NodeInStep = "in-step"
	NodeDrift  = "drift"
	NodeFailed = "failed"
)

// NodeReport is one node of a DC report.
type NodeReport struct {
	UUID, Hostname string
	Status         string // NodeInStep, NodeDrift or NodeFailed
	Pair           *Pair  // NodeDrift: what differs
	// Failed: why, on one line. ExitStatus and Stderr are set when the
	// command ran and failed.
	Failure    string
	ExitStatus *int
	Stderr     string
}

// DCReport compares every node's standby copy with one reference.
type DCReport struct {
	Reference string
	Nodes     []*NodeReport // by hostname, then UUID
	// Incomplete says why some nodes may be missing from Nodes, as
	// sdc-oneachnode's exit status and stderr tell; "" when none are.
	Incomplete string
}

// Counts are the nodes in step, drifted and failed.
func (r *DCReport) Counts() (inStep, drift, failed int) {
	for _, n := range r.Nodes {
		switch n.Status {
		case NodeInStep:
			inStep++
		case NodeDrift:
			drift++
		default:
			failed++
		}
	}
	return
}

// InStep reports whether every node is in step and none is missing.
func (r *DCReport) InStep() bool {
	_, d, f := r.Counts()
	return d == 0 && f == 0 && r.Incomplete == ""
}

// Differences is the number of drifted paths over all nodes.
func (r *DCReport) Differences() int {
	n := 0
	for _, nr := range r.Nodes {
		if nr.Pair != nil {
			n += len(nr.Pair.Drifts)
		}
	}
	return n
}

// dcComparer compares node manifests with one reference, streaming.
type dcComparer struct {
	ref    *Copy
	refTxt []byte // the reference's canonical encoding
	o      Options
	seen   map[string]bool
	r      *DCReport
}

func newDCComparer(ref *Copy, o Options) (*dcComparer, error) {
	var b bytes.Buffer
	if err := ref.Manifest.Encode(&b); err != nil {
		return nil, fmt.Errorf("%s: %w", ref.Name, err)
	}
	return &dcComparer{ref: ref, refTxt: b.Bytes(), o: o, seen: map[string]bool{},
		r: &DCReport{Reference: ref.Name}}, nil
}

// add compares one node's result.
func (d *dcComparer) add(nr *NodeResult) error {
	if d.seen[nr.UUID] {
		return fmt.Errorf("sdc-oneachnode output: node %s (%s) listed twice", nr.UUID, nr.Hostname)
	}
	d.seen[nr.UUID] = true
	n := &NodeReport{UUID: nr.UUID, Hostname: nr.Hostname, Status: NodeFailed}
	d.r.Nodes = append(d.r.Nodes, n)
	switch {
	case nr.Err != nil:
		n.Failure = "not run: " + nr.Err.Message
		if nr.Err.Name != "" {
			n.Failure += " (" + nr.Err.Name
			if nr.Err.Code != "" {
				n.Failure += " " + nr.Err.Code
			}
			n.Failure += ")"
		}
	case nr.Exec.ExitStatus != 0:
		status := nr.Exec.ExitStatus
		n.ExitStatus, n.Stderr = &status, excerpt(nr.Exec.Stderr)
		n.Failure = "exit status " + strconv.Itoa(status)
		if n.Stderr != "" {
			n.Failure += ": " + n.Stderr
		}
	case bytes.Equal(nr.Exec.Stdout, d.refTxt):
		// The same canonical bytes: the same manifest, nothing to decode.
		n.Status = NodeInStep
	default:
		c, err := LoadManifest(nr.Hostname, bytes.NewReader(nr.Exec.Stdout))
		if err != nil {
			n.Failure = "output is not a manifest: " + strings.TrimPrefix(err.Error(), nr.Hostname+": ")
			return nil
		}
		p := comparePair(d.ref, c, d.o)
		n.Status = NodeInStep
		if len(p.Drifts) > 0 {
			n.Status, n.Pair = NodeDrift, p
		}
	}
	return nil
}

func (d *dcComparer) report() *DCReport {
	slices.SortFunc(d.r.Nodes, func(a, b *NodeReport) int {
		return cmp.Or(strings.Compare(a.Hostname, b.Hostname), strings.Compare(a.UUID, b.UUID))
	})
	return d.r
}

// maxExcerpt bounds the stderr a report quotes.
const maxExcerpt = 200

// excerpt is the last non-empty lines of stderr, on one line: where a
// failing command says why.
func excerpt(s string) string {
	var lines []string
	for l := range strings.Lines(s) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	out := ""
	for i := len(lines) - 1; i >= 0; i-- {
		if out != "" {
			if len(out)+len(lines[i])+3 > maxExcerpt {
				break
			}
			out = lines[i] + " | " + out
			continue
		}
		out = lines[i]
	}
	if len(out) > maxExcerpt {
		out = "..." + out[len(out)-maxExcerpt:]
	}
	return strings.ToValidUTF8(out, "?")
}

// CompareOnEachNode compares ref with every node's manifest in r, a saved
// output of `sdc-oneachnode -j` (or -J) running `usbkey-drift manifest`.
// A node whose manifest is byte-identical to ref's canonical encoding is
// in step without decoding it; the others are decoded one at a time.
func CompareOnEachNode(ref *Copy, r io.Reader, o Options) (*DCReport, error) {
	d, err := newDCComparer(ref, o)
	if err != nil {
		return nil, err
	}
	if err := ParseOnEachNode(r, d.add); err != nil {
		return nil, err
	}
	return d.report(), nil
}

// OnEachNode says how to run sdc-oneachnode.
type OnEachNode struct {
	// Path is sdc-oneachnode; "" finds it in PATH or /opt/smartdc/bin.
	Path string
	// Nodes limits the run to these hostnames or UUIDs (-n); none is every
	// compute node (-c), since the headnode holds no standby copy.
	Nodes []string
	// StandbyDir is the copy each node manifests; "" is node.StandbyDir.
	StandbyDir string
	// Timeout is sdc-oneachnode's -T, in seconds; 0 is DefaultTimeout.
	Timeout int
}

// DefaultTimeout is -T: a cold manifest hashes every platform on the
// copy, longer than sdc-oneachnode's own 60 s on a slow disk.
const DefaultTimeout = 600

// RemoteTool is usbkey-drift as installed on every node.
const RemoteTool = "/opt/smartdc/bin/usbkey-drift"

// Command is the command each node runs.
func (o OnEachNode) Command() string {
	return RemoteTool + " manifest " + node.QuoteIfNeeded(cmp.Or(o.StandbyDir, node.StandbyDir))
}

// Args are sdc-oneachnode's arguments: JSON output, the target nodes and
// the command as one argument, as it wants it.
func (o OnEachNode) Args() []string {
	a := []string{"-j", "-T", strconv.Itoa(cmp.Or(o.Timeout, DefaultTimeout))}
	if len(o.Nodes) > 0 {
		a = append(a, "-n", strings.Join(o.Nodes, ","))
	} else {
		a = append(a, "-c")
	}
	return append(a, o.Command())
}

// CommandLine is the sdc-oneachnode command line, as an operator would
// type it.
func (o OnEachNode) CommandLine() string {
	s := []string{node.QuoteIfNeeded(cmp.Or(o.Path, "sdc-oneachnode"))}
	for _, a := range o.Args() {
		s = append(s, node.QuoteIfNeeded(a))
	}
	return strings.Join(s, " ")
}

// oneachnodeFallback is where sdc-oneachnode is in the global zone.
const oneachnodeFallback = "/opt/smartdc/bin/sdc-oneachnode"

func (o OnEachNode) path() (string, error) {
	if o.Path != "" {
		return o.Path, nil
	}
	if p, err := exec.LookPath("sdc-oneachnode"); err == nil {
		return p, nil
	}
	if p, err := exec.LookPath(oneachnodeFallback); err == nil {
		return p, nil
	}
	return "", errors.New("sdc-oneachnode is not in PATH or /opt/smartdc/bin: run this on the headnode, give --oneachnode PATH, or --from-file with its saved -j output")
}

// The exit statuses sdc-oneachnode documents (sdc-oneachnode(1)).
var oneachnodeExits = map[int]string{
	1:  "generic failure",
	2:  "invalid options",
	10: "nodes missing from discovery",
	20: "some nodes did not answer",
}

// CollectDC runs sdc-oneachnode, which runs `usbkey-drift manifest` on
// every node through Ur, and compares each node's manifest with ref as
// the output streams in. sdc-oneachnode failing after printing its
// results (nodes missing, nodes that did not answer) is in Incomplete;
// failing without output, or output that does not parse, is the error.
func CollectDC(ctx context.Context, ref *Copy, oen OnEachNode, o Options) (*DCReport, error) {
	path, err := oen.path()
	if err != nil {
		return nil, err
	}
	d, err := newDCComparer(ref, o)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, oen.Args()...)
	var stderr tailBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// An error exit prints nothing on stdout: tell that from bad output.
	br := bufio.NewReaderSize(out, 64<<10)
	_, perr := br.Peek(1)
	empty := perr != nil
	if !empty {
		perr = ParseOnEachNode(br, d.add)
	}
	if perr != nil {
		cancel()
		io.Copy(io.Discard, br)
	}
	werr := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case !empty && perr != nil:
		return nil, perr
	case werr != nil && !errors.As(werr, &ee):
		return nil, fmt.Errorf("%s: %w", path, werr)
	case werr != nil && empty:
		return nil, fmt.Errorf("%s: %s", path, exitText(ee.ExitCode(), stderr.String()))
	case empty:
		return nil, fmt.Errorf("%s: printed nothing and exited 0", path)
	}
	r := d.report()
	if werr != nil {
		r.Incomplete = "sdc-oneachnode " + exitText(ee.ExitCode(), stderr.String())
		for _, m := range missingNodes(stderr.String()) {
			r.Nodes = append(r.Nodes, &NodeReport{Hostname: m, Status: NodeFailed, Failure: "not found by sdc-oneachnode's discovery"})
		}
	}
	return r, nil
}

func exitText(code int, stderr string) string {
	s := "exit status " + strconv.Itoa(code)
	if what, ok := oneachnodeExits[code]; ok {
		s += " (" + what + ")"
	}
	if e := excerpt(stderr); e != "" {
		s += ": " + e
	}
	return s
}

// missingNodes reads the "missing nodes:" list sdc-oneachnode prints on
// stderr when a node given to -n was not discovered.
func missingNodes(stderr string) []string {
	var out []string
	in := false
	for l := range strings.Lines(stderr) {
		l = strings.TrimRight(l, "\r\n")
		switch {
		case strings.TrimSpace(l) == "missing nodes:":
			in = true
		case in && strings.HasPrefix(l, "    ") && strings.TrimSpace(l) != "":
			out = append(out, strings.TrimSpace(l))
		case in:
			in = strings.TrimSpace(l) == "" && len(out) == 0
		}
	}
	return out
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4<<10 {
		t.b = t.b[len(t.b)-4<<10:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }
