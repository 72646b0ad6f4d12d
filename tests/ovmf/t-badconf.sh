#!/bin/bash
# t-badconf.sh BUILD
#
# A partitions.conf full of mistakes still boots the one valid slot.  The
# switcher names every problem as "FILE:LINE: ..." on serial (FILE being the
# config's path on the ESP), drops the broken slots before anything is
# planned (so the menu and the memory plan hold only the valid slot) and
# cold-boots slot 'good', whose guest writes its file.  mkslot, run on the
# same ESP, reports the same problems in the same words.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_test_dir badconf "${1:-build}"
sw_guest i386 "$build" >/dev/null || sw_prepare_failed badconf "could not fetch the i386 kernel"
k32=$SW_KERNEL
sw_guest amd64 "$build" || sw_prepare_failed badconf "could not fetch the kernel or build the initramfs"
# Mistakes, one per block: an unknown global key (warning, ignored), a slot
# whose kernel is not on the ESP, one whose initrd is not, a bad 'memory'
# size, a second block with an id already used, a malformed partition.  Then
# kernels that cannot run in their slot, found when the switcher reads them:
# a file that is no bzImage, a 64-bit kernel in an 'arch i386' slot, Debian's
# i386 kernel in an 'arch x86_64' slot, and a kernel larger than its slot.
cat >"$w/partitions.conf" <<'CONF'
timeout 0
default good
active-size 160M
console both
colour blue

slot good
title Good slot
linux /slots/good/vmlinuz
initrd /slots/good/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=boot sw.part=slot-good
partition PARTLABEL=slot-good

slot nokernel
title Kernel missing
linux /slots/nokernel/vmlinuz
initrd /slots/good/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=boot sw.part=slot-nk
partition PARTLABEL=slot-nk

slot noinitrd
title Initrd missing
linux /slots/good/vmlinuz
initrd /slots/noinitrd/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=boot

slot badsize
title Bad size
linux /slots/good/vmlinuz
initrd /slots/good/initrd.img
memory 12X

slot good
title Duplicate of good
linux /slots/good/vmlinuz

slot badpart
title Bad partition
linux /slots/good/vmlinuz
initrd /slots/good/initrd.img
partition FOO=bar

slot notbz
title Not a kernel
linux /slots/good/initrd.img

slot want32
title 64-bit kernel in an i386 slot
linux /slots/good/vmlinuz
arch i386

slot want64
title i386 kernel in an x86_64 slot
linux /slots/i386/vmlinuz
arch x86_64

slot toobig
title Kernel larger than the slot
linux /slots/good/vmlinuz
initrd /slots/good/initrd.img
memory 16M
CONF
conf=$w/partitions.conf
sw_esp "$w/esp" "$build" "$conf"
sw_esp_slot "$w/esp" good
mkdir -p "$w/esp/slots/i386"
cp "$k32" "$w/esp/slots/i386/vmlinuz"
"$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" label=slot-good,size=16M >/dev/null

# line_of REGEX: the line number of the first line of the config matching REGEX.
line_of() {
        grep -En -m1 -- "$1" "$conf" | cut -d: -f1
}
esp_conf=/EFI/BOOT/partitions.conf
l_colour=$(line_of '^colour ')
l_good=$(line_of '^slot good$')
l_nokernel=$(line_of '^linux /slots/nokernel/')
l_noinitrd=$(line_of '^initrd /slots/noinitrd/')
l_memory=$(line_of '^memory 12X')
l_dup=$(grep -n '^slot good$' "$conf" | sed -n 2p | cut -d: -f1)
l_part=$(line_of '^partition FOO=bar')
l_notbz=$(line_of '^linux /slots/good/initrd.img')
# linux_line_of ID: the line of the 'linux' key in the block of slot ID.
linux_line_of() {
        awk -v id="$1" '$1 == "slot" { in_slot = ($2 == id) } in_slot && $1 == "linux" { print NR; exit }' "$conf"
}
l_want32=$(linux_line_of want32)
l_want64=$(linux_line_of want64)
l_toobig=$(linux_line_of toobig)

log=$w/serial.log
qemu_boot badconf/exit badconf 512M 180 "$w/disk.img" "$log" || true
serial=$w/serial.txt
tr -d '\r' <"$log" >"$serial"

t_line badconf/unknown-key "$serial" "switcher: warning: $esp_conf:$l_colour: unknown key 'colour', ignored"
t_line badconf/kernel-missing "$serial" \
        "switcher: error: $esp_conf:$l_nokernel: slot 'nokernel': kernel '/slots/nokernel/vmlinuz' not found; slot dropped"
t_line badconf/initrd-missing "$serial" \
        "switcher: error: $esp_conf:$l_noinitrd: slot 'noinitrd': initrd '/slots/noinitrd/initrd.img' not found; slot dropped"
t_line badconf/bad-size "$serial" \
        "switcher: error: $esp_conf:$l_memory: slot 'badsize': memory '12X' is not a size like 128M or 1G; slot dropped"
t_line badconf/duplicate-id "$serial" \
        "switcher: error: $esp_conf:$l_dup: slot 'good': id already used by the slot at line $l_good; slot dropped"
t_line badconf/bad-partition "$serial" \
        "switcher: error: $esp_conf:$l_part: slot 'badpart': invalid partition 'FOO=bar' (PARTUUID=<uuid> or PARTLABEL=<label of at most 36 characters>); slot dropped"

if grep -Eq "^switcher: error: $esp_conf:$l_notbz: slot 'notbz': kernel '/slots/good/initrd.img': no boot sector signature 0xAA55 at 0x1fe \(found 0x[0-9a-f]{4}\): not a bzImage$" "$w/serial.txt"; then
        t_pass badconf/not-a-bzimage
else
        t_fail badconf/not-a-bzimage "no 'not a bzImage' line for slot 'notbz'"
fi
t_line badconf/not-a-bzimage-dropped "$serial" \
        "switcher: error: $esp_conf:$l_notbz: slot 'notbz': not a usable kernel; slot dropped"
t_line badconf/64bit-in-i386-slot "$serial" \
        "switcher: error: $esp_conf:$l_want32: slot 'want32': kernel '/slots/good/vmlinuz': is a 64-bit (x86_64) kernel, but the slot says 'arch i386'; an i386 slot needs a 32-bit kernel"
t_line badconf/i386-in-x86_64-slot "$serial" \
        "switcher: error: $esp_conf:$l_want64: slot 'want64': kernel '/slots/i386/vmlinuz': is a 32-bit kernel (no 64-bit entry point), but the slot says 'arch x86_64'; use 'arch i386' or 'arch auto'"
if grep -Eq "^switcher: error: $esp_conf:$l_toobig: slot 'toobig': kernel '/slots/good/vmlinuz': needs [0-9.]+ MiB \(init_size [0-9.]+ MiB plus initrds [0-9.]+ [KM]iB\), more than the slot's 16 MiB of RAM$" "$w/serial.txt"; then
        t_pass badconf/kernel-larger-than-slot
else
        t_fail badconf/kernel-larger-than-slot "no 'needs ... more than the slot's 16 MiB' line for slot 'toobig'"
fi
for id in want32 want64 toobig; do
        l=$(eval echo "\$l_$id")
        t_line "badconf/$id-dropped" "$serial" "switcher: error: $esp_conf:$l: slot '$id': kernel cannot run in this slot; slot dropped"
done

# mkslot on the same ESP says the same things: one parser.  Its messages name
# the host path; the switcher's the ESP path and carry a "switcher: " prefix.
if [ -x "$build/mkslot" ]; then
        "$build/mkslot" check --esp "$w/esp" "$w/esp/EFI/BOOT/partitions.conf" >"$w/mkslot.out" 2>"$w/mkslot.err" || true
        missing=$(sed "s|$w/esp/EFI/BOOT/partitions.conf|$esp_conf|; s|^|switcher: |" "$w/mkslot.err" |
                grep -Fvx -f "$w/serial.txt" || true)
        if [ ! -s "$w/mkslot.err" ]; then
                t_fail badconf/same-as-mkslot "mkslot reported nothing"
        elif [ -n "$missing" ]; then
                t_fail badconf/same-as-mkslot "mkslot messages not on serial: $missing"
        else
                t_pass badconf/same-as-mkslot
        fi
        if [ "$(wc -l <"$w/mkslot.err")" = 14 ]; then
                t_pass badconf/mkslot-count
        else
                t_fail badconf/mkslot-count "mkslot printed $(wc -l <"$w/mkslot.err") messages, expected 14: $(cat "$w/mkslot.err")"
        fi
else
        t_fail badconf/same-as-mkslot "$build/mkslot is missing"
fi
# Every message of the switcher about the config names the file and a line.
if unnamed=$(grep -E '^switcher: (warning|error): ' "$w/serial.txt" | grep -v "^switcher: [a-z]*: $esp_conf:[0-9][0-9]*: "); then
        t_fail badconf/messages-name-file-line "$unnamed"
else
        t_pass badconf/messages-name-file-line
fi

# Only the valid slot is preloaded, planned and offered.
if [ "$(grep -c '^switcher: slot .*: kernel .* ([a-z0-9_]*, protocol' "$w/serial.txt")" = 1 ] &&
        grep -q "^switcher: slot 'good': kernel " "$w/serial.txt"; then
        t_pass badconf/preload-only-good
else
        t_fail badconf/preload-only-good "$(grep '^switcher: slot .*: kernel .*protocol' "$w/serial.txt")"
fi
# (A recovery copy line for it, too: a 64-bit slot gets one for the tboot
# hand-off's restart.)
plan_slots=$(grep -E '^plan:   slot ' "$w/serial.txt" | grep -Ev '^plan:   slot good +spare 0x' || true)
if [ "$(wc -l <<<"$plan_slots")" = 1 ] &&
        grep -Eq '^plan:   slot good +store 0x[0-9a-f]+-0x[0-9a-f]+  160 MiB$' <<<"$plan_slots"; then
        t_pass badconf/plan-only-good
else
        t_fail badconf/plan-only-good "plan slot lines: [$plan_slots]"
fi
menu=$(sed -n '/^Slots (/,/^switcher: booting/p' "$w/serial.txt" | grep -E '^ *(=> )?[0-9]+\) ' || true)
if [ "$(wc -l <<<"$menu")" = 1 ] && grep -Eq '^ => 1\) Good slot +\[good, swap\]$' <<<"$menu"; then
        t_pass badconf/menu-only-good
else
        t_fail badconf/menu-only-good "menu entries: [$menu]"
fi

t_check badconf/booting "$log" "^switcher: booting slot 'good' \\(Good slot\\)"
t_check badconf/up "$log" '^GUEST: up slot=good arch=x86_64$'
t_check badconf/done "$log" '^GUEST: done$'
if grep -q '^GUEST: FAIL' "$w/serial.txt"; then
        t_fail badconf/guest-ok "$(grep '^GUEST: FAIL' "$w/serial.txt")"
else
        t_pass badconf/guest-ok
fi

check_ram_inside_active badconf "$log" good "$w"
check_file badconf/file-written "$w/disk.img" slot-good /sw-test.txt "slot=good boot=1"
t_summary
