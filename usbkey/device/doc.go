// Package device owns the target a key is written to: an image file or a raw
// disk device, opened for reading and writing with its size, and the decision
// whether it is safe to overwrite.
//
// Images and devices share one Target; only size discovery differs (the file
// size, Seek to the end on Linux, DKIOCGMEDIAINFO on illumos), and a device is
// read and written in whole sectors whatever the caller asks for, since
// illumos raw disks refuse anything else with EINVAL. OpenAligned imposes the
// same on an image, for tests. A Target flushes itself in the background
// as it is written (every 32 MiB), so that the flush a caller waits for
// covers only what was written since; StartSync asks for such a flush.
//
// It refuses to guess. Check decides from node facts (node.Facts) alone,
// and a fact that cannot be read is an error, never a pass. A device that the
// facts do not describe, such as a disk diskinfo does not list or a path that
// does not name a disk the illumos way, is refused. It does not look inside
// the target: whether it already holds a key is package key's to detect
// (key.ExistingKey) and report with CodeHasKey.
package device
