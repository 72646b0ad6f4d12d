#!/bin/bash
# t-labinplace.sh BUILD
#
# The lab bank with an in-place slot (issue 14, docs/lab-bank.md): a
# snapshot of an in-place slot holds every RAM range the slot's saved state
# occupies, its own RAM, its DMA32 window and its saved low memory.  At -m
# 6G (OVMF on q35: 2 GiB below 4 GiB, 4 GiB above) lab runs in place with
# its own RAM above 4 GiB and a 64 MiB DMA32 window below; its memory is
# kept small (192 MiB) so the hashes stay short under TCG.  ctl, a swap
# slot, keeps the snapshots on a third partition, "bank".  See the
# "labinplace" role for the guests' steps.
#
#   boot 1  ctl saves lab, lab dirties its partition, ctl restores the
#           snapshot (after a swap slot's snapshot of lab is refused) and
#           the switcher adopts it, hashing every range: lab resumes with
#           the writer's PID and its count at the snapshot, the file written
#           after it gone.
#   host    `mkslot snapshot inspect` (text and --json) shows the three RAM
#           ranges; the snapshot goes onto the ESP (mtools, in place) with a
#           'snapshot' line for lab.
#   boot 2  the switcher brings lab back at start-up and ctl boots; its
#           switch to lab is a resume with the writer's PID and count from
#           the snapshot.  e2fsck finds lab's file system clean.
#   boot 3  lab's dma32-size is 32M now: its snapshot is refused at start-up,
#           naming the window as saved and as it is now, and lab is dropped.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_agent_test labinplace "${1:-build}" labinplace
common="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=labinplace"
# conf BOOT DMA32-SIZE [SNAPSHOT-LINE]: partitions.conf for boot BOOT (lab in place).
conf() {
        lab_conf "$common" lab "mode in-place
memory 192M
dma32-size $2${3:+
$3}" "sw.boot=$1"
}
conf 1 64M >"$w/partitions.conf"
sw_esp "$w/esp" "$build" "$w/partitions.conf"
sw_esp_slot "$w/esp" lab
sw_esp_slot "$w/esp" ctl
# A swap slot's snapshot of slot 'lab' (made on the host by mkslot, the same
# code as switchctl's): refused for an in-place lab.
mkdir -p "$w/bank"
host_snapshot labinplace lab 64K "$w/bank/swap.snap"
SW_ESP_MIB=256 "$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" label=slot-lab,size=16M label=slot-ctl,size=16M \
        "label=bank,size=448M,dir=$w/bank" >/dev/null

# ---- boot 1: save, dirty, restore, switch back.
qemu_boot labinplace/boot1-power-off labinplace-1 6G 900 "$w/disk.img" "$w/serial1.log" || true
tr -d '\r' <"$w/serial1.log" >"$w/serial1.txt"
s1=$w/serial1.txt
# lab's own RAM above 4 GiB, its window below.
t_check labinplace/plan-in-place-above-4g "$s1" '^plan:   slot lab +in-place 0x0000000[1-9a-f][0-9a-f]{8}-'
t_check labinplace/plan-dma32-window "$s1" '^plan:   slot lab +dma32 0x00000000[0-7][0-9a-f]{7}-0x[0-9a-f]{16}  64 MiB$'
t_check labinplace/lab-up "$s1" '^GUEST: labinplace up writer=[0-9]+$'
t_check labinplace/saved "$s1" '^GUEST: labinplace save rc 0$'
t_check labinplace/save-says "$s1" "^GUEST: labinplace save: /bank/lab.snap: snapshot of slot 'lab', [0-9]+ bytes$"
t_check labinplace/after-snapshot-written "$s1" '^GUEST: labinplace after-snapshot written writer=[0-9]+$'
t_check labinplace/bad-swap-snapshot "$s1" '^GUEST: labinplace bad swap-snapshot rc 1$'
t_check labinplace/bad-swap-snapshot-says "$s1" \
        "^GUEST: labinplace bad swap-snapshot: .*the snapshot is of a swap slot; 'lab' runs in place"
t_check labinplace/restored "$s1" '^GUEST: labinplace restore rc 0$'
t_check labinplace/adopted "$s1" "^switcher: slot 'lab' adopted its snapshot; it resumes at 0x[0-9a-f]+$"
up=$(sed -n 's/^GUEST: labinplace up writer=\([0-9]*\)$/\1/p' "$s1")
snap=$(lab_tick "$s1" BEFORE "GUEST: labinplace save rc")
t_check labinplace/reverted "$s1" "^GUEST: labinplace reverted writer=$up alive after-snapshot=absent marker=present\$"
check_continues labinplace/writer-continues-from-snapshot "$snap" \
        "$(lab_tick "$s1" AFTER "GUEST: labinplace restore rc 0")" "$up"
t_check labinplace/boot1-lab-off "$s1" "^switcher: slot 'lab' is off; going on in 'ctl'"
no_fault labinplace-boot1 "$s1"

# ---- the host: the snapshot out of the bank, inspected, onto the ESP.
if ! disk_copyout "$w/disk.img" bank /lab.snap "$w/lab.snap"; then
        t_fail labinplace/snapshot-copied "no /lab.snap on the bank partition"
        t_summary
        exit 1
fi
t_pass labinplace/snapshot-copied
"$build/mkslot" snapshot inspect "$w/lab.snap" >"$w/inspect.txt" 2>&1 || true
t_check labinplace/inspect-mode "$w/inspect.txt" '^  mode        in-place$'
t_check labinplace/inspect-3-ranges "$w/inspect.txt" '^  part 1 ram  3 ranges, '
t_check labinplace/inspect-dma32 "$w/inspect.txt" '^    range 0 dma32 0x[0-7][0-9a-f]{7}, 64 MiB: '
t_check labinplace/inspect-low "$w/inspect.txt" '^    range 1 low   0x[1-9a-f][0-9a-f]{8}, 2 MiB: '
t_check labinplace/inspect-ram "$w/inspect.txt" '^    range 2 ram   0x[1-9a-f][0-9a-f]{8}, 192 MiB: '
t_check labinplace/inspect-verifies "$w/inspect.txt" '^  trailer     sha256 [0-9a-f]{64}  ok$'
"$build/mkslot" snapshot inspect --json "$w/lab.snap" >"$w/inspect.json" 2>&1 || true
t_check labinplace/inspect-json "$w/inspect.json" \
        '"valid":true.*"mode":"in-place".*"ranges":\[\{"kind":"dma32",[^]]*\{"kind":"low",[^]]*\{"kind":"ram",'
conf 2 64M "snapshot /snap/lab.snap" >"$w/partitions.conf"
disk_esp_put "$w/disk.img" "$w/lab.snap" /snap/lab.snap
disk_esp_put "$w/disk.img" "$w/partitions.conf" /EFI/BOOT/partitions.conf

# ---- boot 2: lab brought back at start-up; the first switch resumes it.
qemu_boot labinplace/boot2-power-off labinplace-2 6G 900 "$w/disk.img" "$w/serial2.log" || true
tr -d '\r' <"$w/serial2.log" >"$w/serial2.txt"
s2=$w/serial2.txt
check_brought_back labinplace/boot2 "$s2" labinplace
t_check labinplace/boot2-resumed "$s2" "^GUEST: labinplace resumed writer=$up alive after-snapshot=absent marker=present\$"
check_continues labinplace/boot2-writer-continues "$snap" "$(lab_tick "$s2" AFTER "")" "$up"
t_check labinplace/boot2-ctl-back "$s2" '^GUEST: labinplace ctl back rc [0-9]+$'
no_fault labinplace-boot2 "$s2"

# On the disk: the marker is there, after-snapshot is not, the file system is clean.
check_file labinplace/disk-marker "$w/disk.img" slot-lab /marker "the lab image"
check_no_file labinplace/disk-after-snapshot-gone "$w/disk.img" slot-lab /after-snapshot
check_fsck labinplace/disk-fsck "$w/disk.img" slot-lab "$w/fsck.log"

# ---- boot 3: a smaller window; the snapshot no longer fits and says why.
conf 3 32M "snapshot /snap/lab.snap" >"$w/partitions.conf"
disk_esp_put "$w/disk.img" "$w/partitions.conf" /EFI/BOOT/partitions.conf
qemu_boot labinplace/boot3-power-off labinplace-3 6G 600 "$w/disk.img" "$w/serial3.log" || true
tr -d '\r' <"$w/serial3.log" >"$w/serial3.txt"
s3=$w/serial3.txt
t_check labinplace/boot3-window-named "$s3" \
        "^switcher: error: /EFI/BOOT/partitions.conf:[0-9]+: slot 'lab': snapshot /snap/lab.snap: the snapshot's RAM range 0 \\(dma32\\) is 0x[0-9a-f]+, 67108864 bytes; the slot's is 0x[0-9a-f]+, 33554432 bytes \\(dma32\\) now; slot dropped$"
t_check labinplace/boot3-ctl-up "$s3" '^GUEST: labinplace ctl boot=3 lab=[a-z]*$'
no_fault labinplace-boot3 "$s3"
t_summary
