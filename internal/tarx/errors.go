package tarx

import (
	"errors"
	"fmt"
)

// The classes of refusal; every error Extract and Walk return for a bad
// archive wraps one of them, so callers can tell a hostile or broken
// archive from a full disk with errors.Is.
var (
	ErrUnsafe      = errors.New("unsafe entry")      // would write or point outside the tree
	ErrUnsupported = errors.New("unsupported entry") // device node, fifo, sparse file, ...
	ErrCorrupt     = errors.New("corrupt archive")   // bad or truncated gzip or tar stream
	ErrNoSpace     = errors.New("not enough space")  // the tree does not fit
)

// EntryError is a refusal of the whole archive because of one entry.
type EntryError struct {
	Name   string // the entry's name as the archive spells it
	Reason string // what is wrong with it
	Err    error  // ErrUnsafe or ErrUnsupported
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("entry %q: %s: %s", e.Name, e.Err, e.Reason)
}

func (e *EntryError) Unwrap() error { return e.Err }

func unsafeEntry(name, format string, args ...any) error {
	return &EntryError{Name: name, Reason: fmt.Sprintf(format, args...), Err: ErrUnsafe}
}

func unsupported(name, format string, args ...any) error {
	return &EntryError{Name: name, Reason: fmt.Sprintf(format, args...), Err: ErrUnsupported}
}

// corrupt wraps a read error from the gzip or tar layer.
func corrupt(where string, err error) error {
	return fmt.Errorf("%w: %s: %v", ErrCorrupt, where, err)
}
