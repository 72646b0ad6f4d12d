#!/bin/bash
# t-lab386.sh BUILD
#
# The lab bank with i386 slots (issue 14): both slots, lab and ctl, run
# Debian's i386 kernel and the i386 build of the agent, so `switchctl
# snapshot` runs as a 32-bit program (with Debian's i386 libext2fs) and the
# snapshot is of an i386 system, whose switches go through the firmware's
# S3.  One save and one revert: lab resumes inside the snapshot, its writer
# the same PID counting on from the snapshot's count, the file written
# after the snapshot gone, and lab's file system clean at the end.  t-lab
# covers the refusals and repeated reverts with amd64 slots; the checks are
# the same code.  See the "lab386" role for the steps.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_test_dir lab386 "${1:-build}"
if ! sw_guest i386 "$build" || ! SW_GUEST_ARCH=i386 sw_agent_initrd "$build" "$w" lab386; then
        sw_prepare_failed lab386 "could not build the i386 guest with the i386 agent (see above; make agent32)"
fi
common="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=lab386"
lab_conf "$common" >"$w/partitions.conf"
sw_esp "$w/esp" "$build" "$w/partitions.conf"
sw_esp_slot "$w/esp" lab
sw_esp_slot "$w/esp" ctl
"$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" label=slot-lab,size=16M label=slot-ctl,size=16M \
        label=bank,size=256M >/dev/null

log=$w/serial.log
SW_QEMU_QMP=1 qemu_boot lab386/power-off lab386 1G 600 "$w/disk.img" "$log" || true
tr -d '\r' <"$log" >"$w/serial.txt"
s=$w/serial.txt

t_check lab386/lab-is-i386 "$s" "^switcher: slot 'lab': kernel [^ ]*-686 \\(i386, protocol"
t_check lab386/ctl-is-i386 "$s" "^switcher: slot 'ctl': kernel [^ ]*-686 \\(i386, protocol"
t_check lab386/lab-up "$s" '^GUEST: lab386 up writer=[0-9]+$'
t_check lab386/saved "$s" '^GUEST: lab386 save rc 0$'
t_check lab386/save-says "$s" "^GUEST: lab386 save: /bank/lab.snap: snapshot of slot 'lab', [0-9]+ bytes$"
t_check lab386/after-snapshot-written "$s" '^GUEST: lab386 after-snapshot written writer=[0-9]+$'
t_check lab386/restored "$s" '^GUEST: lab386 restore rc 0$'
t_check lab386/adopted "$s" "^switcher: slot 'lab' adopted its snapshot; it resumes at 0x[0-9a-f]+$"
up=$(sed -n 's/^GUEST: lab386 up writer=\([0-9]*\)$/\1/p' "$s")
t_check lab386/reverted "$s" "^GUEST: lab386 reverted writer=$up alive after-snapshot=absent marker=present\$"
# The writer: the PID it had at the snapshot, counting on from the count it
# had then (the last tick before the save; the first after the restore).
check_continues lab386/writer-continues-from-snapshot "$(lab_tick "$s" BEFORE "GUEST: lab386 save rc")" \
        "$(lab_tick "$s" AFTER "GUEST: lab386 restore rc 0")" "$up"
# Every switch went through the firmware's S3 (i386 kernels have no tboot):
# QEMU's own SUSPEND and WAKEUP events, one of each per switch.
n_susp=$(qmp_count "$w/lab386.run" SUSPEND)
n_wake=$(qmp_count "$w/lab386.run" WAKEUP)
if [ "$n_susp" -ge 3 ] && [ "$n_wake" = "$n_susp" ]; then
        t_pass lab386/switches-through-s3
else
        t_fail lab386/switches-through-s3 "QMP saw $n_susp SUSPEND and $n_wake WAKEUP events, want at least 3 of each, as many wakes as suspends"
fi

check_file lab386/disk-marker "$w/disk.img" slot-lab /marker "the lab image"
check_no_file lab386/disk-after-snapshot-gone "$w/disk.img" slot-lab /after-snapshot
check_fsck lab386/disk-fsck "$w/disk.img" slot-lab "$w/fsck.log"
no_fault lab386 "$s"
t_summary
