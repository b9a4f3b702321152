// Command mknode writes the simulated compute node make demo converts:
// mknode ROOT.
package main

import (
	"fmt"
	"os"

	"cntools/convert/converttest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mknode ROOT")
		os.Exit(2)
	}
	if err := converttest.WriteNode(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "mknode: error: %v\n", err)
		os.Exit(2)
	}
}
