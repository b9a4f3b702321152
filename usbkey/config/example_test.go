package config_test

import (
	"encoding/json"
	"fmt"
	"os"

	"cntools/usbkey/config"
)

func ExampleParse() {
	in := []byte(`# This file was auto-generated and must be source-able by bash.
datacenter_name="us-west-1"
admin_ip=10.99.99.7
root_shadow='$6$salt$hash'
dns_resolvers=8.8.8.8,8.8.4.4   # two resolvers
`)
	f, err := config.Parse(in)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range f.Entries() {
		fmt.Printf("%s=%v\n", e.Key, e.Value)
	}
	// Output:
	// datacenter_name=us-west-1
	// admin_ip=10.99.99.7
	// root_shadow=**redacted**
	// dns_resolvers=8.8.8.8,8.8.4.4
}

func ExampleFile_Set() {
	f, _ := config.Parse([]byte("# admin network\nadmin_ip=10.99.99.7 # this node\nadmin_netmask=255.255.255.0\n"))
	_ = f.Set("admin_ip", "10.99.99.42")
	_ = f.Set("datacenter_location", "Somewhere, CA")
	if err := f.Set("motd", "two\nlines"); err != nil {
		fmt.Println("error:", err)
	}
	os.Stdout.Write(f.Bytes())
	// Output:
	// error: set motd: value contains a newline, which config.sh would read as a separate line; use a value without newlines
	// # admin network
	// admin_ip=10.99.99.42 # this node
	// admin_netmask=255.255.255.0
	// datacenter_location='Somewhere, CA'
}

func ExampleFile_Get() {
	f, _ := config.Parse([]byte("swap=0.25x\nswap=1x\nmail_to=\"$USER@example.com\"\n"))
	v, exact, ok := f.Get("swap")
	fmt.Println(v, exact, ok)
	v, exact, ok = f.Get("mail_to")
	fmt.Println(v, exact, ok)
	// Output:
	// 1x true true
	// $USER@example.com false true
}

func ExampleFile_DeleteFunc() {
	f, _ := config.Parse([]byte("admin_nic=00:0c:29:aa:bb:01\nadmin_ip=10.99.99.7\nadmin_netmask=255.255.255.0\nexternal_ip=192.168.128.5\nhostname=headnode0\n"))
	n, _ := f.DeleteFunc(func(k string) bool { return k != "admin_netmask" })
	fmt.Println(n, "keys removed")
	os.Stdout.Write(f.Bytes())
	// Output:
	// 4 keys removed
	// admin_netmask=255.255.255.0
}

func ExampleDiff() {
	a, _ := config.Parse([]byte("admin_ip=10.99.99.7\nroot_pw=old-secret\nhostname=headnode0\n"))
	b, _ := config.Parse([]byte("admin_ip=10.99.99.8\nroot_pw=new-secret\nntp_hosts=pool.ntp.org\n"))
	changes := config.Diff(a, b)
	_ = config.WriteText(os.Stdout, changes)
	_ = config.WriteJSON(os.Stdout, changes[:1])
	// Output:
	// ~ admin_ip: 10.99.99.7 -> 10.99.99.8
	// - hostname=headnode0
	// + ntp_hosts=pool.ntp.org
	// ~ root_pw: **redacted** -> **redacted**
	// {"type":"config-change","key":"admin_ip","change":"changed","old":"10.99.99.7","new":"10.99.99.8"}
}

func ExampleSecret() {
	s := config.NewSecret("planted-secret-xyz")
	b, _ := json.Marshal(struct{ Password config.Secret }{s})
	fmt.Printf("%v %q %#v %s\n", s, s, s, b)
	fmt.Println(len(s.Reveal()))
	// Output:
	// **redacted** "**redacted**" **redacted** {"Password":"**redacted**"}
	// 18
}

func ExampleQuote() {
	for _, v := range []string{"10.99.99.7", "Example Cloud, Inc.", "it's", ""} {
		q, _ := config.Quote(v)
		fmt.Printf("k=%s\n", q)
	}
	// Output:
	// k=10.99.99.7
	// k='Example Cloud, Inc.'
	// k='it'\''s'
	// k=
}
