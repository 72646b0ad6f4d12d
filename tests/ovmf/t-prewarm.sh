#!/bin/bash
# t-prewarm.sh BUILD
#
# Prewarm, end to end: slot b ('prewarm yes') is booted at start-up before
# the default slot a; its agent hands the machine over to a as soon as it
# runs, so the first hotkey switch to b is already a resume (b's writer keeps
# its PID from before).  Then back to a; a leaves for b, b powers off.
# Checked: the boot order, no cold boot of b after start-up, b's first switch
# is a resume, the writers' PIDs, exact files and clean partitions.
# The machine has a TPM 2.0 (swtpm), as make bench's does: both guests bind
# it (tpm_tis), tell it to save its state at every suspend, and the firmware
# starts it again at every S3 resume; the switches must not mind.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_agent_test prewarm "${1:-build}" switch
common="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=switch"
cat >"$w/partitions.conf" <<CONF
timeout 0
default a
active-size 128M

slot a
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options $common sw.part=slot-a sw.other=b sw.want=2
partition PARTLABEL=slot-a
hotkey ctrl+alt+1

slot b
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options $common sw.part=slot-b sw.other=a sw.want=2 sw.last=1
partition PARTLABEL=slot-b
hotkey ctrl+alt+2
prewarm yes
CONF
sw_disk "$w" a b

log=$w/serial.log
timings=$w/timings.txt
: >"$timings"
SW_QEMU_TPM=1 SW_QEMU_BG=1 run_qemu prewarm 1G 400 "$w/disk.img" "$log"
# a comes up last; b is up already (prewarmed): its first switch is a resume.
tour_start prewarm "$log" "$timings" 300 a b
tour_go ctrl-alt-2 b
tour_go ctrl-alt-1 a
[ "$TOUR_OK" = 1 ] && t_pass prewarm/switches
# The end: a leaves for b, b powers off.
tour_end b a b
no_fault prewarm "$log"

tr -d '\r' <"$log" >"$w/serial.txt"
t_check prewarm/announced "$log" "^switcher: prewarm: 1 slot\\(s\\) start first and suspend; 'a' comes up last$"
first_up=$(grep -m1 '^GUEST: up slot=' "$w/serial.txt" || true)
if [ "$first_up" = "GUEST: up slot=b arch=x86_64" ]; then
        t_pass prewarm/b-boots-first
else
        t_fail prewarm/b-boots-first "first guest up: '$first_up'"
fi
t_check prewarm/handover "$log" "^GUEST: agent-log switcher-agent: prewarm: slot 'b' is up; handing over to 'a'"
t_check prewarm/chain-done "$log" '^switcher: prewarm done$'
t_check prewarm/b-resumed "$log" "^switcher: resuming slot 'b' at its waking vector"
n_cold=$(log_count "$log" "^switcher: cold boot of slot 'b'")
if [ "$n_cold" = 0 ]; then
        t_pass prewarm/b-never-cold-booted-again
else
        t_fail prewarm/b-never-cold-booted-again "slot b was cold-booted $n_cold time(s) after start-up"
fi
n_tpm=$(log_count "$log" 'tpm_tis [^ ]*: 2\.0 TPM')
if [ "$n_tpm" = 2 ]; then
        t_pass prewarm/tpm-bound-by-both
else
        t_fail prewarm/tpm-bound-by-both "tpm_tis found a TPM 2.0 $n_tpm time(s), expected once per slot"
fi
for s in a b; do
        check_slot_writer "$log" "$w" prewarm "$s" "$w/disk.img"
done
awk '{ print "prewarm: " $1 ": " $2 " ms" }' "$timings"
t_summary
