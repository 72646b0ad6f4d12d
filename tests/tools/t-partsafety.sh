#!/bin/bash
# t-partsafety.sh BUILD
#
# The agent's partition-safety check (guest-agent/mounts.c) on the host,
# against fake roots (--sys-root DIR: DIR/sys, DIR/proc, DIR/dev) built here
# around a real GPT disk image: mountinfo of this and of another mount
# namespace (with an escaped mount point), ro and rw mounts and superblocks,
# device-mapper holders, the ESP, the slot's own partition, an O_EXCL claim
# nothing explains (simulated by DIR/excl-busy in the test build), a claim
# explained by a read-only mount, an unreadable GPT and a disk without one.
# Each refusal is checked by its exact message: device, slot, holder.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/../ovmf/lib.sh"

build=$(cd "${1:-build}" && pwd)
sc=$build/guest-agent/test/switchctl
w=$build/tools/partsafety
rm -rf "$w"
mkdir -p "$w"
if [ ! -x "$sc" ]; then
        t_fail partsafety/build "$sc is missing: run make agent"
        # The switcher's start-up flag (partition-missing in the mailbox), as
# switchctl list shows it.
"$sc" --make-test-mailbox "$w/p.conf" "$w/mb-missing" --current a --partition-missing b
out=$("$sc" --mailbox-file "$w/mb-missing" list 2>&1 || true)
if grep -Eq '^  b .*  PARTUUID=53575054-0000-4000-8000-000000000003 \(partition missing\)$' <<<"$out" &&
        grep -Eq '^\* a .*  PARTLABEL=slot-a$' <<<"$out"; then
        t_pass partsafety/list-partition-missing
else
        t_fail partsafety/list-partition-missing "list said: $out"
fi
out=$("$sc" --mailbox-file "$w/mb-missing" list --json 2>&1 || true)
if grep -q '"id":"b",.*"partition_missing":true' <<<"$out" && grep -q '"id":"a",[^}]*"partition_missing":false' <<<"$out"; then
        t_pass partsafety/list-json-partition-missing
else
        t_fail partsafety/list-json-partition-missing "list --json said: $out"
fi

# mkslot check --disk: the switcher's start-up check on the host, same reader.
if [ -x "$build/mkslot" ]; then
        cat >"$w/m.conf" <<'CONF'
timeout 0
active-size 160M

slot a
linux /a
partition PARTLABEL=slot-a

slot b
linux /b

partition PARTLABEL=no-such-part
CONF
        rc=0
        "$build/mkslot" check --disk "$w/disk.img" "$w/m.conf" >"$w/mk.out" 2>"$w/mk.err" || rc=$?
        if [ "$rc" = 0 ] && [ "$(cat "$w/mk.err")" = "warning: $w/m.conf:11: slot 'b': partition PARTLABEL=no-such-part: no such partition on any disk" ]; then
                t_pass partsafety/mkslot-disk-missing
        else
                t_fail partsafety/mkslot-disk-missing "exit $rc, stderr: $(cat "$w/mk.err")"
        fi
        "$build/mkslot" check --json --disk "$w/disk.img" "$w/m.conf" >"$w/mk.json" 2>/dev/null || true
        if grep -q '"id":"a",[^}]*"partition_missing":false' "$w/mk.json" &&
                grep -q '"id":"b",[^}]*"partition_missing":true' "$w/mk.json"; then
                t_pass partsafety/mkslot-disk-json
        else
                t_fail partsafety/mkslot-disk-json "$(cat "$w/mk.json")"
        fi
        cp "$w/disk.img" "$w/disk-bad.img"
        printf 'X' | dd of="$w/disk-bad.img" bs=1 seek=$((512 + 30)) conv=notrunc status=none
        "$build/mkslot" check --disk "$w/disk-bad.img" "$w/m.conf" >/dev/null 2>"$w/mk-bad.err" || true
        if grep -Eq "^warning: $w/disk-bad.img: GPT header CRC is 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}; its partitions are not counted$" "$w/mk-bad.err" &&
                grep -Fxq "warning: $w/m.conf:6: slot 'a': partition PARTLABEL=slot-a: no such partition on any disk (1 disk(s) whose GPT could not be read were not searched)" "$w/mk-bad.err"; then
                t_pass partsafety/mkslot-disk-unreadable
        else
                t_fail partsafety/mkslot-disk-unreadable "$(cat "$w/mk-bad.err")"
        fi
else
        t_fail partsafety/mkslot "$build/mkslot is missing: run make"
fi
t_summary
        exit 1
fi
if ! command -v sgdisk >/dev/null; then
        t_fail partsafety/sgdisk "sgdisk is missing (make deps)"
        # The switcher's start-up flag (partition-missing in the mailbox), as
# switchctl list shows it.
"$sc" --make-test-mailbox "$w/p.conf" "$w/mb-missing" --current a --partition-missing b
out=$("$sc" --mailbox-file "$w/mb-missing" list 2>&1 || true)
if grep -Eq '^  b .*  PARTUUID=53575054-0000-4000-8000-000000000003 \(partition missing\)$' <<<"$out" &&
        grep -Eq '^\* a .*  PARTLABEL=slot-a$' <<<"$out"; then
        t_pass partsafety/list-partition-missing
else
        t_fail partsafety/list-partition-missing "list said: $out"
fi
out=$("$sc" --mailbox-file "$w/mb-missing" list --json 2>&1 || true)
if grep -q '"id":"b",.*"partition_missing":true' <<<"$out" && grep -q '"id":"a",[^}]*"partition_missing":false' <<<"$out"; then
        t_pass partsafety/list-json-partition-missing
else
        t_fail partsafety/list-json-partition-missing "list --json said: $out"
fi

# mkslot check --disk: the switcher's start-up check on the host, same reader.
if [ -x "$build/mkslot" ]; then
        cat >"$w/m.conf" <<'CONF'
timeout 0
active-size 160M

slot a
linux /a
partition PARTLABEL=slot-a

slot b
linux /b

partition PARTLABEL=no-such-part
CONF
        rc=0
        "$build/mkslot" check --disk "$w/disk.img" "$w/m.conf" >"$w/mk.out" 2>"$w/mk.err" || rc=$?
        if [ "$rc" = 0 ] && [ "$(cat "$w/mk.err")" = "warning: $w/m.conf:11: slot 'b': partition PARTLABEL=no-such-part: no such partition on any disk" ]; then
                t_pass partsafety/mkslot-disk-missing
        else
                t_fail partsafety/mkslot-disk-missing "exit $rc, stderr: $(cat "$w/mk.err")"
        fi
        "$build/mkslot" check --json --disk "$w/disk.img" "$w/m.conf" >"$w/mk.json" 2>/dev/null || true
        if grep -q '"id":"a",[^}]*"partition_missing":false' "$w/mk.json" &&
                grep -q '"id":"b",[^}]*"partition_missing":true' "$w/mk.json"; then
                t_pass partsafety/mkslot-disk-json
        else
                t_fail partsafety/mkslot-disk-json "$(cat "$w/mk.json")"
        fi
        cp "$w/disk.img" "$w/disk-bad.img"
        printf 'X' | dd of="$w/disk-bad.img" bs=1 seek=$((512 + 30)) conv=notrunc status=none
        "$build/mkslot" check --disk "$w/disk-bad.img" "$w/m.conf" >/dev/null 2>"$w/mk-bad.err" || true
        if grep -Eq "^warning: $w/disk-bad.img: GPT header CRC is 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}; its partitions are not counted$" "$w/mk-bad.err" &&
                grep -Fxq "warning: $w/m.conf:6: slot 'a': partition PARTLABEL=slot-a: no such partition on any disk (1 disk(s) whose GPT could not be read were not searched)" "$w/mk-bad.err"; then
                t_pass partsafety/mkslot-disk-unreadable
        else
                t_fail partsafety/mkslot-disk-unreadable "$(cat "$w/mk-bad.err")"
        fi
else
        t_fail partsafety/mkslot "$build/mkslot is missing: run make"
fi
t_summary
        exit 1
fi

# check NAME WANT_RC WANT_REGEX: a dry-run switch a -> c against $w/root.
check() {
        local name=$1 want_rc=$2 re=$3 rc=0
        "$sc" --mailbox-file "$w/mb" switch c --dry-run --sys-root "$w/root" >"$w/$name.out" 2>&1 || rc=$?
        if [ "$rc" != "$want_rc" ]; then
                t_fail "partsafety/$name" "exit status $rc, wanted $want_rc: $(head -c 600 "$w/$name.out")"
        elif [ -n "$re" ] && ! grep -Eq -- "$re" "$w/$name.out"; then
                t_fail "partsafety/$name" "no line matching '$re' in: $(head -c 800 "$w/$name.out")"
        else
                t_pass "partsafety/$name"
        fi
        # A dry run leaves its request pending; withdraw it for the next case.
        "$sc" --make-test-mailbox "$w/p.conf" "$w/mb" --current a
}

cat >"$w/p.conf" <<'CONF'
timeout 0
active-size 160M

slot a
linux /slots/a/vmlinuz
partition PARTLABEL=slot-a

slot b
linux /slots/b/vmlinuz
partition PARTUUID=53575054-0000-4000-8000-000000000003

slot c
linux /slots/c/vmlinuz
CONF
"$sc" --make-test-mailbox "$w/p.conf" "$w/mb" --current a

# The disk: 1 ESP, 2 slot-a (this slot's own), 3 slot b's (by PARTUUID).
truncate -s 40M "$w/disk.img"
sgdisk -o -n 1:2048:+8M -t 1:ef00 -c 1:ESP -n 2:0:+8M -c 2:slot-a \
        -n 3:0:+8M -c 3:slot-b -u 3:53575054-0000-4000-8000-000000000003 "$w/disk.img" >/dev/null

# mkroot: a fresh fake root around the disk, nothing mounted or held.
mkroot() {
        local r=$w/root i
        rm -rf "$r"
        mkdir -p "$r/dev" "$r/proc/self/ns" "$r/sys/class/block" "$r/sys/devices/vdb"
        cp "$w/disk.img" "$r/dev/vdb"
        echo 254:16 >"$r/sys/devices/vdb/dev"
        ln -s ../../devices/vdb "$r/sys/class/block/vdb"
        for i in 1 2 3; do
                mkdir -p "$r/sys/devices/vdb/vdb$i/holders"
                echo "$i" >"$r/sys/devices/vdb/vdb$i/partition"
                echo "254:$((16 + i))" >"$r/sys/devices/vdb/vdb$i/dev"
                ln -s "../../devices/vdb/vdb$i" "$r/sys/class/block/vdb$i"
                : >"$r/dev/vdb$i"
        done
        ln -s 'mnt:[4026531840]' "$r/proc/self/ns/mnt"
        : >"$r/proc/self/mountinfo"
}
# mount_line MAJ:MIN MOUNTPOINT OPTS SUPER_OPTS
mount_line() {
        echo "40 1 $1 / $2 $3 shared:1 - ext4 /dev/x $4"
}
# another_ns PID COMM: a process in a second mount namespace; its mountinfo
# is read from stdin.
another_ns() {
        mkdir -p "$w/root/proc/$1/ns"
        ln -s 'mnt:[4026532200]' "$w/root/proc/$1/ns/mnt"
        echo "$2" >"$w/root/proc/$1/comm"
        cat >"$w/root/proc/$1/mountinfo"
}
# dm_holder NAME RO: a device-mapper device dm-0 on vdb3.
dm_holder() {
        mkdir -p "$w/root/sys/devices/virtual/dm-0/dm"
        echo "$1" >"$w/root/sys/devices/virtual/dm-0/dm/name"
        echo "$2" >"$w/root/sys/devices/virtual/dm-0/ro"
        ln -s ../../devices/virtual/dm-0 "$w/root/sys/class/block/dm-0"
        ln -s ../../../virtual/dm-0 "$w/root/sys/devices/vdb/vdb3/holders/dm-0"
}

B="/dev/vdb3 \(slot 'b''s partition PARTUUID=53575054-0000-4000-8000-000000000003\)"
REFUSE="refusing to switch, since that would change it under that slot's feet; release it first$"

mkroot
check nothing-in-use 0 '^switchctl: request 1: a -> c written'

mkroot
mount_line 254:19 /mnt rw,relatime rw >"$w/root/proc/self/mountinfo"
check rw-mount-here 1 "^switchctl: $B is mounted read-write at /mnt in this mount namespace: $REFUSE"

mkroot
mount_line 254:19 '/mnt/x\040y' rw,relatime rw | another_ns 57 unshare
check rw-mount-other-ns 1 "^switchctl: $B is mounted read-write at /mnt/x y in the mount namespace of PID 57 \(unshare\): $REFUSE"

# A second process in this same namespace adds nothing (namespaces are read once).
mkroot
mount_line 254:19 /mnt rw rw >"$w/root/proc/self/mountinfo"
mkdir -p "$w/root/proc/1/ns"
ln -s 'mnt:[4026531840]' "$w/root/proc/1/ns/mnt"
cp "$w/root/proc/self/mountinfo" "$w/root/proc/1/mountinfo"
check same-ns-once 1 "^switchctl: $B is mounted read-write at /mnt in this mount namespace"
n=$(grep -c 'is mounted read-write' "$w/same-ns-once.out" || true)
if [ "$n" = 1 ]; then
        t_pass partsafety/same-ns-said-once
else
        t_fail partsafety/same-ns-said-once "said $n times"
fi

mkroot
mount_line 254:19 /mnt ro,relatime ro >"$w/root/proc/self/mountinfo"
check ro-mount-allowed 0 "^switchctl: $B is mounted read-only at /mnt in this mount namespace: allowed$"

# A read-write mount of a read-only superblock cannot write.
mkroot
mount_line 254:19 /mnt rw ro,errors=remount-ro >"$w/root/proc/self/mountinfo"
check ro-super-allowed 0 "^switchctl: $B is mounted read-only at /mnt in this mount namespace: allowed$"

mkroot
mount_line 254:17 /boot/efi rw,relatime rw >"$w/root/proc/self/mountinfo"
check esp-rw 1 "^switchctl: /dev/vdb1 \(the ESP\) is mounted read-write at /boot/efi in this mount namespace: refusing to switch, since that would change it under the switcher's and every slot's feet; release it first$"

mkroot
mount_line 254:18 / rw,relatime rw >"$w/root/proc/self/mountinfo"
check own-partition-rw 0 '^switchctl: request 1: a -> c written'

mkroot
dm_holder safety-dm 0
check dm-holder-rw 1 "^switchctl: $B is held read-write by device-mapper device dm-0 \(safety-dm\): $REFUSE"

mkroot
dm_holder safety-ro 1
check dm-holder-ro 0 "^switchctl: $B is held read-only by device-mapper device dm-0 \(safety-ro\): allowed$"

mkroot
echo vdb3 >"$w/root/excl-busy"
check excl-unexplained 1 "^switchctl: $B is claimed exclusively \(an O_EXCL open fails with EBUSY\) by something no mount namespace, holder, loop device, swap area or open file shows: $REFUSE"

mkroot
echo vdb3 >"$w/root/excl-busy"
mount_line 254:19 /mnt ro ro | another_ns 88 sh
check excl-ro-explained 0 "^switchctl: $B is mounted read-only at /mnt in the mount namespace of PID 88 \(sh\): allowed$"

# One flipped byte in the entry array: the disk's GPT cannot be trusted.
mkroot
printf 'X' | dd of="$w/root/dev/vdb" bs=1 seek=$((1024 + 128 + 56)) conv=notrunc status=none
check gpt-unreadable 1 '^switchctl: cannot read the GPT of /dev/vdb \(GPT entry array CRC is 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\): any of its partitions may be another slot.s or the ESP; refusing to switch until the table is readable$'

mkroot
rm "$w/root/dev/vdb"
check gpt-cannot-open 1 "^switchctl: cannot read the GPT of /dev/vdb \(cannot open $w/root/dev/vdb: No such file or directory\): "

# No GPT at all (an MBR or blank disk): nothing on it can be a slot's partition.
mkroot
head -c 1M /dev/zero | dd of="$w/root/dev/vdb" conv=notrunc status=none
mount_line 254:19 /mnt rw rw >"$w/root/proc/self/mountinfo"
check no-gpt 0 '^switchctl: request 1: a -> c written'

mkroot
rm "$w/root/proc/self/mountinfo"
check mountinfo-unreadable 1 "^switchctl: cannot read $w/root/proc/self/mountinfo: No such file or directory; refusing to switch without knowing what is mounted$"

# The switcher's start-up flag (partition-missing in the mailbox), as
# switchctl list shows it.
"$sc" --make-test-mailbox "$w/p.conf" "$w/mb-missing" --current a --partition-missing b
out=$("$sc" --mailbox-file "$w/mb-missing" list 2>&1 || true)
if grep -Eq '^  b .*  PARTUUID=53575054-0000-4000-8000-000000000003 \(partition missing\)$' <<<"$out" &&
        grep -Eq '^\* a .*  PARTLABEL=slot-a$' <<<"$out"; then
        t_pass partsafety/list-partition-missing
else
        t_fail partsafety/list-partition-missing "list said: $out"
fi
out=$("$sc" --mailbox-file "$w/mb-missing" list --json 2>&1 || true)
if grep -q '"id":"b",.*"partition_missing":true' <<<"$out" && grep -q '"id":"a",[^}]*"partition_missing":false' <<<"$out"; then
        t_pass partsafety/list-json-partition-missing
else
        t_fail partsafety/list-json-partition-missing "list --json said: $out"
fi

# mkslot check --disk: the switcher's start-up check on the host, same reader.
if [ -x "$build/mkslot" ]; then
        cat >"$w/m.conf" <<'CONF'
timeout 0
active-size 160M

slot a
linux /a
partition PARTLABEL=slot-a

slot b
linux /b

partition PARTLABEL=no-such-part
CONF
        rc=0
        "$build/mkslot" check --disk "$w/disk.img" "$w/m.conf" >"$w/mk.out" 2>"$w/mk.err" || rc=$?
        if [ "$rc" = 0 ] && [ "$(cat "$w/mk.err")" = "warning: $w/m.conf:11: slot 'b': partition PARTLABEL=no-such-part: no such partition on any disk" ]; then
                t_pass partsafety/mkslot-disk-missing
        else
                t_fail partsafety/mkslot-disk-missing "exit $rc, stderr: $(cat "$w/mk.err")"
        fi
        "$build/mkslot" check --json --disk "$w/disk.img" "$w/m.conf" >"$w/mk.json" 2>/dev/null || true
        if grep -q '"id":"a",[^}]*"partition_missing":false' "$w/mk.json" &&
                grep -q '"id":"b",[^}]*"partition_missing":true' "$w/mk.json"; then
                t_pass partsafety/mkslot-disk-json
        else
                t_fail partsafety/mkslot-disk-json "$(cat "$w/mk.json")"
        fi
        cp "$w/disk.img" "$w/disk-bad.img"
        printf 'X' | dd of="$w/disk-bad.img" bs=1 seek=$((512 + 30)) conv=notrunc status=none
        "$build/mkslot" check --disk "$w/disk-bad.img" "$w/m.conf" >/dev/null 2>"$w/mk-bad.err" || true
        if grep -Eq "^warning: $w/disk-bad.img: GPT header CRC is 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}; its partitions are not counted$" "$w/mk-bad.err" &&
                grep -Fxq "warning: $w/m.conf:6: slot 'a': partition PARTLABEL=slot-a: no such partition on any disk (1 disk(s) whose GPT could not be read were not searched)" "$w/mk-bad.err"; then
                t_pass partsafety/mkslot-disk-unreadable
        else
                t_fail partsafety/mkslot-disk-unreadable "$(cat "$w/mk-bad.err")"
        fi
else
        t_fail partsafety/mkslot "$build/mkslot is missing: run make"
fi
t_summary
