package device_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"cntools/internal/node"
	"cntools/usbkey/device"
)

// Check decides about a device from node facts alone; here they come from
// files under a root, as under --root.
func ExampleCheck() {
	root, err := os.MkdirTemp("", "node")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	for name, content := range map[string]string{
		node.DiskinfoFile:   "SCSI\tc0t0d0\tINTEL\tSSDSC2KB960G8\t960197124096\tno\tyes\nUSB\tc1t0d0\tSanDisk\tCruzer\t16008609792\tyes\tno\n",
		node.MnttabFile:     "zones/var\t/var\tzfs\trw\t0\n",
		node.ZpoolListFile:  "zones\t888G\t1G\t887G\t-\t-\t0%\t0%\t1.00x\tONLINE\t-\n\t/dev/dsk/c0t0d0\t888G\t1G\t887G\t-\t-\t0%\t0%\n",
		node.BootParamsFile: "console=ttyb\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Println(err)
			return
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			fmt.Println(err)
			return
		}
	}
	minSize, _ := device.ParseSize("4GB")
	facts := node.NewFacts(root)
	for _, path := range []string{"/dev/rdsk/c1t0d0p0", "/dev/rdsk/c0t0d0p0"} {
		refusals, err := device.Check(context.Background(), facts, path, 0, minSize)
		if err != nil {
			fmt.Println(err)
			return
		}
		if len(refusals) == 0 {
			fmt.Println(path, "is safe to overwrite")
		}
		for _, r := range refusals {
			fmt.Println(path, r)
		}
	}
	// Output:
	// /dev/rdsk/c1t0d0p0 is safe to overwrite
	// /dev/rdsk/c0t0d0p0 not-removable: disk c0t0d0 (INTEL SSDSC2KB960G8) is not removable
	// /dev/rdsk/c0t0d0p0 zpool: disk c0t0d0 is in imported zpool zones (/dev/dsk/c0t0d0)
}

// Images and devices are one Target: only how the size is found differs.
func ExampleOpenImage() {
	dir, err := os.MkdirTemp("", "image")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	size, err := device.ParseSize("8M")
	if err != nil {
		fmt.Println(err)
		return
	}
	t, err := device.OpenImage(filepath.Join(dir, "key.img"), size)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer t.Close()
	mbr := make([]byte, 512)
	mbr[510], mbr[511] = 0x55, 0xaa
	if _, err := t.WriteAt(mbr, 0); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Size, t.IsImage)
	// Output: 8388608 true
}

func ExampleDiskName() {
	for _, p := range []string{"/dev/rdsk/c1t0d0p0", "/dev/dsk/c1t0d0s2", "/dev/lofi/1"} {
		name, ok := device.DiskName(p)
		fmt.Printf("%s %q %v\n", p, name, ok)
	}
	// Output:
	// /dev/rdsk/c1t0d0p0 "c1t0d0" true
	// /dev/dsk/c1t0d0s2 "c1t0d0" true
	// /dev/lofi/1 "" false
}
