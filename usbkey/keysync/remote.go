package keysync

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"

	"cntools/internal/atomicfile"
	"cntools/internal/node"
	"cntools/internal/progress"
	"cntools/internal/sshconn"
	"cntools/usbkey/keycopy"
	"cntools/usbkey/keytree"
	"cntools/usbkey/manifest"
)

// remote is one target's connection and directory. It reads the target
// through keytree's SFTP tree, as every tool reads a copy over SSH, and
// writes through the SFTP session itself: a sync batches its writes, hashes
// them on the target and renames them into place as groups, which a tree's
// one-file WriteFile cannot.
type remote struct {
	client *sshconn.Client
	// sftp and tree are nil until need opens them: a sync with nothing
	// to send to a target with usbkey-sync never does (hold.go).
	sftp    *sftp.Client
	tree    *keytree.SFTPTree
	sftpErr error
	opened  sync.Once
	root    string
	name    string
	log     *slog.Logger   // says when SFTP is opened; may be nil
	meter   *progress.Part // bytes sent, counted as they go; may be nil
	// created is the mode the target gives a file SFTP creates
	// (0666 less sftp-server's umask), learnt from the lock file or
	// the first file written: a file of that mode needs no chmod.
	created      fs.FileMode
	createdKnown bool
	createdOnce  sync.Once // learnt from the first file written, when no lock file told it
}

func dialRemote(ctx context.Context, t sshconn.Target, o sshconn.Options) (*remote, error) {
	if t.Path == "" {
		return nil, fmt.Errorf("%s: no remote directory: add one (e.g. %s:%s)", t, t.Host, node.StandbyDir)
	}
	c, err := sshconn.Dial(ctx, t, o)
	if err != nil {
		return nil, err
	}
	return &remote{client: c, root: t.Path, name: TargetName(t)}, nil
}

// need opens the SFTP session, once; everything that uses r.sftp or
// r.tree comes after it.
func (r *remote) need() error {
	r.opened.Do(func() {
		s, err := r.client.SFTP()
		if err != nil {
			r.sftpErr = err
			return
		}
		r.sftp, r.tree = s, keytree.SFTP(s, r.root, r.client.Target.URL(), nil)
		if r.log != nil {
			r.log.Debug("sftp opened", "target", r.name)
		}
	})
	return r.sftpErr
}

// Close closes the SFTP session, if open, then the connection.
func (r *remote) Close() error {
	var err error
	if r.tree != nil {
		err = r.tree.Close()
	}
	return errors.Join(err, r.client.Close())
}

func (r *remote) abs(p string) string { return path.Join(r.root, p) }

// wrap names the path and, when the connection was closed from this side,
// why; a lost connection says so rather than pkg/sftp's bare EOF.
func (r *remote) wrap(op, p string, err error) error {
	return fmt.Errorf("%s %s: %w", op, p, r.explain(err))
}

// explain replaces err by why the connection was closed from this side,
// when it was, and says a bare EOF is a lost connection.
func (r *remote) explain(err error) error {
	if cause := r.client.Err(); cause != nil {
		return cause
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("connection lost: %w", err)
	}
	return err
}

// lost reports whether err means the connection is gone, so nothing more
// can be done on this target in this run.
func (r *remote) lost(err error) bool {
	return r.client.Err() != nil || errors.Is(err, sftp.ErrSSHFxConnectionLost) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrClosed)
}

// prepare makes the target directory, refusing one that is a file, a
// symlink or leads through one to a refused path (keycopy.CheckRoot). It looks
// first: MkdirAll on a file fails with a bare "not a directory".
func (r *remote) prepare() error {
	if err := r.need(); err != nil {
		return err
	}
	if err := keycopy.CheckRoot(r.sftp, r.name, r.root); err != nil {
		return err
	}
	fi, err := r.sftp.Stat(r.root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := r.sftp.MkdirAll(r.root); err != nil {
			return r.wrap("mkdir", r.root, err)
		}
	case err != nil:
		return r.wrap("stat", r.root, err)
	case !fi.IsDir():
		return fmt.Errorf("target %s is not a directory: move it away on that host, or give a directory of its own as host:/absolute/path (default %s)", r.name, node.StandbyDir)
	}
	return nil
}

// list reads what the target holds under the directories sc looks at,
// without hashes, workers directories at once: each listing is several
// round trips, which one at a time would add up. Temporary files of an
// interrupted sync are returned apart, for removal.
func (r *remote) list(ctx context.Context, sc scope, workers int) (map[string]*manifest.Entry, []string, error) {
	if err := r.need(); err != nil {
		return nil, nil, err
	}
	return listTree(ctx, func(dir string) ([]keytree.Info, error) {
		infos, err := r.tree.ReadDir(dir)
		if err != nil {
			return nil, r.explain(err)
		}
		return infos, nil
	}, sc, workers)
}

// listTree lists a tree through readDir as a sync sees it: the entries
// under the directories sc looks at, keyed by folded path, less what the
// sync keeps for itself (ours); temporary files apart, sorted. The target
// lists itself this way too (State), so both agree to the byte.
func listTree(ctx context.Context, readDir func(dir string) ([]keytree.Info, error), sc scope, workers int) (map[string]*manifest.Entry, []string, error) {
	now := map[string]*manifest.Entry{}
	var temps []string
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, workers))
	var visit func(dir string)
	visit = func(dir string) {
		defer wg.Done()
		sem <- struct{}{}
		infos, err := readDir(dir)
		<-sem
		if err == nil {
			err = ctx.Err()
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil || first != nil {
			first = cmp.Or(first, err)
			return
		}
		for _, in := range infos {
			p := path.Join(dir, in.Name)
			if keycopy.IsTemp(in.Name) && in.Mode.IsRegular() {
				temps = append(temps, p)
				continue
			}
			if keycopy.Ours(p) || !sc.walk(p) {
				continue
			}
			e := listed(p, in)
			if e.Type == manifest.TypeDir {
				wg.Add(1)
				go visit(p)
			}
			now[key(p)] = e
		}
	}
	wg.Add(1)
	visit("")
	wg.Wait()
	if first != nil {
		return nil, nil, first
	}
	slices.Sort(temps)
	return now, temps, nil
}

// listed is the entry a listing holds for in at p: no hash, the mtime
// to the second (SFTP's resolution).
func listed(p string, in keytree.Info) *manifest.Entry {
	e := &manifest.Entry{Path: p, Mode: in.Mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky), MTime: in.MTime.UTC().Truncate(time.Second)}
	switch {
	case in.IsDir():
		e.Type = manifest.TypeDir
	case in.Mode.IsRegular():
		e.Type, e.Size = manifest.TypeFile, in.Size
	case in.IsSymlink():
		e.Type, e.Target = manifest.TypeSymlink, in.Target
	default:
		e.Type = "special"
	}
	return e
}

// sized lets pkg/sftp see how much a reader holds, which is what makes it
// write concurrently instead of one packet at a time.
type sized struct {
	io.Reader
	n int64
}

func (s sized) Size() int64 { return s.n }

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n *int64
	m *progress.Part
}

func (c counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	c.m.Add(int64(n))
	return n, err
}

// smallFile is the size up to which a file is read whole into a pooled
// buffer and written with one File.Write: one request up to the packet
// size, concurrent requests from the same buffer above it. pkg/sftp's
// ReadFrom allocates a packet-sized buffer (255 KiB) per file and per
// packet, which for thousands of small files is most of the garbage.
const smallFile = 1 << 20

var smallBufs = sync.Pool{New: func() any { b := make([]byte, smallFile+1); return &b }}

// write stores the source file e under a temporary name and returns it.
// The mode is set while the file is empty, so content never exists with
// looser permissions (unless the target creates files with that mode
// anyway, r.created); the mtime is set once it is closed, unless the
// caller sets it later (setTimes false). On error the temporary file is
// removed.
func (r *remote) write(src string, e *manifest.Entry, setTimes bool) (tmp string, sent int64, err error) {
	in, err := openSource(src, e.Path)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	if err := atomicfile.CheckName(path.Base(e.Path)); err != nil {
		return "", 0, fmt.Errorf("%s: %w", e.Path, err)
	}
	tmp = atomicfile.TempName(e.Path)
	f, err := r.sftp.OpenFile(r.abs(tmp), os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return "", 0, r.wrap("create", r.abs(tmp), err)
	}
	removed := false
	defer func() {
		if err != nil && !removed {
			f.Close()
			if rerr := r.sftp.Remove(r.abs(tmp)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				err = fmt.Errorf("%w (and removing the temporary file: %v)", err, rerr)
			}
		}
	}()
	// A mode for the owner alone (config, private/) is always set: a
	// directory's inherited ACL could have made the file wider than the
	// lock file the create mode was learnt from.
	r.learnCreated(f)
	if !r.createdKnown || e.Mode != r.created || e.Mode&0o077 == 0 {
		if err := f.Chmod(e.Mode); err != nil {
			return "", 0, r.wrap("chmod", r.abs(tmp), err)
		}
	}
	n, err := r.fill(f, in, e.Size)
	if err != nil {
		// Removed first, so that the free space reported is the
		// target's, not what this file left of it.
		f.Close()
		removed = r.sftp.Remove(r.abs(tmp)) == nil
		return "", n, r.wrap("write", r.abs(tmp), r.explainWrite(err, e.Size))
	}
	if n != e.Size {
		return "", n, fmt.Errorf("source %s: %d bytes, the manifest says %d: it changed during the sync; sync again", e.Path, n, e.Size)
	}
	if err := f.Close(); err != nil {
		return "", n, r.wrap("close", r.abs(tmp), err)
	}
	if !setTimes {
		return tmp, n, nil
	}
	if err := r.sftp.Chtimes(r.abs(tmp), e.MTime, e.MTime); err != nil {
		return "", n, r.wrap("set mtime of", r.abs(tmp), err)
	}
	return tmp, n, nil
}

// learnCreated learns the mode the target gives a file SFTP creates from
// f, just created, unless the lock file told it (a target its usbkey-sync
// holds is not locked over SFTP): one request once, where a chmod a file
// would follow.
func (r *remote) learnCreated(f *sftp.File) {
	r.createdOnce.Do(func() {
		if r.createdKnown {
			return
		}
		if fi, err := f.Stat(); err == nil {
			r.created, r.createdKnown = fi.Mode().Perm(), true
		}
	})
}

// fill writes in, which the manifest says holds size bytes, to f and
// returns how many bytes in held, up to size+1: more than size means the
// file grew. A source read error is returned as it is, not as a write's.
func (r *remote) fill(f *sftp.File, in io.Reader, size int64) (int64, error) {
	if size > smallFile {
		var n int64
		_, err := f.ReadFrom(sized{counter{io.LimitReader(in, size+1), &n, r.meter}, size})
		return n, err
	}
	bp := smallBufs.Get().(*[]byte)
	defer smallBufs.Put(bp)
	b := (*bp)[:size+1]
	n, err := io.ReadFull(in, b)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return int64(n), err
	}
	if n == 0 || int64(n) != size {
		return int64(n), nil
	}
	if _, err := f.Write(b[:n]); err != nil {
		return 0, err
	}
	r.meter.Add(int64(n))
	return int64(n), nil
}

// explainWrite adds the target's free space to a write error: sftp-server
// reports a full disk as a bare "failure".
func (r *remote) explainWrite(err error, size int64) error {
	var se *sftp.StatusError
	if !errors.As(err, &se) {
		return err
	}
	vfs, verr := r.sftp.StatVFS(r.root)
	if verr != nil {
		return err
	}
	free := int64(vfs.FreeSpace())
	if free < size {
		return fmt.Errorf("%w: the target has %d bytes free and the file is %d bytes: free some space on %s", err, free, size, r.root)
	}
	return err
}

// place renames a verified temporary file to its real name.
func (r *remote) place(tmp, p string) error {
	if err := r.sftp.PosixRename(r.abs(tmp), r.abs(p)); err != nil {
		return r.wrap("rename into place", r.abs(p), err)
	}
	return nil
}

func (r *remote) mkdir(e *manifest.Entry) error {
	if err := r.sftp.Mkdir(r.abs(e.Path)); err != nil && !r.isDir(e.Path) {
		return r.wrap("mkdir", r.abs(e.Path), err)
	}
	if err := r.sftp.Chmod(r.abs(e.Path), e.Mode); err != nil {
		return r.wrap("chmod", r.abs(e.Path), err)
	}
	return nil
}

func (r *remote) isDir(p string) bool {
	fi, err := r.sftp.Lstat(r.abs(p))
	return err == nil && fi.IsDir()
}

// symlink makes the link under a temporary name and renames it over
// whatever is there.
func (r *remote) symlink(e *manifest.Entry) error {
	tmp := atomicfile.TempName(e.Path)
	if err := r.sftp.Symlink(e.Target, r.abs(tmp)); err != nil {
		return r.wrap("symlink", r.abs(tmp), err)
	}
	if err := r.sftp.PosixRename(r.abs(tmp), r.abs(e.Path)); err != nil {
		r.sftp.Remove(r.abs(tmp))
		return r.wrap("rename into place", r.abs(e.Path), err)
	}
	return nil
}

// lstat lists the one entry p, as list would.
func (r *remote) lstat(p string) (*manifest.Entry, error) {
	in, err := r.tree.Lstat(p)
	if err != nil {
		return nil, r.explain(err)
	}
	return listed(p, in), nil
}

func (r *remote) setMeta(e *manifest.Entry) error {
	if e.Type != manifest.TypeSymlink {
		if err := r.sftp.Chmod(r.abs(e.Path), e.Mode); err != nil {
			return r.wrap("chmod", r.abs(e.Path), err)
		}
	}
	if err := r.sftp.Chtimes(r.abs(e.Path), e.MTime, e.MTime); err != nil {
		return r.wrap("set mtime of", r.abs(e.Path), err)
	}
	return nil
}

// remove removes a file, symlink or empty directory.
func (r *remote) remove(e manifest.Entry) error {
	var err error
	if e.Type == manifest.TypeDir {
		err = r.sftp.RemoveDirectory(r.abs(e.Path))
	} else {
		err = r.sftp.Remove(r.abs(e.Path))
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return r.wrap("remove", r.abs(e.Path), err)
	}
	return nil
}

// quote quotes s for the target's shell.
var quote = node.Quote

// lock takes the target's lock (keycopy.LockName), so two syncs to one
// standby copy, or a sync and a conversion reading it, never interleave.
// A lock left by a sync from this host whose process is gone (a cut
// connection kept it from removing it) is taken over.
func (r *remote) lock() (unlock func(), err error) {
	p := r.abs(keycopy.LockName)
	for try := 0; try < 2; try++ {
		f, err := r.sftp.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err == nil {
			_, werr := f.Write([]byte(keycopy.Holder("usbkey-sync") + "\n"))
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				r.sftp.Remove(p)
				return nil, r.wrap("lock", p, werr)
			}
			if fi, err := r.sftp.Lstat(p); err == nil {
				r.created, r.createdKnown = fi.Mode().Perm(), true
			}
			return func() { r.sftp.Remove(p) }, nil
		}
		// sftp-server reports O_EXCL on an existing file as a bare
		// failure: what is there says whether it is a lock.
		held, rerr := r.sftp.Open(p)
		if rerr != nil {
			return nil, r.wrap("lock", p, err)
		}
		var b bytes.Buffer
		held.WriteTo(&b)
		held.Close()
		holder := strings.TrimSpace(b.String())
		if !keycopy.Stale(holder) {
			return nil, &keycopy.LockedError{Tree: r.name, Holder: holder, Path: p}
		}
		r.sftp.Remove(p)
	}
	return nil, fmt.Errorf("lock %s: %s keeps coming back: remove it by hand", r.name, p)
}
