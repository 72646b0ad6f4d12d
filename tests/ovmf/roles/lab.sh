# shellcheck shell=sh
# Role "lab" (sourced by guest-init.sh as /roles/lab.sh): the lab bank
# (t-lab).  Two swap slots: lab (sw.first=1, the default) and ctl, which
# keeps the snapshots on a third partition, "bank".
#
#   lab   starts a writer (a PID counting on its partition), writes /mnt/marker
#         and switches to ctl.
#   ctl   `switchctl snapshot save lab /bank/lab.snap`; switches to lab.
#   lab   writes /mnt/after-snapshot, counts on, switches to ctl.
#   ctl   four restores that must be refused, each with lab's partition
#         unchanged (md5sum before and after): a truncated snapshot, one with
#         a RAM byte flipped, the snapshot of another slot (other.snap, made
#         on the host), and a partition device in use; then switches to lab,
#         whose resume proves its store unchanged too (the switcher checks
#         its hash before every resume).
#   lab   a restore of itself (running) must be refused; switches to ctl.
#   ctl   `switchctl snapshot restore lab /bank/lab.snap`; switches to lab.
#   lab   resumes inside the snapshot: the same writer counts on from the
#         snapshot's count, and /mnt/after-snapshot is gone.  It stops the
#         writer, unmounts and powers off; the switcher goes on in ctl,
#         which powers the machine off.
#
# The mailbox is switcher memory, which a revert does not touch: lab tells
# where it is by how often it was switched to.
#
# Markers (besides the writer's ticks):
#   GUEST: lab up writer=PID
#   GUEST: lab save rc N                      then "GUEST: lab save: LINE" per output line
#   GUEST: lab after-snapshot written writer=PID
#   GUEST: lab bad NAME rc N                  then "GUEST: lab bad NAME: LINE"
#   GUEST: lab partition-unchanged yes|no
#   GUEST: lab back writer=PID alive|dead after-snapshot=present|absent
#   GUEST: lab running-restore rc N           then "GUEST: lab running-restore: LINE"
#   GUEST: lab restore rc N                   then "GUEST: lab restore: LINE"
#   GUEST: lab reverted writer=PID alive|dead after-snapshot=present|absent marker=present|absent
first=0
# shellcheck disable=SC2013
for w in $(cat /proc/cmdline); do
        case $w in
        sw.first=*) first=${w#sw.first=} ;;
        esac
done

# run NAME CMD...: CMD's status and every line it printed, as markers.
run() {
        name=$1
        shift
        out=$("$@" 2>&1)
        rc=$?
        say "lab $name rc $rc"
        echo "$out" | sed "s/^/GUEST: lab $name: /"
}

state_of() {
        if [ -e "$1" ]; then echo present; else echo absent; fi
}

if [ "$first" = 1 ]; then
        dev=$(find_part "$part") || fail "no partition labelled '$part'"
        mount -t ext4 "$dev" /mnt || fail "mount -t ext4 $dev"
        echo "the lab image" >/mnt/marker
        sync
        start_writer
        sleep 3
        say "lab up writer=$wpid"
        while :; do
                switchctl switch ctl >/dev/null 2>&1
                case $(mb_slot lab switches) in
                1)
                        echo "written after the snapshot" >/mnt/after-snapshot
                        sync
                        say "lab after-snapshot written writer=$wpid"
                        sleep 2
                        ;;
                2)
                        say "lab back writer=$wpid $(kill -0 "$wpid" 2>/dev/null && echo alive || echo dead)" \
                                "after-snapshot=$(state_of /mnt/after-snapshot)"
                        run running-restore switchctl snapshot restore lab /tmp/none.snap
                        ;;
                *)
                        sleep 3
                        say "lab reverted writer=$wpid $(kill -0 "$wpid" 2>/dev/null && echo alive || echo dead)" \
                                "after-snapshot=$(state_of /mnt/after-snapshot) marker=$(state_of /mnt/marker)"
                        touch /tmp/stop
                        wait "$wpid"
                        umount /mnt || fail "umount /mnt"
                        finish
                        ;;
                esac
        done
fi

# ctl.
dev=$(find_part bank) || fail "no partition labelled 'bank'"
mkdir -p /bank
mount -t ext4 "$dev" /bank || fail "mount -t ext4 $dev (bank)"
labdev=$(find_part slot-lab) || fail "no partition labelled 'slot-lab'"
run save switchctl snapshot save lab /bank/lab.snap
sync
switchctl switch lab >/dev/null 2>&1 || fail "switch to lab after the save"

# Bad input: each refused before a byte of the store or the partition moves.
before=$(md5sum <"$labdev")
size=$(stat -c %s /bank/lab.snap)
head -c $((size - 5000)) /bank/lab.snap >/bank/short.snap
run "bad truncated" switchctl snapshot restore lab /bank/short.snap
rm -f /bank/short.snap
# Byte 800: inside the first RAM extent's data (the header is 512 bytes, the
# RAM part header 208, an extent record 24).
flip() {
        b=$(dd if="$1" bs=1 skip="$2" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
        # shellcheck disable=SC2059 # the octal escape is the format on purpose
        printf "\\$(printf '%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
flip /bank/lab.snap 800
run "bad flipped" switchctl snapshot restore lab /bank/lab.snap
flip /bank/lab.snap 800
run "bad other-slot" switchctl snapshot restore lab /bank/other.snap
# lab's partition mounted here, if only read-only: refused before anything
# is read.  noload: lab, suspended, has it mounted with a journal to
# replay, which a plain read-only mount would replay, writing to it.
mount -o ro,noload -t ext4 "$labdev" /mnt || fail "mount -o ro,noload $labdev"
run "bad mounted" switchctl snapshot restore lab /bank/lab.snap
umount /mnt || fail "umount $labdev"
after=$(md5sum <"$labdev")
say "lab partition-unchanged $([ "$before" = "$after" ] && echo yes || echo no)"
sync
switchctl switch lab >/dev/null 2>&1 || fail "switch to lab after the refusals"

run restore switchctl snapshot restore lab /bank/lab.snap
switchctl switch lab >/dev/null 2>&1
finish_if_off lab
fail "ctl resumed while lab still runs"
