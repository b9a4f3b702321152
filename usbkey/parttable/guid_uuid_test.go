package parttable

import (
	"math/rand"
	"testing"
)

// TestRandomUUIDIsIllumos draws UUIDs and checks that the bits RFC 4122
// would fix are the ones illumos uuid_generate_random sets and leaves
// random (libuuid uuid.c:403-422): the version nibble takes all of 4, 6, C
// and E, the variant both 10 and 11, and node_addr[0] always has 0x80.
func TestRandomUUIDIsIllumos(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	versions, variants := map[byte]bool{}, map[byte]bool{}
	for i := 0; i < 2000; i++ {
		u, err := RandomUUID(r)
		if err != nil {
			t.Fatal(err)
		}
		versions[u[6]>>4] = true
		variants[u[8]>>6] = true
		if u[10]&0x80 == 0 {
			t.Fatalf("RandomUUID % x: node_addr[0] lacks 0x80", u)
		}
		if g, _ := randomGUID(r); g[6]&0x50 != 0x40 {
			t.Fatalf("randomGUID %x: version bits not where libefi leaves them (raw, byte 6)", g)
		}
	}
	if len(versions) != 4 || !versions[0x4] || !versions[0x6] || !versions[0xC] || !versions[0xE] {
		t.Errorf("version nibbles seen %v, uuid_generate gives 4, 6, C and E", versions)
	}
	if len(variants) != 2 || !variants[2] || !variants[3] {
		t.Errorf("variant bits seen %v, uuid_generate gives 10 and 11", variants)
	}
}
