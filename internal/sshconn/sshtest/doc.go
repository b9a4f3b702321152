// Package sshtest owns running a real OpenSSH sshd on 127.0.0.1 for tests:
// its configuration, host key, a client key that may log in, and a
// known_hosts line for it, all under one directory, and its processes.
//
// It is a non-test package so testscripts can start servers too. It
// refuses to leave processes behind: Stop kills every per-connection
// child before the listener. It never touches the system's sshd, its
// configuration or its keys, and it does not fall back to an in-process
// server when sshd is missing: tests that need one fail.
package sshtest
