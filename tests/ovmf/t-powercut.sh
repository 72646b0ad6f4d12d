#!/bin/bash
# t-powercut.sh BUILD
#
# Power cuts (issue 16): the machine loses power (QEMU killed with SIGKILL)
# at three bad moments, and no guest loses anything it reported as written.
# Three slots run the "powercut" role: a and b swap slots in a 512 MiB
# active region, c in place; each appends records to its partition, reports
# each one after fsync() with its MD5, and keeps 16 MiB of dirty page cache
# in flight.  Every run boots the same disk:
#
#   1. a boots; ctrl-alt-2: the power goes while the switcher saves a's
#      512 MiB (after a's tboot entry, before the switcher's "saved" line:
#      a first save into a store QEMU never touched takes seconds).
#   2. a boots again (its journal replayed); the power goes while it writes.
#   3. a boots again; ctrl-alt-3: the power goes while c cold-boots at the
#      switch (after the switcher's "cold boot of slot 'c'", before c is up).
#   4. a boots again, then b and c (cold boots at switches): each mounts
#      its partition and writes.  The machine is stopped.
#
# After every cut: each partition, copied and its journal replayed
# (e2fsck -E journal_only), is clean under e2fsck -fn and holds every record
# its guest reported, with that record's MD5.  Checked as well: each cut
# happened at the moment it is named for (the log at the cut), and the
# kernels of run 2 and 4 replayed their journals ("recovery complete").
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_agent_test powercut "${1:-build}" powercut
common="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=powercut"
cat >"$w/partitions.conf" <<CONF
timeout 0
default a
active-size 512M

slot a
title Swap A
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options $common sw.part=slot-a
partition PARTLABEL=slot-a
hotkey ctrl+alt+1

slot b
title Swap B
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options $common sw.part=slot-b
partition PARTLABEL=slot-b
hotkey ctrl+alt+2

slot c
title In-place C
linux /slots/c/vmlinuz
initrd /slots/c/initrd.img
options $common sw.part=slot-c
partition PARTLABEL=slot-c
mode in-place
memory 256M
hotkey ctrl+alt+3
CONF
sw_disk "$w" a b c
disk=$w/disk.img
recs=$w/reported.txt
: >"$recs"

# boot N: start run N in the background (log $w/runN.log); sets log, run.
boot() {
        log=$w/run$1.log
        SW_QEMU_BG=1 run_qemu "run$1" 3G 600 "$disk" "$log" -pidfile "$w/run$1.pid"
        run=$SW_QEMU_RUN_DIR
}
# until_line RE SECS: poll the log every 50 ms until RE appears.
until_line() {
        local i
        for i in $(seq 1 $(($2 * 20))); do
                tr -d '\r' <"$log" | grep -aEq -- "$1" && return 0
                qemu_gone && return 1
                sleep 0.05
        done
        return 1
}
# power_cut N: the power cut: SIGKILL to QEMU itself, then its records noted.
power_cut() {
        local pid
        pid=$(cat "$w/run$1.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; then
                t_pass "powercut/run$1-killed"
        else
                t_fail "powercut/run$1-killed" "no QEMU process to kill (pid '$pid')"
        fi
        wait "$SW_QEMU_PID" 2>/dev/null || true
        tr -d '\r' <"$log" | sed -n 's/^GUEST: rec slot=\([a-z]*\) boot=\([0-9]*\) n=\([0-9]*\) md5=\([0-9a-f]*\)$/\1 \2 \3 \4/p' >>"$recs"
}
# after N: the checks after run N, for every slot that has run so far.
after() {
        local s tmp out missing n
        for s in a b c; do
                grep -q "^$s " "$recs" || continue
                tmp=$w/part-$s.img
                disk_extract "$disk" "slot-$s" "$tmp"
                e2fsck -E journal_only -y "$tmp" >"$w/replay-$1-$s.log" 2>&1 || true
                if out=$(e2fsck -fn "$tmp" 2>&1); then
                        t_pass "powercut/run$1-$s-fsck"
                else
                        t_fail "powercut/run$1-$s-fsck" "$(printf '%s\n' "$out" | tail -n 4 | tr '\n' ' ')"
                fi
                debugfs -R "cat /records.txt" "$tmp" 2>/dev/null >"$w/records-$1-$s.txt" || true
                missing=$(awk -v s="$s" '$1 == s { print "slot=" $1 " boot=" $2 " n=" $3, $4 }' "$recs" |
                        while read -r l1 l2 l3 sum; do
                                line="$l1 $l2 $l3"
                                if ! grep -qxF -- "$line" "$w/records-$1-$s.txt"; then
                                        echo "'$line' missing"
                                elif [ "$(echo "$line" | md5sum | cut -d' ' -f1)" != "$sum" ]; then
                                        echo "'$line' md5 differs"
                                fi
                        done)
                n=$(awk -v s="$s" '$1 == s' "$recs" | wc -l)
                if [ -z "$missing" ] && [ "$n" -gt 0 ]; then
                        t_pass "powercut/run$1-$s-records"
                else
                        t_fail "powercut/run$1-$s-records" "of $n records reported: $(printf '%s\n' "$missing" | head -n 3 | tr '\n' ' ')"
                fi
                rm -f "$tmp"
        done
}

# 1. During the switcher's save of a's 512 MiB.
boot 1
if wait_for_marker "$log" '^GUEST: ready slot=a boot=1$' 300 && wait_for_count "$log" '^GUEST: rec slot=a ' 3 60; then
        qemu_monitor "$run" "sendkey ctrl-alt-2"
        if until_line "^switcher: slot 'a' entered through its tboot entry" 120; then
                power_cut 1
        else
                t_fail powercut/run1-entry "no tboot entry of a after ctrl-alt-2"
                power_cut 1
        fi
else
        t_fail powercut/run1-ready "slot a did not come up and write"
        power_cut 1
fi
if [ "$(log_count "$log" "^switcher: slot 'a' entered through its tboot entry")" -gt 0 ] &&
        [ "$(log_count "$log" "^switcher: switch 'a' -> 'b': saved")" = 0 ]; then
        t_pass powercut/run1-cut-during-copy
else
        t_fail powercut/run1-cut-during-copy "the log at the cut: $(tr -d '\r' <"$log" | grep -a '^switcher: ' | tail -n 2 | tr '\n' ' ')"
fi
after 1

# 2. While a writes (records and dirty pages).
boot 2
if wait_for_marker "$log" '^GUEST: ready slot=a boot=2$' 300 && wait_for_count "$log" '^GUEST: rec slot=a boot=2 ' 8 60; then
        t_pass powercut/run2-writing
else
        t_fail powercut/run2-writing "slot a did not come up and write 8 records"
fi
power_cut 2
t_check powercut/run2-a-replayed "$log" '^GUEST: mounted slot=a boot=2 replayed=1 '
after 2

# 3. During c's cold boot at a switch.
boot 3
if wait_for_marker "$log" '^GUEST: ready slot=a boot=3$' 300 && wait_for_count "$log" '^GUEST: rec slot=a boot=3 ' 3 60; then
        qemu_monitor "$run" "sendkey ctrl-alt-3"
        if until_line "^switcher: cold boot of slot 'c'" 120; then
                # Into c's kernel: past the switcher, not yet in userspace.
                until_line 'Linux version' 30 || true
                sleep 1
        else
                t_fail powercut/run3-cold "no cold boot of c after ctrl-alt-3"
        fi
else
        t_fail powercut/run3-ready "slot a did not come up and write"
fi
power_cut 3
if [ "$(log_count "$log" "^switcher: cold boot of slot 'c'")" -gt 0 ] &&
        [ "$(log_count "$log" '^GUEST: mounted slot=c ')" = 0 ]; then
        t_pass powercut/run3-cut-during-cold-boot
else
        t_fail powercut/run3-cut-during-cold-boot "the log at the cut: $(tr -d '\r' <"$log" | grep -a '^switcher: \|^GUEST: mounted' | tail -n 2 | tr '\n' ' ')"
fi
after 3

# 4. Every slot cold-boots once more on the same disk, mounts and writes.
boot 4
ok=1
wait_for_marker "$log" '^GUEST: ready slot=a boot=4$' 300 || ok=0
for k in 2:b 3:c; do
        [ "$ok" = 1 ] || break
        qemu_monitor "$run" "sendkey ctrl-alt-${k%:*}"
        wait_for_marker "$log" "^GUEST: ready slot=${k#*:} boot=" 300 || ok=0
done
[ "$ok" = 1 ] && wait_for_count "$log" '^GUEST: rec slot=c ' 3 60 || ok=0
if [ "$ok" = 1 ]; then
        t_pass powercut/run4-all-slots-up
else
        t_fail powercut/run4-all-slots-up "not every slot came up (see $log)"
fi
power_cut 4
t_check powercut/run4-a-replayed "$log" '^GUEST: mounted slot=a boot=4 replayed=1 '
t_check powercut/run4-b-up "$log" '^GUEST: mounted slot=b boot=1 '
t_check powercut/run4-c-up "$log" '^GUEST: mounted slot=c boot=[12] '
for n in 1 2 3 4; do
        no_fault "powercut-run$n" "$w/run$n.log"
done
after 4
echo "powercut: $(wc -l <"$recs") records reported in all"
t_summary
