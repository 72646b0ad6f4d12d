#!/bin/bash
# t-guest-direct.sh BUILD
#
# Proves the test guest and the disk tools without the switcher: OVMF boots the
# stock Debian kernel through QEMU's direct kernel loading (-kernel/-initrd),
# the guest's /init (role boot) reports its RAM map, RSDP and command line,
# finds its ext4 partition by GPT name, appends a boot record and powers off.
# Then the host reads the record back with debugfs and checks e2fsck -fn.
# Two boots: the second must append "boot=2" to the same file.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

build=${1:-build}
mkdir -p "$build"
build=$(cd "$build" && pwd)
cache=$build/cache
work=$build/ovmf/guest-direct
rm -rf "$work"
mkdir -p "$work/esp"
sw_need_cmd "$QEMU" timeout

prepare() {
        "$SW_OVMF_DIR/fetch-kernel.sh" amd64 "$cache" &&
                "$SW_OVMF_DIR/mkinitramfs.sh" amd64 "$cache" "$work/initrd.gz" &&
                "$SW_OVMF_DIR/mkdisk.sh" "$work/disk.img" "$work/esp" label=slot-a,size=32M
}
if ! prepare; then
        t_fail guest-direct/prepare "could not fetch the kernel or build the initramfs/disk"
        t_summary
        exit 1
fi
t_pass guest-direct/prepare

boot() {
        local n=$1 log
        log=$work/boot$n.log
        qemu_boot "guest-direct/boot$n/exit" "boot$n" 1024 180 "$work/disk.img" "$log" \
                -kernel "$cache/amd64/vmlinuz" -initrd "$work/initrd.gz" \
                -append "console=ttyS0,115200 panic=-1 sw.test=boot sw.part=slot-a switcher.slot=a" || true
        t_check "guest-direct/boot$n/up" "$log" '^GUEST: up slot=a arch=x86_64$'
        t_check "guest-direct/boot$n/iomem" "$log" '^GUEST: iomem-ram [0-9a-f]+-[0-9a-f]+$'
        t_check "guest-direct/boot$n/rsdp" "$log" '^GUEST: rsdp 0x[0-9A-Fa-f]+$'
        t_check "guest-direct/boot$n/cmdline" "$log" '^GUEST: cmdline .*sw\.test=boot'
        t_check "guest-direct/boot$n/wrote" "$log" "^GUEST: wrote file slot=a boot=$n "
        t_check "guest-direct/boot$n/done" "$log" '^GUEST: done$'
        if tr -d '\r' <"$log" | grep -q '^GUEST: FAIL'; then
                t_fail "guest-direct/boot$n/no-fail" "$(log_value "$log" '^GUEST: FAIL')"
        else
                t_pass "guest-direct/boot$n/no-fail"
        fi
}

boot 1
boot 2

# Never hang: an unknown role must print a FAIL marker and power off.
neg_log=$work/bogus.log
qemu_boot guest-direct/bogus/exit bogus 1024 180 "$work/disk.img" "$neg_log" \
        -kernel "$cache/amd64/vmlinuz" -initrd "$work/initrd.gz" \
        -append "console=ttyS0,115200 panic=-1 sw.test=bogus switcher.slot=a" || true
t_check guest-direct/bogus-role "$neg_log" "^GUEST: FAIL unknown role 'bogus'$"

check_file guest-direct/readback "$work/disk.img" slot-a /sw-test.txt "$(printf 'slot=a boot=1\nslot=a boot=2')"
check_fsck guest-direct/fsck "$work/disk.img" slot-a "$work/fsck.log"

# The 32-bit guest: Debian's i686 kernel with an i386 busybox.  OVMF x64 cannot
# start a 32-bit kernel given with -kernel (no mixed-mode EFI stub in it), so
# this one boots through SeaBIOS: it checks the guest pieces, not the firmware.
# SW_NO_I386=1 leaves it out.
if [ "${SW_NO_I386:-0}" != 1 ]; then
        if "$SW_OVMF_DIR/fetch-kernel.sh" i386 "$cache" &&
                "$SW_OVMF_DIR/mkinitramfs.sh" i386 "$cache" "$work/initrd-i386.gz" &&
                "$SW_OVMF_DIR/mkdisk.sh" "$work/disk-i386.img" "$work/esp" label=slot-b,size=32M; then
                log=$work/i386.log
                SW_QEMU_FIRMWARE=seabios qemu_boot guest-direct/i386/exit i386 1024 180 "$work/disk-i386.img" "$log" \
                        -kernel "$cache/i386/vmlinuz" -initrd "$work/initrd-i386.gz" \
                        -append "console=ttyS0,115200 panic=-1 sw.test=boot sw.part=slot-b switcher.slot=b" || true
                t_check guest-direct/i386/up "$log" '^GUEST: up slot=b arch=i686$'
                t_check guest-direct/i386/done "$log" '^GUEST: done$'
                check_file guest-direct/i386/readback "$work/disk-i386.img" slot-b /sw-test.txt "slot=b boot=1"
        else
                t_fail guest-direct/i386/prepare "could not fetch the i386 kernel/busybox (SW_NO_I386=1 skips)"
        fi
fi
t_summary
