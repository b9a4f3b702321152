//go:build !unix

package keytree

// Files opens the tree's files through Open, where there is no fstatat.
func (d *DirTree) Files() Files { return treeFiles{d} }
