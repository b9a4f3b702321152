package sshconn

// After a login, OpenSSH's sshd sends the key options of the matching
// authorized_keys line as debug messages, a packet each (auth.c
// auth_log_authopts, auth_debug_send), and its host keys (sshd.c
// notify_hostkeys), and it leaves Nagle's algorithm on for a session
// without a terminal (session.c do_exec_no_pty calls
// ssh_packet_set_interactive with interactive = display != NULL). The
// reply to the first channel open then waits behind an unacknowledged
// segment until this side's delayed ACK fires: 40 ms on Linux. Measured
// against OpenSSH 9.2 on the 2-core test machine, opening the first
// session after a login took 48 ms, and 7 ms with the ACK sent at once;
// a sync pays it once per target. Where the system lets a socket ask for
// it (Linux's TCP_QUICKACK), every read with data sends its ACK at once;
// elsewhere quickAck is nil and the delay stays.
