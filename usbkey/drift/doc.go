// Package drift owns comparing copies of a headnode's key content: the
// physical key (a device, an image, or the mounted key directory), /usbkey,
// and the standby copies on core CNs, read live or from manifests collected
// elsewhere. It reports, per path, what is missing from a copy, what a copy
// has extra, whose content differs and whose metadata differs, and for the
// config files (config, config.inc/generic, extra/joysetup/node.config)
// which keys differ, secrets masked. The first copy is the reference.
//
// A Request names the copies as the operator does, each a location
// (keytree.ParseLocation: a device, image or directory here, or a directory
// on another node over SSH), prints the command line that carries it out,
// and Run reads and compares them.
//
// It also owns reading a standby copy over SSH: the manifest is built on the
// CN by `usbkey-drift manifest DIR` when the toolkit is installed there (so
// nothing but the manifest crosses the network, and the CN's hash cache
// applies), and otherwise over SFTP through keytree.SFTP, which reads every file.
//
// It also owns comparing a whole DC at once: CollectDC runs
// sdc-oneachnode -j, which runs `usbkey-drift manifest` on every node
// through Ur, and ParseOnEachNode reads its output (the -j array or -J
// lines) strictly and streaming; each node's manifest is compared with the
// reference as it arrives, and one byte-identical to the reference's
// canonical encoding is in step without being decoded. It refuses to guess
// at output it cannot read: that is an error naming the element and node.
//
// The copies are not alike by design, and drift does not report what the
// copy rules make different (Options.All reports it anyway):
//
//   - entries at the top whose names start with a dot (.joyliveusb,
//     .cntools-manifest.json): fs-joyent copies the key to /usbkey with
//     the glob `*`, which skips them, and the manifest file describes the
//     copy it is on, so it differs everywhere by construction;
//   - private/: it holds the platform root password and prompt-config
//     answers in clear, and fs-joyent never copies it to /usbkey;
//   - between a key and a copy that is not a key, extra/ and os/latest:
//     they exist only on /usbkey (extra/ is served by the assets zone and
//     never written to the key; FAT cannot hold the os/latest symlink);
//   - directory mtimes: a directory's mtime is when its list last changed,
//     which no copy tool keeps (fs-joyent's rsync does, usbkey-populate and
//     pcfs do not); the entries below it are compared themselves.
//
// Paths compare case-folded (manifest does it), so the key's os/<stamp> read
// through foldcase and /usbkey's upper-cased os/<STAMP> are one path. FAT
// keeps mtimes at 2 s and has no modes: a pair with a key on one side is
// compared without modes and with a 2 s mtime window.
//
// It refuses to print or log a config value that config.IsSecret calls a
// secret, in text, JSON or errors: a config file that does not parse is
// reported by line number only. It never writes to a copy; repairing drift
// is usbkey-sync's and usbkey-populate's job.
package drift
