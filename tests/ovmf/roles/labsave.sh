# shellcheck shell=sh
# Role "labsave" (sourced by guest-init.sh as /roles/labsave.sh):
# `switchctl poweroff --save` (t-labsave, issue 14).  Three swap slots:
# lab (sw.first=1, the default) and ctl, each with a writer counting on its
# partition, and hub (sw.hub=1, no partition), which only boots in boot 2.
# ctl's third partition, "bank", is the directory the snapshots go to.
# lab and ctl are the same in both boots (their snapshots must fit them
# again); only hub's command line says which boot it is.
#
# Boot 1:
#   lab   starts its writer and switches to ctl.
#   ctl   `switchctl poweroff --save /small`, a 1 MiB tmpfs: refused for
#         lack of room, nothing written there, the machine still on; then
#         starts its writer and runs `switchctl poweroff --save /bank`: lab
#         into /bank/lab.snap, then /bank unmounted and a switch to lab.
#   lab   resumed inside its `switchctl switch ctl`: its agent finds ctl's
#         request, saves ctl into the bank (ctl.snap) and powers lab off.
#   ctl   resumed by the switcher after lab went off, inside its switch:
#         its agent powers it off; no slot has state left, and the switcher
#         powers the machine off (QEMU exits by itself).
# (the host puts both snapshots on the ESP, with 'snapshot' lines)
# Boot 2: lab and ctl are brought back at start-up, and hub boots.
#   hub   reports both slots' states and switches to ctl.
#   ctl   resumes inside its `poweroff --save /bank` of boot 1, which says
#         it was brought back and returns 0; it reports its writer and
#         switches to lab.
#   lab   resumes inside its `switchctl switch ctl` of boot 1, reports its
#         writer and powers off; the switcher goes on in ctl, which powers
#         off; then in hub, which powers off.
# Boot 3: no snapshot lines; lab (sw.roctl=1) mounts ctl's partition
# read-only before it starts.
#   ctl   as in boot 1, up to the switch to lab.
#   lab   cannot save ctl (its partition is in use here): says so, records
#         why in the mailbox and switches back to ctl.
#   ctl   its `poweroff --save /bank` fails with lab's reason (status 1),
#         the machine on; it switches to lab, which returns from its switch
#         and powers off; then ctl powers off.
#
# The agent's own lines ("switchctl: ...") go straight to the console, so
# that the last of them are out before the kernel powers off.
#
# Markers (besides the writers' ticks):
#   GUEST: labsave lab up writer=PID
#   GUEST: labsave small rc N files=N         the refused save's status, the files left in /small
#   GUEST: labsave ctl up writer=PID
#   GUEST: labsave hub boot=N lab=STATE ctl=STATE
#   GUEST: labsave ctl resumed rc N writer=PID alive|dead bank=present|absent
#   GUEST: labsave lab resumed writer=PID alive|dead marker=present|absent
#   GUEST: labsave ctl back rc N
#   GUEST: labsave hub back rc N
if [ "$(cmdline_word sw.hub)" = 1 ]; then
        say "labsave hub boot=$(cmdline_word sw.boot) lab=$(mb_slot lab state) ctl=$(mb_slot ctl state)"
        switchctl switch ctl >/dev/null 2>&1
        say "labsave hub back rc $?"
        finish
fi

if [ "$(cmdline_word sw.first)" = 1 ]; then
        if [ "$(cmdline_word sw.roctl)" = 1 ]; then
                # Boot 3: ctl's partition in use here (read-only, which
                # still lets lab switch), so that lab cannot save ctl.
                roctl=$(find_part slot-ctl) || fail "no partition labelled 'slot-ctl'"
                mkdir -p /roctl
                mount -t ext4 -o ro,noload "$roctl" /roctl || fail "mount -o ro $roctl"
        fi
        lab_start "labsave lab"
        switchctl switch ctl
        # Boots 2 and 3: in boot 1, lab's agent powers it off in there.
        sleep 3
        say "labsave lab resumed $(writer_state) marker=$(state_of /mnt/marker)"
        lab_stop
fi

# ctl.
dev=$(find_part bank) || fail "no partition labelled 'bank'"
mkdir -p /bank /small
mount -t ext4 "$dev" /bank || fail "mount -t ext4 $dev (bank)"
mount -t tmpfs -o size=1m tmpfs /small || fail "mount tmpfs /small"
switchctl poweroff --save /small
rc=$?
say "labsave small rc $rc files=$(find /small -mindepth 1 | wc -l)"
lab_start "labsave ctl"
switchctl poweroff --save /bank
rc=$?
# Boots 2 and 3: in boot 1, ctl's agent powers it off in there.
sleep 3
say "labsave ctl resumed rc $rc $(writer_state) bank=$(state_of /bank/lab.snap)"
switchctl switch lab >/dev/null 2>&1
say "labsave ctl back rc $?"
lab_stop
