# shellcheck shell=sh
# Role "lab386" (sourced by guest-init.sh as /roles/lab386.sh): the lab bank
# with i386 slots only (t-lab386).  lab (sw.first=1, the default) and ctl
# are both i386 swap slots, so the snapshot is of an i386 system and
# `switchctl snapshot` runs in the i386 build of the agent; every switch
# goes through the firmware's S3.  The bad-input cases are t-lab's (the
# same checks in the same code); this role does one save and one revert.
#
#   lab   starts a writer, writes /mnt/marker, switches to ctl.
#   ctl   `switchctl snapshot save lab /bank/lab.snap`; switches to lab.
#   lab   writes /mnt/after-snapshot, counts on, switches to ctl.
#   ctl   `switchctl snapshot restore lab /bank/lab.snap`; switches to lab.
#   lab   resumes inside the snapshot: the same writer counts on from the
#         snapshot's count and /mnt/after-snapshot is gone; it stops the
#         writer, unmounts and powers the machine off.
#
# Markers (besides the writer's ticks):
#   GUEST: lab386 up writer=PID
#   GUEST: lab386 save rc N                 then "GUEST: lab386 save: LINE"
#   GUEST: lab386 after-snapshot written writer=PID
#   GUEST: lab386 restore rc N              then "GUEST: lab386 restore: LINE"
#   GUEST: lab386 reverted writer=PID alive|dead after-snapshot=present|absent marker=present|absent
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
        say "lab386 $name rc $rc"
        echo "$out" | sed "s/^/GUEST: lab386 $name: /"
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
        say "lab386 up writer=$wpid"
        while :; do
                switchctl switch ctl >/dev/null 2>&1
                case $(mb_slot lab switches) in
                1)
                        echo "written after the snapshot" >/mnt/after-snapshot
                        sync
                        say "lab386 after-snapshot written writer=$wpid"
                        sleep 2
                        ;;
                *)
                        sleep 3
                        say "lab386 reverted writer=$wpid $(kill -0 "$wpid" 2>/dev/null && echo alive || echo dead)" \
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
run save switchctl snapshot save lab /bank/lab.snap
sync
switchctl switch lab >/dev/null 2>&1 || fail "switch to lab after the save"
run restore switchctl snapshot restore lab /bank/lab.snap
sync
switchctl switch lab >/dev/null 2>&1
fail "ctl resumed after lab's revert"
