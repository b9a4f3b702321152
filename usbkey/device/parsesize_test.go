package device

import "testing"

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"512", 512},
		{"4K", 4 << 10},
		{"4k", 4 << 10},
		{"4KiB", 4 << 10},
		{"4M", 4 << 20},
		{"4mib", 4 << 20},
		{"4G", 4 << 30},
		{"4GiB", 4 << 30},
		{"2T", 2 << 40},
		{"4KB", 4000},
		{"4MB", 4000000},
		{"4GB", 4000000000},
		{"4gb", 4000000000},
		{"1TB", 1000000000000},
		{"8388607T", 8388607 << 40},
		{"9223372036854775807", 9223372036854775807},
	} {
		got, err := ParseSize(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v, want %d", c.in, got, err, c.want)
		}
	}
}

func TestParseSizeErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `size "": want a number of bytes, optionally followed by K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)`},
		{"-4G", `size "-4G": want a number of bytes, optionally followed by K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)`},
		{"+4G", `size "+4G": want a number of bytes, optionally followed by K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)`},
		{"G", `size "G": want a number of bytes, optionally followed by K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)`},
		{" 4G", `size " 4G": want a number of bytes, optionally followed by K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)`},
		{"1.5G", `size "1.5G": unknown suffix ".5G": use K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)`},
		{"4 G", `size "4 G": unknown suffix " G": use K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)`},
		{"4X", `size "4X": unknown suffix "X": use K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)`},
		{"4Gb ", `size "4Gb ": unknown suffix "Gb ": use K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)`},
		{"4P", `size "4P": unknown suffix "P": use K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)`},
		{"8388608T", `size "8388608T": too large`},
		{"9223372036854775808", `size "9223372036854775808": too large`},
	} {
		got, err := ParseSize(c.in)
		if err == nil || err.Error() != c.want {
			t.Errorf("ParseSize(%q) = %d, %v, want error %q", c.in, got, err, c.want)
		}
	}
}

func TestHumanSize(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{346046976, "330.0 MiB"},
		{4_000_000_000, "3.7 GiB"},
		{8_000_000_000, "7.5 GiB"},
		{1 << 40, "1.0 TiB"},
	} {
		if got := HumanSize(c.n); got != c.want {
			t.Errorf("HumanSize(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
