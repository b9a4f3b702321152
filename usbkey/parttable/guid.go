package parttable

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// GUID is a GUID as it sits on disk in a GPT: the first three fields
// little-endian, the last two big-endian (libefi's UUID_LE_CONVERT).
type GUID [16]byte

// Partition type GUIDs that libefi's conversion_array gives the v2 tags.
const (
	// TypeEFISystem is EFI_SYSTEM, for tag V_SYSTEM (the "loader" ESP).
	TypeEFISystem = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
	// TypeSolarisBoot is EFI_BOOT, for tag V_BOOT. The "boot" partition
	// holding gptzfsboot gets it, not the BIOS-boot GUID, because pmbr
	// loads stage2 by LBA and never looks at the type.
	TypeSolarisBoot = "6A82CB45-1DD2-11B2-99A6-080020736631"
	// TypeSolarisRoot is EFI_ROOT, for tag V_ROOT (the "root" pcfs).
	TypeSolarisRoot = "6A85CF4D-1DD2-11B2-99A6-080020736631"
	// TypeSolarisReserved is EFI_RESERVED, for tag V_RESERVED.
	TypeSolarisReserved = "6A945A3B-1DD2-11B2-99A6-080020736631"
)

// ParseGUID parses the canonical text form (8-4-4-4-12 hex digits, any case).
func ParseGUID(s string) (GUID, error) {
	var g GUID
	parts := strings.Split(s, "-")
	if len(s) != 36 || len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 ||
		len(parts[2]) != 4 || len(parts[3]) != 4 || len(parts[4]) != 12 {
		return g, fmt.Errorf("guid %q: want the form XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX", s)
	}
	var canon [16]byte
	if _, err := hex.Decode(canon[:], []byte(strings.Join(parts, ""))); err != nil {
		return g, fmt.Errorf("guid %q: %w", s, err)
	}
	return guidFromCanonical(canon), nil
}

// mustParseGUID is for the package's own constants only.
func mustParseGUID(s string) GUID {
	g, err := ParseGUID(s)
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return g
}

// guidFromCanonical converts RFC 4122 byte order (as uuid_generate returns
// it) to the on-disk mixed-endian order.
func guidFromCanonical(c [16]byte) GUID {
	var g GUID
	binary.LittleEndian.PutUint32(g[0:4], binary.BigEndian.Uint32(c[0:4]))
	binary.LittleEndian.PutUint16(g[4:6], binary.BigEndian.Uint16(c[4:6]))
	binary.LittleEndian.PutUint16(g[6:8], binary.BigEndian.Uint16(c[6:8]))
	copy(g[8:], c[8:])
	return g
}

// String returns the canonical upper-case text form, as sgdisk prints it.
func (g GUID) String() string {
	return fmt.Sprintf("%08X-%04X-%04X-%X-%X",
		binary.LittleEndian.Uint32(g[0:4]),
		binary.LittleEndian.Uint16(g[4:6]),
		binary.LittleEndian.Uint16(g[6:8]),
		g[8:10], g[10:16])
}

// IsZero reports whether g is the all-zero GUID of an unused entry.
func (g GUID) IsZero() bool { return g == GUID{} }

// RandomUUID returns a UUID as illumos uuid_generate lays it out
// (usr/src/lib/libuuid/common/uuid.c:391-424, uuid_generate_random):
// random bytes in RFC 4122 order, then time_hi_and_version |= 1<<14 and
// &= VER1_MASK (0xefff, uuid_misc.h:80), clock_seq_hi_and_reserved |= 0x80
// and node_addr[0] |= 0x80. That leaves bits RFC 4122 fixes random: the
// version nibble is one of 4, 6, C or E and the variant 10 or 11.
// format_image stores it raw at MBR offset 0x106 (STAGE1_STAGE2_UUID,
// smartos-live tools/format_image/format_image.c:84,215).
func RandomUUID(rand io.Reader) ([16]byte, error) {
	var u [16]byte
	if _, err := io.ReadFull(rand, u[:]); err != nil {
		return u, fmt.Errorf("generate uuid: %w", err)
	}
	u[6] = (u[6] | 0x40) & 0xef // time_hi_and_version: |= 1<<14, &= VER1_MASK
	u[8] |= 0x80                // clock_seq_hi_and_reserved
	u[10] |= 0x80               // node_addr[0]: "generated randomly"
	return u, nil
}

// randomGUID is a GUID as libefi writes a random one on x86: the bytes of
// uuid_generate unchanged. efi_alloc_and_init and efi_write pass the disk
// GUID through UUID_LE_CONVERT (libefi rdwr_efi.c:310-311, 1127), which on
// a little-endian host is a plain copy (uts/common/sys/uuid.h:86-92,
// byteorder.h:155-156), and bcopy each partition's (rdwr_efi.c:1170-1179);
// so unlike the type GUIDs, which start as host-order struct fields, they
// are never put in the mixed-endian order that GUID.String assumes.
func randomGUID(rand io.Reader) (GUID, error) {
	u, err := RandomUUID(rand)
	return GUID(u), err
}
