// Package key owns a Triton USB key as a whole: formatting a device or
// image as a v2 (loader) key, byte for byte as SmartOS's format_image and
// build_boot_image lay it out, and inspecting any key, image or mounted key
// directory to say what it is.
//
// The pieces come from its sibling packages: parttable (MBR and GPT),
// bootfiles (pmbr, gptzfsboot, loader), fat32 (the ESP and root
// filesystems). Key writes every structure itself and mounts nothing, so it
// works on image files and raw devices alike, on any host.
//
// usbkey-format is a FormatRequest: PlanFormat checks it against the node
// (boot files, target, layout, and every refusal: mounted, in a zpool, the
// boot disk, not removable, too small, already a Triton key, built in
// FormatRefusals and ExistingKey alone) and writes nothing; Apply formats.
// usbkey-status is a StatusRequest, read by ReadStatus through keytree.
//
// It refuses to write anything before every input has been checked: a
// format that is refused or fails validation leaves the target untouched,
// and an image it would have created is not left behind.
package key
