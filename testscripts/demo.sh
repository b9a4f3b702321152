#!/usr/bin/env bash
# make demo: the toolkit's main job so far, on an embedded default. It
# builds a synthetic platform boot tree, formats a 4 GB sparse image as a
# v2 Triton key with usbkey-format, and inspects it with usbkey-status.
# Everything lives under one temporary directory, printed at the end.
set -euo pipefail
bin=$(readlink -f "$1")
work=$(mktemp -d /tmp/cn-tools-demo.XXXXXX)
mkdir -p "$work/bin"
for t in usbkey-format usbkey-status; do ln -s "$bin" "$work/bin/$t"; done
export PATH="$work/bin:$PATH:/usr/sbin:/sbin" MTOOLS_SKIP_CHECK=1

go run ./testscripts/mkboot tgz "$work/boot.tgz"
echo "== usbkey-format --boot-tarball boot.tgz --size 4gb -y key.img"
usbkey-format --root "$work/node" --boot-tarball "$work/boot.tgz" --size 4gb -y "$work/key.img"
echo "== sgdisk -v key.img"
sgdisk -v "$work/key.img" | grep -E 'No problems|Problem'
echo "== usbkey-status key.img"
usbkey-status "$work/key.img" || true   # exit 1: formatted, but no key content yet
echo
echo "demo files are in $work (key.img is sparse: $(du -h "$work/key.img" | cut -f1) on disk)"
