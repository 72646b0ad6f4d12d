#!/bin/bash
# fetch-kernel.sh ARCH CACHE_DIR
#
# Fetches Debian's stock kernel for ARCH (amd64 or i386) with `apt-get download`,
# the version chosen by the metapackage (linux-image-amd64, linux-image-686:i386),
# keeps the .deb in CACHE_DIR/debs and leaves:
#   CACHE_DIR/ARCH/vmlinuz        the bzImage
#   CACHE_DIR/ARCH/modules        -> the extracted lib/modules/VERSION
#   CACHE_DIR/ARCH/version        VERSION (e.g. 6.1.0-56-amd64)
# A second run downloads nothing and extracts nothing.  Prints one line saying
# what it did.  For i386 as root it adds the i386 architecture to dpkg first.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || sw_die "usage: $0 amd64|i386 CACHE_DIR"
arch=$1
cache=$2
case $arch in
amd64) meta=linux-image-amd64 ;;
i386) meta=linux-image-686:i386 ;;
*) sw_die "unknown ARCH '$arch' (amd64 or i386)" ;;
esac
sw_need_cmd apt-get apt-cache dpkg-deb depmod
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
out=$cache/$arch

# Resolves the versioned image package that the metapackage depends on.
resolve() {
        apt-cache depends "$meta" 2>/dev/null |
                sed -n 's/^ *Depends: *\(linux-image-[0-9][^ :]*\).*/\1/p' | head -n1
}

# Fast path first: a finished extraction needs no apt at all, so an offline
# machine with a warm cache still works.
if [ -s "$out/vmlinuz" ] && [ -s "$out/modules/modules.dep" ] && [ -s "$out/version" ]; then
        echo "fetch-kernel: $arch: cached $(cat "$out/version") in $out"
        exit 0
fi

[ "$arch" = i386 ] && sw_need_i386_arch
sw_apt_lists_ready

pkg=$(resolve)
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
        # The lists may be stale or lack this architecture's index: refresh once.
        apt-get update -q >/dev/null || true
        pkg=$(resolve)
fi
[ -n "$pkg" ] || sw_die "cannot resolve $meta to a linux-image package (apt-get update?)"
version=${pkg#linux-image-}
[ "$arch" = i386 ] && pkg="$pkg:i386"

had=0
[ -n "$(compgen -G "$cache/debs/linux-image-${version}_*.deb" || true)" ] && had=1
deb=$(sw_apt_download "$pkg" "$cache/debs")

rm -rf "$out"
mkdir -p "$out/root"
dpkg-deb -x "$deb" "$out/root"
[ -s "$out/root/boot/vmlinuz-$version" ] || sw_die "$deb has no boot/vmlinuz-$version"
[ -d "$out/root/lib/modules/$version" ] || sw_die "$deb has no lib/modules/$version"
# The package ships no modules.dep (its postinst runs depmod): make one.
if [ ! -s "$out/root/lib/modules/$version/modules.dep" ]; then
        sw_need_cmd depmod
        depmod -b "$out/root" "$version" ||
                sw_die "depmod -b $out/root $version failed"
fi
cp "$out/root/boot/vmlinuz-$version" "$out/vmlinuz"
ln -s "root/lib/modules/$version" "$out/modules"
printf '%s\n' "$version" >"$out/version"

if [ "$had" = 1 ]; then
        how="extracted cached $(basename "$deb")"
else
        how="downloaded and extracted $(basename "$deb")"
fi
echo "fetch-kernel: $arch: $how -> $out (vmlinuz, modules of $version)"
