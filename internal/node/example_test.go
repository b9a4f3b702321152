package node_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"cntools/internal/node"
)

// A root stands in for the node: the files hold what the illumos commands
// print, at the paths the *File constants name.
func Example() {
	root, err := os.MkdirTemp("", "node")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	write := func(name, content string) {
		p := filepath.Join(root, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), 0o644)
	}
	write(node.DiskinfoFile, "SCSI\tc0t0d0\tINTEL\tSSDSC2KB960G8\t960197124096\tno\tyes\n"+
		"USB\tc1t0d0\tSanDisk\tCruzer\t4000000000\tyes\tno\n")
	write(node.ZpoolListFile, "zones\t888G\t1G\t887G\t-\t-\t0%\t0%\t1.00x\tONLINE\t-\n"+
		"\t/dev/dsk/c0t0d0\t888G\t1G\t887G\t-\t-\t0%\t0%\n")

	ctx := context.Background()
	facts := node.NewFacts(root)
	disks, err := facts.Disks(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range disks {
		fmt.Println(d.RawPath(), d.Size, "removable:", d.Removable)
	}
	pools, err := facts.Pools(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range pools {
		fmt.Println(p.Name, p.Devices)
	}
	// Nothing was written for the mount table: the fact refuses.
	if _, err := facts.Mounts(ctx); err != nil {
		fmt.Println("mounts refused")
	}
	// Output:
	// /dev/rdsk/c0t0d0p0 960197124096 removable: false
	// /dev/rdsk/c1t0d0p0 4000000000 removable: true
	// zones [/dev/dsk/c0t0d0]
	// mounts refused
}

func ExampleParseBootParams() {
	params, err := node.ParseBootParams([]byte("headnode=true\ntriton_bootpool=zones\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(params["headnode"], params["triton_bootpool"])
	// Output: true zones
}
