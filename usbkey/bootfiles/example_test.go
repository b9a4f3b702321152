package bootfiles_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"cntools/usbkey/bootfiles"
	"cntools/usbkey/bootfiles/bootfilestest"
	"cntools/usbkey/parttable"
)

func ExampleFromTarball() {
	dir, err := os.MkdirTemp("", "bootfiles")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	tgz := filepath.Join(dir, "boot-20260301T000000Z.tgz")
	if err := bootfilestest.WriteTarball(tgz); err != nil {
		log.Fatal(err)
	}

	s, err := bootfiles.FromTarball(tgz)
	if err != nil {
		log.Fatal(err)
	}
	l, err := parttable.V2Layout(8000000000 / parttable.SectorSize)
	if err != nil {
		log.Fatal(err)
	}
	stage2, err := bootfiles.PatchGPTZFSBoot(s.GPTZFSBoot, l.Root.Start)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Version, s.Stage2Sectors(), len(stage2))
	// Output:
	// 20260301T000000Z 600 1048576
}
