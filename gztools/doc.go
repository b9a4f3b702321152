// Package gztools installs what makes a root look like a Triton headnode's
// in its global zone: the full gz-tools (tools.tar.gz) in /opt/smartdc,
// cn_tools.tar.gz where the headnode serves it to compute nodes
// (/usbkey/extra/joysetup), the boot scripts on the usbkey copy and on the
// mounted key, the installed gz-tools image uuid, and sdcadm laid out as
// sdcadm's install-sdcadm.sh lays it out. It also checks an installed root
// against its source.
//
// A source is a gz-tools image tarball (gz-tools-<stamp>.tgz, top folder
// gz-tools/) or a usbkey copy directory. sdcadm comes, first, from a usbkey
// copy's newest extra/sdcadm/sdcadm-<version>.tgz: the headnode's deployed
// /opt/smartdc/sdcadm, which PackSdcadm packs (usbkey-sync hook sdcadm),
// because /usbkey/sdcadm-install.sh is only what the USB image was built
// with and `sdcadm self-update` never refreshes it. Otherwise it comes from
// the shar (sdcadm-<stamp>.sh, sdcadm-install.sh on a key); the shar is
// never run, because install-sdcadm.sh refuses to run unless sysinfo says
// headnode (sdcadm tools/install-sdcadm.sh 78): its contents.tgz is read
// and laid out here instead. Either way the output and the log name the
// version installed and the file it came from.
//
// Every tree is extracted beside its destination (by package tarx, which
// refuses hostile archives whole) and swapped in by renames at the end. A
// run interrupted while extracting leaves the previous tools in place; one
// interrupted while swapping is finished by the next run. Like `tar xzof`,
// installing tools.tar.gz never deletes what else /opt/smartdc/bin and its
// siblings hold (the CN's own tools, the sdcadm links); those kept entries
// are recorded so that Check reports only entries that appeared later.
//
// A run is a Request (gztools-install's options as values, which prints its
// own command line), planned on a node by NewPlan (every path is a node
// path, resolved by the node; scratch goes under its /var/tmp) and carried
// out by Plan.Apply. The CLI and the conversion build the same Request.
//
// It refuses: a source whose layout is not a gz-tools image or usbkey
// copy; any archive tarx refuses; a tarball whose symlinks lead out of
// /opt/smartdc once installed, through a link the live tree keeps or one
// beside it (checkStagedLinks); and a root whose sysinfo cannot be read
// when sdcadm's server uuid is needed (Refused tells the source's faults
// from the node's). It never runs svccfg, the shar, or anything else from
// the node.
package gztools
