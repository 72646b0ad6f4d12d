#!/bin/bash
# t-lazy.sh BUILD
#
# The lazy save of the active region (issue 13): a swap slot b that hands
# over to an in-place slot a saves only the low memory a overwrites (632
# KiB here), not its 256 MiB; switching back brings only that back; and one
# byte of b's RAM changed in the active region while a runs is caught
# before b is resumed, exactly as t-integrity catches a changed store: b is
# refused, marked failed, and a goes on with the reason.  See the "lazy"
# role for the steps.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_agent_test lazy "${1:-build}" lazy
# 128 MiB into the active region: b's RAM, outside everything a sees as
# RAM (the plan below is checked to say so).
poke=0x8000000
common="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=lazy"
cat >"$w/partitions.conf" <<CONF
timeout 0
default b
active-size 256M

slot a
title In-place A
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options $common sw.part=slot-a sw.poke=$poke
partition PARTLABEL=slot-a
mode in-place
memory 256M

slot b
title Swap B
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options $common sw.part=slot-b sw.first=1
partition PARTLABEL=slot-b
CONF
sw_disk "$w" a b

log=$w/serial.log
qemu_boot lazy/power-off lazy 2G 600 "$w/disk.img" "$log" || true

# The poke lands in b's RAM in the active region, outside a's RAM.
in_active=0
while read -r range; do
        lo=$(hexnum "${range%-*}")
        hi=$(hexnum "${range#*-}")
        [ $((poke)) -ge "$lo" ] && [ $((poke + 4)) -le $((hi + 1)) ] && in_active=1
done < <(tr -d '\r' <"$log" | sed -n 's/^plan:   active   \(0x[0-9a-fA-F]*-0x[0-9a-fA-F]*\).*/\1/p')
own=$(tr -d '\r' <"$log" | sed -n 's/^plan:   slot a *in-place \(0x[0-9a-fA-F]*-0x[0-9a-fA-F]*\).*/\1/p')
if [ -n "$own" ] && [ $((poke)) -ge "$(hexnum "${own%-*}")" ] && [ $((poke)) -le "$(hexnum "${own#*-}")" ]; then
        in_active=0
fi
if [ "$in_active" = 1 ] && [ -n "$own" ]; then
        t_pass lazy/poke-in-active-region
else
        t_fail lazy/poke-in-active-region "$poke is not inside the plan's active region, or inside a's own RAM ($own)"
fi
t_check lazy/b-up "$log" '^GUEST: lazy b-up writer=[0-9]+$'
t_check lazy/a-up "$log" '^GUEST: lazy a-up$'
# b -> a saves only a's low memory; a -> b brings back only that.
t_check lazy/b-to-a-saves-low-only "$log" "^switcher: switch 'b' -> 'a': saved 632 KiB, "
t_check lazy/a-to-b-restores-low-only "$log" "^switcher: switch 'a' -> 'b': saved 632 KiB, restored 632 KiB "
t_check lazy/b-back-alive "$log" '^GUEST: lazy b-back rc 0 writer=[0-9]+ alive$'
t_check lazy/a-back "$log" '^GUEST: lazy a-back rc 0 '
t_check lazy/poked "$log" '^GUEST: lazy poke 0x8000000 0x[0-9A-Fa-f]+ -> 0x[0-9A-Fa-f]+$'
t_check lazy/switcher-refused "$log" "^switcher: slot 'b': cannot resume: its RAM left in the active region changed since it was left there \(checksum [0-9a-f]+, saved [0-9a-f]+\) \(data-mismatch\); slot marked failed$"
t_check lazy/requester-told "$log" "^GUEST: lazy refused rc 1 .*cannot resume 'b': its RAM left in the active region changed since it was left there"
t_check lazy/b-failed "$log" '^GUEST: lazy state b failed$'
t_check lazy/machine-off "$log" "^switcher: slot 'a' is off and no other slot has state: powering off$"
# b's writer: the same PID before and after its lazy resume, counting on.
tr -d '\r' <"$log" | sed -n 's/^GUEST: tick slot=b pid=\([0-9]*\) n=\([0-9]*\) .*/\1 \2/p' >"$w/ticks-b"
if awk 'NR == 1 { pid = $1; n = $2; next } $1 != pid || $2 != n + 1 { bad = 1 } { n = $2 }
        END { exit bad || NR < 4 }' "$w/ticks-b"; then
        t_pass lazy/b-writer-continuous
else
        t_fail lazy/b-writer-continuous "$(tr '\n' ' ' <"$w/ticks-b")"
fi
no_fault lazy "$log"
t_summary
