// Package bootfiles owns the platform boot files a v2 USB key is made from:
// the boot-<stamp>.tgz tarball of a SmartOS platform build (members
// ./boot/... and ./etc/version/boot), or the same tree as a directory. It
// reads them into a Set, checks the pieces format_image needs (pmbr,
// gptzfsboot with its fake multiboot header, loader64.efi, loader), and
// patches gptzfsboot with the root partition's start as format_image does.
//
// It refuses a tarball with any entry that escapes the tree (an absolute
// name or a ".." component), refusing the whole archive rather than
// skipping the entry; symlinks and other special files, which a pcfs key
// cannot hold; names that differ only in case, which pcfs folds together;
// and a tree missing boot/pmbr, boot/gptzfsboot, boot/loader64.efi or
// boot/loader. Only boot/ and etc/version/ are taken; anything else in the
// tarball is not part of the boot files and is left out.
package bootfiles
