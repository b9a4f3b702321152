package parttable

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/diskfs/go-diskfs/partition/gpt"
)

// TestDiskfsReadsGPT reads our table with go-diskfs, an independent reader.
func TestDiskfsReadsGPT(t *testing.T) {
	path, g, capacity := writeKeyImage(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	table, err := gpt.Read(f, 512, 512)
	if err != nil {
		t.Fatalf("gpt.Read: %v", err)
	}
	if table.RecoveredFromBackup {
		t.Errorf("go-diskfs recovered the table from the backup, want the primary")
	}
	if got, want := table.GUID, g.DiskGUID.String(); !strings.EqualFold(got, want) {
		t.Errorf("go-diskfs disk guid = %s, want %s", got, want)
	}
	// Not table.Verify: it assumes the entry array is exactly 9*128 bytes
	// long, where UEFI (and libefi, and sgdisk) reserve 16 KiB.
	if got := table.LastDataSector(); got != capacity-34 {
		t.Errorf("go-diskfs last data sector = %d, want %d", got, capacity-34)
	}
	l, _ := V2Layout(capacity)
	want := map[string]struct {
		typ string
		ext Extent
	}{
		"loader":   {TypeEFISystem, l.ESP},
		"boot":     {TypeSolarisBoot, l.Boot},
		"root":     {TypeSolarisRoot, l.Root},
		"reserved": {TypeSolarisReserved, l.Reserved},
	}
	seen := 0
	for _, p := range table.Partitions {
		if p.Type == gpt.Unused {
			continue
		}
		seen++
		w, ok := want[p.Name]
		if !ok {
			t.Errorf("go-diskfs found partition %d %q, want only loader, boot, root, reserved", p.Index, p.Name)
			continue
		}
		if !strings.EqualFold(string(p.Type), w.typ) || p.Start != w.ext.Start || p.End != w.ext.End() {
			t.Errorf("go-diskfs partition %q = %s [%d, %d], want %s [%d, %d]", p.Name, p.Type, p.Start, p.End, w.typ, w.ext.Start, w.ext.End())
		}
	}
	if seen != 4 {
		t.Errorf("go-diskfs found %d used partitions, want 4", seen)
	}
}

// TestSgdisk runs the operators' validator on our table.
func TestSgdisk(t *testing.T) {
	path, g, _ := writeKeyImage(t)
	out, err := exec.Command("sgdisk", "-v", path).CombinedOutput()
	if err != nil {
		t.Fatalf("sgdisk -v: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "No problems found") {
		t.Errorf("sgdisk -v output lacks %q:\n%s", "No problems found", out)
	}
	out, err = exec.Command("sgdisk", "-p", path).CombinedOutput()
	if err != nil {
		t.Fatalf("sgdisk -p: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Disk identifier (GUID): " + g.DiskGUID.String(),
		"Partition table holds up to 9 entries",
		"   1            2048          526335   256.0 MiB   EF00  loader",
		"   2          526336          528383   1024.0 KiB  BE00  boot",
		"   3          528384        15607807   7.2 GiB     BF00  root",
		"   9        15608583        15624966   8.0 MiB     BF07  reserved",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("sgdisk -p output lacks %q:\n%s", want, out)
		}
	}
}
