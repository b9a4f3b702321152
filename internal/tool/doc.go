// Package tool holds the conventions every cn-tools command shares, in one
// place: the common flags, the logger, the exit codes, how errors and JSON
// are printed, and the confirmation prompt.
//
// It owns the process edge: streams, flags and exit status. It refuses to
// let a library print, prompt or exit: commands get an *Env and return
// errors, and Run turns those into one line on stderr and an exit code.
package tool
