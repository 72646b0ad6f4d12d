#!/bin/bash
# t-labsave.sh BUILD
#
# `switchctl poweroff --save DIR` (issue 14, item 5; docs/lab-bank.md):
# every slot saved, the one that runs the command included, and every slot
# brought back at the next start-up.  Slots lab (the default) and ctl, each
# with a writer counting on its partition, and hub, which only boots in
# boot 2; ctl's "bank" partition is DIR.  See the "labsave" role for the
# guests' steps.
#
#   boot 1  In ctl, a save into a 1 MiB tmpfs is refused for lack of room
#           (counting ctl's own snapshot too), nothing written, the machine
#           left on.  The save into the bank writes lab's snapshot, unmounts
#           the bank and switches to lab, whose agent saves ctl into the
#           bank and powers lab off; the switcher goes on in ctl, whose
#           agent powers it off; the switcher then powers the machine off
#           and QEMU exits by itself (status 0).
#   host    the bank holds lab.snap and ctl.snap, each whole (`mkslot
#           snapshot inspect`, every hash), each of its slot and with its
#           file system, and no temporary file.  Both go onto the ESP, with
#           a 'snapshot' line for each slot (the same disk, edited in place).
#   boot 2  the switcher brings both back at start-up and boots hub, which
#           finds both suspended and switches to ctl: a resume inside the
#           `poweroff --save` ctl ran in boot 1, its writer's PID the same
#           and its count going on; then ctl's switch to lab resumes lab the
#           same way.  Neither is cold-booted.  Both partitions are clean
#           under e2fsck -fn at the end.
#   boot 3  no snapshot lines, and lab mounts ctl's partition read-only
#           first: lab, asked to save ctl, refuses (the partition is in
#           use), records why and switches back to ctl, whose command fails
#           with that reason, the machine on.  The bank's ctl.snap is still
#           boot 1's, and no temporary file is left.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_agent_test labsave "${1:-build}" labsave
common="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=labsave"
# conf BOOT [LAB_LINE] [CTL_LINE] [OPTIONS]: partitions.conf for boot BOOT:
# lab_conf's lab and ctl, the same in boots 1 and 2 (their snapshots must
# fit them again), each with an extra line, and hub, whose command line
# says which boot it is.  OPTIONS: more kernel options for lab and ctl.
conf() {
        lab_conf "$common${4:+ $4}" lab "${2:-}"
        printf '%s\n\n' "${3:-}"
        cat <<CONF
slot hub
title Hub
linux /slots/hub/vmlinuz
initrd /slots/hub/initrd.img
options $common sw.hub=1 sw.boot=$1
CONF
}
conf 1 >"$w/partitions.conf"
sw_esp "$w/esp" "$build" "$w/partitions.conf"
sw_esp_slot "$w/esp" lab
sw_esp_slot "$w/esp" ctl
sw_esp_slot "$w/esp" hub
# The bank holds two snapshots and, in boot 3, room for both again at
# their worst size (the room check does not count the files a save
# replaces).
SW_ESP_MIB=320 "$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" label=slot-lab,size=16M label=slot-ctl,size=16M \
        label=bank,size=768M >/dev/null

# slot_tick LOG SLOT MARK: the writer's tick of SLOT ("pid=P n=N") last
# before the first line of LOG that starts with MARK, or with an empty MARK
# the first in LOG.
slot_tick() {
        awk -v slot="$2" -v mark="$3" '
                mark != "" && index($0, mark) == 1 { print last; exit }
                $0 ~ "^GUEST: tick slot=" slot " " { if (mark == "") { print $4 " " $5; exit } last = $4 " " $5 }' "$1"
}
# no_cold_boot NAME LOG SLOT: the check NAME: SLOT's init never ran in LOG
# and the switcher never cold-booted it.
no_cold_boot() {
        local bad
        bad=$(grep -E "^GUEST: up slot=$3 |^switcher: cold boot of slot '$3'|^GUEST: labsave $3 up " "$2" | head -n 1)
        if [ -n "$bad" ]; then
                t_fail "$1" "$3 was cold-booted: $bad"
        else
                t_pass "$1"
        fi
}

# ---- boot 1: the save.  The machine must go off by itself: QEMU's exit
# status 0 is the check.
qemu_boot labsave/boot1-machine-off-by-itself labsave-1 1G 900 "$w/disk.img" "$w/serial1.log" || true
tr -d '\r' <"$w/serial1.log" >"$w/serial1.txt"
s=$w/serial1.txt

t_check labsave/lab-up "$s" '^GUEST: labsave lab up writer=[0-9]+$'
# Refused for lack of room (two snapshots: lab's and ctl's own), nothing
# written, the machine still on.
t_check labsave/small-refused "$s" '^switchctl: poweroff --save: /small: [0-9]+ bytes free, and the 2 snapshots need up to [0-9]+ \(every page non-zero\); nothing written, not powering off$'
t_check labsave/small-nothing-written "$s" '^GUEST: labsave small rc 1 files=0$'
t_check labsave/ctl-up "$s" '^GUEST: labsave ctl up writer=[0-9]+$'
# ctl saves lab, then hands its own save to lab.
t_check labsave/self-saved-last "$s" "^switchctl: slot 'ctl' is this slot, running: it is saved last, by another slot"
t_check labsave/lab-saved "$s" "^/bank/lab.snap: snapshot of slot 'lab', [0-9]+ bytes$"
t_check labsave/count "$s" "^/bank: 1 snapshot saved; this slot, 'ctl', is saved by 'lab' once it is suspended$"
t_check labsave/switch-to-saver "$s" "^switchctl: switching to 'lab', which saves this slot into PARTUUID=[0-9a-f-]+ \\(/, ext4\\) and powers off$"
# lab, resumed, saves ctl into the bank and goes off.
t_check labsave/lab-saves-ctl "$s" "^switchctl: slot 'ctl' ran poweroff --save and is suspended: saving it into PARTUUID=[0-9a-f-]+ \\(/, ext4\\)"
t_check labsave/ctl-saved "$s" "^/tmp/switchctl-save\\.[A-Za-z0-9]+/ctl\\.snap: snapshot of slot 'ctl', [0-9]+ bytes$"
t_check labsave/lab-goes-off "$s" "^PARTUUID=[0-9a-f-]+: slot 'ctl' saved for its poweroff --save; powering off slot 'lab'$"
t_check labsave/switcher-goes-on-in-ctl "$s" "^switcher: slot 'lab' is off; going on in 'ctl'"
t_check labsave/ctl-agent-powers-off "$s" "^switchctl: a slot that went off asked for a machine power-off \\(switchctl poweroff\\): powering slot 'ctl' off$"
t_check labsave/switcher-powers-off "$s" "^switcher: slot 'ctl' is off and no other slot has state: powering off"
if grep -q '^GUEST: labsave .* resumed\|not saved' "$s"; then
        t_fail labsave/boot1-nobody-runs-on "$(grep -m1 '^GUEST: labsave .* resumed\|not saved' "$s")"
else
        t_pass labsave/boot1-nobody-runs-on
fi
no_fault labsave-boot1 "$s"
lab_pid=$(sed -n 's/^GUEST: labsave lab up writer=\([0-9]*\)$/\1/p' "$s")
ctl_pid=$(sed -n 's/^GUEST: labsave ctl up writer=\([0-9]*\)$/\1/p' "$s")
# Each writer at its snapshot: its last tick before the save of its slot
# began (the slot was suspended from there on).
lab_snap=$(slot_tick "$s" lab "switchctl: saving slot 'lab'")
ctl_snap=$(slot_tick "$s" ctl "switchctl: saving slot 'ctl'")

# ---- the host: the bank's snapshots.  The bank was unmounted before the
# switch and lab unmounted it after its save: it is read as it is.
bank=$w/bank.ext4
if disk_extract "$w/disk.img" bank "$bank" && e2fsck -fn "$bank" >"$w/bank-fsck.log" 2>&1; then
        t_pass labsave/bank-clean
else
        t_fail labsave/bank-clean "cannot extract the bank, or it is not clean (see $w/bank-fsck.log)"
fi
debugfs -R "ls -l /" "$bank" >"$w/bank-ls.txt" 2>/dev/null || true
for x in lab ctl; do
        rm -f "$w/$x.snap"
        if debugfs -R "dump /$x.snap $w/$x.snap" "$bank" >/dev/null 2>&1 && [ -s "$w/$x.snap" ] &&
                "$build/mkslot" snapshot inspect "$w/$x.snap" >"$w/inspect-$x.txt" 2>&1; then
                t_pass "labsave/$x-snapshot-verifies"
        else
                t_fail "labsave/$x-snapshot-verifies" "mkslot snapshot inspect of $x.snap: $(tail -n 2 "$w/inspect-$x.txt" 2>/dev/null)"
        fi
        t_check "labsave/$x-snapshot-of-$x" "$w/inspect-$x.txt" "^  slot        $x\$"
        t_check "labsave/$x-snapshot-has-fs" "$w/inspect-$x.txt" '^  part 2 fs '
done
if grep -Eq '\.snap\.' "$w/bank-ls.txt"; then
        t_fail labsave/no-temporary-files "the bank holds $(grep -Eo '[^ ]*\.snap\.[^ ]*' "$w/bank-ls.txt" | tr '\n' ' ')"
else
        t_pass labsave/no-temporary-files
fi

# Both onto the ESP, and a 'snapshot' line for each slot.
esp_off=$(($(disk_part_range "$w/disk.img" ESP | cut -d' ' -f1) * 512))
conf 2 "snapshot /snap/lab.snap" "snapshot /snap/ctl.snap" >"$w/partitions.conf"
MTOOLS_SKIP_CHECK=1 mmd -i "$w/disk.img@@$esp_off" ::/snap 2>/dev/null || true
for f in "$w/lab.snap:/snap/lab.snap" "$w/ctl.snap:/snap/ctl.snap" "$w/partitions.conf:/EFI/BOOT/partitions.conf"; do
        MTOOLS_SKIP_CHECK=1 mcopy -o -i "$w/disk.img@@$esp_off" "${f%%:*}" "::${f#*:}"
done

# ---- boot 2: both brought back at start-up; each first switch resumes.
qemu_boot labsave/boot2-machine-off-by-itself labsave-2 1G 900 "$w/disk.img" "$w/serial2.log" || true
tr -d '\r' <"$w/serial2.log" >"$w/serial2.txt"
s=$w/serial2.txt
for x in lab ctl; do
        t_check "labsave/boot2-$x-brought-back" "$s" "^switcher: slot '$x': snapshot /snap/$x.snap brought back; its first switch resumes it at 0x[0-9a-f]+\$"
done
t_check labsave/boot2-hub-sees-both-suspended "$s" '^GUEST: labsave hub boot=2 lab=suspended ctl=suspended$'
t_check labsave/boot2-ctl-resumed "$s" "^switcher: resuming slot 'ctl' at its waking vector"
t_check labsave/boot2-ctl-says-brought-back "$s" "^switchctl: poweroff --save: this slot, 'ctl', runs again from its snapshot"
t_check labsave/boot2-ctl-writer "$s" "^GUEST: labsave ctl resumed rc 0 writer=$ctl_pid alive bank=present\$"
check_continues labsave/boot2-ctl-writer-continues "$ctl_snap" "$(slot_tick "$s" ctl "")" "$ctl_pid"
t_check labsave/boot2-lab-resumed "$s" "^switcher: resuming slot 'lab' at its waking vector"
t_check labsave/boot2-lab-writer "$s" "^GUEST: labsave lab resumed writer=$lab_pid alive marker=present\$"
check_continues labsave/boot2-lab-writer-continues "$lab_snap" "$(slot_tick "$s" lab "")" "$lab_pid"
no_cold_boot labsave/boot2-ctl-no-cold-boot "$s" ctl
no_cold_boot labsave/boot2-lab-no-cold-boot "$s" lab
t_check labsave/boot2-ctl-back "$s" '^GUEST: labsave ctl back rc [0-9]+$'
t_check labsave/boot2-hub-back "$s" '^GUEST: labsave hub back rc [0-9]+$'
no_fault labsave-boot2 "$s"
check_fsck labsave/lab-fsck "$w/disk.img" slot-lab "$w/fsck-lab.log"
check_fsck labsave/ctl-fsck "$w/disk.img" slot-ctl "$w/fsck-ctl.log"

# ---- boot 3: the saver cannot save; the slot that ran the command says so
# and stays on.
conf 3 "" "" sw.roctl=1 >"$w/partitions.conf"
MTOOLS_SKIP_CHECK=1 mcopy -o -i "$w/disk.img@@$esp_off" "$w/partitions.conf" ::/EFI/BOOT/partitions.conf
qemu_boot labsave/boot3-machine-off-by-itself labsave-3 1G 900 "$w/disk.img" "$w/serial3.log" || true
tr -d '\r' <"$w/serial3.log" >"$w/serial3.txt"
s=$w/serial3.txt
t_check labsave/boot3-lab-saved "$s" "^/bank/lab.snap: snapshot of slot 'lab', [0-9]+ bytes\$"
t_check labsave/boot3-lab-sees-partition-in-use "$s" "^switchctl: /dev/[a-z0-9]+ \\(slot 'ctl''s partition PARTLABEL=slot-ctl\\) is .*release it first\$"
t_check labsave/boot3-lab-says-not-saved "$s" "^switchctl: poweroff --save: slot 'ctl' was not saved: the save into /tmp/switchctl-save\\.[A-Za-z0-9]+/ctl\\.snap failed \\(see slot 'lab''s messages\\); switching back to it, the machine stays on\$"
t_check labsave/boot3-ctl-says-not-saved "$s" "^switchctl: poweroff --save: this slot, 'ctl', was not saved: slot 'lab' could not save this slot: the save into .* failed .*; the other snapshots stay in /bank; not powering off\$"
t_check labsave/boot3-ctl-goes-on "$s" '^GUEST: labsave ctl resumed rc 1 writer=[0-9]+ alive bank=present$'
t_check labsave/boot3-lab-goes-on "$s" '^GUEST: labsave lab resumed writer=[0-9]+ alive marker=present$'
if grep -q "powering slot '[a-z]*' off\|saved for its poweroff --save" "$s"; then
        t_fail labsave/boot3-nobody-powered-off-for-it "$(grep -m1 "powering slot '[a-z]*' off\|saved for its poweroff --save" "$s")"
else
        t_pass labsave/boot3-nobody-powered-off-for-it
fi
no_fault labsave-boot3 "$s"
# The bank: ctl.snap is still boot 1's, whole; no temporary file.
if disk_extract "$w/disk.img" bank "$bank" && debugfs -R "dump /ctl.snap $w/ctl3.snap" "$bank" >/dev/null 2>&1 &&
        cmp -s "$w/ctl.snap" "$w/ctl3.snap"; then
        t_pass labsave/boot3-old-ctl-snapshot-kept
else
        t_fail labsave/boot3-old-ctl-snapshot-kept "the bank's ctl.snap is not boot 1's"
fi
debugfs -R "ls -l /" "$bank" >"$w/bank-ls3.txt" 2>/dev/null || true
if grep -Eq '\.snap\.' "$w/bank-ls3.txt"; then
        t_fail labsave/boot3-no-temporary-files "the bank holds $(grep -Eo '[^ ]*\.snap\.[^ ]*' "$w/bank-ls3.txt" | tr '\n' ' ')"
else
        t_pass labsave/boot3-no-temporary-files
fi
rm -f "$w/lab.snap" "$w/ctl.snap" "$w/ctl3.snap" "$bank"
t_summary
