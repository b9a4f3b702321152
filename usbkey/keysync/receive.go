package keysync

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"cntools/internal/atomicfile"
	"cntools/usbkey/keycopy"
	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"

	"golang.org/x/sys/unix"
)

// Over SFTP a file costs four requests and their replies (open, write,
// close, rename) besides its data, and a hash and an mtime command a
// group: for thousands of small files that is most of a sync, on both
// ends. Where the target has this toolkit (its state says so), files go
// instead as one stream into `usbkey-sync receive DIR` there, as rsync
// runs a receiver of its own: a line naming each file, then its bytes.
// The receiver does on the target what the SFTP path asks for from here,
// in the same order: it creates the file under a temporary name with its
// mode set while it is empty, writes it, reads it back from where it is
// stored and hashes it, sets its mtime, and renames it into place only
// if the hash is the source manifest's; it answers each file in order.
//
//	client:   cntools-receive 1
//	          F SIZE MODE MTIME SHA256 "PATH"   then SIZE bytes, for each file
//	receiver: ok "PATH"  or  fail "PATH" "WHY", for each file
//
// A line the receiver cannot read ends the stream: it answers
// `error "WHY"` and exits 2, and the files not answered are failed. What
// it refuses to write (a path outside the directory, one of the sync's
// own names) is a fail, as is a file whose bytes hash wrong; the stream
// goes on, since every file says how long it is.

// receiveHeader starts the stream; a receiver that reads another version
// refuses it.
const receiveHeader = "cntools-receive 1\n"

// maxReceiveLine bounds a file's line: a path of 4 KiB quoted, and the
// numbers.
const maxReceiveLine = 32 << 10

// Receive is `usbkey-sync receive DIR`: it reads files from in and writes
// them under dir, answering on out. Only a broken stream is an error.
func Receive(ctx context.Context, dir string, in io.Reader, out io.Writer) error {
	dirs, err := openDirs(dir)
	if err != nil {
		return err
	}
	defer dirs.close()
	widenPipe(in)
	// A buffer a good deal larger than a line: a small file's bytes
	// then come out of it in one piece, for one write.
	br := bufio.NewReaderSize(in, 256<<10)
	bw := bufio.NewWriter(out)
	defer bw.Flush()
	refuse := func(err error) error {
		fmt.Fprintf(bw, "error %s\n", strconv.Quote(err.Error()))
		return err
	}
	if l, err := br.ReadSlice('\n'); err != nil || string(l) != receiveHeader {
		return refuse(fmt.Errorf("receive into %s: the stream does not start %q: sync with the usbkey-sync of the same cn_tools as this one", dir, strings.TrimSpace(receiveHeader)))
	}
	buf := make([]byte, 256<<10)
	for n := 2; ; n++ {
		// Answers go out whenever the next file is not here yet, so
		// the sender hears of a group of small files at once.
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return refuse(err)
		}
		l, err := br.ReadSlice('\n')
		if err == io.EOF && len(l) == 0 {
			return nil
		}
		if err == nil && len(l) > maxReceiveLine {
			err = bufio.ErrBufferFull
		}
		if err != nil {
			return refuse(fmt.Errorf("receive into %s: line %d: %w", dir, n, err))
		}
		// The error names the field, never the line: were the stream
		// out of step, the line could be a file's content.
		f, err := parseReceived(string(l[:len(l)-1]))
		if err != nil {
			return refuse(fmt.Errorf("receive into %s: line %d: %w", dir, n, err))
		}
		data := &io.LimitedReader{R: br, N: f.size}
		err = f.receive(dirs, data, buf)
		// What was not written is read, so that the next line is next.
		if _, derr := io.CopyBuffer(io.Discard, data, buf); derr != nil || data.N > 0 {
			return refuse(fmt.Errorf("receive into %s: %s: the stream ended inside it", dir, f.path))
		}
		switch {
		case err != nil:
			fmt.Fprintf(bw, "fail %s %s\n", strconv.Quote(f.path), strconv.Quote(err.Error()))
		default:
			fmt.Fprintf(bw, "ok %s\n", strconv.Quote(f.path))
		}
	}
}

// received is one file's line.
type received struct {
	size  int64
	mode  fs.FileMode
	mtime time.Time
	sum   string
	path  string
}

// receivedLine is the line that announces e, without its newline.
func receivedLine(e *manifest.Entry) string {
	return fmt.Sprintf("F %d %s %d %s %s", e.Size, manifest.FormatMode(e.Mode), e.MTime.Unix(), e.SHA256, strconv.Quote(e.Path))
}

func parseReceived(l string) (f received, err error) {
	fs := strings.SplitN(l, " ", 6)
	if len(fs) != 6 || fs[0] != "F" {
		return f, errors.New("not F SIZE MODE MTIME SHA256 \"PATH\"")
	}
	if f.size, err = strconv.ParseInt(fs[1], 10, 64); err != nil || f.size < 0 {
		return f, errors.New("the size is not a number of bytes")
	}
	if f.mode, err = keycopy.ParseMode(fs[2]); err != nil {
		return f, errors.New("the mode is not four octal digits")
	}
	sec, err := strconv.ParseInt(fs[3], 10, 64)
	if err != nil {
		return f, errors.New("the mtime is not a number of seconds")
	}
	f.mtime = time.Unix(sec, 0)
	if f.sum = fs[4]; !isSHA256Hex(f.sum) {
		return f, errors.New("the sha256 is not 64 hex digits")
	}
	if f.path, err = strconv.Unquote(fs[5]); err != nil {
		return f, errors.New("the path is not a quoted string")
	}
	return f, nil
}

// receive writes f from data (its bytes) under a temporary name and puts
// it in place; the caller reads what it left of data. Every call names
// one component relative to a directory's descriptor (dirs), and the file
// is created O_EXCL|O_NOFOLLOW, so nothing follows a symlink. The
// descriptors are x/sys/unix's, not *os.File's, which spent seven system
// calls a file (fcntl, epoll_ctl, readlinkat, fstatat) that a receiver of
// small files does not need.
//
// No fsync: a standby copy is on /zones, ZFS, which "asserts consistency
// at the granularity of" transaction groups, numbered consecutively and
// synced in turn (illumos-joyent usr/src/uts/common/fs/zfs/txg.c:38-53),
// so after a crash a renamed file holds what was written before its
// rename, and the manifest, written last, never names more than what got
// there. A ZIL commit a file would be most of a small file's cost. The
// SFTP path has the same ordering and no fsync either.
func (f received) receive(dirs *dirs, data io.Reader, buf []byte) error {
	if err := checkReceivedPath(f.path); err != nil {
		return err
	}
	dfd, err := dirs.open(path.Dir(f.path))
	if err != nil {
		return err
	}
	base := path.Base(f.path)
	tmp := atomicfile.TempName(base)
	fd, err := unix.Openat(dfd, tmp, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	placed, closed := false, false
	defer func() {
		if !closed {
			unix.Close(fd)
		}
		if !placed {
			unix.Unlinkat(dfd, tmp, 0)
		}
	}()
	// The mode before the content: never wider while it is written.
	if err := unix.Fchmod(fd, keycopy.UnixMode(f.mode)); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	n, err := io.CopyBuffer(fdWriter(fd), data, buf)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if n != f.size {
		return io.ErrUnexpectedEOF // the caller refuses the stream
	}
	// Read back from where it is stored, through the same descriptor.
	h := sha256.New()
	for off := int64(0); off < f.size; {
		m, err := unix.Pread(fd, buf[:min(int64(len(buf)), f.size-off)], off)
		if err == unix.EINTR {
			continue
		}
		if err != nil || m == 0 {
			return fmt.Errorf("read back: %w", cmp.Or(err, io.ErrUnexpectedEOF))
		}
		h.Write(buf[:m])
		off += int64(m)
	}
	closed = true
	if err := unix.Close(fd); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.sum {
		return fmt.Errorf("sha256 %s on the target, %s in the source's manifest: the source changed during the sync, or the target stores something else; sync again", keytree.ShownSum(f.path, got), keytree.ShownSum(f.path, f.sum))
	}
	// Whole seconds, as the manifest has them: any year fits.
	ts := unix.Timespec{Sec: f.mtime.Unix()}
	if err := unix.UtimesNanoAt(dfd, tmp, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set mtime: %w", err)
	}
	if err := unix.Renameat(dfd, tmp, dfd, base); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	placed = true
	return nil
}

// fdWriter writes to a descriptor, all of what it is given.
type fdWriter int

func (w fdWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(int(w), p[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

// dirs opens the directories files go into beneath the copy, a component
// at a time with O_NOFOLLOW, and keeps the last one open: a sync sends a
// directory's files together. A symlink on the way is refused, never
// followed (the plan refuses to send beneath one too).
type dirs struct {
	root int    // the copy
	name string // the directory open in fd; "" for none
	fd   int
}

const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

func openDirs(dir string) (*dirs, error) {
	fd, err := unix.Open(dir, dirFlags, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open the standby copy", Path: dir, Err: err}
	}
	return &dirs{root: fd}, nil
}

// open returns the descriptor of the directory name beneath the copy,
// valid until the next open or close.
func (d *dirs) open(name string) (int, error) {
	if name == "." {
		return d.root, nil
	}
	if d.name == name {
		return d.fd, nil
	}
	d.closeDir()
	fd := d.root
	for _, c := range strings.Split(name, "/") {
		next, err := unix.Openat(fd, c, dirFlags, 0)
		if fd != d.root {
			unix.Close(fd)
		}
		if err != nil {
			return -1, fmt.Errorf("open directory %s: %w", name, err)
		}
		fd = next
	}
	d.name, d.fd = name, fd
	return fd, nil
}

func (d *dirs) closeDir() {
	if d.name != "" {
		unix.Close(d.fd)
		d.name = ""
	}
}

func (d *dirs) close() {
	d.closeDir()
	unix.Close(d.root)
}

// checkReceivedPath refuses what a sync never sends: a path that is not
// clean and relative, or one of the names the sync keeps for itself.
func checkReceivedPath(p string) error {
	switch {
	case !fs.ValidPath(p) || p == ".":
		return fmt.Errorf("%q is not a clean relative path", p)
	case keycopy.Ours(p) || path.Base(p) == keycopy.LockName:
		return fmt.Errorf("%q is a name the sync keeps for itself", p)
	}
	return atomicfile.CheckName(path.Base(p))
}
