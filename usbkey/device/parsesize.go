package device

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeSuffixes maps a lower-cased suffix to its multiplier. The single
// letters and the IEC names are powers of 1024, as dd and truncate read them;
// "KB".."TB" are powers of 1000, as SmartOS build_boot_image -p reads "4gb"
// (N * 1e9 bytes), so that a size copied from there means the same here.
var sizeSuffixes = map[string]int64{
	"":    1,
	"k":   1 << 10,
	"m":   1 << 20,
	"g":   1 << 30,
	"t":   1 << 40,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
	"tib": 1 << 40,
	"kb":  1e3,
	"mb":  1e6,
	"gb":  1e9,
	"tb":  1e12,
}

// ParseSize parses a size in bytes: a plain non-negative integer, or an
// integer followed by K, M, G, T or KiB, MiB, GiB, TiB (powers of 1024) or by
// KB, MB, GB, TB (powers of 1000). Suffixes are case-insensitive: "4G" and
// "4g" are 4 GiB, "4GB" and "4gb" are 4,000,000,000 bytes. Fractions, signs,
// spaces and sizes that overflow int64 are errors.
func ParseSize(s string) (int64, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	digits, suffix := s[:i], s[i:]
	if digits == "" {
		return 0, fmt.Errorf("size %q: want a number of bytes, optionally followed by K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)", s)
	}
	mult, ok := sizeSuffixes[strings.ToLower(suffix)]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown suffix %q: use K, M, G, T (powers of 1024) or KB, MB, GB, TB (powers of 1000)", s, suffix)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return n * mult, nil
}

// HumanSize prints n bytes in binary units with one decimal ("7.5 GiB"), as
// summaries and reports show sizes to operators.
func HumanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
