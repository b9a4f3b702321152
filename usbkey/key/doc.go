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
// It refuses to write a v1 (grub) key, and to write anything before every
// input has been checked: a format that fails validation leaves the target
// untouched.
package key
