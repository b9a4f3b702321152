// Command gztools-install is the gztools-install tool on its own; see cmd for what it does.
package main

import "cntools/tools/cmd"

func main() { cmd.OSMain("gztools-install") }
