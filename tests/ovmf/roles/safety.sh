# shellcheck shell=sh
# Role "safety" (sourced by guest-init.sh as /roles/safety.sh): the agent's
# partition-safety check against every way this OS can hold another slot's
# partition (slot b's, PARTLABEL=slot-b) or the ESP, none of which
# /proc/self/mounts shows except the plain mount.  Slot a runs it; each case
# asks for a real switch to b, which must be refused before anything is
# written, naming the device, the slot and the holder.  Then a read-only
# mount is allowed (a dry run: the request is written, nothing suspends).
#
# Markers (one per line of switchctl's output, then its exit status):
#   GUEST: safety CASE: LINE
#   GUEST: safety CASE rc N
# Cases: ns-rw, loop, dm, esp-rw, gpt, ro-allowed, swap; then
#   GUEST: safety list: LINE                 (switchctl list)

ask() {
        case=$1
        shift
        out=$(switchctl "$@" 2>&1)
        rc=$?
        echo "$out" | sed "s/^/GUEST: safety $case: /"
        say "safety $case rc $rc"
}

# wait_file F: up to 10 s for F to appear.
wait_file() {
        i=0
        while [ ! -e "$1" ] && [ $i -lt 50 ]; do
                sleep 0.2
                i=$((i + 1))
        done
        [ -e "$1" ] || fail "$1 never appeared"
}

esp=$(find_part ESP) || fail "no ESP partition"
pb=$(find_part slot-b) || fail "no slot-b partition"
disk=/dev/$(basename "$(dirname "$(readlink -f "/sys/class/block/${pb#/dev/}")")")
say "safety devices esp=$esp b=$pb disk=$disk"
[ -e /dev/mapper/control ] || fail "no /dev/mapper/control (dm-mod not loaded)"

# 1. Slot b's partition mounted read-write in another mount namespace only.
rm -f /tmp/ready
unshare -m sh -c "mount -t ext4 $pb /mnt && touch /tmp/ready && exec sleep 600" &
nspid=$!
wait_file /tmp/ready
grep -q " /mnt " /proc/self/mounts && fail "the namespace's mount leaked into ours"
ask ns-rw switch b
kill "$nspid"
wait "$nspid" 2>/dev/null

# 2. A loop device over a file on slot b's partition, set up in a mount
# namespace that is gone by the time the agent looks: only the loop device
# (and the kernel's claim on the partition) remain.
unshare -m sh -c "mount -t ext4 $pb /mnt && dd if=/dev/zero of=/mnt/loop.img bs=1M count=4 2>/dev/null &&
        losetup /dev/loop0 /mnt/loop.img" || fail "loop device setup"
ask loop switch b
losetup -d /dev/loop0 || fail "losetup -d /dev/loop0"

# 3. A device-mapper linear map over slot b's partition (as LVM or LUKS
# would make), not mounted anywhere.
sectors=$(blockdev --getsz "$pb") || fail "blockdev --getsz $pb"
dm=$(dmlinear safety-dm "$(cat "/sys/class/block/${pb#/dev/}/dev")" "$sectors") || fail "dmlinear create"
say "safety dm $dm holders $(cd "/sys/class/block/${pb#/dev/}/holders" && echo *)"
ask dm switch b
dmlinear -r safety-dm || fail "dmlinear -r"

# 4. The ESP mounted read-write here.
mount -t vfat "$esp" /mnt || fail "mount -t vfat $esp"
ask esp-rw switch b
umount /mnt || fail "umount the ESP"

# 5. The disk's primary GPT header damaged (one byte; the kernel keeps the
# partitions it found at boot): the agent cannot tell which partition is
# whose, and refuses.  The sector is put back afterwards.
dd if="$disk" of=/tmp/lba1 bs=512 skip=1 count=1 2>/dev/null || fail "save LBA 1"
printf 'X' | dd of="$disk" bs=1 seek=$((512 + 40)) conv=notrunc 2>/dev/null || fail "damage LBA 1"
sync
ask gpt switch b
dd if=/tmp/lba1 of="$disk" bs=512 seek=1 count=1 conv=notrunc 2>/dev/null || fail "restore LBA 1"
sync

# 6. Read-only in another namespace: allowed (a dry run; the request stays
# pending, which is why this case is the last one).
rm -f /tmp/ready
unshare -m sh -c "mount -o ro -t ext4 $pb /mnt && touch /tmp/ready && exec sleep 600" &
nspid=$!
wait_file /tmp/ready
ask ro-allowed switch b --dry-run
kill "$nspid"
wait "$nspid" 2>/dev/null

# 7. An exclusive holder that no mount, holder or loop device shows: slot
# b's partition as a swap area (this overwrites b's file system, which this
# test never boots).  The refusal comes before anything is written, so the
# request the dry run above left pending plays no part.
mkswap "$pb" >/dev/null 2>&1 || fail "mkswap $pb"
swapon "$pb" || fail "swapon $pb"
ask swap switch b
swapoff "$pb" || fail "swapoff $pb"

switchctl list 2>&1 | sed "s/^/GUEST: safety list: /"
