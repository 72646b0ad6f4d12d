# shellcheck shell=sh
# Role "labsave" (sourced by guest-init.sh as /roles/labsave.sh):
# `switchctl poweroff --save` (t-labsave, issue 14).  Two swap slots: lab
# (sw.first=1, the default) and ctl, whose third partition, "bank", is the
# directory the snapshots go to.
#
#   lab   writes /mnt/marker on its partition and switches to ctl.
#   ctl   `switchctl poweroff --save /small`, a 1 MiB tmpfs: refused for
#         lack of room, nothing written there, the machine still on; then
#         `switchctl poweroff --save /bank`: lab into /bank/lab.snap, ctl
#         itself not saved (it runs), and ctl goes off.
#   lab   resumed by the switcher after ctl went off: its agent (inside the
#         `switchctl switch ctl` it was running) sees the power-off mark and
#         powers lab off; no slot has state left, and the switcher powers
#         the machine off (QEMU exits by itself).
#
# The agent's own lines ("switchctl: ...") go straight to the console, so
# that the last of them are out before the kernel powers off.
#
# Markers:
#   GUEST: labsave lab up
#   GUEST: labsave small rc N files=N         the refused save's status, the files left in /small
#   GUEST: labsave lab back                   only when lab's agent did not power it off
if [ "$(cmdline_word sw.first)" = 1 ]; then
        # part (sw.part) comes from guest-init.sh.
        # shellcheck disable=SC2154
        dev=$(find_part "$part") || fail "no partition labelled '$part'"
        mount -t ext4 "$dev" /mnt || fail "mount -t ext4 $dev"
        echo "the lab image" >/mnt/marker
        sync
        say "labsave lab up"
        switchctl switch ctl
        say "labsave lab back"
        fail "lab resumed and was not powered off by its agent"
fi

# ctl.
dev=$(find_part bank) || fail "no partition labelled 'bank'"
mkdir -p /bank /small
mount -t ext4 "$dev" /bank || fail "mount -t ext4 $dev (bank)"
mount -t tmpfs -o size=1m tmpfs /small || fail "mount tmpfs /small"
switchctl poweroff --save /small
rc=$?
say "labsave small rc $rc files=$(find /small -mindepth 1 | wc -l)"
switchctl poweroff --save /bank
fail "switchctl poweroff --save /bank returned (status $?)"
