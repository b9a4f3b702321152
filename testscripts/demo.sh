#!/usr/bin/env bash
# make demo: the toolkit's main job on an embedded default. It writes a
# simulated set-up compute node under a temporary root (node facts with its
# nic tags in boot parameters, a 4 GiB sparse image as its USB key, a
# standby copy with what a real headnode's /usbkey holds, two small
# synthetic platforms), converts it with convert-to-headnode -y, inspects
# the key with usbkey-status, and says where everything is. The temporary
# root is removed at the end unless KEEP=1 (make demo KEEP=1).
set -euo pipefail
bin=$(readlink -f "$1")
work=$(mktemp -d /tmp/cn-tools-demo.XXXXXX)
if [ "${KEEP:-0}" != 1 ]; then
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/bin"
for t in $("$bin" 2>&1 | sed -n 's/^    //p'); do ln -s "$bin" "$work/bin/$t"; done
export PATH="$work/bin:$PATH:/usr/sbin:/sbin" MTOOLS_SKIP_CHECK=1 NO_COLOR=1
node="$work/node"

go run ./testscripts/mknode "$node"
echo "== convert-to-headnode --root $node -y"
convert-to-headnode --root "$node" -y
echo
echo "== usbkey-status /dev/rdsk/c1t0d0p0 (the node's key)"
usbkey-status --root "$node" /dev/rdsk/c1t0d0p0
if command -v usbkey-drift >/dev/null; then
	echo
	echo "== usbkey-drift: the key against the usbkey copy"
	rc=0
	usbkey-drift --root "$node" --key /dev/rdsk/c1t0d0p0 --usbkey /zones/usbkey-copy || rc=$?
	[ "$rc" = 0 ] && echo "in step (usbkey-drift exit 0: no output means no drift)" || echo "usbkey-drift exit $rc"
fi
echo
cat <<MSG
Nothing else on the node changed: after the reboot headnode.sh creates
zones/usbkey, reboots again, and installs the gz tools and sdcadm from it.
MSG
if [ "${KEEP:-0}" != 1 ]; then
	echo "The simulated node under $work is removed now; make demo KEEP=1 keeps it."
	exit 0
fi
cat <<MSG
The simulated node is $node:
    the key (a sparse 4 GiB image)   $node/dev/rdsk/c1t0d0p0
    the usbkey copy (on zones)       $node/zones/usbkey-copy
    this node's config, on the key   mcopy -i <root partition> ::/config (usbkey-status shows the layout)
    node.config, left as it was      $node/opt/smartdc/config/node.config
    the conversion's journal         $node/var/cn-tools/convert-to-headnode.json
    the log (bunyan renders it)      $node/var/log/cn-tools/convert-to-headnode.log
MSG
