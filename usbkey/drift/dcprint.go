package drift

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// nodeName is how a report names a node: as sdc-oneachnode does.
func nodeName(n *NodeReport) string {
	if n.UUID == "" {
		return n.Hostname
	}
	return n.Hostname + " (" + n.UUID + ")"
}

// WriteText writes the DC report: one line per node, its state, with the
// drifted paths under a drifted node (as usbkey-drift lists them,
// indented), then sdc-oneachnode's own failure if it had one, and a
// summary line.
//
//	cn1 (UUID): in step
//	cn2 (UUID): drift, 1 path
//	    M    boot/loader.conf
//	cn3 (UUID): failed: exit status 127: ...: No such file or directory
//	3 nodes against usbkey: 1 in step, 1 drift, 1 failed
func (r *DCReport) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, n := range r.Nodes {
		switch n.Status {
		case NodeInStep:
			fmt.Fprintf(bw, "%s: in step\n", nodeName(n))
		case NodeDrift:
			fmt.Fprintf(bw, "%s: drift, %s\n", nodeName(n), plural(len(n.Pair.Drifts), "path"))
			for i := range n.Pair.Drifts {
				writeDriftText(bw, "    ", &n.Pair.Drifts[i])
			}
		default:
			fmt.Fprintf(bw, "%s: failed: %s\n", nodeName(n), n.Failure)
		}
	}
	if r.Incomplete != "" {
		fmt.Fprintf(bw, "incomplete: %s\n", r.Incomplete)
	}
	in, d, f := r.Counts()
	fmt.Fprintf(bw, "%s against %s: %d in step, %d drift, %d failed\n", plural(len(r.Nodes), "node"), r.Reference, in, d, f)
	return bw.Flush()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// The JSON DC report is NDJSON, each object with a "type": one "node" per
// node, the "drift" and "config-change" objects of a drifted node after
// it (as usbkey-drift --json writes them, "copy" the hostname), and a
// "summary" last:
//
//	{"type":"node","hostname":H,"uuid":U,"status":"drift","differences":1}
//	{"type":"node","hostname":H,"uuid":U,"status":"failed","failure":F,"exit_status":127,"stderr":E}
//	{"type":"summary","reference":R,"nodes":3,"nodes_in_step":1,"nodes_drift":1,"nodes_failed":1,"differences":1,"incomplete":I,"in_step":false}
type jsonNode struct {
	Type        string `json:"type"`
	Hostname    string `json:"hostname"`
	UUID        string `json:"uuid,omitempty"`
	Status      string `json:"status"`
	Differences int    `json:"differences,omitempty"`
	Failure     string `json:"failure,omitempty"`
	ExitStatus  *int   `json:"exit_status,omitempty"`
	Stderr      string `json:"stderr,omitempty"`
}

type jsonDCSummary struct {
	Type        string `json:"type"`
	Reference   string `json:"reference"`
	Nodes       int    `json:"nodes"`
	InStepNodes int    `json:"nodes_in_step"`
	DriftNodes  int    `json:"nodes_drift"`
	FailedNodes int    `json:"nodes_failed"`
	Differences int    `json:"differences"`
	Incomplete  string `json:"incomplete,omitempty"`
	InStep      bool   `json:"in_step"`
}

// WriteJSON writes the DC report as NDJSON.
func (r *DCReport) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, n := range r.Nodes {
		j := jsonNode{Type: "node", Hostname: n.Hostname, UUID: n.UUID, Status: n.Status,
			Failure: n.Failure, ExitStatus: n.ExitStatus, Stderr: n.Stderr}
		if n.Pair != nil {
			j.Differences = len(n.Pair.Drifts)
		}
		if err := enc.Encode(j); err != nil {
			return err
		}
		if n.Pair == nil {
			continue
		}
		for i := range n.Pair.Drifts {
			if err := encodeDrift(enc, r.Reference, n.Hostname, &n.Pair.Drifts[i]); err != nil {
				return err
			}
		}
	}
	in, d, f := r.Counts()
	sum := jsonDCSummary{Type: "summary", Reference: r.Reference, Nodes: len(r.Nodes), InStepNodes: in, DriftNodes: d,
		FailedNodes: f, Differences: r.Differences(), Incomplete: r.Incomplete, InStep: r.InStep()}
	if err := enc.Encode(sum); err != nil {
		return err
	}
	return bw.Flush()
}
