# shellcheck shell=sh
# Role "labboot" (sourced by guest-init.sh as /roles/labboot.sh): the lab
# bank across a power-off (t-labboot).  Two swap slots, lab and ctl; ctl's
# command line says which boot of the test this is (sw.boot=N); lab, once
# saved, is only ever resumed, so it tells by the mailbox.
#
#   boot 1  lab (sw.first=1) starts a writer, writes /mnt/marker and
#           switches to ctl.  ctl: `switchctl snapshot save lab
#           /bank/lab.snap`, then powers off; the switcher goes on in lab,
#           which finds ctl off, writes /mnt/after-save (for the restore to
#           undo) and powers off: the machine is off.
#   (the host puts lab.snap on the ESP and a 'snapshot' line for lab)
#   boot 2  ctl boots; the switcher brought lab back at start-up.  ctl
#           reports lab's state and switches to lab, which resumes inside its
#           `switchctl switch ctl` of boot 1, finds ctl suspended, reports
#           its writer and whether /mnt/after-save is there, and powers off;
#           the switcher goes on in ctl, which powers off.
#   boot 2b the same, with ctl the default (sw.boot=2b).
#   boot 3  the snapshot on the ESP is damaged: lab is dropped; ctl reports
#           lab's state and powers off.
#   boot 4  the same with 'on-damage cold-boot': ctl reports lab's state
#           and switches to it, which cold-boots it: lab runs its boot-1
#           steps (ctl resumes at lab's switch, and powers off; lab, back,
#           finds ctl off and powers off).
#
# Markers (besides the writer's ticks):
#   GUEST: labboot up writer=PID
#   GUEST: labboot save rc N                 then "GUEST: labboot save: LINE"
#   GUEST: labboot after-save written writer=PID
#   GUEST: labboot ctl boot=N lab=STATE
#   GUEST: labboot resumed writer=PID alive|dead after-save=present|absent marker=present|absent
#   GUEST: labboot ctl back rc N
boot=$(cmdline_word sw.boot)
if [ "$(cmdline_word sw.first)" = 1 ]; then
        lab_start labboot
        switchctl switch ctl >/dev/null 2>&1
        if [ "$(mb_slot ctl state)" = suspended ]; then
                # Boot 2: resumed from the snapshot the switcher brought back.
                sleep 3
                say "labboot resumed $(writer_state)" \
                        "after-save=$(state_of /mnt/after-save) marker=$(state_of /mnt/marker)"
        else
                # Boot 1: ctl powered off after the save.
                echo "written after the save" >/mnt/after-save
                sync
                say "labboot after-save written writer=$wpid"
        fi
        lab_stop
fi

# ctl.
case $boot in
1)
        dev=$(find_part bank) || fail "no partition labelled 'bank'"
        mkdir -p /bank
        mount -t ext4 "$dev" /bank || fail "mount -t ext4 $dev (bank)"
        run_marked labboot save switchctl snapshot save lab /bank/lab.snap
        umount /bank || fail "umount /bank"
        finish
        ;;
*)
        say "labboot ctl boot=$boot lab=$(mb_slot lab state)"
        if [ "$boot" = 2 ] || [ "$boot" = 2b ] || [ "$boot" = 4 ]; then
                switchctl switch lab >/dev/null 2>&1
                say "labboot ctl back rc $?"
        fi
        finish
        ;;
esac
