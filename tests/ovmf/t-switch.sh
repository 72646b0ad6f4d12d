#!/bin/bash
# t-switch.sh BUILD
#
# The switch path, end to end, with two stock Debian amd64 slots in swap mode
# sharing one active region.  Slot a boots; its agent first sends two requests
# the switcher must refuse (unknown slot, corrupt checksum), each through a
# real S3 round trip.  Then the test presses the hotkeys through QEMU's
# keyboard, R round trips (SW_SWITCH_ROUNDS, default 10): b cold-boots the
# first time and resumes after that, a resumes every time.  In round 2 the
# key is held down (autorepeat), in the last round pressed 50 times in a row:
# each still makes exactly one switch.  Each slot's
# writer (same PID throughout) appends a numbered line a second to its own
# partition.  Checked: the refusals, the markers of every switch, PIDs and
# counters continuing across switches, and after QEMU exits, both partitions
# clean (e2fsck -fn) with exactly the lines each slot wrote, in order.
# Timings (hotkey -> target's userspace) go to BUILD/ovmf/switch/timings.txt.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_agent_test switch "${1:-build}" switch
rounds=${SW_SWITCH_ROUNDS:-10}
active=${SW_SWITCH_ACTIVE:-128M}
cat >"$w/partitions.conf" <<CONF
timeout 0
default a
active-size $active

slot a
title Switch test A
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=switch sw.part=slot-a sw.other=b sw.rounds=$rounds sw.badreq=1
partition PARTLABEL=slot-a
hotkey ctrl+alt+1

slot b
title Switch test B
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=switch sw.part=slot-b sw.other=a sw.rounds=$rounds sw.last=1
partition PARTLABEL=slot-b
hotkey ctrl+alt+2
CONF
sw_esp "$w/esp" "$build" "$w/partitions.conf"
sw_esp_slot "$w/esp" a
sw_esp_slot "$w/esp" b
"$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" label=slot-a,size=16M label=slot-b,size=16M >/dev/null

log=$w/serial.log
timings=$w/timings.txt
: >"$timings"
SW_QEMU_BG=1 run_qemu switch 1G $((300 + rounds * 40)) "$w/disk.img" "$log"
qpid=$SW_QEMU_PID
run=$SW_QEMU_RUN_DIR
t_boot=$(sw_now_ms)

ok=1
if wait_for_marker "$log" '^GUEST: ready slot=a ' 240; then
        echo "switch: slot a ready after $(sw_since "$t_boot") s"
        echo "boot-a $(($(sw_now_ms) - t_boot))" >>"$timings"
else
        t_fail switch/boot-a "slot a did not come up"
        expect_line "$log" 'GUEST: ready slot=a' || true
        ok=0
fi

# The refusals happened before 'ready'.
t_check switch/refuse-unknown "$log" '^GUEST: badreq unknown rc 1 .*refused: unknown-slot'
t_check switch/refuse-csum "$log" '^GUEST: badreq csum rc 1 .*refused: bad-csum'
t_check switch/switcher-refused-unknown "$log" "^switcher: slot 'a': request refused: unknown-slot"
t_check switch/switcher-refused-csum "$log" "^switcher: slot 'a': request refused: bad-csum"

press() {
        press_hotkey "$run" "$log" "$timings" "$@"
}

# The daemons log "resumed after" as soon as their slot's userspace runs
# again: after round r's press to b that has happened r - 1 times in a and
# r - 1 times in b (b's first visit is a cold boot, marked by its 'ready').
resumed='^GUEST: agent-log .*resumed after'
for r in $(seq 1 "$rounds"); do
        [ "$ok" = 1 ] || break
        if [ "$r" = 1 ]; then
                press ctrl-alt-2 cold-b '^GUEST: ready slot=b ' 1 || ok=0
        elif [ "$r" = 2 ]; then
                # Held down for 1.5 s: the keyboard repeats it; one switch.
                press "ctrl-alt-2 1500" resume-b "$resumed" $((2 * r - 2)) || ok=0
        else
                press ctrl-alt-2 resume-b "$resumed" $((2 * r - 2)) || ok=0
        fi
        if [ "$ok" = 0 ]; then
                t_fail "switch/round$r/to-b" "no marker after the hotkey"
                break
        fi
        # The last way back is a storm: the key pressed 50 times while the
        # switch it starts is under way; still exactly one switch.
        storm=1
        [ "$r" = "$rounds" ] && storm=50
        if ! SW_PRESS_TIMES=$storm press ctrl-alt-1 resume-a "$resumed" $((2 * r - 1)); then
                t_fail "switch/round$r/to-a" "no marker after the hotkey"
                ok=0
                break
        fi
        echo "switch: round $r done after $(sw_since "$t_boot") s"
done
[ "$ok" = 1 ] && t_pass "switch/$rounds-round-trips"

# The end: a unmounts and leaves for b, b unmounts and powers off.
if [ "$ok" = 1 ]; then
        wait_for_marker "$log" '^GUEST: final slot=b ' 120 || true
        t_check switch/final-a "$log" '^GUEST: final slot=a lines=[0-9]+$'
        t_check switch/final-b "$log" '^GUEST: final slot=b lines=[0-9]+$'
        for _ in $(seq 1 60); do
                kill -0 "$qpid" 2>/dev/null || break
                sleep 1
        done
fi
if kill -0 "$qpid" 2>/dev/null && [ "$ok" = 1 ]; then
        t_fail switch/power-off "QEMU still running after the last slot's power-off"
fi
qemu_stop "$qpid" "$run"

# Every switch the switcher made, in its own words.
# Exactly: a held key or a storm of presses must not add switches.
n_sw=$(log_count "$log" "^switcher: switch '(a|b)' -> '(a|b)'")
if [ "$n_sw" = $((2 * rounds + 1)) ]; then
        t_pass switch/switcher-switches
else
        t_fail switch/switcher-switches "$n_sw switches logged, want exactly $((2 * rounds + 1)) (2 per round and the final one)"
fi
t_check switch/cold-boot-b "$log" "^switcher: cold boot of slot 'b'"
no_fault switch "$log"

# Same writer PID throughout, counter and uptime continuing, file exact and
# partition clean, for each slot.
for s in a b; do
        check_slot_writer "$log" "$w" switch "$s" "$w/disk.img"
done
awk '{ print "switch: " $1 ": " $2 " ms" }' "$timings"
t_summary
