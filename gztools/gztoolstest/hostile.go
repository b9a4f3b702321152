package gztoolstest

import (
	"archive/tar"
	"sort"
)

// Hostile maps a name to a tarball that gztools-install must refuse whole.
// Each holds some good entries first, so a refusal that came too late
// would leave files behind.
func Hostile() map[string][]byte {
	good := []Entry{Dir("bin/", 0o755), File("bin/sdc", 0o755, "#!/bin/sh\n")}
	with := func(es ...Entry) []byte { return TarGz(append(append([]Entry(nil), good...), es...)) }
	valid := TarGz(good)
	corrupt := append([]byte(nil), valid...)
	corrupt[len(corrupt)/2] ^= 0xff
	badTar := Tar(good)
	terminated := Tar(good)
	copy(badTar[148:156], "garbage!") // header checksum field
	return map[string][]byte{
		"absolute":         with(File("/etc/passwd", 0o644, "root::0:0::/:/bin/sh\n")),
		"dotdot":           with(File("bin/../../escaped", 0o644, "x")),
		"symlink-escape":   with(Symlink("bin/out", "../../../etc"), File("bin/after", 0o644, "x")),
		"symlink-absolute": with(Symlink("bin/passwd", "/etc/passwd")),
		"symlink-chain":    with(Symlink("here", "."), Symlink("up", "here/..")),
		"below-symlink":    with(Symlink("lib", "bin"), File("lib/x", 0o644, "x")),
		"hardlink-outside": with(Hardlink("bin/shadow", "../etc/shadow")),
		"hardlink-absent":  with(Hardlink("bin/shadow", "etc/shadow")),
		"chardev":          with(Entry{Name: "bin/null", Type: tar.TypeChar, Mode: 0o666}),
		"blockdev":         with(Entry{Name: "bin/disk", Type: tar.TypeBlock, Mode: 0o600}),
		"fifo":             with(Entry{Name: "bin/pipe", Type: tar.TypeFifo, Mode: 0o644}),
		"truncated-gzip":   valid[:len(valid)-6],
		"truncated-data":   valid[:len(valid)/2],
		"corrupt-gzip":     corrupt,
		"corrupt-tar":      Gzip(badTar),
		"not-gzip":         Tar(good),
		"empty-file":       {},
		"empty-tar":        TarGz(nil),
		"unterminated":     Gzip(terminated[:len(terminated)-2*512]),
		"one-end-block":    Gzip(terminated[:len(terminated)-512]),
	}
}

// HostileNames lists Hostile's names, sorted.
func HostileNames() []string {
	var ns []string
	for n := range Hostile() {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}
