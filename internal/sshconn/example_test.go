package sshconn_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"cntools/internal/sshconn"
)

// A populate from a core CN: parse the --from location, connect with the
// operator's ~/.ssh, read one file of the standby copy.
func Example() {
	ctx := context.Background()
	t, err := sshconn.ParseTarget("ssh://root@cn1/zones/usbkey-standby")
	if err != nil {
		panic(err)
	}
	c, err := sshconn.Dial(ctx, t, sshconn.Options{
		UseAgent:       true,
		ConnectTimeout: 10 * time.Second,
		Getenv:         os.Getenv,
	})
	if err != nil {
		panic(err) // e.g. "ssh root@cn1:22: host key is not known: ..."
	}
	defer c.Close()
	s, err := c.SFTP()
	if err != nil {
		panic(err)
	}
	defer s.Close()
	f, err := s.Open(path.Join(t.Path, "config"))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	io.Copy(io.Discard, f)
}

// ParseTarget reads usbkey-sync's --target; the path is optional there.
func ExampleParseTarget() {
	t, err := sshconn.ParseTarget("cn1:2222:/zones/usbkey-standby")
	fmt.Println(t, t.Path, err)
	// Output: root@cn1:2222 /zones/usbkey-standby <nil>
}
