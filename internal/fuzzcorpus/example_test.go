package fuzzcorpus_test

import (
	"fmt"

	"cntools/internal/fuzzcorpus"
)

func ExampleEncode() {
	fmt.Print(fuzzcorpus.Encode([]byte("EFI PART\x00"), true))
	// Output:
	// go test fuzz v1
	// []byte("EFI PART\x00")
	// bool(true)
}
