// Command usbkey-format is the usbkey-format tool on its own; see cmd for what it does.
package main

import "cntools/tools/cmd"

func main() { cmd.OSMain("usbkey-format") }
