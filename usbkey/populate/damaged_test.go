package populate

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"cntools/usbkey/fat32"
	"cntools/usbkey/keytree"
)

// setFAT sets FAT entry c of the image's filesystem in both FATs.
func setFAT(t *testing.T, f *os.File, c, v uint32) {
	t.Helper()
	fs, err := fat32.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	for i := int64(0); i < 2; i++ {
		off := (32+i*int64(fs.Geometry().FATSectors))*fat32.SectorSize + 4*int64(c)
		if _, err := f.WriteAt(b[:], off); err != nil {
			t.Fatal(err)
		}
	}
}

func getFAT(t *testing.T, f *os.File, c uint32) uint32 {
	var b [4]byte
	if _, err := f.ReadAt(b[:], 32*fat32.SectorSize+4*int64(c)); err != nil {
		t.Fatal(err)
	}
	return binary.LittleEndian.Uint32(b[:])
}

func firstCluster(t *testing.T, f *os.File, p string) uint32 {
	t.Helper()
	fs, err := fat32.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := fs.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Cluster
}

// A marked key whose unchanged file has a chain that cannot be read is
// planned as a copy of that file, the marker untouched; the run recopies
// it and leaves a clean, marked key. So is an unmarked key whose directory
// reaches a free cluster, as a power cut leaves it.
func TestPopulateRepairsDamagedKey(t *testing.T) {
	t.Parallel()
	x := newCrashFixture(t)
	for _, tc := range []struct {
		name   string
		path   string // the damaged file or directory
		do     func(t *testing.T, f *os.File, c uint32)
		reason string // the reason the plan gives to copy path; "" when the plan mends it otherwise
		marked bool
	}{
		{"looping-chain", "scripts/s30.sh", func(t *testing.T, f *os.File, c uint32) {
			setFAT(t, f, getFAT(t, f, c), c)
		}, "damaged", true},
		{"self-loop", "tools.tar.gz", func(t *testing.T, f *os.File, c uint32) {
			setFAT(t, f, c, c)
		}, "damaged", true},
		{"out-of-range", "os/20260301T000000Z/platform/i86pc/amd64/boot_archive", func(t *testing.T, f *os.File, c uint32) {
			setFAT(t, f, c+1, 0x0FFFFFF0)
		}, "damaged", true},
		{"directory-reaches-free", "scripts", func(t *testing.T, f *os.File, c uint32) {
			setFAT(t, f, getFAT(t, f, c), 0)
		}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "key.img")
			writeSparse(t, img, x.base)
			f, err := os.OpenFile(img, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			tc.do(t, f, firstCluster(t, f, tc.path))
			if !tc.marked {
				fs, _ := fat32.Open(f)
				dst := keytree.FAT(fs, f, img)
				dst.Remove(MarkerFile)
				if err := dst.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if err := fsckFAT(t, img); err == nil {
				t.Fatalf("fsck.fat -n calls the damaged key clean")
			}

			fs, err := fat32.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			dst := keytree.FAT(fs, f, img)
			ctx := context.Background()
			p, err := MakePlan(ctx, keytree.Dir(x.src1), dst, Request{}, Options{})
			if err != nil {
				t.Fatalf("MakePlan: %v", err)
			}
			if len(p.Repairs) == 0 {
				t.Errorf("MakePlan found nothing to repair")
			}
			if tc.reason != "" && !slices.ContainsFunc(p.Copy, func(a Action) bool { return a.Path == tc.path && a.Reason == tc.reason }) {
				t.Errorf("plan copies %+v, want %s copied as %s", p.Copy, tc.path, tc.reason)
			}
			if marked, _ := keyState(t, img, x.src1); marked != tc.marked {
				t.Errorf("planning changed the marker: marked %v, want %v", marked, tc.marked)
			}
			if _, err := p.Apply(ctx); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if err := fsckFAT(t, img); err != nil {
				t.Errorf("after the run: %v", err)
			}
			if marked, same := keyState(t, img, x.src1); !marked || !same {
				t.Errorf("after the run: marked %v, content as the source: %v", marked, same)
			}
		})
	}
}
