package key

import "cntools/usbkey/parttable"

// Disk is a key target: an image file or a raw device.
type Disk = parttable.Disk
