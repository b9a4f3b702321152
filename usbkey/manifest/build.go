package manifest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"cntools/usbkey/keytree"
)

// Options tune Build.
type Options struct {
	// Workers is how many files are hashed at once; 0 means
	// runtime.NumCPU(). Reading a key is often the bottleneck, but hashing
	// /usbkey on a ZFS dataset is not.
	Workers int
	// Cache, when not nil, supplies the hashes of unchanged files and
	// learns the new ones. The caller loads and saves it.
	Cache *Cache
	// Exclude, when not nil, leaves out the entries for which it returns
	// true (a directory with everything under it). It is given the
	// slash-separated path relative to the tree, in the case found.
	Exclude func(p string) bool
	// Known, when not nil, gives hashes the caller has just computed and
	// verified (a copy hashes what it writes and reads it back), so that a
	// file is not read a third time for its manifest.
	Known func(p string, size int64) (sha256 string, ok bool)
}

// hashBuffer is the read size per worker: large enough that a USB key
// streams, small enough that NumCPU buffers are nothing.
const hashBuffer = 1 << 20

// Build manifests the tree t. Its output depends only on the tree, not on
// the order in which workers finish.
func Build(ctx context.Context, t keytree.Tree, o Options) (*Manifest, error) {
	// Sized from the cache, which names about as many files: appending
	// entry by entry copied the slices again at every growth.
	var hint int
	if o.Cache != nil {
		hint = o.Cache.Len() + o.Cache.Len()/8
	}
	es := make([]Entry, 0, hint)
	infos := make([]keytree.Info, 0, hint) // infos[i] describes es[i]; kept for the cache key
	seen := map[string]string{}
	dirs := []string{""}
	for len(dirs) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		dir := dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
		list, err := t.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, in := range list {
			e, err := entryOf(dir, &in)
			if err != nil {
				return nil, err
			}
			if o.Exclude != nil && o.Exclude(e.Path) {
				continue
			}
			k := fold(e.Path)
			if other, ok := seen[k]; ok {
				return nil, fmt.Errorf("manifest: %q and %q differ only in case: pcfs cannot hold both: remove one", other, e.Path)
			}
			seen[k] = e.Path
			if e.Type == TypeDir {
				dirs = append(dirs, e.Path)
			}
			es = append(es, e)
			infos = append(infos, in)
		}
	}
	if err := hashAll(ctx, t, o, es, infos); err != nil {
		return nil, err
	}
	sortEntries(es)
	return &Manifest{Entries: es}, nil
}

// entryOf turns what a tree listed into an entry, refusing what a key tree
// cannot hold.
func entryOf(dir string, in *keytree.Info) (Entry, error) {
	if in.Name == "" || in.Name == "." || in.Name == ".." || strings.ContainsAny(in.Name, "/\x00") {
		return Entry{}, fmt.Errorf("BUG: manifest: tree listed %q in %q", in.Name, dir)
	}
	p := path.Join(dir, in.Name)
	if err := checkPath(p); err != nil {
		return Entry{}, fmt.Errorf("manifest: %w: pcfs cannot hold it: rename it", err)
	}
	e := Entry{Path: p, Mode: in.Mode & modeBits, MTime: in.MTime.UTC().Truncate(time.Second)}
	if y := e.MTime.Year(); y < 0 || y > 9999 {
		return Entry{}, fmt.Errorf("manifest: %s: mtime %v is not between years 0 and 9999: touch it", p, in.MTime)
	}
	switch {
	case in.Mode.IsRegular():
		e.Type, e.Size = TypeFile, in.Size
	case in.Mode.IsDir():
		e.Type = TypeDir
	case in.Mode&fs.ModeSymlink != 0:
		e.Type, e.Target = TypeSymlink, in.Target
		if e.Target == "" || !utf8.ValidString(e.Target) {
			return Entry{}, fmt.Errorf("manifest: %s: symlink target %q is empty or not UTF-8: replace the link", p, in.Target)
		}
	default:
		return Entry{}, fmt.Errorf("manifest: %s: %s: only files, directories and symlinks belong in a key tree: remove it or exclude it", p, keytree.TypeName(in.Mode))
	}
	return e, nil
}

// hashAll fills in the SHA256 of every file, from the cache or by reading
// it on one of o.Workers workers. Each result goes to its own index, so the
// order the workers finish in cannot show.
func hashAll(ctx context.Context, t keytree.Tree, o Options, es []Entry, infos []keytree.Info) error {
	var todo []int
	for i := range es {
		if es[i].Type != TypeFile {
			continue
		}
		if o.Known != nil {
			if sum, ok := o.Known(es[i].Path, es[i].Size); ok {
				es[i].SHA256 = sum
				if o.Cache != nil {
					o.Cache.store(keyOf(es[i].Path, &infos[i]), infos[i].MTime, sum)
				}
				continue
			}
		}
		if o.Cache != nil {
			if sum, ok := o.Cache.lookup(keyOf(es[i].Path, &infos[i])); ok {
				es[i].SHA256 = sum
				continue
			}
		}
		todo = append(todo, i)
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	workers = min(workers, len(todo))

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, hashBuffer)
			for i := range jobs {
				sum, err := hashFile(ctx, t, &es[i], buf)
				if err != nil {
					cancel(err)
					continue // drain, so the sender never blocks
				}
				es[i].SHA256 = sum
				if o.Cache != nil {
					o.Cache.store(keyOf(es[i].Path, &infos[i]), infos[i].MTime, sum)
				}
			}
		}()
	}
send:
	for _, i := range todo {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break send
		}
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("manifest: %w", err)
		}
		return err
	}
	return nil
}

// hashFile streams one file through SHA-256 and checks that it still has
// the size it was listed with: a manifest must not pair one version's size
// with another's hash.
func hashFile(ctx context.Context, t keytree.Tree, e *Entry, buf []byte) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	r, err := t.Open(e.Path)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		m, err := r.Read(buf)
		h.Write(buf[:m])
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("manifest: %s: read: %w", e.Path, err)
		}
	}
	if n != e.Size {
		return "", fmt.Errorf("manifest: %s: changed while it was read (listed with %d bytes, read %d): run again when the tree is quiet", e.Path, e.Size, n)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
