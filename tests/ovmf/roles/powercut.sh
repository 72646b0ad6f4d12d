# shellcheck shell=sh
# Role "powercut" (sourced by guest-init.sh as /roles/powercut.sh): a guest
# whose machine loses power at a bad moment (t-powercut).
#
# It mounts its partition (the kernel replays the journal if the last
# power-off was a cut), counts its boots there (/boots), then runs two
# writers and the hotkey daemon until the power goes:
#   - records: one line at a time appended to /records.txt, each flushed to
#     the disk with `sync FILE` (fsync) before it is reported, with its
#     MD5, as "GUEST: rec slot=ID boot=N n=N md5=SUM".  Every line reported
#     must be on the disk after any power cut;
#   - dirty pages: /dirty rewritten 16 MiB at a time and never flushed, so
#     the page cache holds unwritten data whenever the power goes.
#
# Markers:
#   GUEST: mounted slot=ID boot=N replayed=0|1 records=N
#   GUEST: rec slot=ID boot=N n=N md5=SUM
#   GUEST: ready slot=ID boot=N

[ -n "$part" ] || fail "role powercut needs sw.part=LABEL"
dev=$(find_part "$part") || fail "no partition labelled '$part'"
mount -t ext4 "$dev" /mnt || fail "mount -t ext4 $dev"
# The kernel's own word that it replayed the journal at this mount.
if dmesg | grep -q 'EXT4-fs .*recovery complete'; then replayed=1; else replayed=0; fi
boot=$(($(cat /mnt/boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/mnt/boots
sync /mnt/boots
touch /mnt/records.txt
say "mounted slot=$slot boot=$boot replayed=$replayed records=$(wc -l </mnt/records.txt)"

(
        while :; do
                dd if=/dev/zero of=/mnt/dirty bs=1M count=16 2>/dev/null
                sleep 1
        done
) &
(
        n=0
        while :; do
                n=$((n + 1))
                line="slot=$slot boot=$boot n=$n"
                echo "$line" >>/mnt/records.txt
                sync /mnt/records.txt
                say "rec slot=$slot boot=$boot n=$n md5=$(echo "$line" | md5sum | cut -d' ' -f1)"
                sleep 0.3
        done
) &

# busybox sed has no -u: a read loop passes each line on at once.
switcher-agent --foreground 2>&1 | while IFS= read -r l; do echo "GUEST: agent-log $l"; done &
sleep 1
say "ready slot=$slot boot=$boot"
while :; do sleep 60; done
