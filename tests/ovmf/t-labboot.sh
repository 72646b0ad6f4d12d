#!/bin/bash
# t-labboot.sh BUILD
#
# The lab bank across a power-off (issue 14, "brought back at start-up"):
# a snapshot named by a slot's 'snapshot' line in partitions.conf is
# brought back at every start-up, before any slot boots, so that the first
# switch to that slot is a resume.  Slots lab (a writer counting on its
# partition) and ctl.  See the "labboot" role for the guests' steps.
#
#   boot 1  lab starts; ctl saves it (`switchctl snapshot save lab
#           /bank/lab.snap`) and powers off; lab, resumed, dirties its
#           partition (/after-save) and powers off.  QEMU ends.
#   host    copies lab.snap out of the bank partition and onto the ESP with
#           mtools, and gives lab 'snapshot /snap/lab.snap' (the same disk,
#           edited in place).  lab stays the default.
#   boot 2  the switcher restores lab at start-up; since lab has a
#           snapshot, ctl boots instead of it, and switches to
#           lab: a resume (no cold boot of lab), the writer's PID and its
#           count going on from the snapshot's, /after-save gone.
#   boot 2b the same with ctl the default: the plan places the stores in
#           the file's order whatever 'default' says, so lab's store is
#           where it was (the snapshot fits only that store) and lab
#           resumes from the snapshot again, the same writer going on.
#   boot 3  one byte of the snapshot's RAM flipped on the ESP: lab is
#           dropped with a FILE:LINE message, ctl boots and powers off.
#   boot 4  the same, with 'on-damage cold-boot' for lab: lab is kept, and
#           ctl's switch to it cold-boots its kernel.
#
# Also, without QEMU: `mkslot disk --snapshot lab=FILE` puts the snapshot
# where lab's 'snapshot' line points, whole and in pieces.
set -eu
# shellcheck shell=bash source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_agent_test labboot "${1:-build}" labboot
common="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=labboot"
# conf BOOT DEFAULT [SNAPSHOT-LINE]: partitions.conf for boot BOOT.
conf() {
        lab_conf "$common" "$2" "${3:-}" "sw.boot=$1"
}
conf 1 lab >"$w/partitions.conf"
sw_esp "$w/esp" "$build" "$w/partitions.conf"
sw_esp_slot "$w/esp" lab
sw_esp_slot "$w/esp" ctl
SW_ESP_MIB=128 "$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" label=slot-lab,size=16M label=slot-ctl,size=16M \
        label=bank,size=448M >/dev/null

# ---- boot 1: the save.
qemu_boot labboot/boot1-power-off labboot-1 1G 900 "$w/disk.img" "$w/serial1.log" || true
tr -d '\r' <"$w/serial1.log" >"$w/serial1.txt"
s1=$w/serial1.txt
t_check labboot/boot1-lab-up "$s1" '^GUEST: labboot up writer=[0-9]+$'
t_check labboot/boot1-saved "$s1" '^GUEST: labboot save rc 0$'
t_check labboot/boot1-ctl-off "$s1" "^switcher: slot 'ctl' is off; going on in 'lab'"
t_check labboot/boot1-after-save "$s1" '^GUEST: labboot after-save written writer=[0-9]+$'
no_fault labboot-boot1 "$s1"
up=$(sed -n 's/^GUEST: labboot up writer=\([0-9]*\)$/\1/p' "$s1")
# The writer at the snapshot: its last tick before the save.
snap=$(lab_tick "$s1" BEFORE "GUEST: labboot save rc")

# ---- the host: the snapshot onto the ESP, lab's 'snapshot' line.
if ! disk_copyout "$w/disk.img" bank /lab.snap "$w/lab.snap"; then
        t_fail labboot/snapshot-copied "no /lab.snap on the bank partition"
        t_summary
        exit 1
fi
t_pass labboot/snapshot-copied
conf 2 lab "snapshot /snap/lab.snap" >"$w/partitions.conf"
# esp_put SRC DEST: SRC onto the disk's ESP at DEST, in place.
esp_put() {
        disk_esp_put "$w/disk.img" "$1" "$2"
}
esp_put "$w/lab.snap" /snap/lab.snap
esp_put "$w/partitions.conf" /EFI/BOOT/partitions.conf
"$build/mkslot" check "$w/partitions.conf" >"$w/check.txt" 2>&1 || true
t_check labboot/mkslot-check-shows "$w/check.txt" '^slot lab +swap +Lab  \(default\)  snapshot /snap/lab.snap$'

# ---- boot 2: lab brought back at start-up; the first switch resumes it.
qemu_boot labboot/boot2-power-off labboot-2 1G 900 "$w/disk.img" "$w/serial2.log" || true
tr -d '\r' <"$w/serial2.log" >"$w/serial2.txt"
s2=$w/serial2.txt
check_brought_back labboot/boot2 "$s2" labboot
t_check labboot/boot2-resumed "$s2" "^GUEST: labboot resumed writer=$up alive after-save=absent marker=present\$"
check_continues labboot/boot2-writer-continues "$snap" "$(lab_tick "$s2" AFTER "")" "$up"
t_check labboot/boot2-ctl-back "$s2" '^GUEST: labboot ctl back rc [0-9]+$'
no_fault labboot-boot2 "$s2"
check_no_file labboot/disk-after-save-gone "$w/disk.img" slot-lab /after-save
check_fsck labboot/disk-fsck "$w/disk.img" slot-lab "$w/fsck.log"

# ---- boot 2b: ctl the default; lab's store does not move, so the snapshot
# is brought back again and lab resumes from it once more.
conf 2b ctl "snapshot /snap/lab.snap" >"$w/partitions.conf"
esp_put "$w/partitions.conf" /EFI/BOOT/partitions.conf
qemu_boot labboot/boot2b-power-off labboot-2b 1G 900 "$w/disk.img" "$w/serial2b.log" || true
tr -d '\r' <"$w/serial2b.log" >"$w/serial2b.txt"
s2b=$w/serial2b.txt
store2=$(grep -m1 "^plan:   slot lab  *store " "$s2" || true)
store2b=$(grep -m1 "^plan:   slot lab  *store " "$s2b" || true)
if [ -n "$store2" ] && [ "$store2" = "$store2b" ]; then
        t_pass labboot/boot2b-same-store
else
        t_fail labboot/boot2b-same-store "lab's store with default lab: '$store2', with default ctl: '$store2b'"
fi
t_check labboot/boot2b-restored "$s2b" "^switcher: slot 'lab': snapshot /snap/lab.snap brought back; its first switch resumes it at 0x[0-9a-f]+$"
t_check labboot/boot2b-lab-suspended "$s2b" '^GUEST: labboot ctl boot=2b lab=suspended$'
t_check labboot/boot2b-resumed "$s2b" "^GUEST: labboot resumed writer=$up alive after-save=absent marker=present\$"
check_continues labboot/boot2b-writer-continues "$snap" "$(lab_tick "$s2b" AFTER "")" "$up"
no_fault labboot-boot2b "$s2b"

# ---- boot 3: a damaged snapshot drops lab; ctl boots.  Byte 800 lies in the
# first RAM extent's data (header 512, RAM part header 208, extent 24).
cp "$w/lab.snap" "$w/bad.snap"
b=$(od -An -tu1 -j 800 -N 1 "$w/bad.snap" | tr -d ' ')
# shellcheck disable=SC2059 # the octal escape is the format on purpose
printf "\\$(printf '%03o' $((b ^ 1)))" | dd of="$w/bad.snap" bs=1 seek=800 conv=notrunc status=none
esp_put "$w/bad.snap" /snap/lab.snap
conf 3 lab "snapshot /snap/lab.snap" >"$w/partitions.conf"
esp_put "$w/partitions.conf" /EFI/BOOT/partitions.conf
qemu_boot labboot/boot3-power-off labboot-3 1G 600 "$w/disk.img" "$w/serial3.log" || true
tr -d '\r' <"$w/serial3.log" >"$w/serial3.txt"
s3=$w/serial3.txt
t_check labboot/boot3-dropped "$s3" \
        "^switcher: error: /EFI/BOOT/partitions.conf:11: slot 'lab': snapshot /snap/lab.snap: .*part 1 \\(ram\\) hash mismatch.*; slot dropped$"
t_check labboot/boot3-ctl-up "$s3" '^GUEST: labboot ctl boot=3 lab=[a-z]*$'
if grep -q "^GUEST: labboot resumed\|^switcher: resuming slot 'lab'" "$s3"; then
        t_fail labboot/boot3-lab-not-run "lab ran from the damaged snapshot"
else
        t_pass labboot/boot3-lab-not-run
fi
no_fault labboot-boot3 "$s3"

# ---- boot 4: the same damaged snapshot with 'on-damage cold-boot': lab is
# kept, nothing of it written, and ctl's switch to it cold-boots its kernel.
conf 4 lab "snapshot /snap/lab.snap
on-damage cold-boot" >"$w/partitions.conf"
esp_put "$w/partitions.conf" /EFI/BOOT/partitions.conf
qemu_boot labboot/boot4-power-off labboot-4 1G 900 "$w/disk.img" "$w/serial4.log" || true
tr -d '\r' <"$w/serial4.log" >"$w/serial4.txt"
s4=$w/serial4.txt
t_check labboot/boot4-cold-boot-fallback "$s4" \
        "^switcher: error: /EFI/BOOT/partitions.conf:11: slot 'lab': snapshot /snap/lab.snap: .*part 1 \\(ram\\) hash mismatch.*; it cold-boots from its kernel instead \\(on-damage cold-boot\\)$"
t_check labboot/boot4-lab-empty "$s4" '^GUEST: labboot ctl boot=4 lab=empty$'
t_check labboot/boot4-lab-cold-booted "$s4" "^switcher: cold boot of slot 'lab'"
t_check labboot/boot4-lab-up "$s4" '^GUEST: labboot up writer=[0-9]+$'
t_check labboot/boot4-ctl-back "$s4" '^GUEST: labboot ctl back rc 0$'
no_fault labboot-boot4 "$s4"

# ---- mkslot disk --snapshot: the file where lab's line points, whole and split.
d=$w/mkdisk
mkdir -p "$d/slots/lab" "$d/slots/ctl"
for x in lab ctl; do
        ln -sf "$SW_KERNEL" "$d/slots/$x/vmlinuz"
        ln -sf "$SW_INITRD" "$d/slots/$x/initrd.img"
done
head -c 300000 /dev/urandom >"$d/piece.000"
head -c 1000 /dev/urandom >"$d/piece.001"
# mkdisk_has IMG PATH WANT: PATH on IMG's ESP is byte for byte WANT.
mkdisk_has() {
        local off
        off=$(($(disk_part_range "$1" ESP | cut -d' ' -f1) * 512))
        MTOOLS_SKIP_CHECK=1 mcopy -n -i "$1@@$off" "::$2" "$d/got" 2>/dev/null && cmp -s "$d/got" "$3"
}
if "$build/mkslot" disk --files "$d" -o "$d/whole.img" --snapshot "lab=$w/lab.snap" "$w/partitions.conf" \
        >"$d/whole.log" 2>&1 && mkdisk_has "$d/whole.img" /snap/lab.snap "$w/lab.snap"; then
        t_pass labboot/mkslot-disk-snapshot
else
        t_fail labboot/mkslot-disk-snapshot "$(tail -n 3 "$d/whole.log")"
fi
if "$build/mkslot" disk --files "$d" -o "$d/split.img" --snapshot "lab=$d/piece" "$w/partitions.conf" \
        >"$d/split.log" 2>&1 && mkdisk_has "$d/split.img" /snap/lab.snap.000 "$d/piece.000" &&
        mkdisk_has "$d/split.img" /snap/lab.snap.001 "$d/piece.001"; then
        t_pass labboot/mkslot-disk-snapshot-split
else
        t_fail labboot/mkslot-disk-snapshot-split "$(tail -n 3 "$d/split.log")"
fi
if "$build/mkslot" disk --files "$d" -o "$d/none.img" --snapshot "ctl=$w/lab.snap" "$w/partitions.conf" \
        >"$d/none.log" 2>&1; then
        t_fail labboot/mkslot-disk-snapshot-no-line "accepted a slot without a 'snapshot' line"
else
        t_check labboot/mkslot-disk-snapshot-no-line "$d/none.log" "no valid slot 'ctl' with a 'snapshot' line"
fi
rm -rf "$d"
t_summary
