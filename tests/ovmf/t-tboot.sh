#!/bin/bash
# t-tboot.sh BUILD
#
# The tboot hand-off (issue 13, docs/tboot-handoff.md): two stock Debian
# amd64 slots, a in place and b swapped, each handing over through the
# switcher's tboot entry, never the firmware's S3, and each restarting,
# powering off or panicking inside its own slot ("lifecycle" role):
#
#   a boots and waits.  ctrl-alt-2: b cold-boots and reboots itself (boot
#   2), then powers off: the machine goes on in a, resumed.  ctrl-alt-2
#   again: b starts from its recovery copy (boot 3) and panics on CPU 0;
#   panic=1 restarts it alone a second later (boot 4), and it panics on CPU
#   1, an application processor, with CPU 0 stopped in its kernel: the
#   switcher brings CPU 0 over by NMI and restarts b alone (boot 5).
#   ctrl-alt-1: a resumes, has been switched to twice, and powers off: the
#   machine goes on in b, which is now the only slot with state, and powers
#   the machine off.
#
# Checked: every step's switcher line and guest marker, b's four boots and
# a's single one with the same writer throughout, both CPUs back after every
# switch, no firmware S3 wake at all, no kernel complaint about the tboot
# wait, QEMU's exit (a power-off, not a reset), and both partitions clean.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_agent_test tboot "${1:-build}" lifecycle
common="console=ttyS0,115200 sw.watchdog=0 sw.test=lifecycle"
cat >"$w/partitions.conf" <<CONF
timeout 0
default a
active-size 256M

slot a
title In-place A
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options $common panic=-1 sw.part=slot-a sw.life=wait sw.want=2
partition PARTLABEL=slot-a
mode in-place
memory 256M
hotkey ctrl+alt+1

slot b
title Swap B
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options $common panic=1 sw.part=slot-b sw.life=reboot,poweroff,panic,panic-ap,wait sw.want=1 sw.alone=1
partition PARTLABEL=slot-b
hotkey ctrl+alt+2
CONF
sw_disk "$w" a b

log=$w/serial.log
timings=$w/timings.txt
: >"$timings"
SW_QEMU_BG=1 run_qemu tboot 2G 900 "$w/disk.img" "$log"
run=$SW_QEMU_RUN_DIR
ok=1
step() {
        local name=$1 key=$2 re=$3
        [ "$ok" = 1 ] || return 0
        if press_hotkey "$run" "$log" "$timings" "$key" "$name" "$re" 1; then
                echo "tboot: $name after $(sw_since "$t0") s"
        else
                expect_line "$log" "$re" || true
                t_fail "tboot/$name" "no line matching /$re/ after $key"
                ok=0
        fi
}
t0=$(sw_now_ms)
if wait_for_marker "$log" '^GUEST: life slot=a boot=1 ' 300; then
        echo "tboot: slot a up after $(sw_since "$t0") s"
else
        expect_line "$log" '^GUEST: life slot=a boot=1 ' || true
        t_fail tboot/boot-a "slot a did not come up"
        ok=0
fi
step b-reboot-poweroff ctrl-alt-2 '^GUEST: resumed slot=a switches=1 '
step b-panic ctrl-alt-2 '^GUEST: life slot=b boot=5 '
step a-b-poweroff ctrl-alt-1 '^GUEST: final slot=b '
qemu_finish tboot/power-off "$SW_QEMU_PID" "$run" 120 "$ok" || true

# The switcher's side of each step.
sw="^switcher: slot"
t_check tboot/page-a "$log" "^switcher: slot a: tboot shared page at 0x[0-9a-f]+$"
t_check tboot/page-b "$log" "^switcher: slot b: tboot shared page at 0x[0-9a-f]+$"
t_check tboot/kernel-found-page "$log" 'tboot: found shared page at phys addr 0x[0-9a-f]+'
t_check tboot/b-reboot-entry "$log" "$sw 'b' entered through its tboot entry: reboot "
t_check tboot/b-off-entry "$log" "$sw 'b' entered through its tboot entry: S5 "
t_check tboot/b-off-goes-on-in-a "$log" "^switcher: slot 'b' is off; going on in 'a'$"
t_check tboot/b-started-again "$log" "^GUEST: agent-log .*switched to 'b' \(cold boot: from its recovery copy\)"
t_check tboot/b-panicked "$log" 'Kernel panic - not syncing: sysrq triggered crash'
# The second panic, on CPU 1: the stub's message, the switcher's, and a
# restart like the first (counted below).
t_check tboot/b-panicked-on-ap "$log" '^\[ *[0-9.]+\] CPU: 1 PID: [0-9]+ Comm: (sh|taskset) '
t_check tboot/ap-brings-bsp "$log" '^switcher: a guest stopped on an application processor \(a panic there\?\): bringing its boot CPU over by NMI'
t_check tboot/bsp-came-over "$log" "^switcher: slot 'b' stopped on the CPU with APIC ID 1, which brought the boot CPU over by NMI$"
t_check tboot/a-off-goes-on-in-b "$log" "^switcher: slot 'a' is off; going on in 'b'$"
t_check tboot/last-off "$log" "^switcher: slot 'b' is off and no other slot has state: powering off$"
n=$(log_count "$log" "^switcher: slot 'b' restarts: cold boot from its recovery copy$")
if [ "$n" = 3 ]; then
        t_pass tboot/b-restarted-alone-3-times
else
        t_fail tboot/b-restarted-alone-3-times "$n restarts of b logged, want 3 (reboot, panic on CPU 0, panic on CPU 1)"
fi
n=$(log_count "$log" "$sw '[ab]' entered through its tboot entry: S3 ")
if [ "$n" -ge 2 ]; then
        t_pass tboot/s3-through-tboot
else
        t_fail tboot/s3-through-tboot "$n S3 hand-offs through the tboot entry, want at least 2"
fi

# Boots: b five times (1..5, in order), a once.
boots=$(tr -d '\r' <"$log" | sed -n 's/^GUEST: life slot=b boot=\([0-9]*\) .*/\1/p' | tr '\n' ' ')
if [ "$boots" = "1 2 3 4 5 " ]; then
        t_pass tboot/b-boots
else
        t_fail tboot/b-boots "b's boots: '$boots', want '1 2 3 4 5 '"
fi
if [ "$(log_count "$log" '^GUEST: life slot=a boot=')" = 1 ]; then
        t_pass tboot/a-booted-once
else
        t_fail tboot/a-booted-once "a booted $(log_count "$log" '^GUEST: life slot=a boot=') times"
fi

# The firmware never took part: no S3 wake through the wake blob.
no_firmware_s3 tboot "$log"
# Every CPU back after every boot and switch (2 here, -smp 2).
bad=$(tr -d '\r' <"$log" | grep -a '^GUEST: \(life\|resumed\) ' | grep -av ' cpus=2$' || true)
if [ -z "$bad" ] && [ "$(log_count "$log" '^GUEST: resumed slot=a ')" -ge 2 ]; then
        t_pass tboot/cpus-back
else
        t_fail tboot/cpus-back "${bad:-fewer than 2 resumes of a}"
fi
no_kernel_complaint tboot "$log"
no_fault tboot "$log"
check_slot_writer "$log" "$w" tboot a "$w/disk.img"
check_fsck tboot/slot-b-fsck "$w/disk.img" slot-b "$w/fsck-b.log"
awk '{ print "tboot: " $1 ": " $2 " ms" }' "$timings"
t_summary
