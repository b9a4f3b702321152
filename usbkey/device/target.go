package device

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Target is an opened image file or disk device. Reads and writes are bounded
// by Size, so a layout bug cannot grow an image or run off a device.
//
// A device is read and written in whole sectors of its logical block size,
// whatever offsets and lengths the caller asks for: illumos raw disks refuse
// anything else. An image takes any I/O as it comes, unless opened with
// OpenAligned.
type Target struct {
	Path string // as given to Open or OpenImage
	Size int64  // bytes: the file size, or the device's media size
	// SectorSize is the logical sector size in bytes: the device's
	// (DKIOCGMEDIAINFO on illumos, BLKSSZGET on Linux), or ImageSectorSize
	// for an image file.
	SectorSize int64
	IsImage    bool // a regular file, not a device
	f          *os.File
	rw         readWriterAt // f, or f in whole sectors
	ro         bool
	flush      flusher
}

// ImageSectorSize is the logical sector size of an image file: the 512
// bytes a key image is laid out in. A test binary may set another power of
// two to make every image stand in for a disk with such sectors (a 4Kn
// disk), read and written in whole sectors as a device is; the tools never
// change it.
var ImageSectorSize int64 = 512

// OpenImage opens the image file at path for reading and writing. When path
// does not exist and createSize is positive, it creates a sparse file of
// createSize bytes; with createSize 0 the image must exist. An existing image
// keeps its size whatever createSize says.
func OpenImage(path string, createSize int64) (*Target, error) {
	if createSize < 0 {
		return nil, fmt.Errorf("image %s: negative size %d", path, createSize)
	}
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if createSize == 0 {
			return nil, fmt.Errorf("image %s: %w: give a size to create it", path, fs.ErrNotExist)
		}
		return createImage(path, createSize)
	}
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", path, err)
	}
	t, err := open(path, false)
	if err != nil {
		return nil, err
	}
	if !t.IsImage {
		t.Close()
		return nil, fmt.Errorf("image %s: not a regular file: open it as a device", path)
	}
	return t, nil
}

func createImage(path string, size int64) (*Target, error) {
	// O_EXCL: another run that created the file meanwhile must not have it
	// truncated under it.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create image %s: %w", path, err)
	}
	// Truncate leaves the file sparse: only what the layout writes takes space.
	if err := f.Truncate(size); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("create image %s: set size %d: %w", path, size, err)
	}
	t := &Target{Path: path, Size: size, IsImage: true, f: f, flush: flusher{sync: f.Sync}}
	if err := t.imageIO(ImageSectorSize); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("create image %s: %w", path, err)
	}
	return t, nil
}

// imageIO makes an image file a disk of sector-byte sectors: any I/O goes
// straight through at 512, whole sectors are imposed at anything else.
func (t *Target) imageIO(sector int64) error {
	t.SectorSize, t.rw = sector, t.f
	if sector == 512 {
		return nil
	}
	rw, err := newSectorIO(t.f, sector, t.Size)
	if err != nil {
		return err
	}
	t.rw = rw
	return nil
}

// Open opens path, an image file or a disk device, for reading and writing,
// or for reading only. A device's size is its media size; a device with no
// media (size 0) is refused.
func Open(path string, readOnly bool) (*Target, error) {
	return open(path, readOnly)
}

// AlignedSectorSize is the sector size OpenAligned imposes on an image file.
const AlignedSectorSize = 512

// OpenAligned is Open, except that an image file too is read and written only
// in whole sectors of AlignedSectorSize bytes, as a device is. It lets tests
// drive the writers above through the same sector I/O a raw disk gets. On a
// device it is the same as Open.
func OpenAligned(path string, readOnly bool) (*Target, error) {
	t, err := open(path, readOnly)
	if err != nil {
		return nil, err
	}
	if t.IsImage {
		t.SectorSize = AlignedSectorSize
		t.rw, _ = newSectorIO(t.f, AlignedSectorSize, t.Size)
	}
	return t, nil
}

func open(path string, readOnly bool) (*Target, error) {
	// Judge the file before opening it: open(2) of a FIFO blocks until a
	// writer comes, and of some devices has side effects.
	before, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := CheckKind(path, before.Mode()); err != nil {
		return nil, fmt.Errorf("open %w", err)
	}
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if !os.SameFile(before, fi) {
		f.Close()
		return nil, fmt.Errorf("open %s: it was replaced while being opened; run again", path)
	}
	t := &Target{Path: path, f: f, rw: f, ro: readOnly, flush: flusher{sync: f.Sync}}
	switch {
	case fi.Mode().IsRegular():
		t.IsImage, t.Size = true, fi.Size()
		if err := t.imageIO(ImageSectorSize); err != nil {
			f.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	case fi.Mode()&fs.ModeDevice != 0:
		size, sector, err := deviceSize(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("open %s: size: %w", path, err)
		}
		if size <= 0 {
			f.Close()
			return nil, fmt.Errorf("open %s: device reports size %d: no media?", path, size)
		}
		t.Size, t.SectorSize = size, sector
		if t.rw, err = newSectorIO(f, sector, size); err != nil {
			f.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	return t, nil
}

// CheckKind refuses anything at path (of the given mode, as os.Stat
// reports it) that is neither a regular file (an image) nor a device: a
// directory, a FIFO, a socket. It names what the path is, so the operator
// sees the mistake.
func CheckKind(path string, mode fs.FileMode) error {
	if mode.IsRegular() || mode&fs.ModeDevice != 0 {
		return nil
	}
	what := "a " + mode.Type().String()
	switch {
	case mode.IsDir():
		what = "a directory"
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	}
	return fmt.Errorf("%s: it is %s, neither an image file nor a disk device; name an image file or a disk's /dev/rdsk node", path, what)
}

// ReadAt reads from the target; reading at or past Size returns io.EOF.
func (t *Target) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read %s: negative offset %d", t.Path, off)
	}
	if off >= t.Size {
		return 0, io.EOF
	}
	if rest := t.Size - off; int64(len(p)) > rest {
		n, err := t.rw.ReadAt(p[:rest], off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return t.rw.ReadAt(p, off)
}

// WriteAt writes to the target. A write that would end past Size is refused
// whole: it is a bug in the caller's layout, and half of it would corrupt the
// target.
func (t *Target) WriteAt(p []byte, off int64) (int, error) {
	if t.ro {
		return 0, fmt.Errorf("write %s: opened read-only", t.Path)
	}
	if off < 0 || off > t.Size || int64(len(p)) > t.Size-off {
		return 0, fmt.Errorf("BUG: write %s: %d bytes at %d past its end (%d bytes)", t.Path, len(p), off, t.Size)
	}
	n, err := t.rw.WriteAt(p, off)
	t.flush.wrote(n)
	return n, err
}

// Sync flushes the target to stable storage.
func (t *Target) Sync() error {
	err := t.flush.wait()
	if err == nil {
		err = t.f.Sync()
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", t.Path, err)
	}
	return nil
}

// StartSync flushes the target in the background: the channel receives
// the result of a flush begun after the call, which makes durable all that
// was written before it. A failure is also reported by the next Sync.
func (t *Target) StartSync() <-chan error { return t.flush.after() }

// Close closes the target, once its background flush is over. It does not
// sync: call Sync first when the writes must be durable, so a failed flush
// is reported as one. A background flush that failed since the last Sync
// is reported here.
func (t *Target) Close() error {
	if err := t.flush.wait(); err != nil {
		t.f.Close()
		return fmt.Errorf("close %s: a background flush failed (%w), so what was written since the last sync may be lost: check the disk and run again", t.Path, err)
	}
	if err := t.f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", t.Path, err)
	}
	return nil
}

// File returns the open file, for readers that need one (go-diskfs). Reads
// and writes through it are not bounded by Size, nor made whole sectors.
func (t *Target) File() *os.File { return t.f }
