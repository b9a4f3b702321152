package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"cntools/internal/tool"
	"cntools/usbkey/device"
	"cntools/usbkey/key"
)

func statusApp() *cli.App {
	return &cli.App{
		Usage:     "inspect a USB key, key image or mounted key directory",
		UsageText: "usbkey-status [options] DEVICE|IMAGE|DIR",
		Description: `Reports the layout version (v1 grub, v2 loader, or not a key), the partition
table, the root filesystem and its label, whether the .joyliveusb marker is
there, the platforms under os/, the default platform from boot/loader.conf,
and size and free space. Reads only.

Problems it lists: a primary or backup GPT that is missing, damaged or not a
copy of the other (an image cut short loses the backup), a GPT entry that
ends before it starts or lies outside the usable sectors, a disk whose
logical sectors are not 512 bytes. A FIFO or socket is refused unopened.

EXIT STATUS
   0  a key (or key directory) with its marker and no problems
   1  not a key, no marker, or a problem found (listed)
   2  usage or runtime error`,
		Flags:  append(tool.CommonFlags(), tool.TableFlags()...),
		Action: statusAction,
	}
}

func statusAction(c *cli.Context) error {
	env := tool.FromContext(c)
	target, err := tool.OneArg(c, "DEVICE, IMAGE or DIR")
	if err != nil {
		return err
	}
	env.Doing("reading " + target)
	if err := partitionTable.Check(c); err != nil {
		return err
	}
	st, err := key.ReadStatus(env.Node, key.StatusRequest{Target: target})
	if err != nil {
		return err
	}
	// Exit 1 always comes with its reason listed.
	switch {
	case st.Kind == key.KindNotAKey && len(st.Problems) == 0:
		st.Problems = append(st.Problems, "not a Triton USB key: no v1 or v2 key layout; usbkey-format makes one")
	case st.Kind != key.KindNotAKey && !st.Marker:
		st.Problems = append(st.Problems, "no "+key.MarkerFile+" marker (written last): the key content is incomplete or was never written; run usbkey-populate")
	}
	var perr error
	if err := env.Emit(st, func(w io.Writer) { perr = printStatus(w, c, st) }); err != nil {
		return err
	}
	if perr != nil {
		return perr
	}
	if st.Kind == key.KindNotAKey || !st.Marker || len(st.Problems) > 0 {
		return tool.ErrReported
	}
	return nil
}

// partitionTable is how usbkey-status lists partitions.
var partitionTable = tool.Table{Columns: []string{"index", "name", "type", "start_bytes", "size_bytes"}}

func printStatus(w io.Writer, c *cli.Context, st *key.Status) error {
	row := func(k, v string) { fmt.Fprintf(w, "%-17s %s\n", k+":", v) }
	row("path", st.Path)
	row("kind", st.Kind)
	if st.Kind == key.KindV1 || st.Kind == key.KindV2 {
		row("version", fmt.Sprint(st.Version))
	}
	if st.Size > 0 {
		row("size", fmt.Sprintf("%d (%s)", st.Size, device.HumanSize(st.Size)))
	}
	if st.PartitionTable != "" {
		row("partition table", st.PartitionTable)
		// sdcadm's -H and -o pick the header and the columns.
		t := partitionTable
		t.Indent = "  "
		for _, p := range st.Partitions {
			name := p.Name
			if name == "" {
				name = "-"
			}
			t.Rows = append(t.Rows, []string{fmt.Sprint(p.Index), name, p.Type, fmt.Sprint(p.Start), fmt.Sprint(p.Size)})
		}
		if err := t.Print(w, c); err != nil {
			return err
		}
	}
	if st.RootFS != "" {
		row("root filesystem", st.RootFS)
		row("root label", st.RootLabel)
	}
	if st.Kind != key.KindNotAKey {
		row("marker", yesNo(st.Marker))
		row("platforms", strings.Join(st.Platforms, " "))
		row("default platform", st.DefaultPlatform)
		row("free", fmt.Sprintf("%d of %d (%s free)", st.FreeBytes, st.TotalBytes, device.HumanSize(st.FreeBytes)))
	}
	for _, p := range st.Problems {
		row("problem", p)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
