package keysync

import (
	"time"

	"log/slog"

	"cntools/internal/progress"
	"cntools/internal/sshconn"
	"cntools/usbkey/keycopy"
)

// Defaults for the zero values of Options.
const (
	DefaultJobs  = 4 // targets at once
	DefaultFiles = 8 // files in flight per target
)

// ManifestFile is the manifest a sync leaves in a target's directory,
// written last: what the target held when the sync finished. The next sync
// compares the target with it to find what changed there since.
const ManifestFile = keycopy.ManifestFile

// Options say what to sync and how.
type Options struct {
	// Source is the directory to copy from (the headnode's /usbkey).
	Source string
	// Paths narrows the sync to these slash-separated paths of the source
	// and what is under them (nil: the whole tree). The hooks use it.
	Paths []string
	// CachePath is the source's hash cache file; "" for none.
	CachePath string
	// Jobs bounds the targets synced at once, Files the files in flight
	// on one target.
	Jobs, Files int
	// Delete removes what the last sync put on a target (its manifest
	// lists it and the target still holds it so) and the source no longer
	// has, except config; never what the target got otherwise. It is
	// refused for a target without a manifest from an earlier sync and
	// for a source without config.
	Delete bool
	// Force overwrites conflicts, keeping the target's version beside it.
	Force bool
	// DryRun plans and reports, and writes nothing.
	DryRun bool
	// Verify forces the verification method: "" (the best the target
	// has), VerifyReceiver, VerifyOpenSSL, VerifySHA256Sum, VerifyDigest
	// or VerifyReadBack.
	Verify string
	// SSH says how to connect.
	SSH sshconn.Options
	// Log gets one line per file at debug level and per target at info.
	Log *slog.Logger
	// Progress counts the bytes sent to every target as they go, each
	// target a part of it named by its host (progress.Part); nil for none.
	Progress *progress.Meter
	// Now stamps conflict copies; time.Now when nil.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Jobs <= 0 {
		o.Jobs = DefaultJobs
	}
	if o.Files <= 0 {
		o.Files = DefaultFiles
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Result is what one target's sync did.
type Result struct {
	Type        string   `json:"type"` // "target"
	Target      string   `json:"target"`
	Sent        int      `json:"sent"`        // files written and symlinks made (with DryRun: to be)
	Bytes       int64    `json:"bytes"`       // file data written over SFTP (with DryRun: to be)
	MetaBytes   int64    `json:"meta_bytes"`  // the manifest written over SFTP
	Skipped     int      `json:"skipped"`     // already in step
	Conflicting []string `json:"conflicting"` // changed on the target, left alone
	Kept        []string `json:"kept"`        // with Force: conflict copies made
	Deleted     int      `json:"deleted"`
	Failed      []string `json:"failed"` // paths that could not be sent
	Verified    string   `json:"verified"`
	Error       string   `json:"error,omitempty"` // why the target failed as a whole
	Plan        []string `json:"plan,omitempty"`  // with DryRun: what would be done
	// WireSent and WireReceived are the bytes the target's SFTP session
	// and commands carried each way (sshconn.Client.Wire): the manifest,
	// listings and hashes as well as file data.
	WireSent     int64 `json:"wire_sent_bytes"`
	WireReceived int64 `json:"wire_received_bytes"`

	err error
}

// Err is why the target failed as a whole (could not connect, connection
// lost, ...), or nil.
func (r *Result) Err() error { return r.err }

// InStep reports whether the target now holds the source's content.
func (r *Result) InStep() bool {
	return r.err == nil && len(r.Conflicting) == 0 && len(r.Failed) == 0
}
