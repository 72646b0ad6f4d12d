#!/bin/bash
# fetch-i386-static.sh CACHE_DIR PACKAGE LIBRARY
#
# The i386 guest agent links its libraries statically, like the amd64 one,
# but Debian's -dev packages it needs cannot all be installed for amd64 and
# i386 side by side (libfdt-dev is not Multi-Arch: same), and installing
# foreign -dev packages would change the host for a build.  So the i386
# package is fetched with `apt-get download PACKAGE:i386` (cached in
# CACHE_DIR/debs) and only its static library is extracted:
#   CACHE_DIR/i386/NAME/LIBRARY      (NAME = LIBRARY without ".a")
# e.g. `fetch-i386-static.sh build/cache libfdt-dev libfdt.a`.
# A second run does nothing.  Prints one line saying what it did.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/../tests/ovmf/lib.sh"

[ $# -eq 3 ] || sw_die "usage: $0 CACHE_DIR PACKAGE LIBRARY (e.g. build/cache libfdt-dev libfdt.a)"
pkg=$2
libname=$3
case $libname in
*.a) ;;
*) sw_die "$0: LIBRARY must be a static library (NAME.a), not '$libname'" ;;
esac
mkdir -p "$1"
cache=$(cd "$1" && pwd)
out=$cache/i386/${libname%.a}
if [ -s "$out/$libname" ]; then
        echo "fetch-i386-static: cached $out/$libname"
        exit 0
fi
sw_need_cmd apt-get apt-cache dpkg-deb
sw_need_i386_arch
sw_apt_lists_ready
deb=$(sw_apt_download "$pkg:i386" "$cache/debs")
tmp=$(mktemp -d "$cache/.${libname%.a}.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
lib=$(find "$tmp" -name "$libname" | head -n1)
[ -n "$lib" ] || sw_die "$(basename "$deb") holds no $libname"
mkdir -p "$out"
cp "$lib" "$out/$libname.tmp"
mv "$out/$libname.tmp" "$out/$libname"
echo "fetch-i386-static: extracted $out/$libname from $(basename "$deb")"
