package sshconn

import (
	"github.com/pkg/sftp"
)

// openSSHMaxData is the largest read or write OpenSSH's sftp-server takes:
// its 256 KiB message limit less 1024 bytes of header room, the value it
// reports in limits@openssh.com.
const openSSHMaxData = 256*1024 - 1024

// SFTP opens an SFTP session; the caller closes it. Wire counts its bytes.
//
// Concurrent writes are on because without them an upload has one 32 KiB
// request in flight: 10× slower than scp at 20 ms RTT (go-deps.md §3.2).
// Their cost is that a failed upload can leave holes, so writers must
// truncate or remove the temporary file on error, which the house rule of
// writing to a temporary name already does. Concurrent reads are the
// default and are kept.
//
// Packets grow to openSSHMaxData only when the server advertises
// limits@openssh.com (OpenSSH 8.6 and later), because a server with a
// smaller limit rejects larger requests and pkg/sftp cannot ask for the
// limit before the session exists; the probe session costs one channel
// open. The gain is at distance: 32 MiB at 20 ms RTT took 2.01 s
// against 2.56 s with 32 KiB packets (go-deps.md §3.2). On loopback it is
// within noise: BenchmarkUpload, 64 MiB to this package's sshd on two
// shared cores, gave 199-209 MB/s for 32 KiB and 204-225 MB/s for 255 KiB.
func (c *Client) SFTP() (*sftp.Client, error) {
	opts := []sftp.ClientOption{sftp.UseConcurrentWrites(true), sftp.UseConcurrentReads(true)}
	probe, err := c.newSFTP(opts...)
	if err != nil {
		return nil, c.wrap("open sftp", err)
	}
	if _, ok := probe.HasExtension("limits@openssh.com"); !ok {
		return probe, nil
	}
	probe.Close()
	s, err := c.newSFTP(append(opts, sftp.MaxPacketUnchecked(openSSHMaxData))...)
	if err != nil {
		return nil, c.wrap("open sftp", err)
	}
	return s, nil
}

// newSFTP opens an SFTP session whose bytes Wire counts.
func (c *Client) newSFTP(opts ...sftp.ClientOption) (*sftp.Client, error) {
	r, w, err := c.sftpSession()
	if err != nil {
		return nil, err
	}
	return sftp.NewClientPipe(r, w, opts...)
}
