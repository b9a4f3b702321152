package convert

import (
	"context"
	"fmt"
	"os"
	"strings"

	"cntools/internal/node"
	"cntools/usbkey/device"
	"cntools/usbkey/key"
	"cntools/usbkey/populate"
)

// fitsKey checks, before anything is wiped, that the key's root
// filesystem as usbkey-format lays it out holds need bytes.
func fitsKey(ctx context.Context, o *Options, k string, sel *populate.Selection) (int64, error) {
	size, err := keySize(ctx, o, k)
	if err != nil {
		return 0, err
	}
	free, unit, err := key.RootCapacity(size)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", k, err)
	}
	need := sel.Need(unit)
	if need > free {
		return need, fmt.Errorf("the key content needs %d bytes in %d-byte clusters, %s holds %d: use a larger key, or carry fewer platforms with --platforms (the one it boots is required)", need, unit, k, free)
	}
	return need, nil
}

// keySize is a disk's size from the node's facts, an image's from the file.
func keySize(ctx context.Context, o *Options, k string) (int64, error) {
	if name, isDisk := device.DiskName(k); isDisk {
		disks, err := o.Node.Facts.Disks(ctx)
		if err != nil {
			return 0, err
		}
		for _, d := range disks {
			if d.Name == name {
				return d.Size, nil
			}
		}
		return 0, fmt.Errorf("%s is not a disk diskinfo lists", k)
	}
	fi, err := os.Stat(o.Node.Path(k))
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// fitsPool checks the boot pool's free space.
func fitsPool(o *Options, sel *populate.Selection) (int64, error) {
	dir := o.Node.Path("/" + o.BootPool)
	free, _, err := node.FreeSpace(dir)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", dir, err)
	}
	need := sel.Need(4096)
	if need > free {
		return need, fmt.Errorf("the key content needs %d bytes, pool %s has %d free: free some space, or carry fewer platforms with --platforms", need, o.BootPool, free)
	}
	return need, nil
}

// rebootHazards reports what could make the reboot land somewhere other
// than the new key: another disk holding a Triton key (a marked one boots
// the headnode it belongs to), and pools the firmware could boot instead.
func rebootHazards(ctx context.Context, o *Options, p *Preflight) {
	disks, err := o.Node.Facts.Disks(ctx)
	if err != nil {
		p.add("no other Triton key", err, "")
		return
	}
	var others []string
	chosen, _ := device.DiskName(p.Key)
	for _, d := range disks {
		if d.RawPath() == p.Key || d.Name == chosen {
			continue
		}
		has, err := key.ExistingKey(o.Node, d.RawPath())
		if err != nil {
			p.add("no other Triton key", fmt.Errorf("%s: %w", d.RawPath(), err), "")
			return
		}
		if has != nil {
			others = append(others, has.Reason)
		}
	}
	switch {
	case len(others) == 0:
		p.add("no other Triton key", nil, "no other disk holds one")
	case o.Force:
		p.warn("no other Triton key", strings.Join(others, "; ")+": --force given; the firmware must boot the new key, not these")
	default:
		p.add("no other Triton key", fmt.Errorf("%s: the firmware could boot it instead of the new key, and a marked key boots the headnode it belongs to; unplug it, or pass --force", strings.Join(others, "; ")), "")
	}
	pools, err := o.Node.Facts.PoolProps(ctx)
	if err != nil {
		p.add("boot pools", err, "")
		return
	}
	for _, pp := range pools {
		if pp.Bootfs != "" && pp.Name != o.BootPool {
			p.warn("boot pools", fmt.Sprintf("pool %s boots %s (zpool get bootfs): put the key before this pool's disks in the firmware's boot order, or the node boots from it again", pp.Name, pp.Bootfs))
		}
	}
}

// checkBootPool: the pool is imported and mounted, was made bootable
// (zpool create -B: installboot needs its boot partition), and does not
// carry piadm's CN iPXE layout, which has no .joyliveusb and would not
// boot a headnode (smartos-live src/piadm.sh bringup_CN 1210-1285,
// src/lib/sdc/usb-key.sh 87-90), unless forced.
func checkBootPool(ctx context.Context, o *Options) error {
	pools, err := o.Node.Facts.Pools(ctx)
	if err != nil {
		return err
	}
	imported := false
	for _, p := range pools {
		imported = imported || p.Name == o.BootPool
	}
	if !imported {
		return fmt.Errorf("no imported pool %s: pass --bootpool with a pool from zpool list", o.BootPool)
	}
	if fi, err := os.Stat(o.Node.Path("/" + o.BootPool)); err != nil || !fi.IsDir() {
		return fmt.Errorf("pool %s is imported but /%s is not mounted", o.BootPool, o.BootPool)
	}
	props, err := o.Node.Facts.PoolProps(ctx)
	if err != nil {
		return err
	}
	for _, pp := range props {
		if pp.Name == o.BootPool && !pp.Bootable {
			return fmt.Errorf("pool %s has no boot partition (it was not created with zpool create -B), so installboot cannot make it boot: use a USB key (--key)", o.BootPool)
		}
	}
	boot := o.Node.Path("/" + o.BootPool + "/boot")
	if t, err := os.Readlink(boot + "/platform"); err == nil && strings.HasPrefix(t, "platform-ipxe") && !o.Force {
		return fmt.Errorf("/%s/boot holds piadm's iPXE layout for a CN (platform -> %s): a headnode cannot boot from it; remove it with piadm bootable -d, or pass --force to replace it", o.BootPool, t)
	}
	return nil
}
