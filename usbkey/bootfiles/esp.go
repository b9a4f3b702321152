package bootfiles

import "fmt"

// espAlign is PART_ALIGN: format_image refuses an ESP image that is not a
// whole number of MiB, so the partitions after it stay 1 MiB aligned.
const espAlign = 1 << 20

// CheckESPImage refuses an ESP image of size bytes that format_image would
// refuse, or that does not fit a loader partition of partitionBytes.
func CheckESPImage(size, partitionBytes int64) error {
	if size <= 0 {
		return fmt.Errorf("esp image is empty: build it from boot/loader64.efi first")
	}
	if size%espAlign != 0 {
		return fmt.Errorf("esp image of %d bytes is not %d-byte aligned", size, espAlign)
	}
	if size > partitionBytes {
		return fmt.Errorf("esp image of %d bytes does not fit the %d-byte loader partition", size, partitionBytes)
	}
	return nil
}
