// Command cn-tools-merge writes the cn_tools.tar.gz Triton ships to compute
// nodes with cn-tools added (`make cn-tools-merge CN_TOOLS=...`). It is a
// build tool, not shipped.
//
//	cn-tools-merge TRITON_CN_TOOLS_TGZ CN_TOOLS_TGZ OUT
package main

import (
	"fmt"
	"os"
	"time"

	"cntools/internal/atomicfile"
	"cntools/internal/payload"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: cn-tools-merge TRITON_CN_TOOLS_TGZ CN_TOOLS_TGZ OUT")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintf(os.Stderr, "cn-tools-merge: error: %v\n", err)
		os.Exit(2)
	}
}

func run(tritonPath, oursPath, outPath string) error {
	triton, err := os.Open(tritonPath)
	if err != nil {
		return fmt.Errorf("%w: give CN_TOOLS the cn_tools.tar.gz sdc-headnode built", err)
	}
	defer triton.Close()
	ours, err := os.Open(oursPath)
	if err != nil {
		return fmt.Errorf("%w: run make cn-tools first", err)
	}
	defer ours.Close()
	// Written under a temporary name and renamed: a failed merge leaves no
	// half tarball where a CN would fetch it.
	out, err := atomicfile.Create(outPath, 0o644)
	if err != nil {
		return err
	}
	added, err := payload.Merge(triton, ours, out, time.Now())
	if err != nil {
		out.Abort()
		return err
	}
	if err := out.Commit(); err != nil {
		return err
	}
	fmt.Printf("%s: Triton's %s with %d cn-tools entries added (listed in %s)\n", outPath, tritonPath, len(added), payload.ManifestPath)
	return nil
}
