#!/bin/bash
# t-inplace.sh BUILD
#
# In-place slots, end to end, at -m 6G: slot a is a swap slot in the 256 MiB
# active region; b (256 MiB) and c (2 GiB) are in-place slots that run in
# their own RAM above the active region and share only the low memory below
# 1 MiB with everyone (swapped at each switch).  The hotkeys go a -> b (cold)
# -> c (cold), then c -> b -> c R times (SW_INPLACE_ROUNDS, default 3), then
# c -> a; a leaves for b, b for c, c powers off.  Every slot runs the
# "switch" role's writer.
#
# Checked: the plan's in-place lines; each in-place guest's RAM is exactly the
# shared low ranges plus its DMA32 window (below 4 GiB, docs/dma32.md) plus
# its own region (nothing of the active region above 1 MiB); a switch
# between the two in-place slots copies less than 1 MiB each way; same
# writer PIDs, exact files, clean partitions; and the median resume time
# (hotkey -> userspace) into c (2 GiB) is at most 1.2 times the one into b
# (256 MiB), the figure the README quotes (issue 7's target).
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_agent_test inplace "${1:-build}" switch
rounds=${SW_INPLACE_ROUNDS:-3}
common="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=switch"
cat >"$w/partitions.conf" <<CONF
timeout 0
default a
active-size 256M

slot a
title Swap A
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options $common sw.part=slot-a sw.other=b sw.want=1
partition PARTLABEL=slot-a
hotkey ctrl+alt+1

slot b
title In-place B
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options $common sw.part=slot-b sw.other=c sw.want=$((rounds + 2)) sw.basics=1
partition PARTLABEL=slot-b
mode in-place
memory 256M
hotkey ctrl+alt+2

slot c
title In-place C
linux /slots/c/vmlinuz
initrd /slots/c/initrd.img
options $common sw.part=slot-c sw.other=a sw.want=$((rounds + 2)) sw.last=1 sw.basics=1
partition PARTLABEL=slot-c
mode in-place
memory 2G
hotkey ctrl+alt+3
CONF
sw_disk "$w" a b c

log=$w/serial.log
timings=$w/timings.txt
: >"$timings"
SW_QEMU_BG=1 run_qemu inplace 6G $((400 + rounds * 60)) "$w/disk.img" "$log"
tour_start inplace "$log" "$timings" 300 a
tour_go ctrl-alt-2 b
tour_go ctrl-alt-3 c
for _ in $(seq 1 "$rounds"); do
        tour_go ctrl-alt-2 b
        tour_go ctrl-alt-3 c
done
tour_go ctrl-alt-1 a
[ "$TOUR_OK" = 1 ] && t_pass "inplace/tour"
tour_end c a b c
no_fault inplace "$log"

# The plan: b and c in place, in their own RAM.
t_check inplace/plan-b "$log" '^plan:   slot b +in-place 0x[0-9a-f]+-0x[0-9a-f]+  258 MiB$'
t_check inplace/plan-c "$log" '^plan:   slot c +in-place 0x[0-9a-f]+-0x[0-9a-f]+  2 GiB$'

# Each in-place guest's RAM: the active ranges below 1 MiB, its DMA32 window
# (both slots' own RAM lies above 4 GiB), and its own region (the in-place
# range minus its first 2 MiB, the saved low memory).
plan_ranges "$log" active | while IFS=- read -r lo hi; do
        if [ "$(hexnum "$lo")" -lt $((1 << 20)) ]; then
                echo "$lo-$hi"
        fi
done >"$w/low-ranges"
for s in b c; do
        read -r ob oe < <(tr -d '\r' <"$log" | sed -n "s/^plan:   slot $s *in-place \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\) .*/\1 \2/p")
        win=$(tr -d '\r' <"$log" | sed -n "s/^plan:   slot $s *dma32 \(0x[0-9a-f]*-0x[0-9a-f]*\) .*/\1/p")
        if [ -n "$win" ]; then
                t_pass "inplace/window-$s"
        else
                t_fail "inplace/window-$s" "no dma32 line for slot $s in the plan"
        fi
        { cat "$w/low-ranges"; [ -z "$win" ] || echo "$win"; printf '0x%x-%s\n' $(($(hexnum "$ob") + (2 << 20))) "$oe"; } >"$w/want-ram-$s"
        guest_section "$log" "$s" | guest_ram - >"$w/ram-$s"
        if [ -s "$w/ram-$s" ] && out=$(ranges_equal "$w/ram-$s" "$w/want-ram-$s"); then
                t_pass "inplace/ram-$s"
        else
                t_fail "inplace/ram-$s" "guest RAM [$(tr '\n' ' ' <"$w/ram-$s")] want [$(tr '\n' ' ' <"$w/want-ram-$s")] ${out:-}"
        fi
done

# Between the two in-place slots only the low memory moves.
tr -d '\r' <"$log" >"$w/serial.txt"
big=$(sed -n "s/^switcher: switch '[bc]' -> '[bc]': saved \\([0-9]*\\) KiB, restored \\([0-9]*\\) KiB.*/\\1 \\2/p" "$w/serial.txt" |
        awk '$1 >= 1024 || $2 >= 1024' | head -n 1)
n_bc=$(log_count "$log" "^switcher: switch '[bc]' -> '[bc]'")
if [ "$n_bc" -ge $((2 * rounds)) ] && [ -z "$big" ]; then
        t_pass inplace/copies-low-memory-only
else
        t_fail inplace/copies-low-memory-only "$n_bc b<->c switches; one copied '$big' KiB"
fi

for s in a b c; do
        check_slot_writer "$log" "$w" inplace "$s" "$w/disk.img"
done
# The resume into the 2 GiB slot is to take at most 1.2 times the resume
# into the 256 MiB one (medians over this run's SW_INPLACE_ROUNDS of each):
# an in-place switch copies only the low memory, whatever the slot's size.
mb=$(awk '$1 == "resume-b" { print $2 }' "$timings" | median)
mc=$(awk '$1 == "resume-c" { print $2 }' "$timings" | median)
if [ -z "$mb" ] || [ -z "$mc" ]; then
        t_fail inplace/resume-ratio "no resume timings into b or c (the tour stopped early)"
else
        ratio=$(awk -v b="$mb" -v c="$mc" 'BEGIN { printf "%.2f", c / b }')
        echo "inplace: median resume into b (256 MiB) $mb ms, into c (2 GiB) $mc ms, ratio $ratio (target <= 1.2)"
        if awk -v b="$mb" -v c="$mc" 'BEGIN { exit !(c <= 1.2 * b) }'; then
                t_pass inplace/resume-ratio
        else
                t_fail inplace/resume-ratio "median resume into c $mc ms is $ratio times that into b ($mb ms), more than 1.2"
        fi
fi
awk '{ print "inplace: " $1 ": " $2 " ms" }' "$timings"
t_summary
