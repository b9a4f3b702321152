package gztools_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"cntools/gztools"
	"cntools/gztools/gztoolstest"
	"cntools/internal/node"
)

// Install the gz-tools parts of a node's usbkey copy, then check it.
func Example() {
	root, _ := os.MkdirTemp("", "gztools-example")
	defer os.RemoveAll(root)
	usbkey := filepath.Join(root, "usbkey")
	gztoolstest.WriteUsbkeyCopy(usbkey, "1", "0b0b0b0b-0000-4000-8000-000000000001", "1.39.0-20260301T000000Z")
	os.MkdirAll(filepath.Join(root, "tmp"), 0o755)
	os.WriteFile(filepath.Join(root, node.SysinfoFile), []byte(`{"UUID": "44454c4c-5000-1048-8058-b2c04f565031"}`), 0o644)

	ctx := context.Background()
	n := node.New(root)
	req := gztools.Request{Yes: true} // from /usbkey
	fmt.Println(req.CommandLine(node.New("/")))
	plan, err := gztools.NewPlan(ctx, n, req, gztools.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	changes, err := plan.Apply(ctx)
	plan.Close() // and with it the node's gztools-install lock
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range changes {
		fmt.Println(c.What, c.Path)
	}
	again, err := gztools.NewPlan(ctx, n, req, gztools.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer again.Close()
	fmt.Println("differences after install:", len(again.Diffs()))
	// Output:
	// gztools-install --from /usbkey -y
	// tools /opt/smartdc
	// cn_tools /usbkey/extra/joysetup/cn_tools.tar.gz
	// joysetup /usbkey/extra/joysetup/joysetup.sh
	// joysetup /usbkey/extra/joysetup/agentsetup.sh
	// sdcadm /opt/smartdc/sdcadm
	// sdcadm /opt/smartdc/bin/sdcadm
	// sdcadm /opt/smartdc/man/man1/sdcadm.1
	// sdcadm.conf /var/sdcadm/sdcadm.conf
	// differences after install: 0
}
