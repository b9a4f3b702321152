package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// Facts answers questions about a node. Every method either returns the whole
// fact or an error; none returns a partial or empty answer on failure.
type Facts interface {
	// Sysinfo returns the parsed output of sysinfo.
	Sysinfo(ctx context.Context) (Sysinfo, error)
	// Disks returns the disks diskinfo -Hp lists.
	Disks(ctx context.Context) ([]Disk, error)
	// Mounts returns the entries of /etc/mnttab.
	Mounts(ctx context.Context) ([]Mount, error)
	// Pools returns the imported pools with their leaf device paths.
	Pools(ctx context.Context) ([]Pool, error)
	// BootParams returns the name=value pairs bootparams prints.
	BootParams(ctx context.Context) (map[string]string, error)
	// Zones returns the non-global zones of /etc/zones/index.
	Zones(ctx context.Context) ([]Zone, error)
	// PoolProps returns each imported pool's boot properties.
	PoolProps(ctx context.Context) ([]PoolProps, error)
	// BootNetworking returns the networking.json the node booted with
	// (sdc-booter's boot module, at /system/boot), nil when it has none.
	BootNetworking(ctx context.Context) ([]byte, error)
}

// Files under a root that stand in for the live node, relative to the root.
// They hold exactly what the live command prints or the live file contains.
const (
	SysinfoFile    = "tmp/.sysinfo.json"            // sysinfo's own cache
	BootParamsFile = "tmp/bootparams"               // bootparams cats it verbatim when present
	MnttabFile     = "etc/mnttab"                   // the mount table itself
	DiskinfoFile   = "var/run/nodefacts/diskinfo"   // output of diskinfo -Hp
	ZpoolListFile  = "var/run/nodefacts/zpool-list" // output of zpool list -H -v -P
	// BootNetworkingFile is where net-boot-config finds the file booter
	// gave the node (smartos-live src/node_modules/net-boot-config.js:24).
	BootNetworkingFile = "system/boot/networking.json"
)

// fact names one fact and both places it can come from.
type fact struct {
	name string   // what the error messages call it
	file string   // under a root; on the live node, read directly when cmd is nil
	cmd  []string // the live command that prints it
}

var (
	factSysinfo    = fact{"sysinfo", SysinfoFile, []string{"/usr/bin/sysinfo"}}
	factDisks      = fact{"disks", DiskinfoFile, []string{"/usr/bin/diskinfo", "-Hp"}}
	factMounts     = fact{"mounts", MnttabFile, nil}
	factPools      = fact{"zpools", ZpoolListFile, []string{"/usr/sbin/zpool", "list", "-H", "-v", "-P"}}
	factBootParams = fact{"boot parameters", BootParamsFile, []string{"/usr/bin/bootparams"}}
	factZones      = fact{"zones", ZonesIndexFile, nil}
	factNetworking = fact{"boot networking.json", BootNetworkingFile, nil}
)

// source returns the raw bytes of a fact.
type source func(ctx context.Context, f fact) ([]byte, error)

// NewFacts returns the facts source for root. Root "" or "/" means the live node,
// which needs illumos: elsewhere every method returns an error saying so.
// Any other root reads the *File files under it.
func NewFacts(root string) Facts {
	if root == "" || filepath.Clean(root) == "/" {
		return reader{read: readLive}
	}
	return reader{read: fileSource(root)}
}

// reader parses whatever its source returns, so the live node and a test
// root go through the same parsers.
type reader struct {
	read source
}

// readParsed reads fact f and parses it; either failure names the fact.
func readParsed[T any](ctx context.Context, r reader, f fact, parse func([]byte) (T, error)) (T, error) {
	var zero T
	b, err := r.read(ctx, f)
	if err != nil {
		return zero, err
	}
	v, err := parse(b)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", f.name, err)
	}
	return v, nil
}

func (r reader) Sysinfo(ctx context.Context) (Sysinfo, error) {
	return readParsed(ctx, r, factSysinfo, ParseSysinfo)
}

func (r reader) Disks(ctx context.Context) ([]Disk, error) {
	return readParsed(ctx, r, factDisks, ParseDiskinfo)
}

func (r reader) Mounts(ctx context.Context) ([]Mount, error) {
	return readParsed(ctx, r, factMounts, ParseMnttab)
}

func (r reader) Pools(ctx context.Context) ([]Pool, error) {
	return readParsed(ctx, r, factPools, ParseZpoolList)
}

func (r reader) PoolProps(ctx context.Context) ([]PoolProps, error) {
	return readParsed(ctx, r, factPoolProps, ParsePoolProps)
}

func (r reader) BootParams(ctx context.Context) (map[string]string, error) {
	return readParsed(ctx, r, factBootParams, ParseBootParams)
}

func (r reader) BootNetworking(ctx context.Context) ([]byte, error) {
	b, err := r.read(ctx, factNetworking)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // booted without one: the usual case
	}
	return b, err
}
