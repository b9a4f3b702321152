package key

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"cntools/usbkey/bootfiles"
	"cntools/usbkey/bootfiles/bootfilestest"
	"cntools/usbkey/parttable"
)

const benchSize = 4 << 30 // a 4 GiB sparse image

// BenchmarkFormatVsPeers formats a 4 GiB sparse image with Format, and then
// lays out the same thing with the peer tools (sgdisk for the GPT,
// mkfs.vfat for both filesystems, dd for gptzfsboot, mcopy for the loader
// files), on the same machine in the same run. It reports the ratio
// ours/peers: below 1 is faster. Goal: no slower than the peers.
func BenchmarkFormatVsPeers(b *testing.B) {
	dir := b.TempDir()
	bootDir := filepath.Join(dir, "boot")
	if err := bootfilestest.WriteDir(bootDir); err != nil {
		b.Fatal(err)
	}
	set, err := bootfiles.FromDir(bootDir)
	if err != nil {
		b.Fatal(err)
	}
	l, err := parttable.V2Layout(benchSize / 512)
	if err != nil {
		b.Fatal(err)
	}
	var ours, peers time.Duration
	for i := 0; i < b.N; i++ {
		img := filepath.Join(dir, "ours.img")
		os.Remove(img)
		start := time.Now()
		f, err := os.Create(img)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Truncate(benchSize); err != nil {
			b.Fatal(err)
		}
		if _, err := Format(f, benchSize, FormatOptions{Boot: set}); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		ours += time.Since(start)

		peer := filepath.Join(dir, "peer.img")
		os.Remove(peer)
		start = time.Now()
		peerFormat(b, peer, bootDir, l)
		peers += time.Since(start)
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "ours-ns/op")
	b.ReportMetric(float64(peers.Nanoseconds())/float64(b.N), "peers-ns/op")
	b.ReportMetric(float64(ours)/float64(peers), "ratio")
	b.Logf("format 4 GiB image: cntools %v, sgdisk+mkfs.vfat+dd+mcopy %v, ratio %.2fx", ours/time.Duration(b.N), peers/time.Duration(b.N), float64(ours)/float64(peers))
}

func peerFormat(b *testing.B, img, bootDir string, l parttable.Layout) {
	b.Helper()
	run := func(name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	sec := func(n uint64) string { return strconv.FormatUint(n, 10) }
	run("truncate", "-s", sec(benchSize), img)
	run("sgdisk", "-a", "1",
		"-n", "1:"+sec(l.ESP.Start)+":"+sec(l.ESP.End()), "-t", "1:EF00", "-c", "1:loader",
		"-n", "2:"+sec(l.Boot.Start)+":"+sec(l.Boot.End()), "-t", "2:BE00", "-c", "2:boot",
		"-n", "3:"+sec(l.Root.Start)+":"+sec(l.Root.End()), "-t", "3:BF00", "-c", "3:root",
		"-n", "9:"+sec(l.Reserved.Start)+":"+sec(l.Reserved.End()), "-t", "9:BF07", "-c", "9:reserved",
		img)
	run("mkfs.vfat", "-F", "32", "-s", "1", "-n", "SYSTEM", "--offset", sec(l.ESP.Start), img, sec(l.ESP.Size/2))
	run("mkfs.vfat", "-F", "32", "-s", "8", "-n", "SMARTOSBOOT", "--offset", sec(l.Root.Start), img, sec(l.Root.Size/2))
	run("dd", "if="+filepath.Join(bootDir, "boot/gptzfsboot"), "of="+img, "bs=512", "seek="+sec(l.Boot.Start), "conv=notrunc", "status=none")
	esp := img + "@@" + strconv.FormatUint(l.ESP.Start*512, 10)
	root := img + "@@" + strconv.FormatUint(l.Root.Start*512, 10)
	run("mmd", "-i", esp, "::/efi", "::/efi/boot")
	run("mcopy", "-i", esp, filepath.Join(bootDir, "boot/loader64.efi"), "::/efi/boot/bootx64.efi")
	run("mcopy", "-s", "-i", root, filepath.Join(bootDir, "boot"), filepath.Join(bootDir, "etc"), "::/")
	run("sync", img)
}
