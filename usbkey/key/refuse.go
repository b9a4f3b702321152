package key

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"cntools/internal/node"
	"cntools/usbkey/device"
)

// RefusedError is PlanFormat's answer for a target that is not safe to
// format: every reason, each a sentence that names the disk or image.
type RefusedError struct {
	Target   string // the node path
	Refusals []device.Refusal
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refusing to format %s: %s; pass --force to format it anyway", e.Target, device.JoinReasons(e.Refusals))
}

// FormatRefusals returns every reason not to format target on n: the
// node's (device.Check) and, when it holds one, the Triton key on it. size
// is the size of an image, existing or to be created; a device's size is
// the node's. None means safe.
func FormatRefusals(ctx context.Context, n *node.Node, target string, size int64) ([]device.Refusal, error) {
	rs, err := device.Check(ctx, n.Facts, checkPath(n, target), size, MinSize)
	if err != nil {
		return nil, err
	}
	u, err := device.Unchecked(n.Live(), checkPath(n, target))
	if err != nil {
		return nil, err
	}
	if u != nil {
		rs = append(rs, *u)
	}
	has, err := ExistingKey(n, target)
	if err != nil {
		return nil, err
	}
	if has != nil {
		rs = append(rs, *has)
	}
	return rs, nil
}

// ExistingKey returns the refusal for a target that holds a Triton key
// already (v1 or v2, marked or not), or nil when it holds none or does not
// exist. This is the one place that sentence is written.
func ExistingKey(n *node.Node, target string) (*device.Refusal, error) {
	t, err := device.Open(n.Path(target), true)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer t.Close()
	_, r, err := existingKey(t, target, t.Size)
	return r, err
}

// existingKey inspects d, the target of size bytes, and returns what key it
// holds with the refusal that says so; nil, nil when it holds none.
func existingKey(d io.ReaderAt, target string, size int64) (*Status, *device.Refusal, error) {
	st, err := inspect(d, target, size, false) // is it a key, not is it whole
	if err != nil {
		return nil, nil, err
	}
	if st.Kind == KindNotAKey {
		return nil, nil, nil
	}
	return st, &device.Refusal{Code: device.CodeHasKey, Reason: fmt.Sprintf("%s holds a Triton key already (%s)", target, describeKey(st))}, nil
}

// describeKey says what a key is in a few words: its kind, marker and
// platforms.
func describeKey(st *Status) string {
	s := fmt.Sprintf("%s, marker %v", st.Kind, st.Marker)
	if len(st.Platforms) > 0 {
		s += ", platforms " + strings.Join(st.Platforms, " ")
	}
	return s
}

// checkPath is the path device.Check judges: a /dev path names the node's
// device, decided from the node's facts alone; any other path is an image
// file looked at under the root.
func checkPath(n *node.Node, target string) string {
	if strings.HasPrefix(path.Clean(target), "/dev/") {
		return target
	}
	return n.Path(target)
}
