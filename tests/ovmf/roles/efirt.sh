# shellcheck shell=sh
# Role "efirt" (sourced by guest-init.sh as /roles/efirt.sh): EFI runtime
# services in 64-bit slots (t-efirt, docs/efi-runtime.md).  Two slots, a
# (sw.first=1, sw.rounds=N) and b, call runtime services alternately:
#
# Each slot, at its cold boot, mounts efivarfs and reports what the kernel
# made of the EFI information: its EFI and Secure Boot lines, the runtime
# map with the virtual addresses it used, the setup_data record.  Then, each
# time it runs (boot or resume), it reads the Boot Loader Interface variables
# (GetVariable), writes a variable of its own (SetVariable) and reads the
# one the other slot wrote last, then switches to the other slot.  After N
# rounds a sets the default to b (switchctl set-default) and powers off;
# the machine goes on in b, which sees a is off and powers off too.
#
# Markers:
#   GUEST: efirt efivars yes|no
#   GUEST: dmesg-efi LINE                         (each kernel line about EFI)
#   GUEST: dmesg-efi-end LINE                     (the same, before the power-off)
#   GUEST: efirt map PHYS VIRT PAGES TYPE        (/sys/firmware/efi/runtime-map)
#   GUEST: efirt setup_data TYPE                 (the first record's type)
#   GUEST: efibootmgr LINE, GUEST: efirt efibootmgr rc N      (efibootmgr -v)
#   GUEST: bootctl LINE, GUEST: efirt bootctl status rc N     (bootctl status)
#   GUEST: bootctl-list LINE, GUEST: efirt bootctl list rc N  (bootctl list)
#   GUEST: efirt slot=ID round=R info=... entries=... selected=... features=HEX
#   GUEST: efirt slot=ID round=R wrote=NAME saw=VALUE
#   GUEST: efirt slot=ID switch rc N
#   GUEST: efirt set-default rc N MESSAGE
#   GUEST: efirt steer slot=ID selected=ID default=ID oneshot=ID menu-once=SECONDS
#   GUEST: efirt steer one-shot a written
loader=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
own=5c1a9a3e-8d2b-4f61-9b0e-3a4d5271c819
vars=/sys/firmware/efi/efivars
first=0 rounds=3
# shellcheck disable=SC2013
for w in $(cat /proc/cmdline); do
        case $w in
        sw.first=*) first=${w#sw.first=} ;;
        sw.rounds=*) rounds=${w#sw.rounds=} ;;
        esac
done
# slot comes from guest-init.sh.
# shellcheck disable=SC2154
if [ "$slot" = a ]; then other=b; else other=a; fi

# var16 NAME: a loader variable's UTF-16 value as ASCII, strings separated
# by spaces (efivarfs files start with the 4 attribute bytes).
var16() {
        tail -c +5 "$vars/$1-$loader" 2>/dev/null | od -An -v -tu2 |
                awk '{ for (i = 1; i <= NF; i++) if ($i == 0) printf " "; else printf "%c", $i }' | sed 's/ *$//'
}

if [ -d "$vars" ]; then
        say "efirt efivars yes"
else
        say "efirt efivars no"
fi
mount -t efivarfs efivarfs "$vars" || fail "mount -t efivarfs"
dmesg | grep -iE 'efi|secure ?boot' | sed 's/^/GUEST: dmesg-efi /'
for d in /sys/firmware/efi/runtime-map/*; do
        [ -d "$d" ] || continue
        say "efirt map $(cat "$d/phys_addr") $(cat "$d/virt_addr") $(cat "$d/num_pages") $(cat "$d/type")"
done
say "efirt setup_data $(cat /sys/kernel/boot_params/setup_data/0/type 2>/dev/null || echo none)"

# The firmware's boot entries and the boot manager as a slot's tools see
# them (t-efirt puts efibootmgr and bootctl, with their libraries, into this
# role's initramfs).  bootctl wants the ESP mounted: the first partition
# that mounts as vfat, read-only.  It checks the ESP's partition type
# through udev, which this guest lacks: SYSTEMD_RELAX_ESP_CHECKS skips that.
if command -v efibootmgr >/dev/null 2>&1; then
        efibootmgr -v >/tmp/efibootmgr.out 2>&1
        rc=$?
        sed 's/^/GUEST: efibootmgr /' /tmp/efibootmgr.out
        say "efirt efibootmgr rc $rc"
fi
if command -v bootctl >/dev/null 2>&1; then
        mkdir -p /efi /run
        for p in /dev/sd?[0-9]*; do
                mount -t vfat -o ro "$p" /efi 2>/dev/null && break
        done
        SYSTEMD_RELAX_ESP_CHECKS=1 bootctl --esp-path=/efi --no-pager status >/tmp/bootctl.out 2>&1
        rc=$?
        sed 's/^/GUEST: bootctl /' /tmp/bootctl.out
        say "efirt bootctl status rc $rc"
        SYSTEMD_RELAX_ESP_CHECKS=1 bootctl --esp-path=/efi --no-pager list >/tmp/bootctl.out 2>&1
        rc=$?
        sed 's/^/GUEST: bootctl-list /' /tmp/bootctl.out
        say "efirt bootctl list rc $rc"
        umount /efi 2>/dev/null
fi

# Steering (later power-ons, same variable store): once slot a has set the
# default to b (SwitcherTestDone exists), a slot only reports what it was
# started as; b, the first time, asks for a once (LoaderEntryOneShot, as
# systemctl reboot --boot-loader-entry=a would) and for the menu once
# (LoaderConfigTimeoutOneShot, 2 s), and powers off.
if [ -e "$vars/SwitcherTestDone-$own" ]; then
        say "efirt steer slot=$slot selected=$(var16 LoaderEntrySelected) default=$(var16 LoaderEntryDefault) oneshot=$(var16 LoaderEntryOneShot) menu-once=$(var16 LoaderConfigTimeoutOneShot)"
        if [ "$slot" = b ] && [ ! -e "$vars/SwitcherTestOneShot-$own" ]; then
                printf '\007\000\000\000a\000\000\000' >"$vars/LoaderEntryOneShot-$loader" || fail "write LoaderEntryOneShot"
                # The menu once, for 2 s (systemctl reboot
                # --boot-loader-menu=2 writes the same).
                printf '\007\000\000\0002\000\000\000' >"$vars/LoaderConfigTimeoutOneShot-$loader" ||
                        fail "write LoaderConfigTimeoutOneShot"
                printf '\007\000\000\000x' >"$vars/SwitcherTestOneShot-$own" || fail "write SwitcherTestOneShot"
                say "efirt steer one-shot a written"
        fi
        finish
fi

# round R: one turn in this slot: the variables, then a write and a read of
# the shared store.
round() {
        say "efirt slot=$slot round=$1 info=$(var16 LoaderInfo) entries=$(var16 LoaderEntries) selected=$(var16 LoaderEntrySelected) features=$(tail -c +5 "$vars/LoaderFeatures-$loader" | od -An -tx1 | tr -d ' \n')"
        # A new name each time: efivarfs makes existing variables immutable.
        # Non-volatile: after ExitBootServices the firmware creates no
        # volatile variable.
        printf '\007\000\000\000%s' "$slot$1" >"$vars/SwitcherTest$slot$1-$own" || fail "write SwitcherTest$slot$1"
        # efivarfs lists the store once, when mounted: mount it again to see
        # what the other slot wrote since.
        umount "$vars" || fail "umount $vars"
        mount -t efivarfs efivarfs "$vars" || fail "mount -t efivarfs again"
        seen=$(tail -c +5 "$vars/SwitcherTest$other$2-$own" 2>/dev/null)
        say "efirt slot=$slot round=$1 wrote=SwitcherTest$slot$1 saw=${seen:-none}"
}

# efi_log_end: the kernel's EFI lines again after all the switches: a
# fault in a runtime services call would show here ("EFI Runtime Services
# are disabled").
efi_log_end() {
        dmesg | grep -iE 'efi|secure ?boot' | sed 's/^/GUEST: dmesg-efi-end /'
}

if [ "$first" = 1 ]; then
        r=1
        while [ "$r" -le "$rounds" ]; do
                round "$r" $((r - 1))
                switchctl switch "$other" >/tmp/switch.out 2>&1
                say "efirt slot=$slot switch rc $? $(tail -n 1 /tmp/switch.out)"
                r=$((r + 1))
        done
        round "$r" $((r - 1))
        out=$(switchctl set-default b 2>&1)
        say "efirt set-default rc $? $out"
        printf '\007\000\000\000x' >"$vars/SwitcherTestDone-$own" || fail "write SwitcherTestDone"
        efi_log_end
        finish
fi

r=1
while :; do
        round "$r" "$r"
        switchctl switch "$other" >/tmp/switch.out 2>&1
        say "efirt slot=$slot switch rc $? $(tail -n 1 /tmp/switch.out)"
        if [ "$(mb_slot "$other" state)" = empty ]; then
                efi_log_end
                finish_if_off "$other"
        fi
        r=$((r + 1))
done
