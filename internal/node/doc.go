// Package node owns the node cn-tools runs on: its root (--root), the
// Triton paths every tool shares (/usbkey, /mnt/usbkey, the standby copy,
// caches, logs, scratch space), the facts read about it (sysinfo, the
// disks diskinfo lists, the mount table, the imported zpools and their
// leaf devices, the boot parameters, the zones), the illumos commands that
// change it (zfs, zpool, installboot) and statvfs.
//
// It is the one seam between the tools and the node. Commands run on the
// live node and are recorded, one shell-quoted line each, in CommandsFile
// under any other root. New("/") runs the
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
