package gztools_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"cntools/gztools"
)

// A run killed after sdcadm's tree was swapped in but before its SMF
// manifest was in place must not count as installed: the rerun puts the
// manifest there (the crash-resume test of convert-to-headnode found this).
func TestSMFManifestMissingIsAChange(t *testing.T) {
	n := usbkeyNode(t)
	root := n.Path("/")
	ctx := context.Background()
	apply := func() int {
		plan, err := gztools.NewPlan(ctx, n, gztools.Request{}, gztools.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer plan.Close()
		n := len(plan.Changes())
		if _, err := plan.Apply(ctx); err != nil {
			t.Fatal(err)
		}
		return n
	}
	apply()
	manifest := filepath.Join(root, "var/svc/manifest/site/sdcadm-setup.xml")
	if _, err := os.Stat(manifest); err != nil {
		t.Fatalf("the install put no SMF manifest in place: %v", err)
	}
	os.Remove(manifest)
	if n := apply(); n == 0 {
		t.Errorf("NewPlan with sdcadm's SMF manifest missing found no change")
	}
	if _, err := os.Stat(manifest); err != nil {
		t.Errorf("the rerun did not put the SMF manifest back: %v", err)
	}
}
