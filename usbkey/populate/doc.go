// Package populate fills a headnode USB key, or a directory standing for
// one, with the headnode's key content from a source: a usbkey copy or
// standby copy, a usbkey-base tarball, or a standby copy on another node.
//
// It owns what goes on a headnode key (the set in RFD 67's "headnode USB
// key image"), the plan of what to copy (only what differs), the FAT32
// limits checked before anything is written, the copy with read-back
// verification, and the order that keeps an interrupted run safe: the
// .joyliveusb marker is removed first and written last, so a key whose
// content is incomplete is never taken for a good one. On a key, the plan
// reads every chain and repairs what an interrupted run or a power cut
// left (lost clusters, FAT copies that differ, directories reaching free
// clusters), copying again every file that lost content; the marker is
// written only once fat32's Check calls the filesystem clean.
//
// usbkey-populate is a Request: NewPlan opens its source and target through
// keytree (any location keytree.ParseLocation reads), lays this node's
// identity over the config (--node-config) and a loader.conf that boots it
// as headnode (--headnode), and plans; Apply copies. The conversion runs
// the same requests, so the commands it prints are what it does.
//
// It refuses: a device that is mounted, in a zpool or the boot disk
// (unless forced: ErrUnsafeTarget), files of 4 GiB or more, names pcfs
// cannot hold, two names that differ only in case, a copy that would not
// fit (counted in clusters), a source without the content a headnode boots
// from, and a platform selection that leaves out the platform the key
// boots.
package populate
