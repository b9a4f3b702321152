package sshconn_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/pkg/sftp"

	"cntools/internal/sshconn"
)

// BenchmarkUpload compares SFTP packet sizes on loopback against a real
// sshd, for the choice documented on Client.SFTP. Run with
// go test -run '^$' -bench Upload ./internal/sshconn/
func BenchmarkUpload(b *testing.B) {
	const size = 64 << 20
	for _, bc := range []struct {
		name string
		opts []sftp.ClientOption
	}{
		{"sequential-32k", nil},
		{"concurrent-32k", []sftp.ClientOption{sftp.UseConcurrentWrites(true)}},
		{"concurrent-255k", []sftp.ClientOption{sftp.UseConcurrentWrites(true), sftp.MaxPacketUnchecked(256*1024 - 1024)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := start(b)
			c, err := sshconn.Dial(context.Background(), target(s), options(s))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			sc, err := sftp.NewClient(c.SSH, bc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer sc.Close()
			dst := filepath.Join(b.TempDir(), "up")
			b.SetBytes(size)
			for b.Loop() {
				f, err := sc.Create(dst)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.ReadFrom(io.LimitReader(zeros{}, size)); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
