#!/bin/bash
# t-lab.sh BUILD
#
# The lab bank, in a slot (issue 14): `switchctl snapshot save` of a
# suspended slot, and `switchctl snapshot restore`, which writes its store
# and partition back and has the switcher adopt them.  Slots lab (the
# default, a writer counting on its partition) and ctl (which keeps the
# snapshots on a third partition, "bank").  After each of three restores,
# lab resumes inside the snapshot: the same writer PID goes on from the
# snapshot's count, and the file it wrote after the snapshot (or after the
# previous revert) is gone; e2fsck finds lab's file system clean at the
# end.  Bad input (truncated, a flipped RAM byte, a flipped partition byte,
# another slot's snapshot, a file system larger than lab's partition,
# another machine's or memory settings' identity, a partition in use, lab
# itself running) is refused with the reason, lab's partition byte for
# byte unchanged, and lab's store too (the switcher checks its hash at the
# resume that follows).  See the "lab" role for the steps.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_agent_test lab "${1:-build}" lab
common="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=lab"
lab_conf "$common" >"$w/partitions.conf"
sw_esp "$w/esp" "$build" "$w/partitions.conf"
sw_esp_slot "$w/esp" lab
sw_esp_slot "$w/esp" ctl
# The snapshot of another slot, made on the host by mkslot (the same code
# as switchctl's): a 1 MiB store of slot 'ctl'.
mkdir -p "$w/bank"
host_snapshot lab ctl 1M "$w/bank/other.snap"
# A snapshot of slot 'lab' whose file system (32 MiB) is larger than lab's
# 16 MiB partition.
truncate -s 32M "$w/big.ext4"
mke2fs -q -t ext4 -F "$w/big.ext4" >"$w/big.log" 2>&1 ||
        sw_prepare_failed lab "mke2fs of big.ext4: $(tail -n 2 "$w/big.log")"
host_snapshot lab lab 64K "$w/bank/big.snap" --fs "$w/big.ext4"
"$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" label=slot-lab,size=16M label=slot-ctl,size=16M \
        "label=bank,size=448M,dir=$w/bank" >/dev/null

log=$w/serial.log
qemu_boot lab/power-off lab 1G 900 "$w/disk.img" "$log" || true
tr -d '\r' <"$log" >"$w/serial.txt"
s=$w/serial.txt

t_check lab/lab-up "$s" '^GUEST: lab up writer=[0-9]+$'
t_check lab/saved "$s" '^GUEST: lab save rc 0$'
t_check lab/save-says "$s" "^GUEST: lab save: /bank/lab.snap: snapshot of slot 'lab', [0-9]+ bytes$"
t_check lab/after-snapshot-written "$s" '^GUEST: lab after-snapshot written writer=[0-9]+$'

# Refused, each with its reason.
t_check lab/bad-truncated "$s" '^GUEST: lab bad truncated rc 1$'
t_check lab/bad-truncated-says "$s" '^GUEST: lab bad truncated: .*truncated'
t_check lab/bad-flipped "$s" '^GUEST: lab bad flipped rc 1$'
t_check lab/bad-flipped-says "$s" '^GUEST: lab bad flipped: .*part 1 \(ram\) hash mismatch'
t_check lab/bad-other-slot "$s" '^GUEST: lab bad other-slot rc 1$'
t_check lab/bad-other-slot-says "$s" "^GUEST: lab bad other-slot: .*is a snapshot of slot 'ctl', not 'lab'"
t_check lab/bad-flipped-fs "$s" '^GUEST: lab bad flipped-fs rc 1$'
t_check lab/bad-flipped-fs-says "$s" '^GUEST: lab bad flipped-fs: .*part 2 \(fs\) hash mismatch'
t_check lab/bad-too-small "$s" '^GUEST: lab bad too-small rc 1$'
t_check lab/bad-too-small-says "$s" "^GUEST: lab bad too-small: .*: [0-9]+ bytes, the snapshot's file system needs 33554432; nothing written"
for b in other-machine other-settings; do
        t_check "lab/bad-$b" "$s" "^GUEST: lab bad $b rc 1\$"
        t_check "lab/bad-$b-says" "$s" "^GUEST: lab bad $b: .*the snapshot was taken with another memory map or memory settings"
done
t_check lab/bad-mounted "$s" '^GUEST: lab bad mounted rc 1$'
t_check lab/bad-mounted-says "$s" "^GUEST: lab bad mounted: .*slot 'lab''s partition PARTLABEL=slot-lab\) is mounted"
t_check lab/partition-unchanged "$s" '^GUEST: lab partition-unchanged yes$'
# The store unchanged: lab resumes as it was (the switcher verified its hash),
# its writer alive and the file written after the snapshot still there.
t_check lab/store-unchanged "$s" '^GUEST: lab back writer=[0-9]+ alive after-snapshot=present$'
t_check lab/running-refused "$s" '^GUEST: lab running-restore rc 1$'
t_check lab/running-refused-says "$s" "^GUEST: lab running-restore: .*slot 'lab' is running"

# Three restores, each adopted by the switcher.
snap=$(lab_tick "$s" BEFORE "GUEST: lab save rc")
up=$(sed -n 's/^GUEST: lab up writer=\([0-9]*\)$/\1/p' "$s")
n=$(grep -Ec "^switcher: slot 'lab' adopted its snapshot; it resumes at 0x[0-9a-f]+$" "$s" || true)
if [ "$n" = 3 ]; then t_pass lab/adopted-3; else t_fail lab/adopted-3 "the switcher adopted $n snapshots, want 3"; fi
for k in 1 2 3; do
        t_check "lab/restored-$k" "$s" "^GUEST: lab restore $k rc 0\$"
        t_check "lab/reverted-$k" "$s" "^GUEST: lab reverted $k writer=$up alive after-snapshot=absent marker=present\$"
        # Something for the next revert to undo.
        [ "$k" = 3 ] || t_check "lab/after-revert-$k-written" "$s" "^GUEST: lab after-snapshot $k written\$"
        # The writer: the PID it had at the snapshot, counting on from the
        # count it had then (the last tick before the save; the first after
        # the restore).
        check_continues "lab/writer-continues-from-snapshot-$k" "$snap" \
                "$(lab_tick "$s" AFTER "GUEST: lab restore $k rc 0")" "$up"
done
t_check lab/machine-off "$s" "^switcher: slot 'lab' is off; going on in 'ctl'"

# On the disk: the marker is there, after-snapshot is not, the file system is clean.
check_file lab/disk-marker "$w/disk.img" slot-lab /marker "the lab image"
check_no_file lab/disk-after-snapshot-gone "$w/disk.img" slot-lab /after-snapshot
check_fsck lab/disk-fsck "$w/disk.img" slot-lab "$w/fsck.log"
no_fault lab "$s"
t_summary
