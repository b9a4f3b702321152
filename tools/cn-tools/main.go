// Command cn-tools is every cn-tools tool in one binary: it runs the tool
// named by the link it is called through (bin/usbkey-format -> cn-tools).
package main

import "cntools/tools/cmd"

func main() { cmd.MultiMain() }
