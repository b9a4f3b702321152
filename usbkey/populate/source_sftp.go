package populate

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"

	"github.com/pkg/sftp"

	"cntools/internal/sshconn"
)

// SFTPSource is a standby copy on another node, read over SFTP.
type SFTPSource struct {
	client *sshconn.Client
	sftp   *sftp.Client
	root   string
	name   string
}

// OpenSFTP connects to the node named by an ssh:// URL.
func OpenSFTP(ctx context.Context, url string, o sshconn.Options) (*SFTPSource, error) {
	t, err := sshconn.ParseURL(url)
	if err != nil {
		return nil, err
	}
	c, err := sshconn.Dial(ctx, t, o)
	if err != nil {
		return nil, err
	}
	s, err := c.SFTP()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: sftp: %w", t, err)
	}
	return &SFTPSource{client: c, sftp: s, root: t.Path, name: url}, nil
}

func (s *SFTPSource) Walk(ctx context.Context) ([]Entry, error) {
	var out []Entry
	w := s.sftp.Walk(s.root)
	for w.Step() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := w.Err(); err != nil {
			return nil, err
		}
		if w.Path() == s.root {
			if !w.Stat().IsDir() {
				return nil, fmt.Errorf("%s is not a directory", s.root)
			}
			continue
		}
		rel := w.Path()[len(s.root):]
		if len(rel) > 0 && rel[0] == '/' {
			rel = rel[1:]
		}
		fi := w.Stat()
		out = append(out, Entry{Path: path.Clean(rel), Dir: fi.IsDir(), Symlink: fi.Mode()&fs.ModeSymlink != 0, Size: fi.Size(), MTime: fi.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func (s *SFTPSource) Open(p string) (io.ReadCloser, error) {
	f, err := s.sftp.Open(path.Join(s.root, p))
	if err != nil {
		return nil, err
	}
	// WriteTo reads with many requests in flight; a plain Read waits for
	// each 32 KiB in turn, which is slow over any real round trip.
	return sftpReader{f}, nil
}

type sftpReader struct{ *sftp.File }

func (r sftpReader) WriteTo(w io.Writer) (int64, error) { return r.File.WriteTo(w) }

func (s *SFTPSource) Describe() string { return s.name }
func (s *SFTPSource) Close() error {
	s.sftp.Close()
	return s.client.Close()
}
