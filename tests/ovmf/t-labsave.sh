#!/bin/bash
# t-labsave.sh BUILD
#
# `switchctl poweroff --save DIR` (issue 14, item 5; docs/lab-bank.md):
# slots lab (the default, a marker on its partition) and ctl, whose "bank"
# partition is DIR.  In ctl, a save into a 1 MiB tmpfs is refused for lack
# of room with nothing written and the machine left on; the save into the
# bank writes lab's snapshot (/bank/lab.snap), says that ctl itself, running,
# is not saved, and ctl goes off.  The switcher goes on in lab, whose agent
# powers it off on seeing the mark ctl left; the switcher then powers the
# machine off and QEMU exits by itself (status 0).  On the host: lab.snap is
# whole (`mkslot snapshot inspect`, every hash), is lab's and holds its file
# system; no ctl.snap and no temporary file is left in the bank.  See the
# "labsave" role for the steps.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_agent_test labsave "${1:-build}" labsave
common="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=labsave"
lab_conf "$common" >"$w/partitions.conf"
sw_esp "$w/esp" "$build" "$w/partitions.conf"
sw_esp_slot "$w/esp" lab
sw_esp_slot "$w/esp" ctl
"$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" label=slot-lab,size=16M label=slot-ctl,size=16M \
        label=bank,size=448M >/dev/null

log=$w/serial.log
# The machine must go off by itself: QEMU's exit status 0 is the check.
qemu_boot labsave/machine-off-by-itself labsave 1G 600 "$w/disk.img" "$log" || true
tr -d '\r' <"$log" >"$w/serial.txt"
s=$w/serial.txt

t_check labsave/lab-up "$s" '^GUEST: labsave lab up$'
# Refused for lack of room, nothing written, the machine still on.
t_check labsave/small-refused "$s" '^switchctl: poweroff --save: /small: [0-9]+ bytes free, and the 1 snapshot needs up to [0-9]+ \(every page non-zero\); nothing written, not powering off$'
t_check labsave/small-nothing-written "$s" '^GUEST: labsave small rc 1 files=0$'
# The save into the bank: lab saved, ctl (running) said not to be.
t_check labsave/self-not-saved "$s" "^switchctl: slot 'ctl' is not saved: it is this slot, running"
t_check labsave/lab-saved "$s" "^/bank/lab.snap: snapshot of slot 'lab', [0-9]+ bytes$"
t_check labsave/count "$s" '^/bank: 1 snapshot saved$'
t_check labsave/ctl-goes-off "$s" "^switchctl: powering off slot 'ctl'"
t_check labsave/switcher-goes-on-in-lab "$s" "^switcher: slot 'ctl' is off; going on in 'lab'"
t_check labsave/lab-agent-powers-off "$s" "^switchctl: a slot that went off asked for a machine power-off \(switchctl poweroff\): powering slot 'lab' off$"
t_check labsave/switcher-powers-off "$s" "^switcher: slot 'lab' is off and no other slot has state: powering off"
if grep -q '^GUEST: labsave lab back$' "$s"; then
        t_fail labsave/lab-not-running-on "lab went on running after the power-off mark"
else
        t_pass labsave/lab-not-running-on
fi

# On the disk.  ctl went off with the bank mounted: a copy of the bank
# with its journal replayed (as the next mount would) is what is read.
bank=$w/bank.ext4
if disk_extract "$w/disk.img" bank "$bank" && { e2fsck -fy "$bank" >"$w/bank-fsck.log" 2>&1 || [ $? -le 1 ]; }; then
        t_pass labsave/bank-readable
else
        t_fail labsave/bank-readable "cannot extract and replay the bank (see $w/bank-fsck.log)"
fi
debugfs -R "ls -l /" "$bank" >"$w/bank-ls.txt" 2>/dev/null || true
if debugfs -R "dump /lab.snap $w/lab.snap" "$bank" >/dev/null 2>&1 && [ -s "$w/lab.snap" ] &&
        "$build/mkslot" snapshot inspect "$w/lab.snap" >"$w/inspect.txt" 2>&1; then
        t_pass labsave/snapshot-verifies
else
        t_fail labsave/snapshot-verifies "mkslot snapshot inspect of lab.snap: $(tail -n 2 "$w/inspect.txt" 2>/dev/null)"
fi
t_check labsave/snapshot-of-lab "$w/inspect.txt" '^  slot        lab$'
t_check labsave/snapshot-has-fs "$w/inspect.txt" '^  part 2 fs '
if grep -Eq ' ctl\.snap| lab\.snap\.' "$w/bank-ls.txt"; then
        t_fail labsave/no-other-files "the bank holds $(grep -Eo '[^ ]*\.snap[^ ]*' "$w/bank-ls.txt" | tr '\n' ' ')"
else
        t_pass labsave/no-other-files
fi
rm -f "$w/lab.snap" "$bank"
no_fault labsave "$s"
t_summary
