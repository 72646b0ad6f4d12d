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

# run_case NAME A_OPTIONS B_KEYS: one boot with its own disk and log in
# $w/NAME; sets log.
run_case() {
        local c=$w/$1
        mkdir -p "$c"
        cat >"$c/partitions.conf" <<CONF
timeout 0
default a
active-size 128M

slot a
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=integrity sw.first=1 $2
partition PARTLABEL=slot-a

slot b
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=integrity
partition PARTLABEL=slot-b
$3
CONF
        sw_disk "$c" a b
        log=$c/serial.log
        qemu_boot "integrity/$1-exit" "integrity-$1" 1G 300 "$c/disk.img" "$log" || true
}

run_case refuse "" ""
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
# These requests, the damaged store's and the garbage mailbox's among them,
# reached the switcher through its tboot entry (both slots are 64-bit, on
# the default 'handoff auto'), never through the firmware's S3.
t_check integrity/refused-via-tboot "$log" "^switcher: slot 'a' entered through its tboot entry: S3 "
no_firmware_s3 integrity "$log"

# The same damage to a slot that says 'on-damage cold-boot': it starts over
# from its recovery copy instead of staying failed, and the requester hears
# so.  The role stops after that (sw.recover=1).
run_case recover sw.recover=1 "on-damage cold-boot"
t_check integrity/recover-spare-planned "$log" '^plan:   slot b +spare 0x[0-9a-f]+-0x[0-9a-f]+  '
t_check integrity/recover-switcher "$log" \
        "^switcher: slot 'b': cannot resume: its store changed since it was saved .*; cold-booting it instead \(on-damage cold-boot\)$"
n=$(log_count "$log" '^GUEST: up slot=b ')
if [ "$n" = 2 ]; then
        t_pass integrity/recover-b-booted-again
else
        t_fail integrity/recover-b-booted-again "slot b came up $n time(s), want 2"
fi
t_check integrity/recover-guest-told "$log" \
        "^GUEST: integrity recovered rc 0 .*switched to 'b' \(cold boot: its saved state was damaged\)"
t_check integrity/recover-state "$log" '^GUEST: integrity state b suspended$'
t_check integrity/recover-done "$log" '^GUEST: integrity done$'
no_fault integrity-recover "$log"
t_summary
