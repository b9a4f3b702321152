// Package shar finds the payload of an sdcadm installer shar without
// running it.
//
// sdcadm's tools/mk-shar builds `sdcadm-<stamp>.sh`: a bash prologue that
// refuses to run outside a headnode's global zone (exit 3), then the output
// of `shar -Q` over contents.tgz and install-sdcadm.sh, then the lines that
// run install-sdcadm.sh. GNU shar embeds a binary file uuencoded between
// `begin MODE NAME` and `end`, fed to uudecode through a here-document
// (optionally with each line prefixed "X"). Payload reads that block.
// Some builds append the tarball raw after the script instead (a line
// holding only "__ARCHIVE__" or similar, then gzip bytes); Payload accepts
// that too.
//
// It refuses a file with no contents.tgz in it, a uuencoded block whose
// line lengths disagree with their length characters, and one with no end.
// It never runs anything in the shar.
package shar
