package manifest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cntools/internal/atomicfile"
	"cntools/usbkey/keytree"
)

// cacheVersion is the format of the cache file, separate from Version: a
// cache is disposable and may change without changing manifests.
const cacheVersion = 1

// RacyWindow is how recent an mtime may be for its hash to be cached. A file
// written again within the resolution of its mtime (2 s on FAT) keeps the
// same mtime, so a hash taken in that window may describe content that is
// already gone; git calls such entries racily clean.
const RacyWindow = 2 * time.Second

// cacheKey is what must be unchanged for a file's hash to be reused. The
// inode tells a file from one put in its place with the same size and mtime
// (cp -p, tar x, rsync -a).
type cacheKey struct {
	Path  string `json:"path"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	Inode uint64 `json:"inode"`
	CTime int64  `json:"ctime_ns,omitempty"`
}

type cacheEntry struct {
	cacheKey
	SHA256 string `json:"sha256"`
}

// Cache remembers the SHA-256 of files by (path, size, mtime, inode) so that
// Build does not read an unchanged file again. The zero Cache is empty and
// ready; a Cache is safe for concurrent use.
//
// Use one cache file per tree: paths are relative to the tree, so two trees
// sharing a cache could only collide if size, mtime and inode all matched,
// but there is no reason to allow even that.
type Cache struct {
	mu   sync.Mutex
	old  map[cacheKey]string // loaded and not yet used
	used map[cacheKey]string // looked up or stored since Load
	// dirty: a hash not in the file was stored since Load.
	dirty bool
}

// LoadCache reads the cache file at path. A missing file is an empty cache:
// the first run has none.
func LoadCache(path string) (*Cache, error) {
	c := &Cache{}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("manifest: hash cache: %w", err)
	}
	var f struct {
		Version int          `json:"version"`
		Entries []cacheEntry `json:"entries"`
	}
	var ok bool
	if f.Entries, ok = cacheEntries(b); ok {
		f.Version = cacheVersion
	} else if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("manifest: hash cache %s: %w: remove it, it is rebuilt on the next run", path, err)
	}
	if f.Version != cacheVersion {
		return nil, fmt.Errorf("manifest: hash cache %s: version %d, this build reads %d: remove it, it is rebuilt on the next run", path, f.Version, cacheVersion)
	}
	c.old = make(map[cacheKey]string, len(f.Entries))
	// An unchanged tree uses every entry again: sized once, the map is
	// not grown (and rehashed) entry by entry.
	c.used = make(map[cacheKey]string, len(f.Entries))
	for _, e := range f.Entries {
		if !isSHA256(e.SHA256) {
			return nil, fmt.Errorf("manifest: hash cache %s: %s: bad sha256 %q: remove it, it is rebuilt on the next run", path, e.Path, e.SHA256)
		}
		c.old[e.cacheKey] = e.SHA256
	}
	return c, nil
}

// Save writes the cache to path atomically. It keeps only the entries that
// builds since LoadCache looked up or added, so files that are gone drop out
// instead of growing the cache forever.
func (c *Cache) Save(path string) error {
	c.mu.Lock()
	es := make([]cacheEntry, 0, len(c.used))
	for k, sum := range c.used {
		es = append(es, cacheEntry{k, sum})
	}
	c.mu.Unlock()
	// Sorted, so that saving an unchanged cache rewrites the same bytes.
	slices.SortFunc(es, func(a, b cacheEntry) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), cmp.Compare(a.Size, b.Size),
			cmp.Compare(a.MTime, b.MTime), cmp.Compare(a.Inode, b.Inode), cmp.Compare(a.CTime, b.CTime))
	})
	// Written as cacheEntries reads it fastest (json.Marshal's spelling
	// without its HTML escapes); encoding/json reads it too.
	b := make([]byte, 0, 64+len(es)*160)
	b = fmt.Appendf(b, "{\"version\":%d,\"entries\":[", cacheVersion)
	for i, e := range es {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n{\"path\":"...)
		b = appendString(b, e.Path)
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, e.Size, 10)
		b = append(b, `,"mtime_ns":`...)
		b = strconv.AppendInt(b, e.MTime, 10)
		b = append(b, `,"inode":`...)
		b = strconv.AppendUint(b, e.Inode, 10)
		if e.CTime != 0 {
			b = append(b, `,"ctime_ns":`...)
			b = strconv.AppendInt(b, e.CTime, 10)
		}
		b = append(b, `,"sha256":`...)
		b = appendString(b, e.SHA256)
		b = append(b, '}')
	}
	b = append(b, "\n]}\n"...)
	buf := bytes.NewBuffer(b)
	// 0600: it holds the hash of every file, private/'s too.
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("manifest: hash cache: %w", err)
	}
	return nil
}

// Len is how many hashes the cache file held: about how many files the
// tree it describes has.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.old)
}

// Changed reports whether Save would write something other than what
// LoadCache read: a hash was learnt, or an entry went unused and would be
// dropped. An unchanged source need not rewrite its cache.
func (c *Cache) Changed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dirty || len(c.used) != len(c.old)
}

// Lookup is the hash the cache holds for the file p that in describes:
// one whose path, size, mtime, inode and ctime are all unchanged. A tool
// that reads the file anyway (a copy) uses it instead of hashing.
func (c *Cache) Lookup(p string, in *keytree.Info) (string, bool) {
	return c.lookup(keyOf(p, in))
}

// Store remembers sum for the file p that in describes, as it was stat-ed
// at statted, unless it was changed (mtime or ctime) within RacyWindow
// before then: a write in the same timestamp tick as that stat would have
// left what it saw unchanged, and the sum may be of content half old and
// half new.
func (c *Cache) Store(p string, in *keytree.Info, statted time.Time, sum string) {
	changed := in.MTime
	if ct := time.Unix(0, in.CTime); in.CTime != 0 && ct.After(changed) {
		changed = ct
	}
	if statted.Sub(changed) < RacyWindow {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(keyOf(p, in), sum)
}

func keyOf(p string, in *keytree.Info) cacheKey {
	return cacheKey{Path: p, Size: in.Size, MTime: in.MTime.UnixNano(), Inode: in.Inode, CTime: in.CTime}
}

func (c *Cache) lookup(k cacheKey) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if sum, ok := c.used[k]; ok {
		return sum, true
	}
	sum, ok := c.old[k]
	if ok {
		c.put(k, sum)
	}
	return sum, ok
}

// store remembers sum unless mtime is too recent to trust (see RacyWindow).
func (c *Cache) store(k cacheKey, mtime time.Time, sum string) {
	if time.Since(mtime) < RacyWindow {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(k, sum)
}

func (c *Cache) put(k cacheKey, sum string) {
	if c.used == nil {
		c.used = make(map[cacheKey]string)
	}
	if old, ok := c.old[k]; !ok || old != sum {
		c.dirty = true
	}
	c.used[k] = sum
}
