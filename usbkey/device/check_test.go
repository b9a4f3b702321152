package device

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"cntools/internal/node"
)

const minKey = 4000000000

// A headnode-like node: a fixed system disk in zones, the key in use at
// /mnt/usbkey, and USB sticks that are spare, too small, in a pool or mounted.
var nodeFiles = map[string]string{
	node.DiskinfoFile: "SCSI\tc0t0d0\tINTEL\tSSDSC2KB960G8\t960197124096\tno\tyes\n" +
		"USB\tc1t0d0\tSanDisk\tCruzer\t4000000000\tyes\tno\n" +
		"USB\tc2t0d0\tSanDisk\tUltra\t16008609792\tyes\tno\n" +
		"USB\tc3t0d0\tGeneric\tFlash Disk\t1000000000\tyes\tno\n" +
		"USB\tc4t0d0\tKingston\tDataTraveler\t32000000000\tyes\tno\n" +
		"USB\tc5t0d0\tVerbatim\tStore\t8000000000\tyes\tno\n" +
		"USB\tc6t0d0\tSamsung\tBAR\t64000000000\tyes\tno\n",
	node.MnttabFile: "/devices/ramdisk:a\t/\tufs\trw,intr,largefiles,logging,noxattr,onerror=panic\t1705500000\n" +
		"zones/var\t/var\tzfs\trw,devices,setuid,exec,xattr,atime\t1705500010\n" +
		"/dev/dsk/c1t0d0s2\t/mnt/usbkey\tpcfs\trw,foldcase,hidden,clamptime,noatime\t1705500020\n" +
		"/dev/dsk/c5t0d0p1\t/mnt/stick\tpcfs\trw\t1705500030\n",
	node.ZpoolListFile: "zones\t888G\t1G\t887G\t-\t-\t0%\t0%\t1.00x\tONLINE\t-\n" +
		"\t/dev/dsk/c0t0d0\t888G\t1G\t887G\t-\t-\t0%\t0%\n" +
		"usbpool\t29G\t0\t29G\t-\t-\t0%\t0%\t1.00x\tONLINE\t-\n" +
		"\tmirror-0\t29G\t0\t29G\t-\t-\t0%\t0%\n" +
		"\t/dev/dsk/c4t0d0s0\t-\t-\t-\t-\t-\t-\t-\n" +
		"\t/dev/dsk/c9t0d0s0\t-\t-\t-\t-\t-\t-\t-\n" +
		"bootpool\t59G\t2G\t57G\t-\t-\t0%\t3%\t1.00x\tONLINE\t-\n" +
		"\t/dev/dsk/c6t0d0s1\t59G\t2G\t57G\t-\t-\t0%\t3%\n",
	node.BootParamsFile: "headnode=true\nconsole=ttyb\n",
}

// writeNode writes files over nodeFiles under a new root; an empty content
// leaves the file out.
func writeNode(t *testing.T, over map[string]string) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{}
	for k, v := range nodeFiles {
		files[k] = v
	}
	for k, v := range over {
		files[k] = v
	}
	for name, content := range files {
		if content == "" {
			continue
		}
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestCheckDevices(t *testing.T) {
	ctx := context.Background()
	facts := node.NewFacts(writeNode(t, nil))
	bootPoolFacts := node.NewFacts(writeNode(t, map[string]string{
		node.BootParamsFile: "headnode=true\ntriton_bootpool=bootpool\n",
	}))
	for _, c := range []struct {
		facts node.Facts
		path  string
		want  []Refusal
	}{
		{facts, "/dev/rdsk/c2t0d0p0", nil},
		{facts, "/dev/dsk/c2t0d0s2", nil},
		{facts, "/dev/rdsk/c0t0d0p0", []Refusal{
			{CodeNotRemovable, "disk c0t0d0 (INTEL SSDSC2KB960G8) is not removable"},
			{CodeZpool, "disk c0t0d0 is in imported zpool zones (/dev/dsk/c0t0d0)"},
		}},
		{facts, "/dev/rdsk/c3t0d0p0", []Refusal{
			{CodeTooSmall, "disk c3t0d0 has 1000000000 bytes, a key needs at least 4000000000"},
		}},
		{facts, "/dev/rdsk/c4t0d0p0", []Refusal{
			{CodeZpool, "disk c4t0d0 is in imported zpool usbpool (/dev/dsk/c4t0d0s0)"},
		}},
		{facts, "/dev/rdsk/c5t0d0p0", []Refusal{
			{CodeMounted, "disk c5t0d0 is mounted: /dev/dsk/c5t0d0p1 on /mnt/stick (pcfs)"},
		}},
		{facts, "/dev/rdsk/c1t0d0p0", []Refusal{
			{CodeMounted, "disk c1t0d0 is mounted: /dev/dsk/c1t0d0s2 on /mnt/usbkey (pcfs)"},
			{CodeBootDisk, "disk c1t0d0 is the boot disk: it holds the key mounted at /mnt/usbkey"},
		}},
		{facts, "/dev/rdsk/c9t0d0p0", []Refusal{
			{CodeUnknownDisk, "disk c9t0d0 is not listed by diskinfo"},
			{CodeZpool, "disk c9t0d0 is in imported zpool usbpool (/dev/dsk/c9t0d0s0)"},
		}},
		{facts, "/dev/lofi/1", []Refusal{
			{CodeUnknownDisk, "/dev/lofi/1 does not name a disk the illumos way (/dev/rdsk/cXtYdZp0)"},
		}},
		{facts, "/dev/rdsk/c6t0d0p0", []Refusal{
			{CodeZpool, "disk c6t0d0 is in imported zpool bootpool (/dev/dsk/c6t0d0s1)"},
		}},
		{bootPoolFacts, "/dev/rdsk/c6t0d0p0", []Refusal{
			{CodeZpool, "disk c6t0d0 is in imported zpool bootpool (/dev/dsk/c6t0d0s1)"},
			{CodeBootDisk, "disk c6t0d0 is the boot disk: it holds boot pool bootpool (bootparam triton_bootpool)"},
		}},
		{bootPoolFacts, "/dev/rdsk/c2t0d0p0", nil},
	} {
		got, err := Check(ctx, c.facts, c.path, 0, minKey)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Check(%s, 0, %d) = %v, %v, want %v", c.path, minKey, got, err, c.want)
		}
	}
}

// TestCheckImages checks that an image needs no node facts: the facts root
// is empty, so reading any of them would fail.
func TestCheckImages(t *testing.T) {
	ctx := context.Background()
	facts := node.NewFacts(t.TempDir())
	dir := t.TempDir()
	existing := filepath.Join(dir, "key.img")
	if err := os.WriteFile(existing, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "new.img")
	for _, c := range []struct {
		path string
		size int64
		want []Refusal
	}{
		{missing, 8 << 30, nil},
		{existing, minKey, nil},
		{missing, minKey - 1, []Refusal{{CodeTooSmall, "image " + missing + " has 3999999999 bytes, a key needs at least 4000000000"}}},
	} {
		got, err := Check(ctx, facts, c.path, c.size, minKey)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Check(%s, %d, %d) = %v, %v, want %v", c.path, c.size, minKey, got, err, c.want)
		}
	}
}

// TestCheckRefusesUnreadableFacts checks that a device is never called safe
// when a fact is missing or does not add up.
func TestCheckRefusesUnreadableFacts(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		missing string // fact file left out, or
		over    map[string]string
		want    string
	}{
		{missing: node.DiskinfoFile, want: "it holds the output of diskinfo -Hp"},
		{missing: node.MnttabFile, want: "it holds the mount table"},
		{missing: node.ZpoolListFile, want: "it holds the output of zpool list -H -v -P"},
		{missing: node.BootParamsFile, want: "it holds name=value lines"},
		{
			over: map[string]string{node.BootParamsFile: "triton_bootpool=gone\n"},
			want: "check /dev/rdsk/c2t0d0p0: boot pool gone (bootparam triton_bootpool) is not an imported zpool: cannot tell which disk the node boots from",
		},
		{
			over: map[string]string{node.MnttabFile: "/dev/dsk/c2t0d0p1 /mnt pcfs rw 0\n"},
			want: `check /dev/rdsk/c2t0d0p0: mounts: mnttab line 1: 1 fields, want 5`,
		},
	} {
		over := c.over
		if c.missing != "" {
			over = map[string]string{c.missing: ""}
		}
		root := writeNode(t, over)
		got, err := Check(ctx, node.NewFacts(root), "/dev/rdsk/c2t0d0p0", 0, minKey)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check(/dev/rdsk/c2t0d0p0) with %v%v = %v, %v, want error containing %q", c.missing, c.over, got, err, c.want)
		}
		if c.missing != "" && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Check(/dev/rdsk/c2t0d0p0) without %s = %v, want fs.ErrNotExist", c.missing, err)
		}
	}
}

func TestCheckPathKinds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	facts := node.NewFacts(writeNode(t, nil))
	// A directory or a FIFO is neither target, and is named for what it is.
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for p, what := range map[string]string{dir: "a directory", fifo: "a named pipe (FIFO)"} {
		want := "check " + p + ": it is " + what + ", neither an image file nor a disk device; name an image file or a disk's /dev/rdsk node"
		if got, err := Check(ctx, facts, p, 0, minKey); err == nil || err.Error() != want {
			t.Errorf("Check(%s) = %v, %v, want %q", p, got, err, want)
		}
	}
	// A device that is not a disk in the illumos naming is unknown, even
	// through a symlink outside /dev.
	link := filepath.Join(dir, "null")
	if err := os.Symlink("/dev/null", link); err != nil {
		t.Fatal(err)
	}
	wantR := []Refusal{{CodeUnknownDisk, link + " does not name a disk the illumos way (/dev/rdsk/cXtYdZp0)"}}
	if got, err := Check(ctx, facts, link, 0, minKey); err != nil || !reflect.DeepEqual(got, wantR) {
		t.Errorf("Check(%s) = %v, %v, want %v", link, got, err, wantR)
	}
}
