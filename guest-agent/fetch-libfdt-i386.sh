#!/bin/bash
# fetch-libfdt-i386.sh CACHE_DIR
#
# The i386 guest agent links libfdt statically, like the amd64 one, but
# Debian's libfdt-dev cannot be installed for amd64 and i386 side by side
# (it is not Multi-Arch: same).  So the i386 package is fetched with
# `apt-get download libfdt-dev:i386` (cached in CACHE_DIR/debs) and only its
# static library is extracted:
#   CACHE_DIR/i386/libfdt/libfdt.a
# A second run does nothing.  Prints one line saying what it did.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/../tests/ovmf/lib.sh"

[ $# -eq 1 ] || sw_die "usage: $0 CACHE_DIR"
mkdir -p "$1"
cache=$(cd "$1" && pwd)
out=$cache/i386/libfdt
if [ -s "$out/libfdt.a" ]; then
        echo "fetch-libfdt-i386: cached $out/libfdt.a"
        exit 0
fi
sw_need_cmd apt-get apt-cache dpkg-deb
sw_need_i386_arch
sw_apt_lists_ready
deb=$(sw_apt_download libfdt-dev:i386 "$cache/debs")
tmp=$(mktemp -d "$cache/.libfdt.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
lib=$(find "$tmp" -name libfdt.a | head -n1)
[ -n "$lib" ] || sw_die "$(basename "$deb") holds no libfdt.a"
mkdir -p "$out"
cp "$lib" "$out/libfdt.a.tmp"
mv "$out/libfdt.a.tmp" "$out/libfdt.a"
echo "fetch-libfdt-i386: extracted $out/libfdt.a from $(basename "$deb")"
