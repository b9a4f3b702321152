package gztools

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"cntools/internal/tarx"
)

// The staging names beside the tool tree's top-level entries. The new
// tree is extracted into stageDir/tree; stageDir/ready, written once the
// tree is complete, lists the top-level names to swap, and is what tells
// the next run to finish a swap rather than start over.
const (
	stageDir = ".gztools-install.new"
	oldDir   = ".gztools-install.old"
	readyMsg = "ready"
)

// hooks let tests stop an install at a chosen point.
type hooks struct {
	afterEntry func(e *tarx.Entry) // during extraction
	afterSwap  func(name string)   // after each top-level entry is swapped
	progress   io.Writer           // counts the tarball's bytes as they are read
	// content is given each file's content as it is extracted.
	content func(e *tarx.Entry) io.Writer
}

// pendingSwap reports whether dest holds a complete staged tree whose swap
// was interrupted.
func pendingSwap(dest string) bool {
	_, err := os.Stat(filepath.Join(dest, stageDir, readyMsg))
	return err == nil
}

// recoverTree finishes an interrupted swap into dest, or removes what an
// interrupted extraction left; either way dest is then a whole tree.
func recoverTree(dest string, h hooks) (finished bool, err error) {
	stage := filepath.Join(dest, stageDir)
	if pendingSwap(dest) {
		b, err := os.ReadFile(filepath.Join(stage, readyMsg))
		if err != nil {
			return false, err
		}
		// One name a line, as written below: names may hold spaces.
		tops := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(tops) == 1 && tops[0] == "" {
			tops = nil
		}
		if err := swapIn(dest, tops, h); err != nil {
			return false, err
		}
		return true, nil
	}
	if err := os.RemoveAll(stage); err != nil {
		return false, fmt.Errorf("remove an interrupted extraction: %w", err)
	}
	return false, os.RemoveAll(filepath.Join(dest, oldDir))
}

// installTree makes dest hold the tarball tgz's entries. Entries of dest
// under the tarball's top-level directories that the tarball lacks are
// kept, as `tar xzof` keeps them; their paths (relative to dest) are
// returned.
func installTree(ctx context.Context, tgz, dest string, h hooks) (kept []string, err error) {
	if _, _, err := stageTree(ctx, tgz, dest, h); err != nil {
		return nil, err
	}
	return swapTree(dest, h)
}

// stageTree extracts the tarball tgz beside dest, into the staging
// directory swapTree swaps in, once it has finished or removed what an
// interrupted run left there. It returns the staged tree and the
// directories it made for it, deepest first; on any error it leaves
// neither.
func stageTree(ctx context.Context, tgz, dest string, h hooks) (string, []string, error) {
	var made []string
	for d := dest; !exists(d); d = filepath.Dir(d) {
		made = append(made, d)
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return "", nil, err
	}
	tree, err := extractStage(ctx, tgz, dest, h)
	if err != nil {
		unstage(dest, made)
		return "", nil, err
	}
	return tree, made, nil
}

func extractStage(ctx context.Context, tgz, dest string, h hooks) (string, error) {
	if _, err := recoverTree(dest, h); err != nil {
		return "", err
	}
	stage := filepath.Join(dest, stageDir)
	if err := os.Mkdir(stage, 0o700); err != nil {
		return "", err
	}
	tree := filepath.Join(stage, "tree")
	o := tarx.Options{AfterEntry: h.afterEntry, Progress: h.progress, Content: h.content}
	if _, err := tarx.ExtractFile(ctx, tgz, tree, o); err != nil {
		return "", err
	}
	return tree, nil
}

// unstage removes a staged tree that will not be swapped in, and the
// directories made for it (deepest first) that are still empty. One whose
// swap has begun is left for the next run to finish.
func unstage(dest string, made []string) {
	if pendingSwap(dest) {
		return
	}
	os.RemoveAll(filepath.Join(dest, stageDir))
	for _, d := range made {
		os.Remove(d)
	}
}

// swapTree swaps the tree stageTree staged into dest, keeping what dest
// holds that the tree lacks (returned, relative to dest).
func swapTree(dest string, h hooks) (kept []string, err error) {
	stage := filepath.Join(dest, stageDir)
	defer func() {
		if err != nil {
			unstage(dest, nil)
		}
	}()
	tree := filepath.Join(stage, "tree")
	entries, err := os.ReadDir(tree)
	if err != nil {
		return nil, err
	}
	var tops []string
	for _, e := range entries {
		tops = append(tops, e.Name())
		k, err := keepOld(filepath.Join(dest, e.Name()), filepath.Join(tree, e.Name()), e.Name())
		if err != nil {
			return nil, fmt.Errorf("keep what %s holds: %w", filepath.Join(dest, e.Name()), err)
		}
		kept = append(kept, k...)
	}
	if err := checkStagedLinks(dest, tree, tops, kept); err != nil {
		return nil, err
	}
	if err := syncAll(); err != nil {
		return nil, err
	}
	// The marker goes last: until it is there, the next run starts over.
	if err := writeSynced(filepath.Join(stage, readyMsg), []byte(strings.Join(tops, "\n")+"\n")); err != nil {
		return nil, err
	}
	if err := swapIn(dest, tops, h); err != nil {
		return nil, err
	}
	sort.Strings(kept)
	return kept, nil
}

// swapIn moves each staged top-level entry into dest, the live one aside
// first, then removes the old ones and the staging directory. Every step
// can be repeated: a run interrupted anywhere here is finished by the
// next.
func swapIn(dest string, tops []string, h hooks) error {
	stage, old := filepath.Join(dest, stageDir), filepath.Join(dest, oldDir)
	if err := os.MkdirAll(old, 0o700); err != nil {
		return err
	}
	for _, name := range tops {
		src, live, aside := filepath.Join(stage, "tree", name), filepath.Join(dest, name), filepath.Join(old, name)
		if !exists(src) {
			continue // swapped by the interrupted run
		}
		if exists(live) {
			if exists(aside) {
				return fmt.Errorf("%s and %s both exist while %s waits to be swapped in: remove the one that is not the previous tools, then run again", live, aside, src)
			}
			if err := os.Rename(live, aside); err != nil {
				return err
			}
		}
		if err := os.Rename(src, live); err != nil {
			return err
		}
		if h.afterSwap != nil {
			h.afterSwap(name)
		}
	}
	if err := os.RemoveAll(old); err != nil {
		return err
	}
	return os.RemoveAll(stage)
}

// keepOld gives the staged tree at staged whatever the live tree at live
// has that the staged one lacks: hard links for files, so nothing is
// copied. It returns what it kept, relative to the tool tree's root.
func keepOld(live, staged, rel string) ([]string, error) {
	lfi, err := os.Lstat(live)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sfi, err := os.Lstat(staged)
	if err != nil {
		return nil, err
	}
	if !lfi.IsDir() || !sfi.IsDir() {
		return nil, nil // the tarball's entry replaces it
	}
	var kept []string
	err = filepath.WalkDir(live, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		sub, _ := filepath.Rel(live, p)
		if sub == "." {
			return nil
		}
		target := filepath.Join(staged, sub)
		tfi, err := os.Lstat(target)
		if err == nil {
			if tfi.IsDir() && d.IsDir() {
				return nil
			}
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		kept = append(kept, filepath.ToSlash(filepath.Join(rel, sub)))
		if err := copyEntry(p, target, d); err != nil {
			return err
		}
		return nil
	})
	return kept, err
}

// copyEntry recreates the entry at src as dst: a directory with its mode,
// a symlink with its target, a file as a hard link (a copy where links
// are refused).
func copyEntry(src, dst string, d fs.DirEntry) error {
	fi, err := d.Info()
	if err != nil {
		return err
	}
	switch {
	case fi.IsDir():
		if err := os.Mkdir(dst, 0o700); err != nil {
			return err
		}
		return os.Chmod(dst, fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
	case fi.Mode()&fs.ModeSymlink != 0:
		t, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(t, dst)
	case fi.Mode().IsRegular():
		if err := os.Link(src, dst); err == nil {
			return nil
		}
		return copyFile(src, dst, fi.Mode())
	}
	return fmt.Errorf("%s: cannot keep a %v", src, fi.Mode().Type())
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
