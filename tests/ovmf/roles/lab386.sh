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
if [ "$(cmdline_word sw.first)" = 1 ]; then
        lab_start lab386
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
                        say "lab386 reverted $(writer_state)" \
                                "after-snapshot=$(state_of /mnt/after-snapshot) marker=$(state_of /mnt/marker)"
                        lab_stop
                        ;;
                esac
        done
fi

# ctl.
dev=$(find_part bank) || fail "no partition labelled 'bank'"
mkdir -p /bank
mount -t ext4 "$dev" /bank || fail "mount -t ext4 $dev (bank)"
run_marked lab386 save switchctl snapshot save lab /bank/lab.snap
sync
switchctl switch lab >/dev/null 2>&1 || fail "switch to lab after the save"
run_marked lab386 restore switchctl snapshot restore lab /bank/lab.snap
sync
switchctl switch lab >/dev/null 2>&1
fail "ctl resumed after lab's revert"
