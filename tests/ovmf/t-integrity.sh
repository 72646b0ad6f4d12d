#!/bin/bash
# t-integrity.sh BUILD
#
# Saved-state integrity, end to end: slot b's store is damaged (one byte, by
# slot a through /dev/mem) while b is suspended; the switcher must refuse to
# resume b, say why on serial and in the mailbox, mark b failed and resume
# a, which goes on and powers off cleanly.  Then, in a: a second switch while
# one is under way (refused in the guest), and a suspend with the mailbox
# overwritten with garbage (the switcher rebuilds it and resumes a).  See
# tests/ovmf/roles/integrity.sh.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_agent_test integrity "${1:-build}" integrity
cat >"$w/partitions.conf" <<CONF
timeout 0
default a
active-size 128M

slot a
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=integrity sw.first=1
partition PARTLABEL=slot-a

slot b
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=integrity
partition PARTLABEL=slot-b
CONF
sw_esp "$w/esp" "$build" "$w/partitions.conf"
sw_esp_slot "$w/esp" a
sw_esp_slot "$w/esp" b
"$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" label=slot-a,size=16M label=slot-b,size=16M >/dev/null

log=$w/serial.log
rc=0
run_qemu integrity 1G 300 "$w/disk.img" "$log" || rc=$?
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        t_fail integrity/exit "QEMU timed out"
else
        t_pass integrity/exit
fi

t_check integrity/b-cold "$log" '^GUEST: integrity b-ready$'
t_check integrity/back-to-a "$log" "^GUEST: integrity back rc 0 "
t_check integrity/recorded "$log" "^switcher: checksums: verify 'b' 0 us, record 'a' [0-9]+ us"
t_check integrity/poked "$log" '^GUEST: integrity poke 0x[0-9a-f]+ 0x[0-9A-F]+ -> 0x[0-9A-F]+$'
t_check integrity/switcher-refused "$log" \
        "^switcher: slot 'b': cannot resume: its store changed since it was saved \(checksum 0x[0-9a-f]{16}, saved 0x[0-9a-f]{16}\) \(data-mismatch\); slot marked failed$"
t_check integrity/guest-told "$log" \
        "^GUEST: integrity refused rc [1-9][0-9]* .*cannot resume 'b': its store changed since it was saved"
t_check integrity/state-failed "$log" '^GUEST: integrity state b failed$'
t_check integrity/again-refused "$log" '^GUEST: integrity again rc [1-9][0-9]* .*target-failed'
t_check integrity/self-refused "$log" '^GUEST: integrity self rc [1-9][0-9]* .*same-slot'
t_check integrity/concurrent-refused "$log" \
        '^GUEST: integrity concurrent rc 1 switchctl: another switch is already in progress in this slot; not starting a second one$'
t_check integrity/first-went-through "$log" '^GUEST: integrity first rc 1 .*same-slot'
t_check integrity/garbage-seen-by-agent "$log" '^GUEST: integrity garbage-status rc [1-9]'
t_check integrity/garbage-refused "$log" "^switcher: slot 'a': request refused: malformed$"
t_check integrity/mailbox-rebuilt "$log" '^GUEST: integrity rebuilt rc 0 \{"current":"a",'
t_check integrity/done "$log" '^GUEST: integrity done$'
n=$(log_count "$log" "^switcher: resuming slot 'b'")
if [ "$n" = 0 ]; then
        t_pass integrity/b-never-resumed
else
        t_fail integrity/b-never-resumed "slot b was resumed $n time(s)"
fi
no_fault integrity "$log"
t_summary
