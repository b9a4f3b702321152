package populate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cntools/internal/node"
	"cntools/internal/progress"
	"cntools/usbkey/config"
	"cntools/usbkey/device"
	"cntools/usbkey/keytree"
)

// ErrUnsafeTarget marks a refusal to write a device that is mounted, in a
// zpool or the boot disk: the check did its job (exit 1).
var ErrUnsafeTarget = errors.New("unsafe target")

type refusal struct{ msg string }

func (r refusal) Error() string        { return r.msg }
func (r refusal) Is(target error) bool { return target == ErrUnsafeTarget }

// NewPlan opens what the request names and plans the copy, writing
// nothing. The plan holds the source and target open until Close.
func NewPlan(ctx context.Context, n *node.Node, r Request, o Options) (p *Plan, err error) {
	if r.Target == "" {
		return nil, fmt.Errorf("no target: name a key device or image, or a directory")
	}
	if r.BootPlatform != "" && !r.Headnode {
		return nil, fmt.Errorf("--boot-platform %s without --headnode: it only changes a headnode's loader.conf; add --headnode", r.BootPlatform)
	}
	if r.BootPool != "" && !r.Headnode {
		return nil, fmt.Errorf("--bootpool %s without --headnode: the pool only changes a headnode's loader.conf; add --headnode", r.BootPool)
	}
	op := o.Opener
	if op == nil {
		op = &keytree.Opener{Node: n, SSH: o.SSH}
	}
	loc, err := keytree.ParseLocation(r.from())
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	var closers []io.Closer
	defer func() {
		if err != nil {
			for _, c := range closers {
				c.Close()
			}
		}
	}()
	src, err := op.Open(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w; pass --from with a usbkey copy, standby copy or usbkey-base tarball", loc, err)
	}
	closers = append(closers, src)
	var changes []config.Change
	if r.NodeConfig {
		if src, changes, err = withNodeConfig(ctx, n, src); err != nil {
			return nil, err
		}
	}
	if r.Headnode {
		if src, err = withHeadnodeLoader(ctx, n, src, r); err != nil {
			return nil, err
		}
	}
	// The source is walked while the target is opened and checked. Run
	// before the closers: a source is not closed under its walk.
	selCtx, cancel := context.WithCancel(ctx)
	sel := startSelect(selCtx, src, r)
	defer func() {
		cancel()
		sel.wait()
	}()
	dst, err := openTarget(ctx, n, op, r)
	if err != nil {
		return nil, err
	}
	closers = append(closers, dst)
	if o.CachePath == "" {
		o.CachePath = filepath.Join(n.Path(node.CacheDir), cacheName("populate", r.Target))
	}
	if o.SourceCachePath == "" && loc.Kind == keytree.KindLocal {
		// A directory's: a tarball is extracted afresh every run, with
		// inodes and ctimes no cache could know again.
		if fi, err := os.Stat(n.Path(loc.Path)); err == nil && fi.IsDir() {
			o.SourceCachePath = filepath.Join(n.Path(node.CacheDir), cacheName("populate-source", loc.Path))
		}
	}
	p, err = makePlan(ctx, sel, src, dst, r, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Target, err)
	}
	p.Changes, p.src, p.dst, p.opts, p.closers = changes, src, dst, o, closers
	return p, nil
}

// Apply carries out the plan.
func (p *Plan) Apply(ctx context.Context) (*Result, error) {
	return Run(ctx, p.src, p.dst, p, p.opts)
}

// Close releases the source and target.
func (p *Plan) Close() error {
	var first error
	for i := len(p.closers) - 1; i >= 0; i-- {
		if err := p.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	p.closers = nil
	return first
}

// Source and Target name what the plan copies from and to.
func (p *Plan) Source() string { return p.src.String() }
func (p *Plan) Target() string { return p.dst.String() }

// openTarget opens a directory as it is, or a key device or image through
// its root filesystem, refusing a device that is in use.
func openTarget(ctx context.Context, n *node.Node, op *keytree.Opener, r Request) (keytree.Writer, error) {
	p := n.Path(r.Target)
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) && r.Mkdir {
		if err = os.MkdirAll(p, 0o755); err == nil {
			fi, err = os.Stat(p)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Target, err)
	}
	loc := keytree.Location{Raw: r.Target, Kind: keytree.KindLocal, Path: r.Target}
	if !fi.IsDir() {
		// Writing the FAT under a mounted pcfs (a headnode's key at
		// /mnt/usbkey) would corrupt it: such a key is populated through
		// its mount point.
		refusals, err := device.Check(ctx, n.Facts, r.Target, 0, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Target, err)
		}
		for _, rf := range refusals {
			switch rf.Code {
			case device.CodeMounted, device.CodeZpool, device.CodeBootDisk, device.CodeUnknownDisk:
				if !r.Force {
					return nil, refusal{fmt.Sprintf("%s: refusing to write: %s; populate a mounted key through its mount point (TARGET %s), or pass --force", r.Target, rf.Reason, node.KeyMount)}
				}
			}
		}
	}
	w, err := op.OpenWriter(ctx, loc, !r.NoVerify)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Target, err)
	}
	return w, nil
}

// withNodeConfig puts this node's values into the source's config.
func withNodeConfig(ctx context.Context, n *node.Node, src keytree.Tree) (keytree.Tree, []config.Change, error) {
	hn, err := keytree.ReadSmall(src, "config")
	if err != nil {
		return nil, nil, fmt.Errorf("--node-config: %w", err)
	}
	id, err := ReadIdentity(ctx, n)
	if err != nil {
		return nil, nil, fmt.Errorf("--node-config: %w", err)
	}
	f, changes, err := ForNode(hn, id)
	if err != nil {
		return nil, nil, fmt.Errorf("--node-config: %w", err)
	}
	return keytree.Overlay(src, "config", f.Bytes(), time.Now()), changes, nil
}

// withHeadnodeLoader gives the source a boot/loader.conf that boots this
// node as headnode from the platform the key will boot.
func withHeadnodeLoader(ctx context.Context, n *node.Node, src keytree.Tree, r Request) (keytree.Tree, error) {
	conf, err := keytree.ReadSmall(src, "boot/loader.conf")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("--headnode: %w", err)
	}
	pi := r.BootPlatform
	if pi == "" {
		si, err := n.Facts.Sysinfo(ctx)
		if err != nil {
			return nil, fmt.Errorf("--headnode: %w", err)
		}
		if pi, _, err = ChoosePlatforms(src, conf, si.LiveImage(), r.Platforms); err != nil {
			return nil, fmt.Errorf("--headnode: %w", err)
		}
	} else if _, err := src.Lstat("os/" + pi + "/platform"); err != nil {
		return nil, fmt.Errorf("--boot-platform %s: the source has no os/%s/platform: name a platform under its os/", pi, pi)
	}
	bp, err := n.Facts.BootParams(ctx)
	if err != nil {
		return nil, fmt.Errorf("--headnode: %w", err)
	}
	return keytree.Overlay(src, "boot/loader.conf", headnodeLoaderConf(conf, pi, bp["console"], r.BootPool), time.Now()), nil
}

// cacheName names the hash cache of the tree at the node path p.
func cacheName(prefix, p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = p
	}
	return prefix + strings.NewReplacer("/", "_", ":", "_").Replace(abs) + ".json"
}

// SetProgress has Apply count the bytes it copies on m.
func (p *Plan) SetProgress(m *progress.Meter) { p.opts.Progress = m }
