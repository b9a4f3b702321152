// Package cmd holds the command of every cn-tools tool: its flags, help
// text and action. The mains under tools/ and the multi-call binary only
// pick one by name and hand it the process's streams.
//
// It owns turning flags into library calls and library results into
// output; it refuses to hold logic a library could, so that the wrapper
// (convert-to-headnode) calls the same libraries directly.
package cmd
