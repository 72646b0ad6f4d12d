#!/bin/bash
# mkrootfs.sh ARCH CACHE_DIR AGENT_DEB
#
# A real Debian 12 (bookworm) root file system for a slot, built with
# mmdebstrap as root: variant minbase plus systemd, systemd-sysv, udev, dbus,
# e2fsprogs, initramfs-tools and Debian's kernel (linux-image-amd64 or
# linux-image-686), and the agent's package AGENT_DEB installed by apt the
# way docs/agent-deb.md tells users to (`apt install ./switcher-agent_*.deb`).
# The kernel's postinst and the agent's trigger make the initramfs inside
# the root, so the slot boots Debian's own kernel and initramfs.
#
# The result is cached under CACHE_DIR/rootfs/ARCH-KEY/, KEY a hash of what
# goes into the root (the package list, the mirrors, a recipe number this
# script raises when it builds differently), and holds:
#   rootfs.tar      the root, for `mkslot disk --part LABEL:SIZE:rootfs.tar`
#   vmlinuz         the root's /boot/vmlinuz-VERSION  (for the ESP)
#   initrd.img      the root's /boot/initrd.img-VERSION
#   version         VERSION
#   sources         the apt sources it was built from (see the fallback below)
#   packages        every installed package with its version
#   agent.sha       the start of the agent package's sha256
# When AGENT_DEB is another package than the one the root was built with,
# it is installed over it (an upgrade, `dpkg -i` in a chroot; its trigger
# makes the initramfs again) into ARCH-KEY/agent-SHA/, with the same files:
# a new agent costs a minute, not a new mmdebstrap run.  The path of the
# directory to use is printed on stdout.  A second run with the same inputs
# downloads and builds nothing.  The .debs apt downloaded are kept in
# CACHE_DIR/debs/rootfs-ARCH, so a rebuild downloads only what the mirror
# has newer.  Older builds for ARCH are deleted when a new one is complete.
#
# A mirror in the middle of a sync can serve an index that does not match
# its Release file ("File has unexpected size ... Mirror sync in progress?"),
# seen on the security suite.  So a build that fails is retried, after a
# pause, SW_ROOTFS_TRIES times (default 3) with the full suites, and then
# twice with the main suite alone (bookworm without -updates and -security).
# `sources` says which one the cached root came from.
#
# Exit status: 0 with the directory printed; 3 when the root is not cached
# and this host cannot run i386 programs (the reason on stderr: see
# i386_runs); 1 for any other failure.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 3 ] || sw_die "usage: $0 amd64|i386 CACHE_DIR AGENT_DEB"
arch=$1 cache=$2 deb=$3
case $arch in
amd64) kernel=linux-image-amd64 ;;
i386) kernel=linux-image-686 ;;
*) sw_die "unknown ARCH '$arch' (amd64 or i386)" ;;
esac
[ -f "$deb" ] || sw_die "no agent package at $deb (make agent-deb)"
sw_need_cmd mmdebstrap sha256sum tar
[ "$arch" = amd64 ] || sw_need_cmd arch-test

# i386_runs: this host runs i386 programs (the i386 root's maintainer
# scripts, and dpkg in its chroot), or is made to; status 3 with the reason
# on stderr when it cannot be.  An x86-64 kernel with IA32 emulation runs
# them itself.  One without it (CONFIG_IA32_EMULATION off, or ia32_emulation=0)
# needs qemu-i386 registered with binfmt_misc.  Debian's qemu-user-static
# registers the foreign architectures at install time, but not i386 on an
# amd64 host, which normally runs it natively; so the registration is done
# here, once per boot of the host, when it is missing.  The magic and mask
# are those of an i386 ELF executable or shared object (ELFCLASS32,
# little-endian, e_machine 3); the kernel decodes the \x escapes itself.
# F opens the interpreter at registration, so it works inside the chroot.
i386_binfmt=/proc/sys/fs/binfmt_misc
i386_runs() {
        local qemu=/usr/bin/qemu-i386-static why
        arch-test i386 >/dev/null 2>&1 && return 0
        if [ ! -e "$i386_binfmt/qemu-i386" ]; then
                if [ "$(id -u)" != 0 ]; then
                        why="registering qemu-i386 with binfmt_misc needs root"
                elif [ ! -x "$qemu" ]; then
                        why="$qemu is missing (apt-get install qemu-user-static)"
                elif [ ! -e "$i386_binfmt/register" ] &&
                        ! mount -t binfmt_misc binfmt_misc "$i386_binfmt" 2>/dev/null; then
                        why="binfmt_misc is not mounted at $i386_binfmt and mounting it was refused (a container without the capability: mount it and register qemu-i386 on the host, see docs/real-guests.md)"
                elif ! printf '%s' ':qemu-i386:M::\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00:\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'"$qemu"':F' \
                        >"$i386_binfmt/register" 2>/dev/null; then
                        why="the kernel refused the qemu-i386 registration in $i386_binfmt/register"
                fi
                [ -z "${why:-}" ] && echo "mkrootfs: registered $qemu with binfmt_misc for i386 programs" >&2
        elif [ "$(head -n 1 "$i386_binfmt/qemu-i386")" != enabled ]; then
                why="binfmt_misc's qemu-i386 entry is disabled (echo 1 >$i386_binfmt/qemu-i386 as root)"
        fi
        if [ -z "${why:-}" ] && arch-test i386 >/dev/null 2>&1; then
                return 0
        fi
        echo "mkrootfs: this host runs no i386 programs: ${why:-arch-test i386 says: $(arch-test i386 2>&1 | head -n 1)}" >&2
        exit 3
}
mkdir -p "$cache/rootfs"
cache=$(cd "$cache" && pwd)
# One run per architecture at a time: run-all.sh starts the roots' build in
# the background (distro-roots.sh) while the other tests run, and
# t-distro's own call waits here for it, then finds the root cached.  The
# kernel drops the lock when its holder exits, however it exits.
exec 9>"$cache/rootfs/.lock-$arch"
if ! flock -n 9; then
        echo "mkrootfs: $arch: another run is building this root; waiting for it" >&2
        flock 9
fi
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")

mirror=${SW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${SW_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
suite=bookworm
packages="systemd,systemd-sysv,udev,dbus,e2fsprogs,kmod,zstd,initramfs-tools,$kernel"

# The base root's key: what goes into it.  RECIPE names the build below;
# raise it when a change of this script changes the root it makes.
recipe=1
# The i386 initramfs holds only the modules that find and mount the root
# (initramfs-tools' MODULES=list, the list in a modules.d file rather than
# in /etc/initramfs-tools/modules, a conffile dpkg would ask about), not
# MODULES=most.
# Its scripts run under qemu-user on a host without IA32 emulation, where
# every program mkinitramfs starts is emulated: with MODULES=most one
# initramfs took well over an hour, against minutes for the amd64 one.
# The amd64 root keeps Debian's default.
initramfs_modules=
case $arch in
i386)
        initramfs_modules="ahci sd_mod ext4 crc32c_generic"
        key_extra=" modules=$initramfs_modules"
        ;;
*) key_extra= ;;
esac
key=$(echo "$recipe $arch $mirror $security $suite $packages$key_extra" | sha256sum | cut -c1-16)
base=$cache/rootfs/$arch-$key
debsum=$(sha256sum <"$deb" | cut -c1-16)

# done DIR: DIR is complete; print it.
done_root() {
        [ -s "$1/rootfs.tar" ] && [ -s "$1/vmlinuz" ] && [ -s "$1/initrd.img" ] && [ -s "$1/agent.sha" ]
}

# The agent changes far more often than Debian does.  A base root built
# with another agent package gets the new one installed over it (as an
# upgrade, `dpkg -i` in a chroot, whose trigger makes the initramfs again)
# in a layer of its own, BASE/agent-DEBSUM, instead of a new mmdebstrap run.
agent_layer() {
        local out=$base/agent-$debsum lt=$base/.agent-$debsum t0 m
        if done_root "$out"; then
                echo "mkrootfs: $arch: cached $(cat "$out/version") root with agent $debsum in $out" >&2
                echo "$out"
                return 0
        fi
        t0=$(sw_now_ms)
        rm -rf "$lt"
        mkdir -p "$lt/root"
        tar --numeric-owner -xpf "$base/rootfs.tar" -C "$lt/root"
        cp "$deb" "$lt/root/tmp/agent.deb"
        # The trigger's mkinitramfs wants /dev, /proc and /sys, as in
        # mmdebstrap's chroot.
        for m in dev proc sys; do
                mount --bind "/$m" "$lt/root/$m"
        done
        if ! chroot "$lt/root" dpkg -i /tmp/agent.deb >"$lt/dpkg.log" 2>&1; then
                for m in sys proc dev; do umount "$lt/root/$m"; done
                sw_die "$arch: dpkg -i of $deb over the base root failed: $(tail -n 3 "$lt/dpkg.log" | tr '\n' ' ')"
        fi
        for m in sys proc dev; do
                umount "$lt/root/$m"
        done
        rm -f "$lt/root/tmp/agent.deb"
        # shellcheck disable=SC2016 # dpkg-query's own ${fields}
        chroot "$lt/root" dpkg-query -W -f '${Package} ${Version} ${Architecture}\n' >"$lt/packages"
        cp "$base/version" "$base/sources" "$lt/"
        cp "$lt/root/boot/vmlinuz-$(cat "$base/version")" "$lt/vmlinuz"
        cp "$lt/root/boot/initrd.img-$(cat "$base/version")" "$lt/initrd.img"
        tar --numeric-owner -cf "$lt/rootfs.tar" -C "$lt/root" .
        rm -rf "$lt/root"
        echo "$debsum" >"$lt/agent.sha"
        rm -rf "$base/agent-"*
        mv "$lt" "$out"
        echo "mkrootfs: $arch: agent $debsum installed over the base root in $(sw_since "$t0") s: $out" >&2
        echo "$out"
}

if done_root "$base"; then
        if [ "$(cat "$base/agent.sha")" = "$debsum" ]; then
                echo "mkrootfs: $arch: cached $(cat "$base/version") root in $base" >&2
                echo "$base"
                exit 0
        fi
        [ "$(id -u)" = 0 ] || sw_die "installing the agent into the $arch root needs root (chroot)"
        [ "$arch" = amd64 ] || i386_runs
        agent_layer
        exit 0
fi
# mmdebstrap's root mode (chroot, mounts) and a tarball whose files belong
# to root need root; its unshare mode would need subuids set up.
[ "$(id -u)" = 0 ] || sw_die "building the $arch root file system needs root (mmdebstrap --mode=root)"
[ "$arch" = amd64 ] || i386_runs

debs=$cache/debs/rootfs-$arch
mkdir -p "$debs"
tmp=$cache/rootfs/.build-$arch-$key
out=$base
rm -rf "$tmp"
mkdir -p "$tmp"
# apt inside the chroot installs the package from a path that must exist
# there too: a setup hook copies it to the same path inside.  Under /tmp,
# which mmdebstrap empties in the root at the end, nothing of it stays.  A
# copy, not mmdebstrap's file-mirror-automount bind mount: a build that
# fails before its customize hooks leaves that mount behind.  No commas or
# spaces in the path.
debdir=$(mktemp -d /tmp/sw-mkrootfs.XXXXXX)
trap 'rm -rf "$debdir"' EXIT
chmod 755 "$debdir"
cp "$deb" "$debdir/"
local_deb=$debdir/$(basename "$deb")

# Trim what a test slot never uses, the way small Debian images do, with
# dpkg's path filters (the packages stay installed; dpkg just does not unpack
# these paths): the kernel's
# modules for sound, wireless and wired network cards, big GPUs, media,
# InfiniBand, industrial I/O and staging drivers (about 200 of its 390 MB).
# Disks, file systems, input, the bochs display and USB stay.
# Only the kernel's modules: mmdebstrap unpacks the essential packages
# itself, and a filter on /usr/share/doc, man or locale made dpkg fail later
# on a directory that unpack had left out ("error creating directory
# './usr/share/man/fi/man1'").  No essential package ships modules.
excludes=()
for m in sound drivers/net/wireless drivers/net/ethernet drivers/media drivers/infiniband drivers/iio \
        drivers/staging drivers/gpu/drm/amd drivers/gpu/drm/i915 drivers/gpu/drm/nouveau \
        drivers/gpu/drm/radeon drivers/comedi drivers/target drivers/mtd; do
        excludes+=("/lib/modules/*/kernel/$m/*" "/usr/lib/modules/*/kernel/$m/*")
done
dpkgopts=()
for e in "${excludes[@]}"; do
        dpkgopts+=("--dpkgopt=path-exclude=$e")
done

# build SOURCES...: one mmdebstrap run into $tmp/rootfs.tar.  For i386,
# mmdebstrap asks arch-test whether this host runs i386 programs itself (an
# x86-64 kernel with IA32 emulation does) or needs qemu-user through
# binfmt_misc (qemu-user-static), and says so when neither works.
# essential/unlink is skipped so that the essential packages' .debs stay in
# the apt cache that is synced out.  The hooks:
# RESUME=none before the kernel comes in, or initramfs-tools' resume hook
# would look at the build host's swap and make every boot wait for a disk
# that is not there; the apt cache synced in and out; the kernel and the
# initramfs copied out for the ESP.
# The hooks are shell code that mmdebstrap runs with the root's path as $1:
# single quotes on purpose.
# shellcheck disable=SC2016
build() {
        rm -f "$tmp/rootfs.tar" "$tmp/vmlinuz" "$tmp/initrd.img"
        # The system's python3 for mmdebstrap's helpers (mmtarfilter runs
        # once per package): a python3 found first on PATH, a version
        # manager's shim for example, can be much slower to start.
        PATH=/usr/sbin:/usr/bin:/sbin:/bin mmdebstrap --mode=root --variant=minbase --architectures="$arch" \
                --include="$packages" --include="$local_deb" \
                --skip=essential/unlink \
                "${dpkgopts[@]}" \
                --setup-hook='mkdir -p "$1"/var/cache/apt/archives' \
                --setup-hook='mkdir -p "$1'"$debdir"'" && cp "'"$local_deb"'" "$1'"$debdir"'/"' \
                --setup-hook="sync-in $debs /var/cache/apt/archives/" \
                --essential-hook='mkdir -p "$1"/etc/initramfs-tools/conf.d && echo RESUME=none >"$1"/etc/initramfs-tools/conf.d/resume' \
                --essential-hook='[ -z "'"$initramfs_modules"'" ] || { echo MODULES=list >"$1"/etc/initramfs-tools/conf.d/modules && mkdir -p "$1"/usr/share/initramfs-tools/modules.d && printf "%s\n" '"$initramfs_modules"' >"$1"/usr/share/initramfs-tools/modules.d/switcher-test-root; }' \
                --customize-hook="sync-out /var/cache/apt/archives $debs" \
                --customize-hook='v=$(ls "$1"/lib/modules | head -n1) && echo "$v" >"'"$tmp"'/version" && cp "$1/boot/vmlinuz-$v" "'"$tmp"'/vmlinuz" && cp "$1/boot/initrd.img-$v" "'"$tmp"'/initrd.img"' \
                --customize-hook='chroot "$1" dpkg-query -W -f "\${Package} \${Version} \${Architecture}\n" >"'"$tmp"'/packages"' \
                "$suite" "$tmp/rootfs.tar" "$@" >"$tmp/mmdebstrap.log" 2>&1
}

full=("deb $mirror $suite main" "deb $mirror $suite-updates main" "deb $security $suite-security main")
main_only=("deb $mirror $suite main")
before=$(du -sk "$debs" | cut -f1)
t0=$(sw_now_ms)
tries=${SW_ROOTFS_TRIES:-3}
ok=0 used=
for n in $(seq 1 $((tries + 2))); do
        if [ "$n" -le "$tries" ]; then
                set -- "${full[@]}"
        else
                set -- "${main_only[@]}"
        fi
        if build "$@"; then
                ok=1 used=$(printf '%s\n' "$@")
                break
        fi
        sw_log "$arch: mmdebstrap attempt $n failed: $(grep -a -m3 -i 'E:\|error\|unexpected size' "$tmp/mmdebstrap.log" | tr '\n' ' ')"
        cp "$tmp/mmdebstrap.log" "$tmp/mmdebstrap-$n.log"
        [ "$n" -lt $((tries + 2)) ] && sleep $((10 * n))
done
[ "$ok" = 1 ] || sw_die "$arch: mmdebstrap failed $((tries + 2)) times; logs in $tmp"
if [ ! -s "$tmp/vmlinuz" ] || [ ! -s "$tmp/initrd.img" ]; then
        sw_die "$arch: the root has no kernel or initramfs (see $tmp/mmdebstrap.log)"
fi
grep -q '^switcher-agent ' "$tmp/packages" || sw_die "$arch: switcher-agent is not installed in the root"
printf '%s\n' "$used" >"$tmp/sources"
echo "$debsum" >"$tmp/agent.sha"
after=$(du -sk "$debs" | cut -f1)

rm -rf "$cache/rootfs/$arch-"*
mv "$tmp" "$out"
echo "mkrootfs: $arch: built $(cat "$out/version") root in $(sw_since "$t0") s" \
        "($(((after - before) / 1024)) MiB of new .debs; tarball $(($(stat -c %s "$out/rootfs.tar") >> 20)) MiB)" \
        "from: $(tr '\n' ';' <"$out/sources")" >&2
echo "$out"
