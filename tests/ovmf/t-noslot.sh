#!/bin/bash
# t-noslot.sh BUILD
#
# Nothing to boot: the switcher must say why on its error screen and hand
# the machine back to the firmware instead of hanging.
#
#   1. missing: every slot's kernel is missing from the ESP.  The error screen
#      names each missing kernel with FILE:LINE; a key sent through the QEMU
#      monitor ends the wait at once, and OVMF goes on with its next boot
#      option ("BdsDxe: failed to start Boot0001 ...: Load Error", then the
#      EFI Internal Shell).
#   2. active: an invalid active-size.  No key this time: after its 60 s
#      wait the switcher returns to the firmware by itself.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_test_dir noslot "${1:-build}"
esp_conf=/EFI/BOOT/partitions.conf
prompt='^switcher: press any key to return to the firmware \(60 s\)\.\.\.$'
# What OVMF prints when the boot option it started returns an error, and
# what it starts next (the shell is the next option in a fresh variable store).
fw_back='^BdsDxe: failed to start Boot[0-9A-F]{4} .*: Load Error$'
fw_next='^BdsDxe: (loading|starting) Boot[0-9A-F]{4} "EFI Internal Shell"'

# firmware_goes_on CASE: noslot/CASE-firmware-goes-on: OVMF starts its next
# boot option after the switcher returned.
firmware_goes_on() {
        if wait_for_marker "$log" "$fw_next" 30; then
                t_pass "noslot/$1-firmware-goes-on"
        else
                t_fail "noslot/$1-firmware-goes-on" "OVMF did not start its next boot option"
        fi
}

# case_end CASE: the machine is in the firmware's next boot option, still
# running; the test ends it (noslot/CASE-stopped: a reset or a crash would
# have ended QEMU by itself before).  Then $w/CASE.txt is the log without
# \r, and noslot/CASE-nothing-booted: nothing was planned or booted on the way.
case_end() {
        qemu_stop "$pid" "$SW_QEMU_RUN_DIR" "noslot/$1-stopped" || true
        echo "noslot: $1: $(sw_since "$t0") s"
        tr -d '\r' <"$log" >"$w/$1.txt"
        if grep -Eq '^(plan:|switcher: booting|switcher: boot services ended)' "$w/$1.txt"; then
                t_fail "noslot/$1-nothing-booted" "$(grep -E '^(plan:|switcher: booting)' "$w/$1.txt" | head -n 3)"
        else
                t_pass "noslot/$1-nothing-booted"
        fi
}

# --- 1. every kernel missing; a key returns to the firmware -------------------
cat >"$w/missing.conf" <<'CONF'
timeout 0
default a
active-size 160M
console both

slot a
title Missing kernel A
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=boot

slot b
title Missing kernel B
linux /slots/b/vmlinuz
options console=ttyS0,115200 panic=-1 sw.test=boot
CONF
sw_esp "$w/esp-missing" "$build" "$w/missing.conf"
"$SW_OVMF_DIR/mkdisk.sh" "$w/missing.img" "$w/esp-missing" >/dev/null
l_a=$(grep -n '^linux /slots/a/' "$w/missing.conf" | cut -d: -f1)
l_b=$(grep -n '^linux /slots/b/' "$w/missing.conf" | cut -d: -f1)

log=$w/missing.log
t0=$(sw_now_ms)
SW_QEMU_BG=1 run_qemu missing 512M 180 "$w/missing.img" "$log"
pid=$SW_QEMU_PID
if wait_for_marker "$log" "$prompt" 120; then
        t_pass noslot/missing-prompt
        echo "noslot: error screen after $(sw_since "$t0") s"
        # The firmware's keyboard driver is up well before the switcher
        # waits; one Enter through the monitor is the "any key".
        tk=$SECONDS
        qemu_monitor "$SW_QEMU_RUN_DIR" 'sendkey ret'
        if wait_for_marker "$log" "$fw_back" 30; then
                echo "noslot: back in the firmware $((SECONDS - tk)) s after the key"
                t_pass noslot/missing-key-returns
        else
                t_fail noslot/missing-key-returns "no '$fw_back' within 30 s of the key (the wait is 60 s)"
        fi
        firmware_goes_on missing
else
        t_fail noslot/missing-prompt "no error screen within 120 s"
fi
case_end missing

t_line noslot/missing-kernel-a "$w/missing.txt" \
        "switcher: error: $esp_conf:$l_a: slot 'a': kernel '/slots/a/vmlinuz' not found; slot dropped"
t_line noslot/missing-kernel-b "$w/missing.txt" \
        "switcher: error: $esp_conf:$l_b: slot 'b': kernel '/slots/b/vmlinuz' not found; slot dropped"
t_line noslot/missing-nothing-left "$w/missing.txt" \
        "switcher: error: $esp_conf:$l_b: no valid slot left; nothing to boot"
t_line noslot/missing-error-screen "$w/missing.txt" \
        "switcher: error: no slot can be booted: partitions.conf names no valid slot (see above)"
t_line noslot/missing-names-conf "$w/missing.txt" \
        "switcher: fix $esp_conf (or the files it names) on the EFI system partition."

# --- 2. invalid active-size; no key: the 60 s wait runs out --------------------
cat >"$w/active.conf" <<'CONF'
timeout 0
default a
active-size 12X
console both

slot a
title Slot A
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=boot
CONF
sw_guest amd64 "$build" || true
sw_esp "$w/esp-active" "$build" "$w/active.conf"
if [ -n "${SW_KERNEL:-}" ]; then
        sw_esp_slot "$w/esp-active" a
fi
"$SW_OVMF_DIR/mkdisk.sh" "$w/active.img" "$w/esp-active" >/dev/null
l_act=$(grep -n '^active-size ' "$w/active.conf" | cut -d: -f1)

log=$w/active.log
t0=$(sw_now_ms)
SW_QEMU_BG=1 run_qemu active 512M 200 "$w/active.img" "$log"
pid=$SW_QEMU_PID
if wait_for_marker "$log" "$prompt" 120; then
        t_pass noslot/active-prompt
        tp=$(sw_now_ms)
        if wait_for_marker "$log" "$fw_back" 100; then
                waited=$(sw_since "$tp")
                echo "noslot: back in the firmware ${waited} s after the prompt, no key"
                # The wait is 60 s of firmware timer; under TCG allow some slack
                # either way, but a return long before 60 s means it did not wait.
                if [ "${waited%.*}" -ge 50 ] && [ "${waited%.*}" -le 95 ]; then
                        t_pass noslot/active-timeout-returns
                else
                        t_fail noslot/active-timeout-returns "returned after $waited s, expected about 60"
                fi
        else
                t_fail noslot/active-timeout-returns "still waiting 100 s after the prompt: the switcher hangs"
        fi
        firmware_goes_on active
else
        t_fail noslot/active-prompt "no error screen within 120 s"
fi
case_end active
t_line noslot/active-size-msg "$w/active.txt" \
        "switcher: error: $esp_conf:$l_act: active-size '12X' is not a size like 256M or 1G; configuration unusable, every slot dropped"
t_line noslot/active-error-screen "$w/active.txt" \
        "switcher: error: no slot can be booted: a global setting in partitions.conf is invalid (see above)"
t_summary
