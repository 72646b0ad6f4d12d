#!/bin/bash
# demo.sh BUILD: `make demo`.  Provisions a disk with `mkslot disk` from the
# shipped partitions.conf (two Debian amd64 slots, preloaded kernels on the ESP),
# boots it under QEMU + OVMF and shows a switch: slot debian-a starts,
# switches to debian-b (cold boot), which switches back; debian-a resumes
# with its counter still running.  On a terminal you then get the guest's
# shell on the serial console (leave QEMU with Ctrl-A X); without one, the
# demo prints what happened and stops.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

build=$(cd "${1:-build}" && pwd)
w=$build/demo
mkdir -p "$w"
[ -f "$build/switcher.efi" ] || sw_die "$build/switcher.efi is missing: run make"
echo "demo: fetching Debian's stock kernel (cached in $build/cache) and building the guest..."
sw_guest amd64 "$build" || sw_die "could not fetch the kernel"
SW_AGENT_SHIPPED=1 sw_agent_initrd "$build" "$w" demo || sw_die "could not build the guest initramfs"
"$build/mkslot" check "$SW_TOP/partitions.conf"
# The files partitions.conf names, laid out as on the ESP; mkslot disk puts
# them, the switcher and the config onto a fresh GPT disk.
rm -rf "$w/files"
sw_esp_slot "$w/files" debian-a
sw_esp_slot "$w/files" debian-b
"$build/mkslot" disk --force --files "$w/files" --switcher "$build/switcher.efi" \
        --part slot-a:32M --part slot-b:32M -o "$w/disk.img" "$SW_TOP/partitions.conf"
echo "demo: disk image $w/disk.img; booting it (QEMU + OVMF, no KVM: about a minute)..."

log=$w/serial.log
if [ -t 0 ] && [ -t 1 ] && [ -z "${CI:-}" ]; then
        cp "$OVMF_VARS" "$w/vars.fd"
        exec "$QEMU" -machine q35 -global ICH9-LPC.disable_s3=0 -smp 2 -m 1G -display none \
                -serial mon:stdio -no-reboot -net none \
                -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
                -drive "if=pflash,format=raw,unit=1,file=$w/vars.fd" \
                -drive "if=none,id=disk0,format=raw,file=$w/disk.img" -device ide-hd,drive=disk0,bus=ide.0
fi
SW_QEMU_BG=1 run_qemu demo 1G 300 "$w/disk.img" "$log"
pid=$SW_QEMU_PID
rc=0
wait_for_marker "$log" '^GUEST: demo: done' 280 || rc=1
qemu_stop "$pid" "$SW_QEMU_RUN_DIR"
tr -d '\r' <"$log" | grep -a -E '^(plan:|switcher: (booting|switch|cold|resuming)|GUEST: (up|demo))' | sed 's/^/  | /'
if [ "$rc" = 0 ]; then
        echo "demo: a switch round trip, shown above; full serial log: $log"
else
        echo "demo: did not finish; see $log"
fi
exit "$rc"
