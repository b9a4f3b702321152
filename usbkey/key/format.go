package key

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"path"
	"time"

	"cntools/usbkey/bootfiles"
	"cntools/usbkey/fat32"
	"cntools/usbkey/parttable"
)

// Labels that format_image's mkfs_pcfs calls give the two filesystems.
const (
	ESPLabel  = "SYSTEM"
	RootLabel = "SMARTOSBOOT"
	// ESPLoaderPath is where UEFI firmware looks for the loader.
	ESPLoaderPath = "efi/boot/bootx64.efi"
)

// MaxSize is the largest key whose root partition a FAT32 boot sector can
// describe: a root of at most 0xFFFFFFFF sectors, rounded down to 1 MiB
// (0xFFFFF800), with the 528384 sectors before it and the reserved
// partition (16384) and backup GPT (33) after it, less the 2047 sectors
// the rounding may drop: 4295512096 sectors (2.0 TiB).
const MaxSize = 4295512096 * parttable.SectorSize

// MinSize is the smallest key Format writes without --force: the 4gb.img,
// the smallest image Triton builds a headnode key from.
const MinSize = 4_000_000_000

// FormatOptions are the inputs to Format besides the disk.
type FormatOptions struct {
	Boot *bootfiles.Set
	// ESPImage, when set, is written raw as the loader partition instead
	// of a SYSTEM filesystem built from loader64.efi.
	ESPImage     io.ReaderAt
	ESPImageSize int64
	Rand         io.Reader // GUIDs and the stage2 UUID; crypto/rand when nil
	Now          time.Time
	// Ctx, when set, is checked between the steps of Format, so a
	// cancelled run stops between writes; nil never cancels.
	Ctx context.Context
}

// stopped returns the context's error, naming the step not started.
func (o FormatOptions) stopped(next string) error {
	if o.Ctx == nil || o.Ctx.Err() == nil {
		return nil
	}
	return fmt.Errorf("stopped before %s: %w", next, o.Ctx.Err())
}

// Formatted says what Format wrote.
type Formatted struct {
	Layout       parttable.Layout
	PartitionMap string // format_image's stdout, "name tag start size" per partition
	Stage2Size   uint16 // gptzfsboot length in whole sectors, as in the MBR
	BootVersion  string // etc/version/boot of the boot files
}

// Plan checks every input for a key of size bytes and returns what Format
// would write, writing nothing.
func Plan(size int64, o FormatOptions) (*Formatted, error) {
	if size%parttable.SectorSize != 0 {
		return nil, fmt.Errorf("size %d is not a whole number of 512-byte sectors", size)
	}
	l, err := parttable.V2Layout(uint64(size / parttable.SectorSize))
	if err != nil {
		return nil, err
	}
	if o.Boot == nil {
		return nil, fmt.Errorf("BUG: no boot files")
	}
	if err := parttable.CheckPMBR(o.Boot.PMBR); err != nil {
		return nil, err
	}
	if _, err := bootfiles.PatchGPTZFSBoot(o.Boot.GPTZFSBoot, l.Root.Start); err != nil {
		return nil, err
	}
	if o.ESPImage != nil {
		if err := bootfiles.CheckESPImage(o.ESPImageSize, int64(l.ESP.Size)*parttable.SectorSize); err != nil {
			return nil, err
		}
	} else if _, err := fat32.NewGeometry(l.ESP.Size); err != nil {
		return nil, fmt.Errorf("loader partition: %w", err)
	}
	// Every geometry is computed here, so that Format fails on nothing
	// the plan could have known: a root over 2^32-1 sectors cannot be
	// described by a FAT32 boot sector (BPB_TotSec32; mkfs_pcfs's
	// sectors_in_logical_volume is a uint32_t, illumos-joyent
	// usr/src/cmd/fs.d/pcfs/mkfs/mkfs_pcfs.h:108).
	if _, err := fat32.NewGeometry(l.Root.Size); err != nil {
		return nil, fmt.Errorf("root partition of %d sectors: %w; a v2 key can be at most %d bytes (%s): use a smaller image or disk", l.Root.Size, err, int64(MaxSize), "2.0 TiB")
	}
	return &Formatted{
		Layout:       l,
		PartitionMap: l.PartitionMap(),
		Stage2Size:   uint16(len(o.Boot.GPTZFSBoot) / parttable.SectorSize),
		BootVersion:  o.Boot.Version,
	}, nil
}

// Format writes a v2 key onto d, which holds size bytes.
//
// The old MBR and GPT headers are cleared first, so a format that is
// interrupted never leaves something that looks like a key; the new GPT and
// MBR (whose byte 0xFA marks a v2 key) are written last.
func Format(d Disk, size int64, o FormatOptions) (*Formatted, error) {
	res, err := Plan(size, o)
	if err != nil {
		return nil, err
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	l := res.Layout
	sector := int64(parttable.SectorSize)
	zero := make([]byte, 2*sector)
	if _, err := d.WriteAt(zero, 0); err != nil {
		return nil, fmt.Errorf("clear old MBR and GPT header: %w", err)
	}
	if _, err := d.WriteAt(zero[:sector], int64(l.Sectors-1)*sector); err != nil {
		return nil, fmt.Errorf("clear old backup GPT header: %w", err)
	}
	if err := o.stopped("the loader partition"); err != nil {
		return nil, err
	}
	if err := writeESP(d, l, o); err != nil {
		return nil, err
	}
	if err := o.stopped("the boot partition"); err != nil {
		return nil, err
	}
	stage2, _ := bootfiles.PatchGPTZFSBoot(o.Boot.GPTZFSBoot, l.Root.Start)
	if _, err := d.WriteAt(stage2, int64(l.Boot.Start)*sector); err != nil {
		return nil, fmt.Errorf("write boot partition (gptzfsboot): %w", err)
	}
	if err := o.stopped("the root partition"); err != nil {
		return nil, err
	}
	if err := writeRoot(d, l, o); err != nil {
		return nil, err
	}
	if err := o.stopped("the gpt"); err != nil {
		return nil, err
	}
	if err := parttable.NewGPT(l, o.Rand).Write(d, l.Sectors); err != nil {
		return nil, fmt.Errorf("write gpt: %w", err)
	}
	uuid, err := parttable.RandomUUID(o.Rand)
	if err != nil {
		return nil, fmt.Errorf("stage2: %w", err)
	}
	mbr, err := parttable.PatchMBR(o.Boot.PMBR, res.Stage2Size, l.Boot.Start, uuid, l.Sectors)
	if err != nil {
		return nil, err
	}
	if _, err := d.WriteAt(mbr, 0); err != nil {
		return nil, fmt.Errorf("write mbr: %w", err)
	}
	return res, nil
}

func part(d Disk, e parttable.Extent) parttable.Window { return parttable.WindowOf(d, e) }

// writeESP writes the loader partition: a SYSTEM filesystem holding only
// efi/boot/bootx64.efi, as build_boot_image's create_esp makes it.
func writeESP(d Disk, l parttable.Layout, o FormatOptions) error {
	p := part(d, l.ESP)
	if o.ESPImage != nil {
		if _, err := io.Copy(io.NewOffsetWriter(p, 0), io.NewSectionReader(o.ESPImage, 0, o.ESPImageSize)); err != nil {
			return fmt.Errorf("write loader partition (esp image): %w", err)
		}
		return nil
	}
	esp, err := fat32.Format(p, l.ESP.Size, ESPLabel, o.Now)
	if err != nil {
		return fmt.Errorf("format loader partition: %w", err)
	}
	if err := esp.MkdirAll("efi/boot", o.Now); err != nil {
		return fmt.Errorf("loader partition: %w", err)
	}
	efi := o.Boot.Loader64EFI
	if err := esp.WriteFile(ESPLoaderPath, bytes.NewReader(efi), int64(len(efi)), o.Now); err != nil {
		return fmt.Errorf("loader partition: %w", err)
	}
	if err := esp.Commit(); err != nil {
		return fmt.Errorf("loader partition: %w", err)
	}
	return nil
}

// writeRoot writes the root partition: an empty SMARTOSBOOT filesystem
// with the loader files under boot/, as a real key has them.
func writeRoot(d Disk, l parttable.Layout, o FormatOptions) error {
	root, err := fat32.Format(part(d, l.Root), l.Root.Size, RootLabel, o.Now)
	if err != nil {
		return fmt.Errorf("format root partition: %w", err)
	}
	for _, f := range o.Boot.Files {
		mtime := f.ModTime
		if mtime.IsZero() {
			mtime = o.Now
		}
		if f.Mode.IsDir() {
			err = root.MkdirAll(f.Path, mtime)
		} else if err = root.MkdirAll(path.Dir(f.Path), mtime); err == nil {
			err = root.WriteFile(f.Path, bytes.NewReader(f.Data), int64(len(f.Data)), mtime)
		}
		if err != nil {
			return fmt.Errorf("root partition: %w", err)
		}
	}
	if err := root.Commit(); err != nil {
		return fmt.Errorf("root partition: %w", err)
	}
	return nil
}

// RootCapacity is the space a key of size bytes offers its content: the
// free clusters of its freshly formatted root filesystem (less the root
// directory's), and the cluster size.
func RootCapacity(size int64) (free, unit int64, err error) {
	l, err := parttable.V2Layout(uint64(size / parttable.SectorSize))
	if err != nil {
		return 0, 0, err
	}
	g, err := fat32.NewGeometry(l.Root.Size)
	if err != nil {
		return 0, 0, err
	}
	return int64(g.Clusters-1) * g.ClusterSize, g.ClusterSize, nil
}
