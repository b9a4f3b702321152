// Command mkboot writes the synthetic platform boot tree the tests use, for
// `make demo` and `make bench`: mkboot dir|tgz PATH.
package main

import (
	"fmt"
	"os"

	"cntools/usbkey/bootfiles/bootfilestest"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mkboot dir|tgz PATH")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "dir":
		err = bootfilestest.WriteDir(os.Args[2])
	case "tgz":
		err = bootfilestest.WriteTarball(os.Args[2])
	default:
		err = fmt.Errorf("%q is neither dir nor tgz", os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mkboot: error: %v\n", err)
		os.Exit(2)
	}
}
