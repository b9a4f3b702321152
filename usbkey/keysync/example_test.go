package keysync_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"cntools/internal/node"
	"cntools/internal/sshconn"
	"cntools/usbkey/keycopy"
	keysync "cntools/usbkey/keysync"
)

// A target names a core CN and, by default, its standby directory; a CN's
// key paths are refused.
func ExampleParseTarget() {
	t, _ := keysync.ParseTarget("root@10.0.0.21")
	fmt.Println(keysync.TargetName(t))
	t, _ = keysync.ParseTarget("ssh://10.0.0.21:2222")
	fmt.Println(keysync.TargetName(t))
	_, err := keysync.ParseTarget("10.0.0.21:/usbkey")
	fmt.Println(errors.Is(err, keycopy.ErrKeyPath))
	// Output:
	// root@10.0.0.21:22:/zones/usbkey-standby
	// root@10.0.0.21:2222:/zones/usbkey-standby
	// true
}

// The platform-install hook syncs what sdcadm platform install changed to
// each core CN; a conflicting or unreachable target is in its Result.
func ExampleRun() {
	paths, err := keysync.PlatformInstallPaths("/usbkey", "20260301T000000Z")
	if err != nil {
		fmt.Println(err)
		return
	}
	t, _ := keysync.ParseTarget("10.0.0.21:/zones/usbkey-standby")
	results, err := keysync.Run(context.Background(), []sshconn.Target{t}, keysync.Options{
		Source: "/usbkey",
		Paths:  paths,
		SSH:    sshconn.Options{Getenv: os.Getenv},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range results {
		fmt.Println(r.Target, r.InStep(), r.Sent, r.Conflicting)
	}
}

// A request prints the command that carries it out, as a wrapper shows
// its step, and runs the same way.
func ExampleRequest() {
	r := keysync.Request{Targets: []string{"ssh://10.0.0.21", "root@10.0.0.22:/zones/usbkey-standby"}, Hook: keysync.HookGZTools}
	fmt.Println(r.CommandLine(node.New("/")))
	fmt.Println(r.CommandLine(node.New("/var/tmp/hn")))
	// Output:
	// usbkey-sync --target ssh://10.0.0.21 --target root@10.0.0.22:/zones/usbkey-standby hook gz-tools
	// usbkey-sync --root /var/tmp/hn --target ssh://10.0.0.21 --target root@10.0.0.22:/zones/usbkey-standby hook gz-tools
}
