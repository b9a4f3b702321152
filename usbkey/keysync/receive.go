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
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"cntools/internal/atomicfile"
	"cntools/internal/node"
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
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
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
		return refuse(fmt.Errorf("not a %q stream", strings.TrimSpace(receiveHeader)))
	}
	buf := make([]byte, 256<<10)
	dirs := &dirRoots{root: root}
	defer dirs.close()
	for {
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
			return refuse(fmt.Errorf("reading a file's line: %w", err))
		}
		f, err := parseReceived(string(l[:len(l)-1]))
		if err != nil {
			return refuse(err)
		}
		data := &io.LimitedReader{R: br, N: f.size}
		err = f.receive(dirs, data, buf)
		// What was not written is read, so that the next line is next.
		if _, derr := io.CopyBuffer(io.Discard, data, buf); derr != nil || data.N > 0 {
			return refuse(fmt.Errorf("%s: the stream ended inside it", f.path))
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
		return f, fmt.Errorf("line %q is not F SIZE MODE MTIME SHA256 \"PATH\"", shorten(l))
	}
	if f.size, err = strconv.ParseInt(fs[1], 10, 64); err != nil || f.size < 0 {
		return f, fmt.Errorf("size %q", fs[1])
	}
	if f.mode, err = manifest.ParseMode(fs[2]); err != nil {
		return f, err
	}
	sec, err := strconv.ParseInt(fs[3], 10, 64)
	if err != nil {
		return f, fmt.Errorf("mtime %q", fs[3])
	}
	f.mtime = time.Unix(sec, 0)
	if f.sum = fs[4]; !isSHA256Hex(f.sum) {
		return f, fmt.Errorf("sha256 %q", shorten(fs[4]))
	}
	if f.path, err = strconv.Unquote(fs[5]); err != nil {
		return f, fmt.Errorf("path %s: %w", shorten(fs[5]), err)
	}
	return f, nil
}

func shorten(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// receive writes f from data (its bytes) under a temporary name and puts
// it in place; the caller reads what it left of data. Every call names
// one component relative to the directory's descriptor, created with
// O_EXCL|O_NOFOLLOW, so nothing follows a symlink; the descriptors are
// x/sys/unix's, not *os.File's, which spent seven system calls a file
// (fcntl, epoll_ctl, readlinkat, fstatat) a receiver of small files
// does not need.
func (f received) receive(dirs *dirRoots, data io.Reader, buf []byte) error {
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
		return &fs.PathError{Op: "create", Path: f.path, Err: err}
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
	if err := unix.Fchmod(fd, manifest.UnixMode(f.mode)); err != nil {
		return &fs.PathError{Op: "chmod", Path: f.path, Err: err}
	}
	n, err := io.CopyBuffer(fdWriter(fd), data, buf)
	if err != nil {
		return &fs.PathError{Op: "write", Path: f.path, Err: err}
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
			return &fs.PathError{Op: "read back", Path: f.path, Err: cmp.Or(err, io.ErrUnexpectedEOF)}
		}
		h.Write(buf[:m])
		off += int64(m)
	}
	closed = true
	if err := unix.Close(fd); err != nil {
		return &fs.PathError{Op: "close", Path: f.path, Err: err}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.sum {
		return fmt.Errorf("sha256 %s on the target, %s in the source's manifest: the source changed during the sync, or the target stores something else; sync again", keytree.ShownSum(f.path, got), keytree.ShownSum(f.path, f.sum))
	}
	ts := unix.NsecToTimespec(f.mtime.UnixNano())
	if err := unix.UtimesNanoAt(dfd, tmp, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &fs.PathError{Op: "set mtime of", Path: f.path, Err: err}
	}
	if err := unix.Renameat(dfd, tmp, dfd, base); err != nil {
		return &fs.PathError{Op: "rename into place", Path: f.path, Err: err}
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

// dirRoots opens the directories files go into beneath the root, through
// it, one at a time: a sync sends a directory's files together.
type dirRoots struct {
	root *os.Root
	name string
	dir  *os.File
}

// open returns the descriptor of the directory name beneath the root,
// valid until the next open or close.
func (d *dirRoots) open(name string) (int, error) {
	if d.dir != nil && d.name == name {
		return int(d.dir.Fd()), nil
	}
	d.close()
	dir, err := d.root.Open(name)
	if err != nil {
		return -1, err
	}
	if fi, err := dir.Stat(); err != nil || !fi.IsDir() {
		dir.Close()
		return -1, fmt.Errorf("%s: not a directory on the target", name)
	}
	d.name, d.dir = name, dir
	return int(dir.Fd()), nil
}

func (d *dirRoots) close() {
	if d.dir != nil {
		d.dir.Close()
		d.dir = nil
	}
}

// checkReceivedPath refuses what a sync never sends: a path that is not
// clean and relative, or one of the names the sync keeps for itself.
func checkReceivedPath(p string) error {
	switch {
	case !fs.ValidPath(p) || p == ".":
		return fmt.Errorf("%q is not a clean relative path", p)
	case ours(p) || path.Base(p) == keytree.LockName:
		return fmt.Errorf("%q is a name the sync keeps for itself", p)
	}
	return atomicfile.CheckName(path.Base(p))
}

// receiveFiles sends es through the target's receiver (the client side
// of the stream above), and returns those it never tried: all of them
// when the receiver could not be started or refused the stream at once,
// for the SFTP path to send.
func (x *executor) receiveFiles(ctx context.Context, es []*manifest.Entry) (untried []*manifest.Entry) {
	s, err := x.r.client.Start(ctx, node.ToolsPATH+"exec usbkey-sync receive "+quote(x.r.root))
	if err != nil {
		x.o.Log.Debug("no receiver on the target: sending over SFTP", "target", x.res.Target, "err", err)
		x.res.Verified = x.method
		return es
	}
	// Answers come in the order files were sent; order holds the sent
	// ones not yet answered.
	order := make(chan *manifest.Entry, len(es))
	answered := 0
	var protoErr error
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(s.Stdout)
		sc.Buffer(make([]byte, 0, 64<<10), maxReceiveLine+4<<10)
		for sc.Scan() {
			verb, rest, _ := strings.Cut(sc.Text(), " ")
			if verb == "error" {
				why, _ := strconv.Unquote(rest)
				protoErr = fmt.Errorf("the receiver on the target stopped: %s", why)
				break
			}
			e, ok := <-order
			q, err := strconv.QuotedPrefix(rest)
			p, _ := strconv.Unquote(q)
			if !ok || err != nil || p != e.Path || verb != "ok" && verb != "fail" {
				protoErr = fmt.Errorf("the receiver on the target answered %q out of turn", shorten(sc.Text()))
				break
			}
			answered++
			switch verb {
			case "ok":
				x.mu.Lock()
				x.res.Sent++
				x.mu.Unlock()
				x.o.Log.Debug("sent", "target", x.res.Target, "path", e.Path, "bytes", e.Size)
			default:
				why, _ := strconv.Unquote(strings.TrimPrefix(rest[len(q):], " "))
				x.failed(e.Path, fmt.Errorf("%s: %s", x.r.abs(e.Path), why))
			}
		}
		io.Copy(io.Discard, s.Stdout)
	}()
	next := x.sendStream(ctx, s.Stdin, es, order)
	s.Stdin.Close()
	close(order)
	<-read
	err = s.Wait()
	if answered == 0 && protoErr == nil && err != nil && !x.r.lost(err) {
		// A toolkit there without a receiver: nothing was written.
		x.o.Log.Debug("no receiver on the target: sending over SFTP", "target", x.res.Target, "err", err)
		x.res.Verified = x.method
		return es
	}
	why := cmp.Or(protoErr, err, errors.New("the receiver on the target did not answer"))
	for e := range order {
		x.failed(e.Path, why)
	}
	if !x.stopped(ctx) {
		for _, e := range es[next:] {
			x.failed(e.Path, why)
		}
	}
	return nil
}

// sendStream writes the files es to w, as the receiver reads them, each
// named on order once it is on its way. It stops at the first error
// writing (the connection or the receiver is gone) and returns the index
// of the first file it did not get to.
func (x *executor) sendStream(ctx context.Context, w io.Writer, es []*manifest.Entry, order chan<- *manifest.Entry) (next int) {
	bw := bufio.NewWriterSize(w, 256<<10)
	if _, err := bw.WriteString(receiveHeader); err != nil {
		return 0
	}
	for ; next < len(es); next++ {
		e := es[next]
		if x.stopped(ctx) {
			break
		}
		in, err := os.Open(path.Join(x.o.Source, e.Path))
		if err != nil {
			x.failed(e.Path, fmt.Errorf("source %s: %w", e.Path, err))
			continue
		}
		order <- e
		bw.WriteString(receivedLine(e) + "\n")
		n, err := io.Copy(bw, counter{io.LimitReader(in, e.Size), new(int64), x.r.meter})
		in.Close()
		if err == nil && n < e.Size {
			// The source shrank since it was listed: the stream is
			// kept in step, and the hash fails the file.
			_, err = io.CopyN(bw, zeros{}, e.Size-n)
		}
		x.mu.Lock()
		x.res.Bytes += e.Size
		x.mu.Unlock()
		x.touch(e.Path)
		if err != nil {
			next++
			break
		}
	}
	bw.Flush()
	return next
}

// zeros reads as zero bytes for ever.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
