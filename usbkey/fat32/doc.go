// Package fat32 reads and writes the FAT32 filesystems of a Triton USB key:
// the 256 MiB EFI system partition (label SYSTEM) and the root partition
// (label SMARTOSBOOT) that holds the key content.
//
// It owns the on-disk structures (boot sector, FSInfo, both FATs, directory
// entries with long names) and lays them out the way illumos mkfs_pcfs does
// (32 reserved sectors, two FATs, root directory at cluster 2, FSInfo in
// sector 1, backup boot sector in sector 6, hidden sectors 0).
//
// An FS is held in memory while it is changed: file data is streamed to
// contiguous clusters as it is added, and the FATs, FSInfo and directories
// are written once, by Commit. Nothing is written before Commit except the
// data clusters of new files, which are free space until Commit links them,
// and Commit orders its writes, with a flush (FS.Sync) between them, so
// that a kill or a power cut anywhere leaves every committed file whole
// and at worst lost clusters or FAT copies that differ. StartCommit and
// FinishCommit are the same commit in two halves, for a caller whose
// device flushes in the background: the flush between them is the
// caller's to wait for, and files may be written meanwhile.
//
// It also owns checking such a volume: Check is a read-only fsck of the
// filesystem (looping chains, directory loops, cross-links, chains that
// reach free, bad or out-of-range clusters, lost clusters, FAT copies that
// differ, sizes that do not match chains, wrong "." and ".."), and Repair
// mends what Check finds as fsck.fat -a would, for Commit to write.
//
// It refuses: FAT12/FAT16 volumes, sector sizes other than 512, files of
// 4 GiB or more, names that pcfs cannot hold, and two names in one directory
// that differ only in case (pcfs folds case).
package fat32
