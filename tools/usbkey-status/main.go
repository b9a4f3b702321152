// Command usbkey-status is the usbkey-status tool on its own; see cmd for what it does.
package main

import "cntools/tools/cmd"

func main() { cmd.OSMain("usbkey-status") }
