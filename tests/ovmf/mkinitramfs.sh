#!/bin/bash
# mkinitramfs.sh ARCH CACHE_DIR OUT
#
# Builds the test guest's initramfs (cpio newc, gzip): a static busybox, /init
# (guest-init.sh) and only the kernel modules needed to see and mount an ext4
# partition on q35's AHCI disk, in dependency order.  The kernel must have been
# fetched first (fetch-kernel.sh ARCH CACHE_DIR).  For i386 the i386 busybox is
# fetched with `apt-get download busybox-static:i386` and cached in CACHE_DIR.
#
# Environment:
#   SW_INITRD_EXTRA=DIR   copy DIR's contents into the initramfs root too
#                         (e.g. roles/ROLE.sh, a guest agent binary)
#   SW_INITRD_MODULES="m1 m2"  modules wanted besides the defaults
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] || sw_die "usage: $0 amd64|i386 CACHE_DIR OUT"
arch=$1
cache=$2
out=$3
kdir=$cache/$arch
if [ ! -s "$kdir/version" ] || [ ! -s "$kdir/modules/modules.dep" ]; then
        sw_die "no kernel for $arch in $kdir: run fetch-kernel.sh $arch $cache first"
fi
sw_need_cmd cpio gzip
moddir=$kdir/modules

# The crypto back ends are soft dependencies (modules.softdep): ext4 and jbd2
# want crc32c, crc-t10dif wants crct10dif, crc64-rocksoft wants crc64.  Loading
# them first means the library modules find their algorithm at init time.
want="crc32c_generic crct10dif_generic crc64_rocksoft_generic ahci sd_mod ext4 ${SW_INITRD_MODULES:-}"

case $arch in
amd64)
        busybox=/bin/busybox
        [ -x "$busybox" ] || sw_die "no $busybox: apt-get install busybox-static"
        ;;
i386)
        sw_need_cmd dpkg-deb
        bbdir=$cache/i386/busybox
        if [ ! -x "$bbdir/bin/busybox" ]; then
                if ! dpkg --print-foreign-architectures | grep -qx i386; then
                        sw_die "i386 is not a dpkg architecture: run fetch-kernel.sh i386 first (as root)"
                fi
                sw_apt_lists_ready
                deb=$(sw_apt_download busybox-static:i386 "$cache/debs")
                rm -rf "$bbdir"
                mkdir -p "$bbdir"
                dpkg-deb -x "$deb" "$bbdir"
        fi
        busybox=$bbdir/bin/busybox
        ;;
*) sw_die "unknown ARCH '$arch' (amd64 or i386)" ;;
esac

# ---------------------------------------------------------------------------
# Module closure from modules.dep, depth first so every module comes after the
# modules it needs.  Names compare with '-' and '_' as the same character, as
# the kernel does.
declare -A path_of=() deps_of=() builtin=() seen=()
while IFS= read -r line; do
        file=${line%%:*}
        base=${file##*/}
        name=${base%%.ko*}
        name=${name//-/_}
        path_of[$name]=$file
        deps_of[$name]=${line#*:}
done <"$moddir/modules.dep"
if [ -f "$moddir/modules.builtin" ]; then
        while IFS= read -r file; do
                base=${file##*/}
                name=${base%%.ko*}
                builtin[${name//-/_}]=1
        done <"$moddir/modules.builtin"
fi

order=()
visit() {
        local name=${1//-/_} d dn
        [ -z "${seen[$name]:-}" ] || return 0
        seen[$name]=1
        if [ -z "${path_of[$name]:-}" ]; then
                [ -n "${builtin[$name]:-}" ] && return 0
                sw_die "module '$name' is neither in modules.dep nor built in ($moddir)"
        fi
        for d in ${deps_of[$name]}; do
                dn=${d##*/}
                visit "${dn%%.ko*}"
        done
        order+=("$name")
}
for m in $want; do
        visit "$m"
done

# ---------------------------------------------------------------------------
stage=$(mktemp -d "${TMPDIR:-/tmp}/sw-initrd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,mnt,tmp,lib/modules,roles}
cp "$busybox" "$stage/bin/busybox"
cp "$(dirname "$0")/guest-init.sh" "$stage/init"
chmod 755 "$stage/init" "$stage/bin/busybox"
# A console node lets the kernel give /init its stdio; without root the init
# script still takes the console itself after mounting devtmpfs.
if [ "$(id -u)" = 0 ]; then
        mknod -m 600 "$stage/dev/console" c 5 1
fi

: >"$stage/lib/modules/load.list"
for name in "${order[@]}"; do
        src=$moddir/${path_of[$name]}
        dst=$stage/lib/modules/$name.ko
        # busybox insmod may not read compressed modules: store them plain.
        case $src in
        *.ko) cp "$src" "$dst" ;;
        *.ko.xz) sw_need_cmd xz && xz -dc "$src" >"$dst" ;;
        *.ko.zst) sw_need_cmd zstd && zstd -qdc "$src" >"$dst" ;;
        *.ko.gz) gzip -dc "$src" >"$dst" ;;
        *) sw_die "unknown module file type: $src" ;;
        esac
        echo "$name" >>"$stage/lib/modules/load.list"
done

if [ -n "${SW_INITRD_EXTRA:-}" ]; then
        [ -d "$SW_INITRD_EXTRA" ] || sw_die "SW_INITRD_EXTRA=$SW_INITRD_EXTRA is not a directory"
        cp -a "$SW_INITRD_EXTRA/." "$stage/"
fi

# Fixed times make the image reproducible.
find "$stage" -exec touch -h -d @0 {} +
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -print | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) |
        gzip -9n >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $arch: $(stat -c %s "$out") bytes, modules: ${order[*]} -> $out"
