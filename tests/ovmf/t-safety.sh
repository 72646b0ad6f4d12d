#!/bin/bash
# t-safety.sh BUILD
#
# Partition safety end to end, in one boot of three slots: at start-up the
# switcher warns about slot c, whose 'partition PARTLABEL=no-such-part'
# names no partition on any disk (FILE:LINE), and the mailbox flags it for
# switchctl list.  Then in slot a the agent refuses a switch to b while b's
# partition is mounted read-write in another mount namespace, used by a loop
# device over a file on it, held by a dm-linear map, while the ESP is
# mounted read-write, while the disk's GPT cannot be read, and while b's
# partition is a swap area (an exclusive claim no mount shows); each refusal
# names the device, the slot and the holder.  A read-only mount of b's
# partition (in another namespace) is allowed.  See roles/safety.sh; the
# dm-linear map is made by dmlinear.c (busybox has no dmsetup).
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

# The guest's device-mapper client, static like the agent.
tools=$(cd "${1:-build}" && pwd)/ovmf-tools
mkdir -p "$tools"
if ! gcc -static -O2 -Wall -Wextra -o "$tools/dmlinear" "$SW_OVMF_DIR/dmlinear.c" 2>"$tools/dmlinear.log"; then
        t_fail safety/prepare "cannot build dmlinear: $(head -n 3 "$tools/dmlinear.log")"
        t_summary
        exit 1
fi
export SW_EXTRA_BIN=$tools/dmlinear
# Loop devices, device-mapper and the ESP's FAT, with its code pages.
export SW_AGENT_MODULES="loop dm-mod fat vfat nls_cp437 nls_ascii nls_utf8"
sw_agent_test safety "${1:-build}" safety

cat >"$w/partitions.conf" <<CONF
timeout 0
default a
active-size 128M

slot a
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=safety
partition PARTLABEL=slot-a

slot b
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=boot sw.part=slot-b
partition PARTLABEL=slot-b

slot c
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=boot
partition PARTLABEL=no-such-part
CONF
line=$(grep -n 'no-such-part' "$w/partitions.conf" | cut -d: -f1)
sw_disk "$w" a b
log=$w/serial.log
qemu_boot safety/exit safety 1G 300 "$w/disk.img" "$log" || true

t_check safety/startup-warning "$log" \
        "^switcher: warning: /EFI/BOOT/partitions.conf:$line: slot 'c': partition PARTLABEL=no-such-part: no such partition on any disk$"
n=$(log_count "$log" "^switcher: warning: .*slot '[ab]': partition ")
if [ "$n" = 0 ]; then
        t_pass safety/startup-others-found
else
        t_fail safety/startup-others-found "$n warning(s) for slots a or b"
fi

# The devices as the guest named them.
dev=$(tr -d '\r' <"$log" | sed -n 's/^GUEST: safety devices esp=\([^ ]*\) b=\([^ ]*\) disk=\([^ ]*\)$/\1 \2 \3/p' | head -n 1)
read -r esp pb disk <<<"${dev:-? ? ?}"
B="$pb \\(slot 'b''s partition PARTLABEL=slot-b\\)"
REFUSE="refusing to switch, since that would change it under that slot's feet; release it first$"

t_check safety/ns-rw "$log" \
        "^GUEST: safety ns-rw: switchctl: $B is mounted read-write at /mnt in the mount namespace of PID [0-9]+ \\(sleep\\): $REFUSE"
t_check safety/ns-rw-rc "$log" '^GUEST: safety ns-rw rc 1$'
t_check safety/loop "$log" \
        "^GUEST: safety loop: switchctl: $B is used read-write by loop device /dev/loop0 \\(backing file [^ ]*loop.img on it\\): $REFUSE"
t_check safety/loop-rc "$log" '^GUEST: safety loop rc 1$'
t_check safety/dm "$log" \
        "^GUEST: safety dm: switchctl: $B is held read-write by device-mapper device dm-[0-9]+ \\(safety-dm\\): $REFUSE"
t_check safety/dm-rc "$log" '^GUEST: safety dm rc 1$'
t_check safety/esp-rw "$log" \
        "^GUEST: safety esp-rw: switchctl: $esp \\(the ESP\\) is mounted read-write at /mnt in this mount namespace: refusing to switch, since that would change it under the switcher's and every slot's feet; release it first$"
t_check safety/esp-rw-rc "$log" '^GUEST: safety esp-rw rc 1$'
t_check safety/gpt "$log" \
        "^GUEST: safety gpt: switchctl: cannot read the GPT of $disk \\(GPT header CRC is 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\\): any of its partitions may be another slot's or the ESP; refusing to switch until the table is readable$"
t_check safety/gpt-rc "$log" '^GUEST: safety gpt rc 1$'
t_check safety/ro-allowed "$log" \
        "^GUEST: safety ro-allowed: switchctl: $B is mounted read-only at /mnt in the mount namespace of PID [0-9]+ \\(sleep\\): allowed$"
t_check safety/ro-allowed-rc "$log" '^GUEST: safety ro-allowed rc 0$'
t_check safety/swap "$log" \
        "^GUEST: safety swap: switchctl: $B is claimed exclusively as a swap area: $REFUSE"
t_check safety/swap-rc "$log" '^GUEST: safety swap rc 1$'
t_check safety/list-missing "$log" '^GUEST: safety list:   c .*  PARTLABEL=no-such-part \(partition missing\)$'
t_check safety/list-b-present "$log" '^GUEST: safety list:   b .*  PARTLABEL=slot-b$'
# Every refusal came before the suspend: slot b never ran.
n=$(log_count "$log" '^GUEST: up slot=b ')
if [ "$n" = 0 ]; then
        t_pass safety/b-never-ran
else
        t_fail safety/b-never-ran "slot b came up $n time(s)"
fi
t_check safety/done "$log" '^GUEST: done$'
no_fault safety "$log"
# The GPT the guest damaged and put back is whole again.
if sgdisk -v "$w/disk.img" 2>&1 | grep -q 'No problems found'; then
        t_pass safety/gpt-restored
else
        t_fail safety/gpt-restored "$(sgdisk -v "$w/disk.img" 2>&1 | head -n 3)"
fi
t_summary
