package parttable_test

import (
	"crypto/rand"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"cntools/usbkey/parttable"
)

func ExampleV2Layout() {
	l, err := parttable.V2Layout(8000000000 / parttable.SectorSize)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(l.PartitionMap())
	// Output:
	// loader 12 1048576 268435456
	// boot 1 269484032 1048576
	// root 2 270532608 7720665088
	// reserved 11 7991594496 8388608
}

func ExampleGPT_Write() {
	dir, err := os.MkdirTemp("", "parttable")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	f, err := os.Create(filepath.Join(dir, "key.img"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	const capacity = 4000000000 / parttable.SectorSize
	if err := f.Truncate(capacity * parttable.SectorSize); err != nil {
		log.Fatal(err)
	}
	l, err := parttable.V2Layout(capacity)
	if err != nil {
		log.Fatal(err)
	}
	if err := parttable.NewGPT(l, nil).Write(f, capacity); err != nil {
		log.Fatal(err)
	}

	g, err := parttable.ReadGPT(f, capacity)
	if err != nil {
		log.Fatal(err)
	}
	root := g.Entries[parttable.IndexRoot]
	fmt.Println(root.Name(), root.PartitionTypeGUID, root.StartingLBA)
	// Output:
	// root 6A85CF4D-1DD2-11B2-99A6-080020736631 528384
}

func ExampleKeyVersion() {
	pmbr := make([]byte, 512)
	pmbr[510], pmbr[511] = 0x55, 0xaa
	uuid, err := parttable.RandomUUID(rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	sector0, err := parttable.PatchMBR(pmbr, 600, 526336, uuid, 15625000)
	if err != nil {
		log.Fatal(err)
	}
	v, err := parttable.KeyVersion(sector0)
	fmt.Println(v, err)
	// Output:
	// 2 <nil>
}
