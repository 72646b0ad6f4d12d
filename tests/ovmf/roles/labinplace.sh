# shellcheck shell=sh
# Role "labinplace" (sourced by guest-init.sh as /roles/labinplace.sh): the
# lab bank with an in-place slot (t-labinplace).  lab (sw.first=1, the
# default) runs in place above 4 GiB with a DMA32 window; ctl is a swap
# slot that keeps the snapshots on a third partition, "bank".  ctl's
# command line says which boot of the test this is (sw.boot=N).
#
#   boot 1
#   lab   starts a writer (a PID counting on its partition), writes
#         /mnt/marker and switches to ctl.
#   ctl   `switchctl snapshot save lab /bank/lab.snap`; switches to lab.
#   lab   writes /mnt/after-snapshot, counts on, switches to ctl.
#   ctl   a swap slot's snapshot of lab (swap.snap, made on the host) must
#         be refused; then `switchctl snapshot restore lab /bank/lab.snap`
#         and a switch to lab.
#   lab   resumes inside the snapshot: the same writer counts on from the
#         snapshot's count, /mnt/after-snapshot is gone; it stops the
#         writer, unmounts and powers off; the switcher goes on in ctl,
#         which powers the machine off.
#   (the host puts lab.snap on the ESP and a 'snapshot' line for lab)
#   boot 2
#   ctl   boots (lab was brought back at start-up), reports lab's state
#         and switches to lab.
#   lab   resumes inside its first `switchctl switch ctl` of boot 1 (ctl has
#         not been switched to in this boot: its switch count is 0), reports
#         its writer and /mnt/after-snapshot, and powers off; ctl, back,
#         powers off.
#   boot 3
#   ctl   boots (lab's snapshot no longer fits its smaller DMA32 window:
#         lab was dropped), reports lab's state and powers off.
#
# The mailbox is switcher memory, which a revert does not touch: lab tells
# where it is by the switch counts.
#
# Markers (besides the writer's ticks):
#   GUEST: labinplace up writer=PID
#   GUEST: labinplace save rc N              then "GUEST: labinplace save: LINE"
#   GUEST: labinplace after-snapshot written writer=PID
#   GUEST: labinplace bad swap-snapshot rc N then "GUEST: labinplace bad swap-snapshot: LINE"
#   GUEST: labinplace restore rc N           then "GUEST: labinplace restore: LINE"
#   GUEST: labinplace reverted writer=PID alive|dead after-snapshot=present|absent marker=present|absent
#   GUEST: labinplace ctl boot=N lab=STATE
#   GUEST: labinplace resumed writer=PID alive|dead after-snapshot=present|absent marker=present|absent
#   GUEST: labinplace ctl back rc N
boot=$(cmdline_word sw.boot)
if [ "$(cmdline_word sw.first)" = 1 ]; then
        lab_start labinplace
        while :; do
                switchctl switch ctl >/dev/null 2>&1
                if [ "$(mb_slot ctl switches)" = 0 ]; then
                        # Boot 2: brought back at start-up, resumed by ctl.
                        sleep 3
                        say "labinplace resumed $(writer_state)" \
                                "after-snapshot=$(state_of /mnt/after-snapshot) marker=$(state_of /mnt/marker)"
                        lab_stop
                fi
                case $(mb_slot lab switches) in
                1)
                        echo "written after the snapshot" >/mnt/after-snapshot
                        sync
                        say "labinplace after-snapshot written writer=$wpid"
                        sleep 2
                        ;;
                *)
                        sleep 3
                        say "labinplace reverted $(writer_state)" \
                                "after-snapshot=$(state_of /mnt/after-snapshot) marker=$(state_of /mnt/marker)"
                        lab_stop
                        ;;
                esac
        done
fi

# ctl.
case $boot in
1)
        dev=$(find_part bank) || fail "no partition labelled 'bank'"
        mkdir -p /bank
        mount -t ext4 "$dev" /bank || fail "mount -t ext4 $dev (bank)"
        run_marked labinplace save switchctl snapshot save lab /bank/lab.snap
        sync
        switchctl switch lab >/dev/null 2>&1 || fail "switch to lab after the save"
        run_marked labinplace "bad swap-snapshot" switchctl snapshot restore lab /bank/swap.snap
        run_marked labinplace restore switchctl snapshot restore lab /bank/lab.snap
        switchctl switch lab >/dev/null 2>&1
        umount /bank || fail "umount /bank"
        finish
        ;;
*)
        say "labinplace ctl boot=$boot lab=$(mb_slot lab state)"
        if [ "$boot" = 2 ]; then
                switchctl switch lab >/dev/null 2>&1
                say "labinplace ctl back rc $?"
        fi
        finish
        ;;
esac
