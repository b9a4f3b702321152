package shar_test

import (
	"bytes"
	"fmt"

	"cntools/gztools/gztoolstest"
	"cntools/gztools/shar"
)

// Read the contents.tgz out of an sdcadm shar without running it.
func ExamplePayload() {
	sh := gztoolstest.SdcadmShar("1.39.0-20260301T000000Z")
	tgz, err := shar.Payload(bytes.NewReader(sh))
	fmt.Println(err, bytes.HasPrefix(tgz, []byte{0x1f, 0x8b}))
	// Output:
	// <nil> true
}
