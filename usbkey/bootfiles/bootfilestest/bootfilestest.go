// Package bootfilestest writes a small, realistic, deterministic platform
// boot tree (what a SmartOS build's boot-<stamp>.tgz holds) for tests of
// the key writers, testscripts and benchmarks. The bytes are synthetic: the
// pmbr and gptzfsboot only look right to format_image's checks.
package bootfilestest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Facts about the tree, for tests to check against.
const (
	// Version is the stamp in etc/version/boot (without the newline).
	Version = "20260301T000000Z"
	// GPTZFSBootSize is the length of boot/gptzfsboot: 300 KiB, whole sectors.
	GPTZFSBootSize = 300 << 10
	// MultibootOffset is where boot/gptzfsboot's fake multiboot header is.
	MultibootOffset = 0x1000
	// MultibootFlags are the header's flags: a.out kludge, page align, memory info.
	MultibootFlags = 0x00010003
	// Loader64EFISize is the length of boot/loader64.efi.
	Loader64EFISize = 600 << 10
)

// ModTime is every entry's modification time.
var ModTime = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// Entry is one member of the tree.
type Entry struct {
	Path string      // slash path without "./": "boot/forth/menu.rc"
	Mode fs.FileMode // permissions, plus fs.ModeDir for a directory
	Data []byte      // nil for a directory
}

// forthFiles are the boot/forth/*.4th of illumos-joyent's boot.manifest.
var forthFiles = []string{"beadm", "beastie", "brand-smartos", "brand", "check-password", "color",
	"delay", "efi", "frames", "loader", "logo-smartos", "menu-commands", "menu", "menusets",
	"pcibios", "screen", "shortcuts", "support", "version"}

// Tree returns the tree in path order, so directories come before what
// they hold. Callers may
// change it and write it with WriteTreeDir or WriteTreeTarball, to make
// broken inputs.
func Tree() []Entry {
	dir := func(p string) Entry { return Entry{Path: p, Mode: fs.ModeDir | 0o755} }
	text := func(p, s string) Entry { return Entry{Path: p, Mode: 0o444, Data: []byte(s)} }
	t := []Entry{
		dir("boot"),
		dir("boot/defaults"),
		text("boot/defaults/loader.conf", "# synthetic defaults/loader.conf\nboot_verbose=\"NO\"\nloader_conf_files=\"/boot/loader.conf /boot/loader.conf.local\"\n"),
		dir("boot/forth"),
	}
	for _, n := range forthFiles {
		t = append(t, text("boot/forth/"+n+".4th", fmt.Sprintf("\\ synthetic %s.4th\n: %s-loaded ( -- ) ;\n", n, n)))
	}
	t = append(t,
		text("boot/forth/menu.rc", "\\ synthetic menu.rc\ninclude /boot/forth/menu.4th\nmenu-init\n"),
		Entry{Path: "boot/gptzfsboot", Mode: 0o444, Data: gptzfsboot()},
		Entry{Path: "boot/loader", Mode: 0o444, Data: pseudoRandom(3, 400<<10)},
		text("boot/loader.help", "synthetic loader.help\n"),
		text("boot/loader.rc", "include /boot/forth/loader.4th\nstart\ninitialize\ninclude /boot/forth/beastie.4th\nbeastie-start\n"),
		Entry{Path: "boot/loader64.efi", Mode: 0o555, Data: loader64EFI()},
		Entry{Path: "boot/pmbr", Mode: 0o444, Data: PMBR()},
		Entry{Path: "boot/triton-logo.png", Mode: 0o444, Data: png(4)},
		Entry{Path: "boot/triton.png", Mode: 0o444, Data: png(5)},
		dir("etc"),
		dir("etc/version"),
		text("etc/version/boot", Version+"\n"),
	)
	slices.SortFunc(t, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return t
}

// PMBR returns boot/pmbr: a jump over a BPB area, code bytes, the stage1
// block at 0xFA set as in the platform (version 1, no stage2 yet), an
// empty partition table and 0xAA55.
func PMBR() []byte {
	b := pseudoRandom(1, 512)
	copy(b, []byte{0xeb, 0x3c, 0x90}) // jmp short 0x3e; nop
	copy(b[3:], "SMARTOS ")           // OEM name in the BPB "nops"
	// Code at 0x3E: cli; xor ax,ax; mov ss,ax; mov sp,0x7c00. Never 03 02,
	// which would mark a grub (v1) key.
	copy(b[0x3e:], []byte{0xfa, 0x31, 0xc0, 0x8e, 0xd0, 0xbc, 0x00, 0x7c})
	copy(b[0xfa:], []byte{1, 0}) // stage1 major 1, minor 0
	clear(b[0xfc:0x116])         // stage2 size, LBA and uuid: format_image fills them
	clear(b[0x1be:0x1fe])
	b[0x1fe], b[0x1ff] = 0x55, 0xaa
	return b
}

// gptzfsboot returns boot/gptzfsboot with a valid fake multiboot header.
func gptzfsboot() []byte {
	b := pseudoRandom(2, GPTZFSBootSize)
	var magic, flags uint32 = 0x1badb002, MultibootFlags
	hdr := []uint32{
		magic,
		flags,
		-(magic + flags),             // checksum: magic+flags+checksum == 0
		0x00400000 + MultibootOffset, // header_addr
		0x00400000,                   // load_addr
		0x00400000 + GPTZFSBootSize,  // load_end_addr
		0x00480000,                   // bss_end_addr: format_image overwrites it
		0x00400040,                   // entry_addr
	}
	for i, v := range hdr {
		binary.LittleEndian.PutUint32(b[MultibootOffset+4*i:], v)
	}
	return b
}

// loader64EFI returns boot/loader64.efi: "MZ" and pseudo-random bytes.
func loader64EFI() []byte {
	b := pseudoRandom(4, Loader64EFISize)
	copy(b, "MZ")
	return b
}

// png returns a small file starting with the PNG signature.
func png(seed uint64) []byte {
	return append([]byte("\x89PNG\r\n\x1a\n"), pseudoRandom(seed+100, 2000)...)
}

// pseudoRandom returns n bytes of splitmix64 output: fixed forever, unlike
// math/rand, so golden files and benchmarks stay comparable.
func pseudoRandom(seed uint64, n int) []byte {
	b := make([]byte, n+8)
	x := seed * 0x9e3779b97f4a7c15
	for i := 0; i < n; i += 8 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		binary.LittleEndian.PutUint64(b[i:], z^z>>31)
	}
	return b[:n]
}

// WriteDir writes the tree under dir, which should start empty.
func WriteDir(dir string) error { return WriteTreeDir(dir, Tree()) }

// WriteTarball writes the tree as a boot-<stamp>.tgz at name.
func WriteTarball(name string) error { return WriteTreeTarball(name, Tree()) }

// WriteTreeDir writes t under dir, creating missing parents. The files are
// read-only, as in the platform build, so dir should start empty.
func WriteTreeDir(dir string, t []Entry) error {
	t = slices.Clone(t)
	slices.SortFunc(t, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	for _, e := range t {
		p := filepath.Join(dir, filepath.FromSlash(e.Path))
		if e.Mode.IsDir() {
			if err := os.MkdirAll(p, e.Mode.Perm()); err != nil {
				return err
			}
		} else {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, e.Data, e.Mode.Perm()); err != nil {
				return err
			}
		}
	}
	// Directories last, deepest first: adding entries changes their times.
	for _, e := range slices.Backward(t) {
		p := filepath.Join(dir, filepath.FromSlash(e.Path))
		if err := os.Chtimes(p, ModTime, ModTime); err != nil {
			return err
		}
	}
	return nil
}

// WriteTreeTarball writes t as the platform build does (cd proto.boot &&
// gtar czf ... .): a "./" entry first, then "./"-prefixed names.
func WriteTreeTarball(name string, t []Entry) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	all := append([]Entry{{Path: ".", Mode: fs.ModeDir | 0o755}}, t...)
	for _, e := range all {
		h := &tar.Header{
			Name:    "./" + e.Path,
			Mode:    int64(e.Mode.Perm()),
			ModTime: ModTime,
			Uname:   "root",
			Gname:   "root",
			Format:  tar.FormatGNU,
		}
		if e.Path == "." {
			h.Name = "./"
		}
		if e.Mode.IsDir() {
			h.Typeflag = tar.TypeDir
			if e.Path != "." {
				h.Name = "./" + path.Clean(e.Path) + "/"
			}
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %s: %w", name, e.Path, err)
		}
		if _, err := tw.Write(e.Data); err != nil {
			return fmt.Errorf("%s: %s: %w", name, e.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return os.WriteFile(name, buf.Bytes(), 0o644)
}
