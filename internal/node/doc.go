// Package nodefacts owns the facts cn-tools reads about the node it runs on:
// sysinfo, the disks diskinfo lists, the mount table, the imported zpools and
// their leaf devices, and the boot parameters.
//
// It is the one seam between the tools and the node. New("/") runs the
// illumos commands (sysinfo, diskinfo -Hp, zpool list -H -v -P, bootparams)
// and reads /etc/mnttab; New(root) for any other root reads the same output
// formats from files under root (see the *File constants). Both share the
// parsers and differ only in where the bytes come from.
//
// It refuses to guess: a fact that cannot be read or parsed is an error, never
// an empty answer, so that a safety check built on it fails closed. It does not
// decide anything from the facts (is this disk safe to overwrite, is this node
// a headnode); that belongs to the packages that ask.
package node
