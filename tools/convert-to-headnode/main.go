// Command convert-to-headnode is the convert-to-headnode tool on its own; see cmd for what it does.
package main

import "cntools/tools/cmd"

func main() { cmd.OSMain("convert-to-headnode") }
