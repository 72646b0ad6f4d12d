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

sw_test boot "${1:-build}"
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
sw_disk "$w" a b

log=$w/serial.log
qemu_boot boot/exit boot 512M 180 "$w/disk.img" "$log" || true

t_check boot/plan "$log" '^plan: active region 160 MiB in [0-9]+ range'
t_check boot/plan-b "$log" '^plan:   slot b +store 0x[0-9a-f]+-0x[0-9a-f]+  96 MiB'
t_check boot/wake-vector "$log" '^switcher: firmware FACS 0x[0-9a-f]+: waking vector -> 0x[0-9a-f]+'
t_check boot/menu "$log" '=> 1\) Boot test A'
t_check boot/up "$log" '^GUEST: up slot=a arch=x86_64$'
t_check boot/done "$log" '^GUEST: done$'

# Every usable range the guest sees lies inside the active region.
check_ram_inside_active boot "$log" a "$w"

# The RSDP the kernel used is slot a's copy, not the firmware's.
check_rsdp_copy boot "$log" a

# The switcher told the guest who it is and where the mailbox is.
t_check boot/cmdline "$log" '^GUEST: cmdline .*switcher\.slot=a switcher\.mailbox=0x[0-9a-f]+'

# The file the guest wrote is on its partition, and only there.
check_file boot/file-written "$w/disk.img" slot-a /sw-test.txt "slot=a boot=1"
if disk_readfile "$w/disk.img" slot-b /sw-test.txt >/dev/null 2>&1; then
        t_fail boot/other-partition-untouched "slot-b has a /sw-test.txt"
else
        t_pass boot/other-partition-untouched
fi
check_fsck boot/fsck "$w/disk.img" slot-a "$w/fsck.log"
t_summary
