#!/bin/bash
# t-i386.sh BUILD
#
# 32-bit slots, end to end, the original idea, next to 64-bit ones: at
# -m 6G, two stock Debian amd64 kernels (a swapped, b in place) and Debian's
# stock i386 kernel (c, swapped, 'arch auto': the switcher reads it from the
# header), with the stores above 4 GiB.  The active region (2 GiB) is larger
# than the RAM q35 has below 4 GiB, so it runs on above 4 GiB; a sees its
# first 128 MiB ('memory 128M'), c sees all of it that lies below 4 GiB and
# nothing above.  c is entered through the boot protocol's 32-bit entry and
# runs the i386 build of the agent.  a and b hand over through the
# switcher's tboot entry, c through the firmware's S3: one machine, both
# ways.
#
# The hotkeys go round the three in both directions, R times (SW_I386_ROUNDS,
# default 1): a -> c (cold the first time) -> a -> b (cold) -> c -> b -> a;
# then AB round trips between a and b (SW_I386_AB_ROUNDS, default 10).
# Every slot runs the "switch" role's writer; then a leaves for b, b for c,
# and c powers off.  Checked: every switch's marker, c's RAM map (no RAM at or
# above 4 GiB, and the plan's active region does reach above it), the 32-bit
# entry and the arch the switcher detected, which way each switch came
# (tboot entry or firmware S3), both CPUs back after every switch, and for
# each slot the same writer PID throughout, its file exact and its partition
# clean.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_test_dir i386 "${1:-build}"
rounds=${SW_I386_ROUNDS:-1}
ab=${SW_I386_AB_ROUNDS:-10}

if ! sw_guest amd64 "$build" || ! sw_agent_initrd "$build" "$w/amd64" switch; then
        sw_prepare_failed i386 "could not build the amd64 guest with the agent (see above)"
fi
k64=$SW_KERNEL i64=$SW_INITRD
if ! sw_guest i386 "$build" || ! SW_GUEST_ARCH=i386 sw_agent_initrd "$build" "$w/i386" switch; then
        sw_prepare_failed i386 "could not build the i386 guest with the i386 agent (see above; make agent32)"
fi
k32=$SW_KERNEL i32=$SW_INITRD

# Switches into each slot: two per round each; then a leaves for b and b for
# c, one more each for b and c.
common="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=switch"
cat >"$w/partitions.conf" <<CONF
timeout 0
default a
active-size 2G

slot a
title amd64 A
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options $common sw.part=slot-a sw.other=b sw.want=$((2 * rounds + ab)) sw.badreq=0
partition PARTLABEL=slot-a
memory 128M
hotkey ctrl+alt+1

slot b
title amd64 B
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options $common sw.part=slot-b sw.other=c sw.want=$((2 * rounds + 1 + ab))
partition PARTLABEL=slot-b
mode in-place
memory 256M
# The 2 GiB active region takes all the RAM below 4 GiB: no room for a DMA32
# window (docs/dma32.md); b runs without one, as it did before windows.
dma32-size 0
hotkey ctrl+alt+2

slot c
title i386 C
linux /slots/c/vmlinuz
initrd /slots/c/initrd.img
options $common sw.part=slot-c sw.other=a sw.want=$((2 * rounds + 1)) sw.last=1 sw.basics=1
partition PARTLABEL=slot-c
hotkey ctrl+alt+3
CONF
sw_esp "$w/esp" "$build" "$w/partitions.conf"
for s in a b; do
        mkdir -p "$w/esp/slots/$s"
        cp "$k64" "$w/esp/slots/$s/vmlinuz"
        cp "$i64" "$w/esp/slots/$s/initrd.img"
done
mkdir -p "$w/esp/slots/c"
cp "$k32" "$w/esp/slots/c/vmlinuz"
cp "$i32" "$w/esp/slots/c/initrd.img"
"$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" label=slot-a,size=16M label=slot-b,size=16M \
        label=slot-c,size=16M >/dev/null

log=$w/serial.log
timings=$w/timings.txt
: >"$timings"
SW_QEMU_QMP=1 SW_QEMU_BG=1 run_qemu i386 6G $((420 + rounds * 300)) "$w/disk.img" "$log"
tour_start i386 "$log" "$timings" 300 a
for r in $(seq 1 "$rounds"); do
        tour_go ctrl-alt-3 c
        tour_go ctrl-alt-1 a
        tour_go ctrl-alt-2 b
        tour_go ctrl-alt-3 c
        tour_go ctrl-alt-2 b
        tour_go ctrl-alt-1 a
done
[ "$TOUR_OK" = 1 ] && t_pass "i386/$rounds-tours-both-directions"
# Between the two amd64 slots (swap a, in-place b), both through the tboot
# entry: AB round trips.
for _ in $(seq 1 "$ab"); do
        tour_go ctrl-alt-2 b
        tour_go ctrl-alt-1 a
done
[ "$TOUR_OK" = 1 ] && t_pass "i386/$ab-round-trips-a-b"
# The end: a leaves for b, b for c, c powers the machine off.
tour_end c a b c

# What the switcher said about c: arch from the header, 32-bit entry.
t_check i386/detected-arch "$log" "^switcher: slot 'c': kernel [^ ]*-686 \(i386, protocol 2\.[0-9]+"
t_check i386/entry32 "$log" "^switcher: entering slot 'c' at 0x[0-9a-f]+ \(32-bit entry, boot_params 0x[0-9a-f]+\)"
t_check i386/guest-is-i686 "$log" '^GUEST: up slot=c arch=i686$'
n_sw=$(log_count "$log" "^switcher: switch '[abc]' -> '[abc]'")
if [ "$n_sw" -ge $((6 * rounds + 2 * ab + 2)) ]; then
        t_pass i386/switcher-switches
else
        t_fail i386/switcher-switches "$n_sw switches logged, want at least $((6 * rounds + 2 * ab + 2))"
fi
# Which way each switch came: the amd64 slots through the tboot entry, the
# i386 slot through the firmware's S3 (its wake blob's line).
n_from_c=$(log_count "$log" "^switcher: switch 'c' -> ")
n_tb=$(log_count "$log" "^switcher: slot '[ab]' entered through its tboot entry: S3 ")
n_fw=$(log_count "$log" '^switcher: S3 wake')
if [ "$n_fw" = "$n_from_c" ] && [ "$n_tb" = $((n_sw - n_from_c)) ] && [ "$n_from_c" -ge $((2 * rounds)) ]; then
        t_pass i386/amd64-tboot-i386-s3
else
        t_fail i386/amd64-tboot-i386-s3 "$n_tb tboot S3 entries and $n_fw firmware wakes for $n_sw switches, $n_from_c of them from c"
fi
# The same from QEMU's side: the machine entered S3 (QMP SUSPEND) once per
# switch away from c, and never for a switch between a and b.  Read after
# QEMU ended (tour_end), when the recorder has written every event.
run=$(dirname "$log")/i386.run
n_susp=$(qmp_count "$run" SUSPEND)
n_wake=$(qmp_count "$run" WAKEUP)
if [ "$n_susp" = "$n_from_c" ] && [ "$n_wake" = "$n_from_c" ]; then
        t_pass i386/qmp-suspend-only-from-i386
else
        t_fail i386/qmp-suspend-only-from-i386 "QMP saw $n_susp SUSPEND and $n_wake WAKEUP events; $n_from_c switches came from c (the only S3-path slot), $((n_sw - n_from_c)) from a or b"
fi
# (A cold boot's switch is the slot's first: its role starts after it and
# reports only the switches that come later.)
n_cold=$(log_count "$log" "^switcher: cold boot of slot ")
bad=$(tr -d '\r' <"$log" | grep -a '^GUEST: cpus ' | grep -av ' n=2$' || true)
if [ -z "$bad" ] && [ "$(log_count "$log" '^GUEST: cpus ')" -ge $((n_sw - n_cold)) ]; then
        t_pass i386/cpus-back
else
        t_fail i386/cpus-back "${bad:-only $(log_count "$log" '^GUEST: cpus ') cpus lines for $n_sw switches, $n_cold of them cold boots}"
fi
no_kernel_complaint i386 "$log"
no_fault i386 "$log"

# Stores above 4 GiB, an active region that reaches above 4 GiB, and none of
# that above-4-GiB RAM in c's map.
stores_high=1
while read -r _ _ id _ range _; do
        start=${range%-*}
        [ "$(hexnum "$start")" -ge $((4 << 30)) ] || { stores_high=0; echo "i386: store of $id at $range"; }
done < <(tr -d '\r' <"$log" | grep -a '^plan:   slot .* store ')
if [ "$stores_high" = 1 ] && [ "$(log_count "$log" '^plan:   slot .* store ')" = 2 ]; then
        t_pass i386/stores-above-4G
else
        t_fail i386/stores-above-4G "not both stores (a, c) lie above 4 GiB"
fi
active_top=0
while read -r range; do
        end=$(hexnum "${range#*-}")
        [ "$end" -gt "$active_top" ] && active_top=$end
done < <(tr -d '\r' <"$log" | sed -n 's/^plan:   active   \(0x[0-9a-fA-F]*-0x[0-9a-fA-F]*\).*/\1/p')
c_top=0 c_ram=0
while read -r range; do
        lo=$(hexnum "${range%-*}")
        hi=$(hexnum "${range#*-}")
        c_ram=$((c_ram + hi - lo + 1))
        [ "$hi" -gt "$c_top" ] && c_top=$hi
done < <(tr -d '\r' <"$log" | sed -n 's/^GUEST: iomem-ram \([0-9a-fA-F]*-[0-9a-fA-F]*\)$/\1/p')
echo "i386: active region ends at $(printf '0x%x' "$active_top"); slot c's RAM ends at $(printf '0x%x' "$c_top"), $((c_ram >> 20)) MiB"
if [ "$active_top" -ge $((4 << 30)) ] && [ "$c_top" -gt 0 ] && [ "$c_top" -lt $((4 << 30)) ] &&
        [ "$c_ram" -gt $((1 << 30)) ]; then
        t_pass i386/guest-ram-below-4G
else
        t_fail i386/guest-ram-below-4G "active top $(printf '0x%x' "$active_top"), c's RAM top $(printf '0x%x' "$c_top"), $((c_ram >> 20)) MiB"
fi

for s in a b c; do
        check_slot_writer "$log" "$w" i386 "$s" "$w/disk.img"
done
awk '{ print "i386: " $1 ": " $2 " ms" }' "$timings"
t_summary
