# shellcheck shell=bash
# Disks (sourced by lib.sh): the switcher's ESP and the test disk built from
# it, and reading back what the guests wrote on their partitions.
#
#   sw_esp ESP BUILD CONF               a fresh ESP dir with the switcher and CONF
#   sw_esp_slot ESP ID                  SW_KERNEL/SW_INITRD as slot ID's files
#   sw_disk DIR SLOT...                 DIR/esp and DIR/disk.img for the slots
#   disk_part_range / disk_extract      where partition LABEL lies; a copy of it
#   disk_readfile DISK LABEL PATH       a file from an ext4 partition
#   disk_fsck DISK LABEL                e2fsck -fn of a partition
#   check_file NAME DISK LABEL PATH WANT   NAME passes when the file holds WANT
#   check_fsck NAME DISK LABEL LOG      NAME passes when the partition is clean
#   check_slot_writer LOG WORK NAME SLOT DISK   the "switch" role's writer checks

# sw_esp ESP BUILD CONF: a fresh ESP directory holding the switcher as the
# removable-media boot loader and CONF next to it, as an installed machine has.
sw_esp() {
        local esp=$1 build=$2 conf=$3
        rm -rf "$esp"
        mkdir -p "$esp/EFI/BOOT"
        cp "$build/switcher.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
        cp "$conf" "$esp/EFI/BOOT/partitions.conf"
}

# sw_esp_slot ESP ID: copy SW_KERNEL/SW_INITRD (see sw_guest) to
# ESP/slots/ID/vmlinuz and ESP/slots/ID/initrd.img.
sw_esp_slot() {
        mkdir -p "$1/slots/$2"
        cp "$SW_KERNEL" "$1/slots/$2/vmlinuz"
        cp "$SW_INITRD" "$1/slots/$2/initrd.img"
}

# sw_disk DIR SLOT...: the disk most switcher tests boot: an ESP (DIR/esp)
# with $build's switcher, DIR/partitions.conf and, for each SLOT, the guest
# of sw_guest as its kernel and initrd; then DIR/disk.img with that ESP and
# one 16 MiB ext4 partition named slot-SLOT per slot.
sw_disk() {
        local dir=$1 s parts=()
        shift
        sw_esp "$dir/esp" "$build" "$dir/partitions.conf"
        for s in "$@"; do
                sw_esp_slot "$dir/esp" "$s"
                parts+=("label=slot-$s,size=16M")
        done
        "$SW_OVMF_DIR/mkdisk.sh" "$dir/disk.img" "$dir/esp" "${parts[@]}" >/dev/null
}

# lab_conf OPTIONS [DEFAULT] [LAB_LINE] [CTL_OPTIONS]: on stdout, the
# partitions.conf of the lab-bank tests: swap slots lab (sw.first=1) and
# ctl, each on its partition slot-ID, with the kernel options OPTIONS, and
# an active region of 128 MiB.  DEFAULT (lab) is the default slot, LAB_LINE
# an extra line in lab's block (a 'snapshot' line), CTL_OPTIONS more
# options for ctl.
lab_conf() {
        cat <<CONF
timeout 0
default ${2:-lab}
active-size 128M

slot lab
title Lab
linux /slots/lab/vmlinuz
initrd /slots/lab/initrd.img
options $1 sw.part=slot-lab sw.first=1
partition PARTLABEL=slot-lab
${3:-}

slot ctl
title Control
linux /slots/ctl/vmlinuz
initrd /slots/ctl/initrd.img
options $1 sw.part=slot-ctl${4:+ $4}
partition PARTLABEL=slot-ctl
CONF
}

# disk_part_range DISK LABEL: print "FIRST_SECTOR SECTORS" (512-byte sectors)
# of the GPT partition named LABEL; status 1 when there is none.
disk_part_range() {
        local disk=$1 label=$2 n name first count
        for n in $(sgdisk -p "$disk" 2>/dev/null | awk '/^ *[0-9]+ +[0-9]+ +[0-9]+/ {print $1}'); do
                name=$(sgdisk -i "$n" "$disk" 2>/dev/null | sed -n "s/^Partition name: '\(.*\)'$/\1/p")
                [ "$name" = "$label" ] || continue
                first=$(sgdisk -i "$n" "$disk" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
                count=$(sgdisk -i "$n" "$disk" | sed -n 's/^Partition size: \([0-9]*\) sectors.*/\1/p')
                echo "$first $count"
                return 0
        done
        return 1
}

# disk_extract DISK LABEL OUT: copy the partition named LABEL to the file OUT.
disk_extract() {
        local range
        range=$(disk_part_range "$1" "$2") || {
                sw_log "no partition named '$2' in $1"
                return 1
        }
        # shellcheck disable=SC2086 # "FIRST COUNT": two words on purpose
        set -- "$1" "$2" "$3" $range
        dd if="$1" of="$3" bs=512 skip="$4" count="$5" conv=sparse status=none
}

# disk_copyout DISK LABEL PATH OUT: the file PATH of the ext4 partition LABEL
# of DISK copied to OUT, byte for byte (a snapshot a guest left on a
# partition).  Status 1 when it is not there or empty.
disk_copyout() {
        local tmp rc=0
        tmp=$(mktemp "${TMPDIR:-/tmp}/sw-part.XXXXXX")
        rm -f "$4"
        if ! disk_extract "$1" "$2" "$tmp" || ! debugfs -R "dump $3 $4" "$tmp" >/dev/null 2>&1 || [ ! -s "$4" ]; then
                rc=1
        fi
        rm -f "$tmp"
        return "$rc"
}

# disk_esp_put DISK SRC DEST: SRC onto DISK's ESP at DEST, in place (mtools
# reaches the FAT file system at its offset in the disk image), DEST's
# folder made first when it is missing.
disk_esp_put() {
        local off
        off=$(($(disk_part_range "$1" ESP | cut -d' ' -f1) * 512))
        MTOOLS_SKIP_CHECK=1 mmd -i "$1@@$off" "::$(dirname "$3")" 2>/dev/null || true
        MTOOLS_SKIP_CHECK=1 mcopy -o -i "$1@@$off" "$2" "::$3"
}

# host_snapshot TEST SLOT STORE OUT [MKSLOT ARGS...]: a snapshot of slot SLOT
# made on the host by mkslot (the same code as switchctl's): a store of
# STORE random bytes at 1 MiB, waking vector 0x9a000, written to OUT; more
# `mkslot snapshot save` arguments (--fs FILE) may follow.  Uses the test's
# $w and $build.  A failure ends the script as TEST/prepare.
host_snapshot() {
        local test=$1 slot=$2 size=$3 out=$4 tmp
        shift 4
        # The store and mkslot's log stay in the test's folder, not next to
        # OUT (a bank folder that becomes a partition).
        tmp=$w/host-$(basename "$out")
        head -c "$size" /dev/urandom >"$tmp.store"
        if ! "$build/mkslot" snapshot save --slot "$slot" --kernel test --mem "$tmp.store" --mem-base 0x100000 \
                --range "store:0x100000:$size" --vector 0x9a000 "$@" -o "$out" >"$tmp.log" 2>&1; then
                sw_prepare_failed "$test" "mkslot snapshot save of $(basename "$out"): $(tail -n 2 "$tmp.log")"
        fi
        rm -f "$tmp.store"
}

# disk_readfile DISK LABEL PATH: print PATH from the ext4 partition LABEL.
# Status 1 (with debugfs's message) when the file is not there.
disk_readfile() {
        local tmp rc=0
        tmp=$(mktemp "${TMPDIR:-/tmp}/sw-part.XXXXXX")
        if ! disk_extract "$1" "$2" "$tmp"; then
                rm -f "$tmp"
                return 1
        fi
        # debugfs reports a missing file on stderr but still exits 0: check
        # with stat first.
        if ! debugfs -R "stat $3" "$tmp" 2>&1 | grep -q '^Inode:'; then
                sw_log "no file $3 on partition '$2' of $1"
                rc=1
        else
                debugfs -R "cat $3" "$tmp" 2>/dev/null || rc=$?
        fi
        rm -f "$tmp"
        return "$rc"
}

# disk_fsck DISK LABEL: `e2fsck -fn` on partition LABEL; prints e2fsck's output
# only when it finds a problem.  Status 0 when clean.
disk_fsck() {
        local tmp out rc=0
        tmp=$(mktemp "${TMPDIR:-/tmp}/sw-part.XXXXXX")
        if ! disk_extract "$1" "$2" "$tmp"; then
                rm -f "$tmp"
                return 1
        fi
        out=$(e2fsck -fn "$tmp" 2>&1) || rc=$?
        rm -f "$tmp"
        if [ "$rc" != 0 ]; then
                printf '%s\n' "$out" | sed "s/^/e2fsck($2): /" >&2
        fi
        return "$rc"
}

# check_file NAME DISK LABEL PATH WANT: the check NAME: PATH on the ext4
# partition LABEL holds exactly WANT (what a guest wrote there).
check_file() {
        local content
        content=$(disk_readfile "$2" "$3" "$4" 2>/dev/null || true)
        if [ "$content" = "$5" ]; then
                t_pass "$1"
        else
                t_fail "$1" "$3:$4 is '$content', want '$5'"
        fi
}

# check_no_file NAME DISK LABEL PATH: the check NAME: PATH is not on the
# ext4 partition LABEL (a revert took it away).
check_no_file() {
        if disk_readfile "$2" "$3" "$4" >/dev/null 2>&1; then
                t_fail "$1" "$4 is on $3"
        else
                t_pass "$1"
        fi
}

# check_fsck NAME DISK LABEL LOG: the check NAME: partition LABEL is clean
# under e2fsck -fn (its report in LOG).
check_fsck() {
        if disk_fsck "$2" "$3" >"$4" 2>&1; then
                t_pass "$1"
        else
                t_fail "$1" "$(tail -n 5 "$4" | tr '\n' ' ')"
        fi
}

# check_slot_writer LOG WORK NAME SLOT DISK: the checks of a slot that ran the
# "switch" role's writer across switches (t-switch, t-i386, t-inplace, t-prewarm): the same writer
# PID throughout with its counter and uptime continuing (NAME/slot-SLOT-alive),
# the file on its partition exactly the ticks, in order (…-file-exact), and
# the partition clean under e2fsck -fn (…-fsck).  DISK must be the image
# after QEMU exited.
check_slot_writer() {
        local log=$1 w=$2 name=$3 s=$4 disk=$5 pid last
        tr -d '\r' <"$log" |
                sed -n "s/^GUEST: tick slot=$s pid=\([0-9]*\) n=\([0-9]*\) up=\([0-9.]*\)$/\1 \2 \3/p" >"$w/ticks-$s"
        if awk 'NR == 1 { pid = $1; n = $2; up = $3; next }
                $1 != pid { print "pid changed " pid " -> " $1; bad = 1 }
                $2 != n + 1 { print "counter jumped " n " -> " $2; bad = 1 }
                $3 + 0 < up + 0 { print "uptime went back " up " -> " $3; bad = 1 }
                { n = $2; up = $3 }
                END { if (NR < 2) { print "only " NR " ticks"; bad = 1 } exit bad }' "$w/ticks-$s" >"$w/ticks-$s.err"; then
                t_pass "$name/slot-$s-alive"
        else
                t_fail "$name/slot-$s-alive" "$(head -n 3 "$w/ticks-$s.err" | tr '\n' ' ')"
        fi
        pid=$(awk 'NR == 1 { print $1 }' "$w/ticks-$s")
        last=$(awk 'END { print $2 }' "$w/ticks-$s")
        disk_readfile "$disk" "slot-$s" /count.txt >"$w/count-$s.txt" 2>/dev/null || true
        seq 1 "${last:-0}" | sed "s/^/slot=$s pid=$pid n=/" >"$w/want-$s.txt"
        if [ -n "$last" ] && cmp -s "$w/count-$s.txt" "$w/want-$s.txt"; then
                t_pass "$name/slot-$s-file-exact"
        else
                t_fail "$name/slot-$s-file-exact" "$(diff "$w/want-$s.txt" "$w/count-$s.txt" | head -n 4 | tr '\n' ' ')"
        fi
        check_fsck "$name/slot-$s-fsck" "$disk" "slot-$s" "$w/fsck-$s.log"
}
