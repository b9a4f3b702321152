package key_test

import (
	"context"
	"fmt"
	"os"

	"cntools/internal/node"
	"cntools/usbkey/bootfiles/bootfilestest"
	"cntools/usbkey/key"
)

// A request is planned on a node, shown, and applied; its command line is
// the usbkey-format run that does the same.
func ExamplePlanFormat() {
	root, _ := os.MkdirTemp("", "key-example")
	defer os.RemoveAll(root)
	n := node.New(root)
	bootfilestest.WriteDir(n.Path(node.UsbkeyDir)) // the boot files, in the usbkey copy

	req := key.FormatRequest{Target: "/var/tmp/key.img", Size: "4gb", Yes: true}
	fmt.Println(req.CommandLine(node.New("/")))
	os.MkdirAll(n.Path("/var/tmp"), 0o755)
	plan, err := key.PlanFormat(context.Background(), n, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer plan.Close()
	for _, l := range plan.Summary() {
		fmt.Println("   ", l)
	}
	if _, err := plan.Apply(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	has, _ := key.ExistingKey(n, req.Target)
	fmt.Println(has.Reason)
	// Output:
	// usbkey-format --size 4gb -y /var/tmp/key.img
	//     /var/tmp/key.img is created as an image file of 3.7 GiB and gets a new v2 key layout
	//     loader 12 1048576 268435456
	//     boot 1 269484032 1048576
	//     root 2 270532608 3720347648
	//     reserved 11 3991594496 8388608
	// /var/tmp/key.img holds a Triton key already (v2-loader, marker false)
}
