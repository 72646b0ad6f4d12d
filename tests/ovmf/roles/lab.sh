# shellcheck shell=sh
# Role "lab" (sourced by guest-init.sh as /roles/lab.sh): the lab bank
# (t-lab).  Two swap slots: lab (sw.first=1, the default) and ctl, which
# keeps the snapshots on a third partition, "bank".
#
#   lab   starts a writer (a PID counting on its partition), writes /mnt/marker
#         and switches to ctl.
#   ctl   `switchctl snapshot save lab /bank/lab.snap`; switches to lab.
#   lab   writes /mnt/after-snapshot, counts on, switches to ctl.
#   ctl   restores that must be refused, each with lab's partition unchanged
#         (md5sum before and after): a truncated snapshot, one with a RAM
#         byte flipped, one with a partition byte flipped, the snapshot of
#         another slot (other.snap, made on the host), one whose file system
#         is larger than lab's partition (big.snap, made on the host), two
#         whose identity is another machine's (the e820 hash, as another -m
#         gives) or other memory settings (the settings hash, as another
#         active-size gives), and a partition device in use; then switches
#         to lab, whose resume proves its store unchanged too (the switcher
#         checks its hash before every resume).
#   lab   a restore of itself (running) must be refused; switches to ctl.
#   ctl   three times: `switchctl snapshot restore lab /bank/lab.snap`, then
#         a switch to lab.
#   lab   resumes inside the snapshot: the same writer counts on from the
#         snapshot's count, and /mnt/after-snapshot is gone.  After the
#         first and second revert it writes /mnt/after-snapshot again and
#         switches to ctl; after the third it stops the writer, unmounts
#         and powers off; the switcher goes on in ctl, which powers the
#         machine off.
#
# The mailbox is switcher memory, which a revert does not touch: lab tells
# where it is by how often it was switched to.
#
# Markers (besides the writer's ticks):
#   GUEST: lab up writer=PID
#   GUEST: lab save rc N                      then "GUEST: lab save: LINE" per output line
#   GUEST: lab after-snapshot written writer=PID
#   GUEST: lab bad NAME rc N                  then "GUEST: lab bad NAME: LINE"
#   GUEST: lab partition-unchanged yes|no
#   GUEST: lab back writer=PID alive|dead after-snapshot=present|absent
#   GUEST: lab running-restore rc N           then "GUEST: lab running-restore: LINE"
#   GUEST: lab restore K rc N                 then "GUEST: lab restore K: LINE" (K = 1, 2, 3)
#   GUEST: lab reverted K writer=PID alive|dead after-snapshot=present|absent marker=present|absent
#   GUEST: lab after-snapshot K written       (K = 1, 2: before the next revert)
# run NAME CMD...: CMD's status and every line it printed, as markers.
run() {
        run_marked lab "$@"
}

if [ "$(cmdline_word sw.first)" = 1 ]; then
        lab_start lab
        while :; do
                switchctl switch ctl >/dev/null 2>&1
                case $(mb_slot lab switches) in
                1)
                        echo "written after the snapshot" >/mnt/after-snapshot
                        sync
                        say "lab after-snapshot written writer=$wpid"
                        sleep 2
                        ;;
                2)
                        say "lab back $(writer_state)" \
                                "after-snapshot=$(state_of /mnt/after-snapshot)"
                        run running-restore switchctl snapshot restore lab /tmp/none.snap
                        ;;
                *)
                        sleep 3
                        k=$(($(mb_slot lab switches) - 2))
                        say "lab reverted $k $(writer_state)" \
                                "after-snapshot=$(state_of /mnt/after-snapshot) marker=$(state_of /mnt/marker)"
                        # Another change for the next revert to undo.
                        if [ "$k" -lt 3 ]; then
                                echo "written after revert $k" >/mnt/after-snapshot
                                sync
                                say "lab after-snapshot $k written"
                                continue
                        fi
                        lab_stop
                        ;;
                esac
        done
fi

# ctl.
dev=$(find_part bank) || fail "no partition labelled 'bank'"
mkdir -p /bank
mount -t ext4 "$dev" /bank || fail "mount -t ext4 $dev (bank)"
labdev=$(find_part slot-lab) || fail "no partition labelled 'slot-lab'"
run save switchctl snapshot save lab /bank/lab.snap
sync
switchctl switch lab >/dev/null 2>&1 || fail "switch to lab after the save"

# Bad input: each refused before a byte of the store or the partition moves.
before=$(md5sum <"$labdev")
size=$(stat -c %s /bank/lab.snap)
head -c $((size - 5000)) /bank/lab.snap >/bank/short.snap
run "bad truncated" switchctl snapshot restore lab /bank/short.snap
rm -f /bank/short.snap
# flip FILE OFFSET: the byte at OFFSET with its low bit inverted (twice
# gives the file back).
flip() {
        b=$(dd if="$1" bs=1 skip="$2" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
        # shellcheck disable=SC2059 # the octal escape is the format on purpose
        printf "\\$(printf '%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# le64 FILE OFFSET: the little-endian 64-bit number at OFFSET.
le64() {
        od -An -tu8 -j "$2" -N 8 "$1" | tr -d ' '
}
# bytes FILE OFFSET COUNT: COUNT bytes of FILE from OFFSET, on stdout.
bytes() {
        dd if="$1" bs=1 skip="$2" count="$3" 2>/dev/null
}
# sha256_to FILE OFFSET: the SHA-256 of stdin, 32 bytes, written over FILE at OFFSET.
sha256_to() {
        sha256sum | cut -c1-64 | xxd -r -p | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# fs_part FILE: the offset of the file system part (part 2, the last): its
# end (56 bytes, before the 48-byte trailer) counts its extent records and
# data bytes, which with its 208-byte header give its start
# (docs/snapshot-format.md).
fs_part() {
        e=$(($(stat -c %s "$1") - 48 - 56))
        echo $((e - $(le64 "$1" $((e + 16))) - 24 * $(le64 "$1" $((e + 8))) - 208))
}
# rehash FILE: after an edit of the header, its hash and the trailer's
# (over the header, each part's hash and the trailer's first 16 bytes) made
# right again, as a writer with those identity fields would have made
# them: the file then verifies and only the identity differs.
rehash() {
        t=$(($(stat -c %s "$1") - 48))
        p2=$(fs_part "$1")
        head -c 480 "$1" | sha256_to "$1" 480
        {
                head -c 512 "$1"
                bytes "$1" $((p2 - 56 + 24)) 32
                bytes "$1" $((t - 56 + 24)) 32
                bytes "$1" "$t" 16
        } | sha256_to "$1" $((t + 16))
}
# Byte 800: inside the first RAM extent's data (the header is 512 bytes, the
# RAM part header 208, an extent record 24).
flip /bank/lab.snap 800
run "bad flipped" switchctl snapshot restore lab /bank/lab.snap
flip /bank/lab.snap 800
# 512 bytes into the file system part's first extent's data (after its
# 208-byte header and a 24-byte extent record): inside its first block.
fsbyte=$(($(fs_part /bank/lab.snap) + 208 + 24 + 512))
flip /bank/lab.snap "$fsbyte"
run "bad flipped-fs" switchctl snapshot restore lab /bank/lab.snap
flip /bank/lab.snap "$fsbyte"
run "bad other-slot" switchctl snapshot restore lab /bank/other.snap
run "bad too-small" switchctl snapshot restore lab /bank/big.snap
# Another machine: the e820 hash (header offset 48) another -m gives;
# other memory settings: the settings hash (offset 72) another active-size
# gives.  Each edit is undone by the same flip and a rehash.
for f in 48:other-machine 72:other-settings; do
        flip /bank/lab.snap "${f%%:*}"
        rehash /bank/lab.snap
        run "bad ${f#*:}" switchctl snapshot restore lab /bank/lab.snap
        flip /bank/lab.snap "${f%%:*}"
        rehash /bank/lab.snap
done
# lab's partition mounted here, if only read-only: refused before anything
# is read.  noload: lab, suspended, has it mounted with a journal to
# replay, which a plain read-only mount would replay, writing to it.
mount -o ro,noload -t ext4 "$labdev" /mnt || fail "mount -o ro,noload $labdev"
run "bad mounted" switchctl snapshot restore lab /bank/lab.snap
umount /mnt || fail "umount $labdev"
after=$(md5sum <"$labdev")
say "lab partition-unchanged $([ "$before" = "$after" ] && echo yes || echo no)"
sync
switchctl switch lab >/dev/null 2>&1 || fail "switch to lab after the refusals"

# Three reverts: each restore brings lab back to the snapshot, undoing what
# it wrote since.
for k in 1 2 3; do
        run "restore $k" switchctl snapshot restore lab /bank/lab.snap
        switchctl switch lab >/dev/null 2>&1
done
finish_if_off lab
fail "ctl resumed while lab still runs"
