// Command usbkey-sync is the usbkey-sync tool on its own; see cmd for what it does.
package main

import "cntools/tools/cmd"

func main() { cmd.OSMain("usbkey-sync") }
