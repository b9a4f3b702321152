// Package keycopy owns a copy of the key content as its own node sees it:
// the lock that marks a copy busy (a sync writing it, a conversion
// reading it), the paths a standby copy may not take, and what a sync
// asks of a standby copy on a core CN: its listing in canonical form and
// its state (that listing's SHA-256 and its manifest's), told and held by
// usbkey-state, the helper a sync starts on each target.
//
// It reads the copy with system calls alone and imports nothing that
// talks to a network or a key image, so that the helper starts in a few
// milliseconds: on the 2-core test machine, the multi-call binary took
// 24 ms to start and usbkey-state takes 8 (README, Benchmarks).
//
// It refuses: a copy's path that is, or leads through a symlink to, a
// CN's /usbkey, /mnt/usbkey, a system directory or the root (CheckPath,
// CheckRoot); for Hold, a copy whose top is a symlink; a lock another
// live run holds. It writes nothing in a copy but its lock (Hold makes a
// missing copy's directory, and puts the directory's mtime back when it
// gives the lock back).
package keycopy
