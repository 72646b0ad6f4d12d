# shellcheck shell=sh
# Role "bench" (sourced by guest-init.sh as /roles/bench.sh) for make bench
# (tests/bench/bench.sh).  sw.bench=MODE:
#
#   boot     power off at once: the host times power-on -> "GUEST: up".
#   efivars  write the EFI boot variables in /bench/efivars/ (made by the
#            host: a Boot0100 load option for the kernel's EFI stub, and
#            BootNext) through efivarfs, then power off.  The host keeps the
#            variable store, so its next boot starts the kernel straight from
#            the firmware, without the switcher.
#   switch   (default) a guest for the host to switch away from and back to:
#            the first slot (sw.memcpy=1) prints the C library's memcpy rate
#            in this VM, then the hotkey daemon runs until the host stops
#            QEMU.  The kernel's own suspend and resume records go to the
#            console with their timestamps, so the host can split a switch
#            into the guest's part and the rest.
#
# Markers:
#   GUEST: bench memcpy N MiB: N MB/s
#   GUEST: ready slot=ID
#   GUEST: agent-log switcher-agent: ...
#   GUEST: kmsg slot=ID TS_US MESSAGE     (the kernel's suspend/resume records)
#   GUEST: efivars written

# slot comes from guest-init.sh.
# shellcheck disable=SC2154
mode=switch memcpy=0
# shellcheck disable=SC2013
for w in $(cat /proc/cmdline); do
        case $w in
        sw.bench=*) mode=${w#sw.bench=} ;;
        sw.memcpy=*) memcpy=${w#sw.memcpy=} ;;
        esac
done

case $mode in
boot)
        finish
        ;;
efivars)
        v=/sys/firmware/efi/efivars
        [ -d "$v" ] || fail "no $v: this kernel was not started through EFI"
        mount -t efivarfs efivarfs "$v" || fail "mount -t efivarfs"
        for f in /bench/efivars/*; do
                # efivarfs wants the attributes and the data in one write.
                cat "$f" >"$v/${f##*/}" || fail "writing EFI variable ${f##*/}"
        done
        umount "$v"
        say "efivars written"
        finish
        ;;
switch) ;;
*)
        fail "role bench: unknown sw.bench=$mode"
        ;;
esac

if [ "$memcpy" = 1 ] && [ -x /bin/memcpy-bench ]; then
        say "bench $(memcpy-bench 64)"
fi

# The kernel's records, from the start of the buffer: "PRIO,SEQ,TS_US,FLAGS;MSG".
# Only the ones that mark the suspend and resume path.
# cat, not a redirection: each read of /dev/kmsg must take a whole record.
# shellcheck disable=SC2002
cat /dev/kmsg | while IFS= read -r r; do
        case $r in
        *";PM: suspend entry"* | *";PM: suspend exit"* | *";ACPI: PM: Low-level resume complete"* | \
                *";ACPI: PM: Preparing to enter system sleep state"* | *";switcher-agent: suspending"*)
                ts=${r#*,}
                ts=${ts#*,}
                echo "GUEST: kmsg slot=$slot ${ts%%,*} ${r#*;}"
                ;;
        esac
done &

say "ready slot=$slot"
switcher-agent --foreground 2>&1 | while IFS= read -r l; do echo "GUEST: agent-log $l"; done
fail "the hotkey daemon ended"
