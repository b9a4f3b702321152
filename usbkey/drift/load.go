package drift

import (
	"context"
	"errors"
	"strings"
	"sync"

	"cntools/internal/sshconn"
)

// SourceKind says how a copy is read.
type SourceKind int

const (
	KeySource     SourceKind = iota + 1 // a device, an image or a mounted key directory
	DirSource                           // a directory that is not a key: /usbkey, a local standby copy
	StandbySource                       // a standby copy on a core CN, over SSH
)

// Source names one copy to read.
type Source struct {
	Name   string
	Kind   SourceKind
	Path   string         // KeySource, DirSource
	Target sshconn.Target // StandbySource
}

// LoadAll reads every source at once (a key, a ZFS dataset and CNs across
// the network are slow in different ways) and returns the copies in the
// order given. A source that fails leaves nil in its place and its error,
// joined with the others', in err; the others are still read.
func LoadAll(ctx context.Context, srcs []Source, o StandbyOptions) ([]*Copy, error) {
	copies := make([]*Copy, len(srcs))
	errs := make([]error, len(srcs))
	var wg sync.WaitGroup
	for i, s := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch s.Kind {
			case KeySource:
				copies[i], errs[i] = LoadKey(ctx, s.Name, s.Path, o.LoadOptions)
			case DirSource:
				copies[i], errs[i] = LoadDir(ctx, s.Name, s.Path, false, o.LoadOptions)
			case StandbySource:
				copies[i], errs[i] = LoadStandby(ctx, s.Target, o)
				if copies[i] != nil && s.Name != "" {
					copies[i].Name = s.Name
				}
			default:
				errs[i] = errors.New("BUG: drift: source " + s.Name + " of no kind")
			}
		}()
	}
	wg.Wait()
	var failed loadErrors
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) == 0 {
		return copies, nil
	}
	return copies, failed
}

// loadErrors are the copies that could not be read, on one line, since a
// tool prints its error as one "TOOL: error: ..." line.
type loadErrors []error

func (e loadErrors) Error() string {
	s := make([]string, len(e))
	for i, err := range e {
		s[i] = err.Error()
	}
	return strings.Join(s, "; ")
}

func (e loadErrors) Unwrap() []error { return e }
