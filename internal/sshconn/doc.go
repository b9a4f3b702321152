// Package sshconn owns connecting to another node over SSH the way OpenSSH
// would accept it, and opening SFTP or running a command on that connection.
// usbkey-populate --from ssh://… and usbkey-sync use it to reach core CNs.
//
// A connection is checked against known_hosts files (hashed entries too) and
// negotiates only the host key algorithms those files hold for the host, so
// a server with several host keys is accepted as OpenSSH accepts it. It
// authenticates with unencrypted identity files and ssh-agent. Connecting,
// the handshake and every later read or write run under a deadline, and
// keepalive@openssh.com requests close a connection whose peer stopped
// answering, so a dead node makes an operation fail instead of hang.
//
// Unless told otherwise it reads, as ssh(1) does, ~/.ssh's identities and
// known_hosts, but first the ones that survive a reboot of a SmartOS global
// zone, whose /root is the ramdisk: PersistentIdentity and
// PersistentKnownHosts under /opt (zones/opt), resolved through
// Options.NodePath under a tool's --root. DefaultIdentityFiles and
// DefaultKnownHosts are that list, in one place.
//
// It refuses a host that is not in known_hosts and a host whose key changed:
// the error gives the SHA256 fingerprint and the exact known_hosts line, to
// add after checking the fingerprint out of band. There is no option to skip
// the check, and Dial never trusts on first use; adding the line is the
// operator's decision. ScanHostKey fetches a key unchecked, for a caller
// that records it only on the operator's explicit request and shows its
// fingerprint. It refuses encrypted identity files (it never prompts: load the
// key into ssh-agent instead), a private key its group or others can read
// (ssh(1)'s UNPROTECTED PRIVATE KEY FILE; a default one is skipped with a
// warning while another key works), passwords, and ssh_config: the caller
// passes user, port and identities. An ssh-agent that cannot be reached
// (a stale SSH_AUTH_SOCK) is a warning when identity files are at hand.
package sshconn
