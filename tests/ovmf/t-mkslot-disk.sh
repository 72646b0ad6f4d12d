#!/bin/bash
# t-mkslot-disk.sh BUILD
#
# A disk made only by `mkslot image` and `mkslot disk` boots: two slots from
# slot images, slot a's partition filled from a tarball.  Run 1 checks that
# slot a boots with the image's title and command line plus its own
# 'options', that the guest finds the tarball's file and writes its own,
# and that `mkslot plan --memmap` on the serial log prints the very plan
# lines the switcher printed.  Run 2 flips one byte of slot a's kernel
# inside that disk's ESP: the switcher refuses slot a, naming the slot, the
# file and the reason, and boots slot b instead.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_need_cmd sgdisk mcopy mke2fs debugfs
sw_test mkslot-disk "${1:-build}"
mkdir -p "$w/files/slots" "$w/root-a"
mk=$build/mkslot
for id in a b; do
        if ! "$mk" image -k "$SW_KERNEL" -i "$SW_INITRD" --title "Packed $id" \
                --cmdline "console=ttyS0,115200 panic=-1 sw.test=boot" -o "$w/files/slots/$id.slot" >"$w/image-$id.log" 2>&1; then
                t_fail mkslot-disk/image "mkslot image: $(cat "$w/image-$id.log")"
                t_summary
                exit 1
        fi
done
cat >"$w/partitions.conf" <<'CONF'
timeout 0
default a
active-size 160M
console both

slot a
image /slots/a.slot
options sw.part=slot-a
partition PARTLABEL=slot-a

slot b
image /slots/b.slot
options sw.part=slot-b
partition PARTLABEL=slot-b
memory 96M
CONF
echo "from the tarball" >"$w/root-a/hello.txt"
tar -cf "$w/root-a.tar" -C "$w/root-a" .
if "$mk" disk --files "$w/files" --part slot-a:16M:"$w/root-a.tar" --part slot-b:16M \
        -o "$w/disk.img" "$w/partitions.conf" >"$w/disk.log" 2>&1; then
        t_pass mkslot-disk/disk
else
        t_fail mkslot-disk/disk "$(cat "$w/disk.log")"
        t_summary
        exit 1
fi
cp "$w/disk.img" "$w/pristine.img"

# --- run 1: the disk as mkslot made it ------------------------------------------
log=$w/serial.log
qemu_boot mkslot-disk/exit mkslot-disk 512M 180 "$w/disk.img" "$log" || true
t_check mkslot-disk/verified "$log" "^switcher: slot 'a': image /slots/a.slot verified: kernel 6\.[0-9.]+-[0-9]+-amd64"
t_check mkslot-disk/menu-title "$log" '=> 1\) Packed a'
t_check mkslot-disk/up "$log" '^GUEST: up slot=a arch=x86_64$'
t_check mkslot-disk/cmdline "$log" '^GUEST: cmdline .*sw\.test=boot sw\.part=slot-a switcher\.slot=a '
t_check mkslot-disk/done "$log" '^GUEST: done$'
check_file mkslot-disk/file-written "$w/disk.img" slot-a /sw-test.txt "slot=a boot=1"
check_file mkslot-disk/tarball-contents "$w/disk.img" slot-a /hello.txt "from the tarball"
check_fsck mkslot-disk/fsck "$w/disk.img" slot-a "$w/fsck.log"
# mkslot plan on this machine's memory map (from the serial log): the same
# lines, byte for byte, as the switcher printed at boot, but for the
# recovery copies: those are sized at boot from the kernel and initrds the
# switcher read (every tboot slot gets one), which mkslot plan does not
# read, and placed last, so nothing else moves.
tr -d '\r' <"$log" | grep -a '^plan:' | grep -av '^plan:   slot .* spare 0x' >"$w/plan-boot.txt" || true
if "$mk" plan --memmap "$log" "$w/partitions.conf" >"$w/plan-host.txt" 2>"$w/plan-host.err" &&
        [ -s "$w/plan-boot.txt" ] && cmp -s "$w/plan-boot.txt" "$w/plan-host.txt"; then
        t_pass mkslot-disk/plan-matches-boot
else
        t_fail mkslot-disk/plan-matches-boot "$(diff "$w/plan-boot.txt" "$w/plan-host.txt" | head -n 10)"
fi

# --- run 2: one byte of slot a's kernel flipped on the ESP --------------------------
cp "$w/pristine.img" "$w/disk.img"
disk_extract "$w/disk.img" ESP "$w/esp.img"
MTOOLS_SKIP_CHECK=1 mcopy -i "$w/esp.img" ::/slots/a.slot "$w/a.slot"
# The kernel's "HdrS" sits 0x202 bytes into it; flip a byte 1 MiB further on.
hdrs=$(grep -obUaP 'HdrS' "$w/a.slot" | head -n1 | cut -d: -f1)
at=$((hdrs - 0x202 + 0x100000))
printf "$(printf '\\x%02x' $(($(od -An -tu1 -j "$at" -N1 "$w/a.slot") ^ 0x01)))" |
        dd of="$w/a.slot" bs=1 seek="$at" conv=notrunc status=none
"$mk" inspect "$w/a.slot" >"$w/inspect.out" 2>"$w/inspect.err" && t_fail mkslot-disk/inspect-damaged "inspect accepted it" ||
        t_check mkslot-disk/inspect-damaged "$w/inspect.err" "^error: $w/a\.slot: kernel hash mismatch$"
MTOOLS_SKIP_CHECK=1 mcopy -o -i "$w/esp.img" "$w/a.slot" ::/slots/a.slot
dd if="$w/esp.img" of="$w/disk.img" bs=1M seek=1 conv=notrunc status=none

log=$w/serial-flipped.log
qemu_boot mkslot-disk/flipped-exit mkslot-flipped 512M 180 "$w/disk.img" "$log" || true
t_check mkslot-disk/flipped-reason "$log" "^switcher: error: slot 'a': /slots/a\.slot: kernel hash mismatch$"
t_check mkslot-disk/flipped-refused "$log" \
        "^switcher: error: /EFI/BOOT/partitions\.conf:7: slot 'a': image '/slots/a\.slot' refused; slot dropped$"
t_check mkslot-disk/flipped-other-boots "$log" '^GUEST: up slot=b arch=x86_64$'
if tr -d '\r' <"$log" | grep -q '^GUEST: up slot=a'; then
        t_fail mkslot-disk/flipped-not-booted "slot a booted from a damaged image"
else
        t_pass mkslot-disk/flipped-not-booted
fi
check_file mkslot-disk/flipped-b-wrote "$w/disk.img" slot-b /sw-test.txt "slot=b boot=1"
t_summary
