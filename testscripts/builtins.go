package testscripts

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"

	"cntools/usbkey/bootfiles/bootfilestest"
	"cntools/usbkey/device"
	"cntools/usbkey/fat32"
	"cntools/usbkey/parttable"
)

var builtins = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"exitcode": exitcode,
	"mkboot":   mkboot,
	"sparse":   sparse,
	"partcopy": partcopy,
	"bytesat":  bytesat,
	"mkv1":     mkv1,
	"waitlog":  waitlog,
}

// waitlog FILE REGEXP: wait (up to 60 s) until FILE has a line matching
// REGEXP, so a crash test kills a background run at a known point rather
// than after a guessed delay.
func waitlog(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitlog FILE REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && re.Match(b) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	ts.Fatalf("%s: no line matching %q after 60 s", args[0], args[1])
}

// mkv1 IMAGE: make a legacy v1 (grub) key image: an MBR with grub's
// COMPAT_VERSION 3.2 at 0x3e and one FAT32 partition at LBA 2048, as the
// old 4gb.img had; usbkey-format never writes one.
func mkv1(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkv1 IMAGE")
	}
	const size, start = 600 << 20, 2048
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	ts.Check(f.Truncate(size))
	mbr := make([]byte, 512)
	mbr[0x3e], mbr[0x3f] = 3, 2
	e := mbr[0x1be:]
	e[0], e[4] = 0x80, 0x0c // active, FAT32 LBA
	binary.LittleEndian.PutUint32(e[8:], start)
	binary.LittleEndian.PutUint32(e[12:], size/512-start)
	mbr[0x1fe], mbr[0x1ff] = 0x55, 0xaa
	_, err = f.WriteAt(mbr, 0)
	ts.Check(err)
	_, err = fat32.Format(offsetVolume{f, start * 512}, size/512-start, "SMARTOSBOOT", time.Unix(0, 0))
	ts.Check(err)
}

type offsetVolume struct {
	f   *os.File
	off int64
}

func (v offsetVolume) ReadAt(b []byte, off int64) (int, error)  { return v.f.ReadAt(b, v.off+off) }
func (v offsetVolume) WriteAt(b []byte, off int64) (int, error) { return v.f.WriteAt(b, v.off+off) }

// exitcode N prog args...: run prog and require exit status N exactly;
// testscript's exec only tells success from failure (go-internal#271).
func exitcode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N prog [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// mkboot dir|tgz PATH: write a synthetic platform boot tree.
func mkboot(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkboot dir|tgz PATH")
	}
	switch args[0] {
	case "dir":
		ts.Check(bootfilestest.WriteDir(ts.MkAbs(args[1])))
	case "tgz":
		ts.Check(bootfilestest.WriteTarball(ts.MkAbs(args[1])))
	default:
		ts.Fatalf("mkboot: %q is neither dir nor tgz", args[0])
	}
}

// sparse FILE SIZE: create a sparse file, standing in for a disk.
func sparse(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sparse FILE SIZE")
	}
	size, err := strconv.ParseInt(args[1], 0, 64)
	ts.Check(err)
	p := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(p[:strings.LastIndexByte(p, '/')], 0o755))
	f, err := os.Create(p)
	ts.Check(err)
	ts.Check(f.Truncate(size))
	ts.Check(f.Close())
}

// partcopy IMAGE INDEX OUT: copy GPT partition INDEX of IMAGE to OUT,
// keeping holes, so fsck.fat can check a filesystem inside an image.
func partcopy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: partcopy IMAGE INDEX OUT")
	}
	idx, err := strconv.Atoi(args[1])
	ts.Check(err)
	in, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer in.Close()
	fi, err := in.Stat()
	ts.Check(err)
	g, err := parttable.ReadGPT(in, uint64(fi.Size()/512))
	ts.Check(err)
	x := g.Entries[idx].Extent()
	out, err := os.Create(ts.MkAbs(args[2]))
	ts.Check(err)
	defer out.Close()
	size := int64(x.Size) * 512
	ts.Check(out.Truncate(size))
	ts.Check(copySparse(out, in, int64(x.Start)*512, size))
}

// copySparse copies size bytes from in at off to out at 0, reading only
// the data regions of a sparse file (SEEK_DATA/SEEK_HOLE), so checking a
// 4 GB image costs what is written on it, not its size.
func copySparse(out, in *os.File, off, size int64) error {
	const seekData, seekHole = 3, 4
	end := off + size
	for pos := off; pos < end; {
		data, err := in.Seek(pos, seekData)
		if err != nil {
			return nil // ENXIO: no data past pos
		}
		if data >= end {
			return nil
		}
		hole, err := in.Seek(data, seekHole)
		if err != nil {
			return err
		}
		hole = min(hole, end)
		if _, err := io.Copy(io.NewOffsetWriter(out, data-off), io.NewSectionReader(in, data, hole-data)); err != nil {
			return err
		}
		pos = hole
	}
	return nil
}

// bytesat FILE OFFSET HEX: the bytes at OFFSET are HEX.
func bytesat(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: bytesat FILE OFFSET HEX")
	}
	off, err := strconv.ParseInt(args[1], 0, 64)
	ts.Check(err)
	want, err := hex.DecodeString(strings.ReplaceAll(args[2], " ", ""))
	ts.Check(err)
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	got := make([]byte, len(want))
	_, err = f.ReadAt(got, off)
	ts.Check(err)
	if eq := bytes.Equal(got, want); eq == neg {
		ts.Fatalf("%s at %#x: %x (want %s%x)", args[0], off, got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

func init() {
	builtins["mkfifo"] = mkfifo
	builtins["gptentry"] = gptentry
	// The tools run in this binary; a script stands its images in for a
	// disk with other logical sectors (a 4Kn disk) by setting this.
	if s := os.Getenv("CNTOOLS_TEST_IMAGE_SECTOR_SIZE"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			panic("CNTOOLS_TEST_IMAGE_SECTOR_SIZE: " + err.Error())
		}
		device.ImageSectorSize = n
	}
}

// mkfifo PATH: make a named pipe, which a tool must refuse without opening.
func mkfifo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkfifo PATH")
	}
	ts.Check(unix.Mkfifo(ts.MkAbs(args[0]), 0o644))
}

// gptentry IMAGE INDEX start|end LBA: set the first or last LBA of GPT
// entry INDEX in both tables of IMAGE and fix their CRCs, writing an entry
// that libefi (and parttable.Write) would refuse to write.
func gptentry(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 || (args[2] != "start" && args[2] != "end") {
		ts.Fatalf("usage: gptentry IMAGE INDEX start|end LBA")
	}
	idx, err := strconv.Atoi(args[1])
	ts.Check(err)
	lba, err := strconv.ParseUint(args[3], 0, 64)
	ts.Check(err)
	f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_RDWR, 0)
	ts.Check(err)
	defer f.Close()
	fi, err := f.Stat()
	ts.Check(err)
	g, err := parttable.ReadGPT(f, uint64(fi.Size()/512))
	ts.Check(err)
	if args[2] == "start" {
		g.Entries[idx].StartingLBA = lba
	} else {
		g.Entries[idx].EndingLBA = lba
	}
	var arr bytes.Buffer
	ts.Check(binary.Write(&arr, binary.LittleEndian, g.Entries))
	for _, at := range []uint64{1, g.Header.AlternateLBA} {
		h := make([]byte, 512)
		_, err := f.ReadAt(h, int64(at)*512)
		ts.Check(err)
		entryLBA := binary.LittleEndian.Uint64(h[72:])
		_, err = f.WriteAt(arr.Bytes(), int64(entryLBA)*512)
		ts.Check(err)
		binary.LittleEndian.PutUint32(h[88:], crc32.ChecksumIEEE(arr.Bytes()))
		size := binary.LittleEndian.Uint32(h[12:])
		binary.LittleEndian.PutUint32(h[16:], 0)
		binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:size]))
		_, err = f.WriteAt(h, int64(at)*512)
		ts.Check(err)
	}
}
