package fat32

import "fmt"

// Geometry is the shape of a FAT32 volume, derived from its size alone.
type Geometry struct {
	Sectors     uint64 // sectors in the volume
	SecPerClus  uint32 // sectors per cluster
	FATSectors  uint32 // sectors per FAT
	DataStart   uint64 // first sector of cluster 2
	Clusters    uint32 // data clusters (numbered 2..Clusters+1)
	ClusterSize int64  // bytes per cluster
}

// minClusters is the smallest cluster count that makes a volume FAT32
// rather than FAT16 (Microsoft's FAT specification).
const minClusters = 65525

// maxClusters keeps every cluster number within the 28 bits a FAT32 entry
// holds, below the reserved and end-of-chain values.
const maxClusters = 0x0FFFFFF5 - 2

// fat32SuggestedClusters is mkfs_pcfs's FAT32_SUGGESTED_NCLUST
// (illumos usr/src/cmd/fs.d/pcfs/mkfs/mkfs.c:1299).
const fat32SuggestedClusters = 0x400000

// sectorsPerCluster is mkfs_pcfs's compute_cluster_size for FAT32
// (mkfs.c:1341-1344): the smallest power of two from 1 to 64 with
// volsize < spc * FAT32_SUGGESTED_NCLUST, and 128 when none is, because the
// loop runs on past 64. volsize is the volume less its reserved sectors
// (mkfs.c:1305). It is not fatgen103's table: an 8e9 Triton key's root gets
// 4 sectors a cluster, not 8.
func sectorsPerCluster(volsize uint64) uint32 {
	spc := uint64(1)
	for ; spc <= 64; spc *= 2 {
		if volsize < spc*fat32SuggestedClusters {
			break
		}
	}
	return uint32(spc)
}

// NewGeometry computes the layout mkfs_pcfs gives a FAT32 volume of the
// given number of sectors.
func NewGeometry(sectors uint64) (Geometry, error) {
	if sectors > 0xFFFFFFFF {
		return Geometry{}, fmt.Errorf("fat32: %d sectors: over the 2 TiB a FAT32 volume can hold", sectors)
	}
	if sectors <= 2*reservedSectors {
		return Geometry{}, fmt.Errorf("fat32: %d sectors: too small for a FAT32 volume", sectors)
	}
	volsize := sectors - reservedSectors
	spc := sectorsPerCluster(volsize)
	// mkfs_pcfs sizes the FAT with Microsoft's formula, but from
	// tmpval1 = volsize - resv (mkfs.c:1464), so the reserved sectors are
	// taken off twice; its FAT can come out a sector smaller than
	// fatgen103's. It still covers every cluster on any volume big enough
	// for FAT32 (the clusters cap below never bites on what mkfs makes).
	tmp1 := volsize - reservedSectors
	tmp2 := (256*uint64(spc) + numFATs) / 2
	fatsz := (tmp1 + tmp2 - 1) / tmp2
	data := reservedSectors + numFATs*fatsz
	if data >= sectors {
		return Geometry{}, fmt.Errorf("fat32: %d sectors: too small for a FAT32 volume", sectors)
	}
	clusters := (sectors - data) / uint64(spc)
	if fits := fatsz*SectorSize/4 - 2; clusters > fits {
		clusters = fits
	}
	if clusters < minClusters {
		return Geometry{}, fmt.Errorf("fat32: %d sectors give %d clusters: a FAT32 volume needs at least %d; use a larger partition", sectors, clusters, minClusters)
	}
	if clusters > maxClusters {
		return Geometry{}, fmt.Errorf("fat32: %d sectors give %d clusters: over the FAT32 limit", sectors, clusters)
	}
	return Geometry{
		Sectors:     sectors,
		SecPerClus:  spc,
		FATSectors:  uint32(fatsz),
		DataStart:   data,
		Clusters:    uint32(clusters),
		ClusterSize: int64(spc) * SectorSize,
	}, nil
}

func geometryOf(b *bootSector) (Geometry, error) {
	sectors := uint64(b.TotSec32)
	data := uint64(b.RsvdSecCnt) + uint64(b.NumFATs)*uint64(b.FATSz32)
	if data >= sectors {
		return Geometry{}, fmt.Errorf("boot sector: FATs end past the volume: %w", errNotFAT32)
	}
	clusters := (sectors - data) / uint64(b.SecPerClus)
	if fits := uint64(b.FATSz32)*SectorSize/4 - 2; clusters > fits {
		clusters = fits
	}
	if clusters > maxClusters {
		return Geometry{}, fmt.Errorf("boot sector: %d clusters: %w", clusters, errNotFAT32)
	}
	return Geometry{
		Sectors:     sectors,
		SecPerClus:  uint32(b.SecPerClus),
		FATSectors:  b.FATSz32,
		DataStart:   data,
		Clusters:    uint32(clusters),
		ClusterSize: int64(b.SecPerClus) * SectorSize,
	}, nil
}

// clusterOffset is the byte offset of cluster c within the volume.
func (g Geometry) clusterOffset(c uint32) int64 {
	return int64(g.DataStart)*SectorSize + int64(c-2)*g.ClusterSize
}
