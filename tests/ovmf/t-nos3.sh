#!/bin/bash
# t-nos3.sh BUILD
#
# A machine without S3 (q35 with disable_s3=1: its DSDT has no \_S3, like an
# s2idle-only laptop), with 4 CPUs that have 5-level paging (la57): two
# stock Debian amd64 slots still switch by hotkey, because the switcher
# gives each slot's ACPI copy an SSDT declaring \_S3 (so the kernel offers
# "deep") and the hand-off goes through the switcher's tboot entry, never
# the firmware; the stub leaves long mode from the kernels' PML5 tables. The
# "switch" role's tour: a -> b (cold) and back, R times (SW_NOS3_ROUNDS,
# default 2); b powers the machine off.  Checked: the SSDT was added and the
# guests see S3, every switch came through the tboot entry with all three
# application processors parked (the kernel's num_in_wfs wait: no timeout),
# no firmware S3 wake, the writers' PIDs and files, both partitions clean.
# An i386 slot cannot switch on such a machine: its kernel has no tboot
# interface.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_agent_test nos3 "${1:-build}" switch
rounds=${SW_NOS3_ROUNDS:-2}
common="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=switch sw.rounds=$rounds"
cat >"$w/partitions.conf" <<CONF
timeout 0
default a
active-size 256M

slot a
title No-S3 A
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options $common sw.part=slot-a sw.other=b
partition PARTLABEL=slot-a
hotkey ctrl+alt+1

slot b
title No-S3 B
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options $common sw.part=slot-b sw.other=a sw.last=1
partition PARTLABEL=slot-b
hotkey ctrl+alt+2
CONF
sw_disk "$w" a b

log=$w/serial.log
timings=$w/timings.txt
: >"$timings"
SW_QEMU_CPU=qemu64,la57=on SW_QEMU_S3=0 SW_QEMU_SMP=4 SW_QEMU_BG=1 run_qemu nos3 1G $((400 + rounds * 60)) "$w/disk.img" "$log"
tour_start nos3 "$log" "$timings" 300 a
for _ in $(seq 1 "$rounds"); do
        tour_go ctrl-alt-2 b
        tour_go ctrl-alt-1 a
done
[ "$TOUR_OK" = 1 ] && t_pass "nos3/$rounds-round-trips"
tour_end b a b

t_check nos3/ssdt-a "$log" '^switcher: firmware has no \\_S3: slot a gets an SSDT declaring it$'
t_check nos3/ssdt-b "$log" '^switcher: firmware has no \\_S3: slot b gets an SSDT declaring it$'
t_check nos3/guest-sees-s3 "$log" 'ACPI: PM: \(supports S0 S3'
# Both kernels run on 5-level paging (the CPU has la57), so the stub leaves
# long mode from the kernel's PML5 tables.
t_check nos3/la57-a "$log" '^GUEST: paging slot=a la57=1$'
t_check nos3/la57-b "$log" '^GUEST: paging slot=b la57=1$'
n=$(log_count "$log" "^switcher: slot '[ab]' entered through its tboot entry: S3 \(3 CPUs parked\)$")
all=$(log_count "$log" "^switcher: slot '[ab]' entered through its tboot entry: S3 ")
if [ "$n" -ge $((2 * rounds)) ] && [ "$n" = "$all" ]; then
        t_pass nos3/all-through-tboot-3-aps-parked
else
        t_fail nos3/all-through-tboot-3-aps-parked "$n of $all S3 entries through tboot with 3 CPUs parked, want all, at least $((2 * rounds))"
fi
n_sw=$(log_count "$log" "^switcher: switch '[ab]' -> '[ab]'")
if [ "$n_sw" = $((2 * rounds + 1)) ]; then
        t_pass nos3/switcher-switches
else
        t_fail nos3/switcher-switches "$n_sw switches logged, want $((2 * rounds + 1))"
fi
no_firmware_s3 nos3 "$log"
no_kernel_complaint nos3 "$log"
no_fault nos3 "$log"
for s in a b; do
        check_slot_writer "$log" "$w" nos3 "$s" "$w/disk.img"
done
awk '{ print "nos3: " $1 ": " $2 " ms" }' "$timings"
t_summary
