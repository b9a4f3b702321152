package keysync

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"cntools/internal/node"
	"cntools/usbkey/keycopy"
)

// How a target's files are hashed, best first. A command on the target
// reads the file where it is stored, which is what verification is for,
// and costs no network; reading back over SFTP works on any target.
const (
	VerifyReceiver  = "usbkey-sync" // the receiver on the target (receive.go) hashes what it wrote
	VerifyOpenSSL   = "openssl"     // openssl dgst: uses the CPU's SHA extensions, 4x sha256sum here
	VerifySHA256Sum = "sha256sum"   // GNU coreutils
	VerifyDigest    = "digest"      // illumos digest(1), always in a SmartOS global zone
	VerifyReadBack  = "read-back"   // read over SFTP and hash here
)

// argBudget bounds the bytes of file names on one command line: far
// below ARG_MAX on illumos and Linux, large enough that thousands of small
// files take a few commands.
const argBudget = 64 << 10

// probe asks the target, in one command, for the best hashing command it
// has (forced, when given, is taken as it is) and for its state
// (listing.go); stOK is false when the target has no usbkey-sync to tell
// it. One command, not two: each costs the target a session and a shell.
// stErr says why there is no state, for the log.
func (r *remote) probe(ctx context.Context, forced string) (method string, st targetState, stOK bool, stErr error) {
	var out bytes.Buffer
	stErr = r.client.Run(ctx, node.ToolsPATH+methodProbe+stateCommand(quote(r.root)), &out)
	lines := strings.Split(out.String(), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, keycopy.StateTag+" ") {
			st, stOK = parseState(l)
		}
	}
	if stOK {
		stErr = nil
	} else if stErr == nil {
		stErr = errors.New("usbkey-state printed no state line: an older or newer cn_tools there")
	}
	return pickMethod(lines, forced), st, stOK, stErr
}

// hashes returns the SHA-256 of each of the target's files ps (paths
// relative to the target); a file that could not be hashed is missing
// from the map. A command that fails falls back to reading back; its
// first error is returned for the caller to report.
func (r *remote) hashes(ctx context.Context, method string, ps []string, workers int) (map[string]string, error) {
	if method == VerifyReadBack {
		return r.readBack(ctx, ps, workers), nil
	}
	out := map[string]string{}
	var first error
	for _, batch := range batches(ps) {
		got, err := r.runHash(ctx, method, batch)
		if err != nil {
			first = cmp.Or(first, err)
			got = r.readBack(ctx, batch, workers)
		}
		for k, v := range got {
			out[k] = v
		}
	}
	return out, first
}

func batches(ps []string) [][]string {
	var out [][]string
	var cur []string
	n := 0
	for _, p := range ps {
		if n+len(p)+3 > argBudget && len(cur) > 0 {
			out = append(out, cur)
			cur, n = nil, 0
		}
		cur = append(cur, p)
		n += len(p) + 3
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// runHash runs the hashing command over one batch, in the target
// directory. Each command prints one line per file in argument order:
// openssl "HASH *NAME", sha256sum "HASH  NAME" (with a leading backslash
// when it escaped the name), digest "(NAME) = HASH" for several files and
// "HASH" for one.
func (r *remote) runHash(ctx context.Context, method string, ps []string) (map[string]string, error) {
	var cmd strings.Builder
	cmd.WriteString("cd " + quote(r.root) + " && ")
	switch method {
	case VerifyOpenSSL:
		cmd.WriteString("openssl dgst -sha256 -r")
	case VerifySHA256Sum:
		cmd.WriteString("sha256sum")
	case VerifyDigest:
		cmd.WriteString("digest -a sha256")
	default:
		return nil, fmt.Errorf("unknown verification %q (want %s, %s, %s or %s)", method, VerifyOpenSSL, VerifySHA256Sum, VerifyDigest, VerifyReadBack)
	}
	// ./ keeps a name starting with - from being read as an option, by
	// every one of the commands.
	for _, p := range ps {
		cmd.WriteString(" " + quote("./"+p))
	}
	var out bytes.Buffer
	if err := r.client.Run(ctx, cmd.String(), &out); err != nil {
		return nil, err
	}
	var lines []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != len(ps) {
		return nil, fmt.Errorf("%s: %d lines for %d files", method, len(lines), len(ps))
	}
	got := map[string]string{}
	for i, l := range lines {
		var h string
		if method != VerifyDigest {
			l = strings.TrimPrefix(l, `\`)
			if len(l) >= 64 {
				h = l[:64]
			}
		} else if len(l) >= 64 {
			h = l[len(l)-64:]
		}
		if !isHex(h) {
			return nil, fmt.Errorf("%s: unexpected line %q", method, l)
		}
		got[ps[i]] = h
	}
	return got, nil
}

func isHex(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// readBack hashes files by reading them over SFTP, workers at a time.
func (r *remote) readBack(ctx context.Context, ps []string, workers int) map[string]string {
	out := map[string]string{}
	if r.need() != nil {
		return out // each file is then not in step, and says so
	}
	var mu sync.Mutex
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				if h, err := r.readHash(p); err == nil {
					mu.Lock()
					out[p] = h
					mu.Unlock()
				}
			}
		}()
	}
	for _, p := range ps {
		if ctx.Err() != nil {
			break
		}
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	return out
}

func (r *remote) readHash(p string) (string, error) {
	f, err := r.sftp.Open(r.abs(p))
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	// WriteTo keeps many reads in flight; Read would wait for each.
	if _, err := f.WriteTo(h); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
