# shellcheck shell=sh
# Role "snapbench" (sourced by guest-init.sh as /roles/snapbench.sh): the
# lab bank's part of `make bench` (tests/bench/bench.sh, issue 14).  Two
# swap slots: lab (sw.first=1, the default, 256 MiB) and ctl, which keeps
# the snapshots on a third partition, "bank".
#
#   lab   fills its partition until its file system has sw.snap.fs MiB used
#         (random bytes, so nothing compresses or is skipped as zeros),
#         says how much is used, and switches to ctl.
#   ctl   sw.snap.rounds times, each step on a cold page cache (sync, then
#         drop_caches), timed by the guest's clock:
#           `switchctl snapshot save --force lab /bank/lab.snap`;
#           dd of as many bytes as the snapshot has, from /dev/zero into
#             /bank/dd.bin (conv=fsync): the same disk written as fast as
#             dd writes it;
#           `switchctl snapshot restore lab /bank/lab.snap` (it includes the
#             switcher's adoption, one switch to ctl itself);
#           dd of /bank/dd.bin to /dev/null: the same bytes read back;
#           sha256sum of the snapshot (busybox's): what reading and hashing
#             its bytes costs in this guest.
#         Then it powers off; the switcher goes on in lab.
#   lab   resumes (the last restore's snapshot), checks its fill file is
#         there, unmounts and powers the machine off.
#
# Markers (tests/bench/bench.sh keeps the "snap" ones in snapshot.txt):
#   GUEST: snap fs-used KIB                   lab's file system, used
#   GUEST: snap KIND K MS BYTES               KIND save, ddwrite, restore, ddread, sha256; round K
#   GUEST: snap phase save K RAM_MS FS_MS     the save's RAM part, then its partition's
#   GUEST: snap phase restore K CHECK_MS WRITE_MS ADOPT_MS
#                                             the restore's check pass, write pass, and
#                                             the switcher's adoption (a switch to ctl itself)
#   GUEST: snap rc KIND K N                   a step's exit status when not 0
#   GUEST: snapbench lab back fill=present|absent
first=0 fs_mib=64 rounds=3
# shellcheck disable=SC2013
for w in $(cat /proc/cmdline); do
        case $w in
        sw.first=*) first=${w#sw.first=} ;;
        sw.snap.fs=*) fs_mib=${w#sw.snap.fs=} ;;
        sw.snap.rounds=*) rounds=${w#sw.snap.rounds=} ;;
        esac
done

# now_ms: the guest's uptime in ms (busybox date has no %N; the uptime's
# 10 ms steps are well below what a step here takes).
now_ms() {
        awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

if [ "$first" = 1 ]; then
        # part (sw.part) comes from guest-init.sh.
        # shellcheck disable=SC2154
        dev=$(find_part "$part") || fail "no partition labelled '$part'"
        mount -t ext4 "$dev" /mnt || fail "mount -t ext4 $dev"
        used=$(df -k /mnt | awk 'NR == 2 { print $3 }')
        fill=$((fs_mib * 1024 - used))
        [ "$fill" -gt 0 ] && dd if=/dev/urandom of=/mnt/fill bs=1024 count="$fill" 2>/dev/null
        sync
        say "snap fs-used $(df -k /mnt | awk 'NR == 2 { print $3 }')"
        switchctl switch ctl >/dev/null 2>&1
        say "snapbench lab back fill=$([ -s /mnt/fill ] && echo present || echo absent)"
        umount /mnt || fail "umount /mnt"
        finish
fi

# ctl.
dev=$(find_part bank) || fail "no partition labelled 'bank'"
mkdir -p /bank
mount -t ext4 "$dev" /bank || fail "mount -t ext4 $dev (bank)"
cold_cache() {
        sync
        echo 3 >/proc/sys/vm/drop_caches
}
# step CMD...: CMD on a cold cache; t0 and t1 its start and end (ms), its
# output lines in /tmp/step.log, each stamped "MS LINE" as it came (the
# agent's progress lines mark where its time goes).  Returns its status.
step() {
        cold_cache
        t0=$(now_ms)
        { "$@"; echo $? >/tmp/step.rc; } 2>&1 | while IFS= read -r l; do echo "$(now_ms) $l"; done >/tmp/step.log
        t1=$(now_ms)
        return "$(cat /tmp/step.rc)"
}
# stamp_of RE: the stamp of the first line of /tmp/step.log matching RE.
stamp_of() {
        awk -v re="$1" '{ l = $0; sub(/^[0-9]+ /, "", l) } l ~ re { print $1; exit }' /tmp/step.log
}
# timed KIND K BYTES CMD...: step CMD, said as "snap KIND K MS BYTES".
timed() {
        kind=$1 k=$2 nbytes=$3
        shift 3
        if ! step "$@"; then
                say "snap rc $kind $k $(cat /tmp/step.rc)"
                sed "s/^/GUEST: snap log: /" /tmp/step.log
                return 1
        fi
        say "snap $kind $k $((t1 - t0)) $nbytes"
}
k=1
while [ "$k" -le "$rounds" ]; do
        # The snapshot's size is known once it is written: its save is timed
        # with the size it turned out to have.
        if ! step switchctl snapshot save --force lab /bank/lab.snap; then
                say "snap rc save $k $(cat /tmp/step.rc)"
                sed "s/^/GUEST: snap log: /" /tmp/step.log
                break
        fi
        bytes=$(stat -c %s /bank/lab.snap)
        say "snap save $k $((t1 - t0)) $bytes"
        ram=$(stamp_of "RAM saved; now its partition")
        [ -n "$ram" ] && say "snap phase save $k $((ram - t0)) $((t1 - ram))"
        # dd moves whole 64 KiB blocks: the count that covers the snapshot.
        n=$(((bytes + 65535) / 65536))
        rm -f /bank/dd.bin
        timed ddwrite "$k" $((n * 65536)) dd if=/dev/zero of=/bank/dd.bin bs=65536 count="$n" conv=fsync || break
        timed restore "$k" "$bytes" switchctl snapshot restore lab /bank/lab.snap || break
        checked=$(stamp_of "checks out whole") written=$(stamp_of "store and partition written")
        [ -n "$checked" ] && [ -n "$written" ] &&
                say "snap phase restore $k $((checked - t0)) $((written - checked)) $((t1 - written))"
        timed ddread "$k" $((n * 65536)) dd if=/bank/dd.bin of=/dev/null bs=65536 || break
        # What hashing costs here: a save hashes the file once, a restore's
        # check pass once more (and the RAM as it will lie in the store).
        timed sha256 "$k" "$bytes" sha256sum /bank/lab.snap || break
        # The next save's temporary file needs the room.
        rm -f /bank/dd.bin
        k=$((k + 1))
done
umount /bank
say "snap done"
finish
