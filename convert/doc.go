// Package convert turns a set-up compute node into a headnode (RFD 67,
// case 3): it checks everything first (preflight), lays out the steps with
// the single-tool command that does each (plan), runs them, journaling each
// one before the next begins, and verifies what RFD 67 says a headnode is.
//
// It owns the order of the conversion, its journal and resume, and the
// final checklist; each step is a call into the library of the tool that
// does it alone (usbkey/populate, usbkey/key, gztools), so that a step run
// by hand with its tool is the same step.
//
// It refuses to start when any preflight check fails, to run a step before
// the ones it depends on are verified done, and to reboot the node unless
// asked to.
package convert
