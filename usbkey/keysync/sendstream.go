package keysync

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"cntools/internal/node"
	"cntools/usbkey/manifest"
)

// receiveFiles sends es through the target's receiver (receive.go), and
// returns those it leaves for the SFTP path: all of them (less those whose
// source could not be read) when the receiver could not be started or
// answered no file, which then wrote nothing.
func (x *executor) receiveFiles(ctx context.Context, es []*manifest.Entry) (untried []*manifest.Entry) {
	s, err := x.r.client.Start(ctx, node.ToolsPATH+"exec usbkey-sync receive "+quote(x.r.root))
	if err != nil {
		x.o.Log.Debug("no receiver on the target: sending over SFTP", "target", x.res.Target, "err", err)
		x.res.Verified = x.method
		return es
	}
	// Answers come in the order files were sent; order holds the sent
	// ones not yet answered.
	order := make(chan *manifest.Entry, len(es))
	answered := 0
	var protoErr error
	refused := false // the receiver's first answer was an error
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(s.Stdout)
		sc.Buffer(make([]byte, 0, 64<<10), maxReceiveLine+4<<10)
		for sc.Scan() {
			verb, rest, _ := strings.Cut(sc.Text(), " ")
			if verb == "error" {
				why, _ := strconv.Unquote(rest)
				protoErr = fmt.Errorf("the receiver on the target stopped: %s", why)
				refused = answered == 0
				break
			}
			e, ok := <-order
			q, err := strconv.QuotedPrefix(rest)
			p, _ := strconv.Unquote(q)
			if !ok || err != nil || p != e.Path || verb != "ok" && verb != "fail" {
				protoErr = errors.New("the receiver on the target answered out of turn: sync again")
				if ok {
					x.failed(e.Path, protoErr)
				}
				break
			}
			answered++
			switch verb {
			case "ok":
				x.mu.Lock()
				x.res.Sent++
				x.mu.Unlock()
				x.o.Log.Debug("sent", "target", x.res.Target, "path", e.Path, "bytes", e.Size)
			default:
				why, _ := strconv.Unquote(strings.TrimPrefix(rest[len(q):], " "))
				x.failed(e.Path, fmt.Errorf("%s: %s", x.r.abs(e.Path), why))
			}
		}
		if err := sc.Err(); err != nil && protoErr == nil {
			protoErr = fmt.Errorf("reading the receiver's answers: %w", err)
		}
		io.Copy(io.Discard, s.Stdout)
	}()
	next, unread, streamed := x.sendStream(ctx, s.Stdin, es, order)
	s.Stdin.Close()
	close(order)
	<-read
	err = s.Wait()
	if answered == 0 && (refused || protoErr == nil && err != nil) && !x.r.lost(err) && !x.stopped(ctx) {
		// A toolkit there without a receiver, or one that refused the
		// stream: nothing was written.
		x.o.Log.Debug("no receiver on the target: sending over SFTP", "target", x.res.Target, "err", cmp.Or(protoErr, err))
		x.mu.Lock()
		x.res.Bytes -= streamed
		x.res.Verified = x.method
		x.mu.Unlock()
		for _, e := range es {
			if !unread[e] {
				untried = append(untried, e)
			}
		}
		return untried
	}
	why := cmp.Or(protoErr, err, errors.New("the receiver on the target did not answer"))
	for e := range order {
		x.failed(e.Path, why)
	}
	if !x.stopped(ctx) {
		for _, e := range es[next:] {
			x.failed(e.Path, why)
		}
	}
	return nil
}

// sendStream writes the files es to w, as the receiver reads them, each
// named on order once it is on its way. It stops at the first error
// writing (the connection or the receiver is gone) and returns the index
// of the first file it did not get to, the files whose source it could
// not read (failed), and the bytes it streamed.
func (x *executor) sendStream(ctx context.Context, w io.Writer, es []*manifest.Entry, order chan<- *manifest.Entry) (next int, unread map[*manifest.Entry]bool, streamed int64) {
	unread = map[*manifest.Entry]bool{}
	bw := bufio.NewWriterSize(w, 256<<10)
	if _, err := bw.WriteString(receiveHeader); err != nil {
		return 0, unread, 0
	}
	for ; next < len(es); next++ {
		e := es[next]
		if x.stopped(ctx) {
			break
		}
		in, err := openSource(x.o.Source, e.Path)
		if err != nil {
			unread[e] = true
			x.failed(e.Path, err)
			continue
		}
		order <- e
		bw.WriteString(receivedLine(e) + "\n")
		n, err := io.Copy(bw, counter{io.LimitReader(in, e.Size), new(int64), x.r.meter})
		in.Close()
		if err == nil && n < e.Size {
			// The source shrank since it was listed: the stream is
			// kept in step, and the hash fails the file.
			_, err = io.CopyN(bw, zeros{}, e.Size-n)
		}
		x.mu.Lock()
		x.res.Bytes += e.Size
		x.mu.Unlock()
		streamed += e.Size
		x.touch(e.Path)
		if err != nil {
			next++
			break
		}
	}
	bw.Flush()
	return next, unread, streamed
}

// zeros reads as zero bytes for ever.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
