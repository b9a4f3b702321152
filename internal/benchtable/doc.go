// Package benchtable owns `make bench`'s side-by-side measurements: each
// row of issue 14's table runs our tool and its peer (rsync, mtools, tar,
// mkfs.vfat) as whole processes, alternately (A B A B …) on the same
// machine in the same run, and reports per side the median wall time, the
// CPU time and the peak resident memory, and per row the median of the
// per-pair ratios ours/peer with their spread (lowest to highest).
//
// It measures processes, not functions: what an operator waits for is the
// tool starting, reading its node, logging and exiting, and the peer pays
// the same. It refuses a run whose exit status or output is not what the
// row expects, so a broken tool can never look fast.
//
// The rows and their fixtures live in bench_test.go (`go test -bench`);
// this package holds what they share: Measure, Alternate, and the
// Markdown table the README's benchmark section is regenerated from.
package benchtable
