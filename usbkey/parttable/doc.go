// Package parttable owns the partition tables of a Triton v2 ("loader") USB
// key, byte for byte as SmartOS format_image and illumos libefi write them:
// sector 0 (the platform's pmbr, patched with the stage2 location and a
// protective 0xEE entry) and the 9-entry GPT, primary and backup.
//
// It computes the v2 layout (loader, boot, root, reserved), writes the tables
// to any io.WriterAt (image file or device alike), and reads them back for
// inspection, falling back to the backup GPT when the primary is damaged.
//
// It refuses anything but 512-byte sectors (format_image is not 4Kn-aware), a
// pmbr without the 0xAA55 signature, a disk too small for a usable root
// partition, and GPTs that are not the 9-entry, 128-byte-entry kind libefi
// writes. It does not write partition contents; that is the caller's job.
package parttable
