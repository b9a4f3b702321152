package key

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"cntools/internal/node"
	"cntools/usbkey/bootfiles"
	"cntools/usbkey/device"
	"cntools/usbkey/parttable"
)

// FormatPlan is a format of one target, checked: what PlanFormat found on
// the node and what Apply will write. Until Apply nothing on the node has
// changed; an image that --size asks for is created only by Apply.
type FormatPlan struct {
	Type         string `json:"type"` // "plan"
	Target       string `json:"target"`
	Size         int64  `json:"size_bytes"`
	Create       bool   `json:"create,omitempty"` // Apply creates Target as an image file of Size bytes
	PartitionMap string `json:"partition_map"`
	BootVersion  string `json:"boot_version"`
	// Existing is the Triton key on the target now, nil when there is none.
	Existing *Status `json:"existing,omitempty"`
	// Disk is the physical disk, as diskinfo lists it, when the target is
	// one: the confirmation names what is about to be wiped.
	Disk *node.Disk `json:"disk,omitempty"`
	// Overridden are the refusals that Force overrides.
	Overridden []device.Refusal `json:"overridden,omitempty"`

	// Log, Now and Rand serve Apply: nil means no log, time.Now and
	// crypto/rand.
	Log  *slog.Logger     `json:"-"`
	Now  func() time.Time `json:"-"`
	Rand io.Reader        `json:"-"`

	path    string // Target under the root
	boot    *bootfiles.Set
	esp     *os.File
	espSize int64
	t       *device.Target // opened by PlanFormat, or created by Apply
	mu      sync.Mutex     // guards created and done for AbandonCreated
	created bool           // Apply created the image
	done    bool
}

// AbandonCreated removes the image Apply created and has not finished, and
// does nothing otherwise: never a file the operator gave. It is safe to
// call while Apply runs, for a process about to exit at once (a second
// interrupt).
func (p *FormatPlan) AbandonCreated() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.created && !p.done {
		os.Remove(p.path)
	}
}

// PlanFormat checks everything a format of req.Target on n needs, and
// refuses before anything is written: a request that contradicts itself,
// boot files that cannot make a key, a target that does not exist (unless
// req.Size creates an image) or has another size than req.Size, and, unless
// req.Force, a target that is not safe to overwrite (a *RefusedError). The
// caller closes the plan.
func PlanFormat(ctx context.Context, n *node.Node, req FormatRequest) (_ *FormatPlan, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if req.Target == "" {
		return nil, errors.New("no target: name the DEVICE or IMAGE to format")
	}
	if req.BootTarball != "" && req.BootDir != "" {
		return nil, errors.New("--boot-tarball and --boot-dir both given; pass one")
	}
	var size int64
	if req.Size != "" {
		if size, err = device.ParseSize(req.Size); err != nil {
			return nil, fmt.Errorf("--size: %w", err)
		}
	}
	p := &FormatPlan{Type: "plan", Target: req.Target, path: n.Path(req.Target)}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	if p.boot, err = loadBootFiles(n, req); err != nil {
		return nil, err
	}
	if req.ESPImage != "" {
		if err := p.openESP(n.Path(req.ESPImage)); err != nil {
			return nil, err
		}
	}
	if err := p.openTarget(req, size); err != nil {
		return nil, err
	}

	if name, isDisk := device.DiskName(req.Target); isDisk {
		if disks, err := n.Facts.Disks(ctx); err == nil {
			for _, d := range disks {
				if d.Name == name {
					p.Disk = &d
				}
			}
		}
	}
	// What is on the target now decides the refusals.
	refusals, err := device.Check(ctx, n.Facts, checkPath(n, req.Target), p.Size, MinSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Target, err)
	}
	u, err := device.Unchecked(n.Live(), checkPath(n, req.Target))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Target, err)
	}
	if u != nil {
		refusals = append(refusals, *u)
	}
	if p.t != nil {
		st, has, err := existingKey(p.t, req.Target, p.Size)
		if err != nil {
			return nil, err
		}
		if has != nil {
			p.Existing = st
			refusals = append(refusals, *has)
		}
	}
	if req.OverwriteKey && !req.Force {
		refusals = slices.DeleteFunc(refusals, func(r device.Refusal) bool { return r.Code == device.CodeHasKey })
	}
	if len(refusals) > 0 && !req.Force {
		return nil, &RefusedError{Target: req.Target, Refusals: refusals}
	}
	p.Overridden = refusals

	res, err := Plan(p.Size, p.options())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", req.Target, err)
	}
	p.PartitionMap, p.BootVersion = res.PartitionMap, res.BootVersion
	return p, nil
}

// loadBootFiles reads the boot files from where req names them, or from
// the usbkey copy.
func loadBootFiles(n *node.Node, req FormatRequest) (*bootfiles.Set, error) {
	from, read, remedy := req.BootDir, bootfiles.FromDir, ""
	switch {
	case req.BootTarball != "":
		from, read = req.BootTarball, bootfiles.FromTarball
	case req.BootDir == "":
		from, remedy = node.UsbkeyDir, "; pass --boot-tarball or --boot-dir"
	}
	if _, err := os.Stat(n.Path(from)); err != nil {
		return nil, fmt.Errorf("boot files: %w%s", err, remedy)
	}
	s, err := read(n.Path(from))
	if err != nil {
		return nil, fmt.Errorf("%w%s", err, remedy)
	}
	return s, nil
}

func (p *FormatPlan) openESP(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("esp image: %w", err)
	}
	p.esp = f
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("esp image: %w", err)
	}
	p.espSize = fi.Size()
	return nil
}

// openTarget opens the device or image, or, when it does not exist and
// size (req.Size) says how big, plans to create the image.
func (p *FormatPlan) openTarget(req FormatRequest, size int64) error {
	_, err := os.Stat(p.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, isDisk := device.DiskName(req.Target); isDisk || strings.HasPrefix(req.Target, "/dev/") {
			return fmt.Errorf("%s: no such device; check the name with diskinfo", req.Target)
		}
		if req.Size == "" {
			return fmt.Errorf("%s does not exist; pass --size to create an image file of that size", req.Target)
		}
		p.Create, p.Size = true, size
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", req.Target, err)
	}
	if p.t, err = device.Open(p.path, false); err != nil {
		return err
	}
	// Before anything else: no override makes a 4Kn disk hold a v2 key.
	if err := parttable.CheckSectorSize(p.t.SectorSize); err != nil {
		return fmt.Errorf("%s has %w", req.Target, err)
	}
	p.Size = p.t.Size
	if req.Size != "" && size != p.Size {
		return fmt.Errorf("%s exists with %d bytes, not the %d --size asks for; drop --size or remove it", req.Target, p.Size, size)
	}
	return nil
}

func (p *FormatPlan) options() FormatOptions {
	o := FormatOptions{Boot: p.boot, Rand: p.Rand, Now: time.Now()}
	if p.Now != nil {
		o.Now = p.Now()
	}
	if p.esp != nil {
		o.ESPImage, o.ESPImageSize = p.esp, p.espSize
	}
	return o
}

// Summary is what the format destroys and writes, one line each, for the
// confirmation and a dry run.
func (p *FormatPlan) Summary() []string {
	var s []string
	if p.Create {
		s = append(s, fmt.Sprintf("%s is created as an image file of %s and gets a new v2 key layout", p.Target, device.HumanSize(p.Size)))
	} else {
		what := device.HumanSize(p.Size)
		if d := p.Disk; d != nil {
			what = strings.Join(strings.Fields(strings.Join([]string{d.Type, d.Vendor, d.Product}, " ")), " ") + ", " + what
		}
		s = append(s, fmt.Sprintf("%s (%s) gets a new v2 key layout; everything on it is lost", p.Target, what))
	}
	if p.Existing != nil {
		s = append(s, "the Triton key on it: "+describeKey(p.Existing))
	}
	// Force overrides every refusal; the operator sees each one, not only
	// the one they meant.
	for _, r := range p.Overridden {
		switch r.Code {
		case device.CodeHasKey:
		case device.CodeUnchecked:
			s = append(s, "WARN: "+r.Reason)
		default:
			s = append(s, "despite: "+r.Reason)
		}
	}
	return append(s, strings.Split(strings.TrimSpace(p.PartitionMap), "\n")...)
}

// Apply writes the key, creating the image first when the plan says so,
// and syncs it. An image it created is removed again when the format
// fails.
func (p *FormatPlan) Apply(ctx context.Context) (*Formatted, error) {
	if p.done {
		return nil, errors.New("BUG: format plan applied twice")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	log := p.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, r := range p.Overridden {
		log.Warn("formatting despite", "target", p.Target, "reason", r.Reason)
	}
	if p.Create {
		if _, err := os.Lstat(p.path); err == nil {
			return nil, fmt.Errorf("%s: it appeared since the format was planned; run usbkey-format again", p.Target)
		}
		t, err := device.OpenImage(p.path, p.Size)
		if err != nil {
			return nil, err
		}
		p.mu.Lock()
		p.t, p.created = t, true
		p.mu.Unlock()
	}
	log.Info("formatting", "target", p.Target, "bytes", p.Size, "boot_version", p.BootVersion)
	o := p.options()
	o.Ctx = ctx
	res, err := Format(p.t, p.Size, o)
	if err == nil {
		err = p.t.Sync()
	}
	if err != nil {
		if p.created {
			p.removeImage()
			return nil, fmt.Errorf("%s: %w; the new image is removed: run usbkey-format again", p.Target, err)
		}
		return nil, fmt.Errorf("%s: %w; the target is not a usable key now: run usbkey-format again", p.Target, err)
	}
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
	log.Info("formatted", "target", p.Target)
	return res, nil
}

// removeImage closes and removes the image Apply created.
func (p *FormatPlan) removeImage() {
	p.t.Close()
	p.t = nil
	os.Remove(p.path)
}

// Close releases the target and the ESP image. An image that Apply created
// but did not finish is removed.
func (p *FormatPlan) Close() error {
	if p.esp != nil {
		p.esp.Close()
		p.esp = nil
	}
	if p.t == nil {
		return nil
	}
	if p.created && !p.done {
		p.removeImage()
		return nil
	}
	err := p.t.Close()
	p.t = nil
	return err
}
