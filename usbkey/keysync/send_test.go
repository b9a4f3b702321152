package keysync

import (
	"context"
	"errors"
	"testing"
)

// cleanup runs while writeGroup's workers may stop the target; run with
// -race.
func TestCleanupAbortRace(t *testing.T) {
	s := startSSHD(t)
	r, err := dialRemote(context.Background(), targetOf(s, t.TempDir()), sshOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.need(); err != nil {
		t.Fatal(err)
	}
	x := &executor{r: r}
	done := make(chan struct{})
	go func() {
		defer close(done)
		x.mu.Lock()
		x.abort = errors.New("connection lost")
		x.mu.Unlock()
	}()
	x.cleanup([]string{".a.cntools-tmp-000000000000", ".b.cntools-tmp-000000000000"})
	<-done
}
