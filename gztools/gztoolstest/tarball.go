// Package gztoolstest makes the tarballs gztools-install reads, from Go
// code, for unit tests and testscripts: tools tarballs laid out as
// sdc-headnode's `make tools` makes them, gz-tools images, sdcadm shars
// laid out as sdcadm's tools/mk-shar makes them, and hostile tarballs.
package gztoolstest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"time"
)

// Epoch is the modification time of every entry these builders write, so
// that their output is the same from run to run.
var Epoch = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// Entry is one tar entry to write.
type Entry struct {
	Name     string
	Type     byte // a tar.Type* constant; 0 means a regular file
	Mode     int64
	Body     string
	Linkname string
}

// File, Dir, Symlink and Hardlink are shorthands for entries.
func File(name string, mode int64, body string) Entry {
	return Entry{Name: name, Type: tar.TypeReg, Mode: mode, Body: body}
}

func Dir(name string, mode int64) Entry { return Entry{Name: name, Type: tar.TypeDir, Mode: mode} }

func Symlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeSymlink, Mode: 0o777, Linkname: target}
}

func Hardlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeLink, Mode: 0o644, Linkname: target}
}

// Tar returns the uncompressed tar of entries.
func Tar(entries []Entry) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		typ := e.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.Name, Typeflag: typ, Mode: e.Mode, Linkname: e.Linkname, ModTime: Epoch, Format: tar.FormatGNU}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			panic(err) // a BUG in the test's entries, not a test failure
		}
		io.WriteString(tw, e.Body)
	}
	tw.Close()
	return b.Bytes()
}

// Gzip compresses b.
func Gzip(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// TarGz returns the gzip-compressed tar of entries.
func TarGz(entries []Entry) []byte { return Gzip(Tar(entries)) }

// WriteTarGz writes the gzip-compressed tar of entries to path.
func WriteTarGz(path string, entries []Entry) error {
	return os.WriteFile(path, TarGz(entries), 0o644)
}
