package shar

import (
	"bytes"
	"fmt"
)

// Encode uuencodes data as a file called name with mode 0600, as
// uuencode(1) and GNU shar write it: "begin", lines of up to 45 bytes,
// the "`" line, "end". Tests use it to build shars.
func Encode(name string, data []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "begin 600 %s\n", name)
	enc := func(v byte) byte {
		if v == 0 {
			return '`'
		}
		return v + ' '
	}
	for len(data) > 0 {
		n := min(45, len(data))
		chunk := data[:n]
		data = data[n:]
		b.WriteByte(enc(byte(n)))
		for i := 0; i < n; i += 3 {
			var t [3]byte
			copy(t[:], chunk[i:])
			b.WriteByte(enc(t[0] >> 2))
			b.WriteByte(enc((t[0]<<4 | t[1]>>4) & 0x3f))
			b.WriteByte(enc((t[1]<<2 | t[2]>>6) & 0x3f))
			b.WriteByte(enc(t[2] & 0x3f))
		}
		b.WriteByte('\n')
	}
	b.WriteString("`\nend\n")
	return b.Bytes()
}
