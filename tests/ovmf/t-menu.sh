#!/bin/bash
# t-menu.sh BUILD
#
# The boot menu a person sees, driven by keys through QEMU's monitor, on a
# machine with three slots of the three kinds (a swap, b in place, c i386)
# and one mistake in partitions.conf (an unknown key, a warning the menu
# must show):
#
#   1. keys: the 30 s countdown runs; Down stops it and highlights b; d makes
#      b the default (LoaderEntryDefault, non-volatile, as systemd-boot's d
#      writes it), and the menu says it is saved.  The menu is now still: a
#      screendump of it must equal the reference image byte for byte.  Then
#      Down, Up and Enter boot b, whose guest comes up and powers off.
#   2. digit: the same disk and the variable store run 1 left: b is now the
#      default the menu counts down to; key 3 boots c, the i386 slot, at
#      once.
#
# Each key waits for the switcher's account of it on serial ("menu: ..."
# lines), which is written once the screen shows it.
#
# The reference is tests/ovmf/ref/menu.ppm.gz: the gzip'd PPM that QEMU's
# screendump writes (it depends on OVMF's font and screen size, so on the
# OVMF build; the test says which size it saw).  To make a new one after a
# change to the menu, run the test with SW_MENU_REF_UPDATE=1, look at
# BUILD/ovmf/menu/menu.ppm, and commit the reference:
#   SW_MENU_REF_UPDATE=1 SW_TESTS=t-menu ./tests/run-all.sh build
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_test_dir menu "${1:-build}"
ref=$SW_OVMF_DIR/ref/menu.ppm.gz
sw_guest i386 "$build" || sw_prepare_failed menu "could not fetch the i386 kernel or build its initramfs"
k32=$SW_KERNEL i32=$SW_INITRD
sw_guest amd64 "$build" || sw_prepare_failed menu "could not fetch the kernel or build the initramfs"

opts="console=ttyS0,115200 panic=-1 sw.test=boot"
cat >"$w/partitions.conf" <<CONF
timeout 30
default a
active-size 128M
console both
colour blue

slot a
title Debian (swapped)
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options $opts sw.part=slot-a
partition PARTLABEL=slot-a
hotkey ctrl+alt+1

slot b
title Debian (in place)
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options $opts sw.part=slot-b
partition PARTLABEL=slot-b
mode in-place
memory 128M
hotkey ctrl+alt+2

slot c
title Debian i386
linux /slots/c/vmlinuz
initrd /slots/c/initrd.img
options $opts sw.part=slot-c
partition PARTLABEL=slot-c
arch i386
memory 96M
CONF
sw_esp "$w/esp" "$build" "$w/partitions.conf"
sw_esp_slot "$w/esp" a
sw_esp_slot "$w/esp" b
mkdir -p "$w/esp/slots/c"
cp "$k32" "$w/esp/slots/c/vmlinuz"
cp "$i32" "$w/esp/slots/c/initrd.img"
"$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" label=slot-a,size=16M label=slot-b,size=16M \
        label=slot-c,size=16M >/dev/null

# key RUN LOG KEY NAME REGEX [N]: press KEY (sendkey syntax) and wait up to
# 30 s for the Nth (default 1st) serial line matching REGEX, the switcher's
# account of it; records NAME.  Status 1 when it does not come.
key() {
        local run=$1 log=$2 k=$3 name=$4 re=$5 n=${6:-1}
        qemu_monitor "$run" "sendkey $k"
        if wait_for_count "$log" "$re" "$n" 30; then
                t_pass "$name"
                return 0
        fi
        expect_line "$log" "$re" || true
        t_fail "$name" "no line /$re/ (x$n) within 30 s of the key '$k'"
        return 1
}

# key_said NAME LOG REGEX: records NAME: the last key's account has a line
# matching REGEX too.
key_said() {
        if wait_for_marker "$2" "$3" 5; then
                t_pass "$1"
                return 0
        fi
        t_fail "$1" "no line /$3/"
        return 1
}

# screendump RUN FILE: the screen as QEMU shows it, in FILE (PPM: "P6", width
# and height, 255, then the pixels); status 1 when no whole file came within
# 20 s.  The monitor's reply is not read, so the file counts as whole once it
# has as many bytes as its header promises.
screendump() {
        local run=$1 file=$2 n=0 want=x
        rm -f "$file"
        qemu_monitor "$run" "screendump $file"
        while [ "$n" -lt 100 ]; do
                if [ -s "$file" ]; then
                        want=$(head -c 32 "$file" | head -n 3 |
                                awk 'NR == 1 { h = length($0) + 1 } NR == 2 { h += length($0) + 1; px = $1 * $2 * 3 }
                                     NR == 3 { h += length($0) + 1; print h + px }')
                        [ -n "$want" ] && [ "$(wc -c <"$file")" = "$want" ] && return 0
                fi
                sleep 0.2
                n=$((n + 1))
        done
        return 1
}

# --- 1. keys and the screen ---------------------------------------------------
log=$w/keys.log
t0=$(sw_now_ms)
SW_QEMU_BG=1 run_qemu keys 1G 300 "$w/disk.img" "$log"
pid=$SW_QEMU_PID run=$SW_QEMU_RUN_DIR ok=0
if wait_for_marker "$log" "^menu: booting 'a' in 30 s unless a key is pressed$" 180; then
        t_pass menu/countdown-started
        echo "menu: menu up after $(sw_since "$t0") s"
        # The first key both stops the countdown and moves to b.
        if key "$run" "$log" down menu/down-stops-countdown '^menu: countdown stopped$' &&
                key_said menu/down-selects "$log" "^menu: selected 'b'$" &&
                key "$run" "$log" d menu/d-sets-default \
                        "^menu: default: 'b' \\(saved\\)$"; then
                ok=1
        fi
else
        t_fail menu/countdown-started "no menu within 180 s"
fi
if [ "$ok" = 1 ]; then
        if screendump "$run" "$w/menu.ppm"; then
                echo "menu: screendump $(head -c 20 "$w/menu.ppm" | head -n 2 | tr '\n' ' ')($(wc -c <"$w/menu.ppm") bytes)"
                if [ "${SW_MENU_REF_UPDATE:-0}" = 1 ]; then
                        mkdir -p "$(dirname "$ref")"
                        gzip -9n <"$w/menu.ppm" >"$ref"
                        echo "menu: reference written to $ref ($(wc -c <"$ref") bytes); look at $w/menu.ppm and commit it"
                        t_pass menu/screen
                elif [ ! -f "$ref" ]; then
                        t_fail menu/screen "no reference $ref: make one with SW_MENU_REF_UPDATE=1"
                elif gzip -dc "$ref" | cmp -s - "$w/menu.ppm"; then
                        t_pass menu/screen
                else
                        gzip -dc "$ref" >"$w/menu-ref.ppm"
                        t_fail menu/screen "$w/menu.ppm differs from the reference (as $w/menu-ref.ppm; $(cmp "$w/menu-ref.ppm" "$w/menu.ppm" 2>&1 | head -n 1)); if the change is wanted, regenerate with SW_MENU_REF_UPDATE=1"
                fi
        else
                t_fail menu/screen "no screendump from QEMU's monitor"
        fi
        # Down, Up: b again, its second 'selected' line; Enter boots it.
        if key "$run" "$log" down menu/down-again "^menu: selected 'c'$" &&
                key "$run" "$log" up menu/up "^menu: selected 'b'$" 2 &&
                key "$run" "$log" ret menu/enter-boots "^menu: Enter: booting 'b'$"; then
                if wait_for_marker "$log" '^GUEST: done$' 180; then
                        t_pass menu/enter-guest-done
                else
                        t_fail menu/enter-guest-done "slot b's guest did not finish"
                        ok=0
                fi
        else
                ok=0
        fi
fi
qemu_finish menu/keys-exit "$pid" "$run" 60 "$ok" || true
t_check menu/enter-booted-b "$log" "^switcher: booting slot 'b' \\(Debian \\(in place\\)\\)"
t_check menu/enter-guest-b "$log" '^GUEST: up slot=b arch=x86_64$'
# What the serial log shows of the menu: the list, with kinds and hotkeys,
# and the warning the screen showed too.
t_check menu/list-a "$log" '^ => 1\) Debian \(swapped\) +\[a, swap, ctrl\+alt\+1\]$'
t_check menu/list-b "$log" '^    2\) Debian \(in place\) +\[b, in-place, ctrl\+alt\+2\]$'
t_check menu/list-c "$log" '^    3\) Debian i386 +\[c, i386\]$'
t_check menu/warning "$log" "^switcher: warning: /EFI/BOOT/partitions.conf:5: unknown key 'colour', ignored$"
# The memory plan is a diagnostic: on serial (and only there without
# 'verbose yes', which the screendump shows).
t_check menu/plan-on-serial "$log" '^plan: active region 128 MiB'
# The countdown is said once, not every second.
n=$(log_count "$log" '^menu: booting ')
if [ "$n" = 1 ]; then
        t_pass menu/countdown-said-once
else
        t_fail menu/countdown-said-once "$n 'menu: booting' lines"
fi

# --- 2. a digit boots at once ------------------------------------------------
log=$w/digit.log
cp "$w/keys.run/vars.fd" "$w/vars-after-d.fd"
OVMF_VARS=$w/vars-after-d.fd SW_QEMU_BG=1 run_qemu digit 1G 300 "$w/disk.img" "$log"
pid=$SW_QEMU_PID run=$SW_QEMU_RUN_DIR ok=0
if wait_for_marker "$log" "^menu: booting 'b' in 30 s unless a key is pressed$" 180 &&
        key "$run" "$log" 3 menu/digit-boots "^menu: key 3: booting 'c'$"; then
        if wait_for_marker "$log" '^GUEST: done$' 180; then
                ok=1
        else
                t_fail menu/digit-guest-done "slot c's guest did not finish"
        fi
else
        t_fail menu/digit-menu "no menu, or key 3 did not boot c"
fi
qemu_finish menu/digit-exit "$pid" "$run" 60 "$ok" || true
# The default d saved in run 1, read back at this start-up.
t_check menu/d-default-kept "$log" "^switcher: default slot 'b' \\(from the EFI variable LoaderEntryDefault, not partitions.conf\\)$"
t_check menu/d-default-listed "$log" '^ => 2\) Debian \(in place\) '
t_check menu/digit-booted-c "$log" "^switcher: booting slot 'c' \\(Debian i386\\)"
t_check menu/digit-guest-c "$log" '^GUEST: up slot=c arch='
t_summary
