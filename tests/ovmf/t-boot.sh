#!/bin/bash
# t-boot.sh BUILD
#
# The boot path, end to end: OVMF starts switcher.efi from the ESP, it reads
# partitions.conf, prints the memory plan and cold-boots slot a's stock Debian
# kernel.  Inside the guest, every usable RAM range lies in the active region,
# the RSDP the kernel reports is slot a's copy, and the guest mounts its own
# partition and writes a file the host reads back after QEMU exits.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

build=$(cd "${1:-build}" && pwd)
need_switcher "$build"
w=$build/ovmf/boot
rm -rf "$w"
mkdir -p "$w"

if ! sw_guest amd64 "$build"; then
        t_fail boot/prepare "could not fetch the kernel or build the initramfs"
        t_summary
        exit 1
fi
cat >"$w/partitions.conf" <<'CONF'
timeout 0
default a
active-size 160M
console both

slot a
title Boot test A
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=boot sw.part=slot-a
partition PARTLABEL=slot-a
hotkey ctrl+alt+1

slot b
title Boot test B (preloaded, not started)
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=boot sw.part=slot-b
partition PARTLABEL=slot-b
memory 96M
CONF
sw_esp "$w/esp" "$build" "$w/partitions.conf"
sw_esp_slot "$w/esp" a
sw_esp_slot "$w/esp" b
"$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" label=slot-a,size=16M label=slot-b,size=16M >/dev/null

log=$w/serial.log
t0=$(sw_now_ms)
rc=0
run_qemu boot 512M 180 "$w/disk.img" "$log" || rc=$?
echo "boot: qemu exit $rc after $(sw_since "$t0") s"
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        t_fail boot/exit "QEMU timed out"
        expect_line "$log" 'GUEST: done' || true
else
        t_pass boot/exit
fi

t_check boot/plan "$log" '^plan: active region 160 MiB in [0-9]+ range'
t_check boot/plan-b "$log" '^plan:   slot b +store 0x[0-9a-f]+-0x[0-9a-f]+  96 MiB'
t_check boot/wake-vector "$log" '^switcher: firmware FACS 0x[0-9a-f]+: waking vector -> 0x[0-9a-f]+'
t_check boot/menu "$log" '=> 1\) Boot test A'
t_check boot/up "$log" '^GUEST: up slot=a arch=x86_64$'
t_check boot/done "$log" '^GUEST: done$'

# Every usable range the guest sees lies inside the active region.
guest_section "$log" a | guest_ram - >"$w/guest-ram"
plan_ranges "$log" active >"$w/plan-active"
if [ ! -s "$w/guest-ram" ] || [ ! -s "$w/plan-active" ]; then
        t_fail boot/ram-inside-active "no guest RAM lines or no plan lines in the log"
elif out=$(ranges_inside "$w/guest-ram" "$w/plan-active"); then
        t_pass boot/ram-inside-active
else
        t_fail boot/ram-inside-active "$out"
fi

# The RSDP the kernel used is slot a's copy, not the firmware's.
copy=$(log_value "$log" '^switcher: slot a: RSDP copy at ' | sed 's/.*RSDP copy at \(0x[0-9a-fA-F]*\).*/\1/')
seen=$(log_value "$log" '^GUEST: rsdp ' | sed 's/^GUEST: rsdp //')
if [ -n "$copy" ] && [ -n "$seen" ] && [ "$(hexnum "$copy")" = "$(hexnum "$seen")" ]; then
        t_pass boot/rsdp-is-slot-copy
else
        t_fail boot/rsdp-is-slot-copy "switcher copy '$copy', guest saw '$seen'"
fi

# The switcher told the guest who it is and where the mailbox is.
t_check boot/cmdline "$log" '^GUEST: cmdline .*switcher\.slot=a switcher\.mailbox=0x[0-9a-f]+'

# The file the guest wrote is on its partition, and only there.
content=$(disk_readfile "$w/disk.img" slot-a /sw-test.txt 2>/dev/null || true)
if [ "$content" = "slot=a boot=1" ]; then
        t_pass boot/file-written
else
        t_fail boot/file-written "slot-a:/sw-test.txt is '$content'"
fi
if disk_readfile "$w/disk.img" slot-b /sw-test.txt >/dev/null 2>&1; then
        t_fail boot/other-partition-untouched "slot-b has a /sw-test.txt"
else
        t_pass boot/other-partition-untouched
fi
if disk_fsck "$w/disk.img" slot-a >"$w/fsck.log" 2>&1; then
        t_pass boot/fsck
else
        t_fail boot/fsck "$(tail -n 5 "$w/fsck.log")"
fi
t_summary
