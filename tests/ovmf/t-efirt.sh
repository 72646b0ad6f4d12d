#!/bin/bash
# t-efirt.sh BUILD
#
# EFI runtime services in 64-bit slots (issue 15, docs/efi-runtime.md): the
# switcher calls SetVirtualAddressMap once and hands both amd64 slots the
# runtime-only map and a SETUP_EFI record, as kexec would.  Two slots, a
# (in place) and b (swapped), call runtime services alternately ("efirt"
# role): each reads the Boot Loader Interface variables, writes a variable
# and reads the one the other slot wrote, then switches; ten round trips,
# then a sets the default to b (switchctl set-default) and powers off, and
# b after it.  Three more power-ons with the variable store kept: b boots
# by that default and asks for a once (LoaderEntryOneShot) and for the menu
# once (LoaderConfigTimeoutOneShot, 2 s); the menu shows, a highlighted, and
# a boots when it times out; b again by the default, with no menu.
#
# Checked: /sys/firmware/efi/efivars in both slots; LoaderInfo,
# LoaderEntries and LoaderFeatures as the switcher set them;
# LoaderEntrySelected names the running slot in every round of both slots
# (the switcher rewrote it at each switch, through its own mapping of the
# runtime regions); each slot sees the other's writes (one variable store); each
# kernel's runtime map has exactly the virtual addresses the switcher gave
# (the kernel reused the mapping instead of choosing its own), and it found
# the SETUP_EFI record; no kernel line about EFI reports an error; Secure
# Boot is not claimed; the steering variables choose the slots; no fault,
# and the machine powers off every time.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

# check_absent NAME LOG REGEX: t_pass when no line of LOG matches.
check_absent() {
        local hit
        hit=$(tr -d '\r' <"$2" | grep -E -m1 -- "$3" || true)
        if [ -z "$hit" ]; then
                t_pass "$1"
        else
                t_fail "$1" "unexpected line: $hit"
        fi
}

# efi_errors NAME LOG PREFIX: t_pass when LOG has the kernel's "efi: EFI v"
# line under GUEST: PREFIX and no line there like an error.  A BGRT logo in
# boot-services memory is rightly ignored (that memory is slots' RAM now).
efi_errors() {
        local bad
        bad=$(grep "^GUEST: $3 " "$2" | grep -v 'Ignoring BGRT: invalid image address' |
                grep -iE 'error|fail|fw_bug|firmware bug|overflow|warn|unexpected|not in the memory map|invalid|disabled!|froze|fault' || true)
        if [ -z "$bad" ] && grep -q "^GUEST: $3 .*efi: EFI v" "$2"; then
                t_pass "$1"
        else
                t_fail "$1" "${bad:-no 'efi: EFI v' line}"
        fi
}

# efi_tools_root ROOT CACHE: efibootmgr (from the host, tests/deps.sh) and
# bootctl (from the systemd-boot and libsystemd-shared packages, downloaded
# into CACHE/debs: installing them would upgrade the host's systemd), each
# with the shared libraries ldd names, laid out under ROOT as in the guest.
efi_tools_root() {
        local root=$1 cache=$2 p deb bin lib dst
        rm -rf "$root"
        mkdir -p "$root/bin" "$root/x"
        for p in systemd-boot libsystemd-shared; do
                deb=$(sw_apt_download "$p" "$cache/debs")
                dpkg-deb -x "$deb" "$root/x"
        done
        cp "$(command -v efibootmgr)" "$root/bin/" || sw_die "no efibootmgr on the host: tests/deps.sh install"
        cp "$root/x/usr/bin/bootctl" "$root/bin/"
        for bin in efibootmgr bootctl; do
                LD_LIBRARY_PATH=$root/x/usr/lib/x86_64-linux-gnu/systemd ldd "$root/bin/$bin" |
                        awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
                        while read -r lib; do
                                dst=$root${lib#"$root/x"}
                                mkdir -p "$(dirname "$dst")"
                                cp -L "$lib" "$dst"
                        done
        done
        rm -rf "$root/x"
}
efi_tools_root "${1:-build}/ovmf/efi-tools" "${1:-build}/cache"

# efivarfs is a module in Debian's kernel; vfat and its code pages mount
# the ESP for bootctl.
SW_EXTRA_ROOT="${1:-build}/ovmf/efi-tools" SW_AGENT_MODULES="efivarfs vfat nls_cp437 nls_ascii nls_utf8" \
        sw_agent_test efirt "${1:-build}" efirt
common="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=efirt"
rounds=10
cat >"$w/partitions.conf" <<CONF
timeout 0
default a
active-size 256M

slot a
title In-place A
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options $common sw.part=slot-a sw.first=1 sw.rounds=$rounds
partition PARTLABEL=slot-a
mode in-place
memory 256M

slot b
title Swap B
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options $common sw.part=slot-b
partition PARTLABEL=slot-b
CONF
sw_disk "$w" a b

log=$w/serial.log
qemu_boot efirt/power-off efirt 2G 1200 "$w/disk.img" "$log" || true
tr -d '\r' <"$log" >"$w/serial.txt"
s=$w/serial.txt

t_check efirt/virtual-mode "$s" '^switcher: EFI runtime services in virtual mode: [1-9][0-9]* runtime regions'
for id in a b; do
        sec=$w/guest-$id.txt
        guest_section "$s" "$id" >"$sec"
        t_check "efirt/$id/efivars" "$sec" '^GUEST: efirt efivars yes$'
        t_check "efirt/$id/loader-info" "$sec" "^GUEST: efirt slot=$id round=1 info=switcher [0-9.]+ "
        t_check "efirt/$id/loader-entries" "$sec" "^GUEST: efirt slot=$id round=1 .* entries=a b selected=$id "
        t_check "efirt/$id/loader-features" "$sec" "^GUEST: efirt slot=$id round=1 .* features=0e00000000000000$"
        t_check "efirt/$id/setup-data" "$sec" '^GUEST: efirt setup_data 0x4$'
        # The kernel's runtime map is the switcher's, address for address.
        tr -d '\r' <"$s" | sed -n 's/^efirt: [0-9]* \(0x[0-9a-f]*\) 0x[0-9a-f]* -> \(0x[0-9a-f]*\)$/\1 \2/p' |
                sort >"$w/map-switcher.txt"
        sed -n 's/^GUEST: efirt map \(0x[0-9a-f]*\) \(0x[0-9a-f]*\) .*/\1 \2/p' "$sec" | sort >"$w/map-$id.txt"
        if [ -s "$w/map-switcher.txt" ] && cmp -s "$w/map-switcher.txt" "$w/map-$id.txt"; then
                t_pass "efirt/$id/same-virtual-map"
        else
                t_fail "efirt/$id/same-virtual-map" "switcher: $(tr '\n' ' ' <"$w/map-switcher.txt"); kernel: $(tr '\n' ' ' <"$w/map-$id.txt")"
        fi
        efi_errors "efirt/$id/no-efi-errors" "$sec" 'dmesg-efi'
        t_check "efirt/$id/secure-boot-not-claimed" "$sec" '^GUEST: dmesg-efi .*Secure boot disabled'
        # The slot's tools: the firmware's boot entries (OVMF has several),
        # and the boot manager with the running slot.
        n=$(log_count "$sec" '^GUEST: efibootmgr Boot[0-9A-F]{4}')
        if [ "$n" -ge 2 ] && grep -q '^GUEST: efirt efibootmgr rc 0$' "$sec"; then
                t_pass "efirt/$id/efibootmgr"
        else
                t_fail "efirt/$id/efibootmgr" "$n Boot#### lines, $(grep '^GUEST: efirt efibootmgr rc' "$sec" || echo 'no rc line')"
        fi
        t_check "efirt/$id/bootctl-product" "$sec" '^GUEST: bootctl +Product: switcher [0-9.]+$'
        t_check "efirt/$id/bootctl-status-rc" "$sec" '^GUEST: efirt bootctl status rc 0$'
        # systemd 252's status has no current entry line; bootctl list
        # shows every slot from LoaderEntries, the running one "(selected)".
        t_check "efirt/$id/bootctl-list-a" "$sec" '^GUEST: bootctl-list +id: a$'
        t_check "efirt/$id/bootctl-list-b" "$sec" '^GUEST: bootctl-list +id: b$'
        t_check "efirt/$id/bootctl-selected" "$sec" "^GUEST: bootctl-list +title: $id .*\\(selected\\)"
done
# Both slots called runtime services alternately, each seeing the other's
# last write, for every round.
n_a=$(log_count "$s" "^GUEST: efirt slot=a round=[0-9]+ wrote=SwitcherTesta[0-9]+ saw=")
n_b=$(log_count "$s" "^GUEST: efirt slot=b round=[0-9]+ wrote=SwitcherTestb[0-9]+ saw=a[0-9]+$")
if [ "$n_a" = $((rounds + 1)) ] && [ "$n_b" = "$rounds" ]; then
        t_pass efirt/alternating-calls
else
        t_fail efirt/alternating-calls "a wrote $n_a times (want $((rounds + 1))), b $n_b times seeing a's write (want $rounds)"
fi
# Both kernels' EFI lines again, each before its power-off: after all the
# switches, no runtime services call faulted ("EFI Runtime Services are
# disabled").  Slot a's come after b's start, so the whole log is read.
efi_errors efirt/no-efi-errors-after-switches "$s" 'dmesg-efi-end'
n=$(log_count "$s" '^GUEST: dmesg-efi-end .*efi: EFI v')
if [ "$n" = 2 ]; then
        t_pass efirt/both-kernels-logged-at-end
else
        t_fail efirt/both-kernels-logged-at-end "$n kernels' EFI lines at the end (want 2)"
fi
# LoaderEntrySelected read in each slot, every round, names that slot: the
# switcher rewrote it at each of the 2 x rounds switches (and at the last
# hand-over, a's power-off), and never failed to.
sel_a=$(log_count "$s" "^GUEST: efirt slot=a round=[0-9]+ info=.* selected=a ")
sel_b=$(log_count "$s" "^GUEST: efirt slot=b round=[0-9]+ info=.* selected=b ")
sel_sw=$(log_count "$s" "^switcher: LoaderEntrySelected = '[ab]' \\(runtime SetVariable at the switch, [0-9]+ us\\)$")
if [ "$sel_a" = $((rounds + 1)) ] && [ "$sel_b" = "$rounds" ] && [ "$sel_sw" -ge $((2 * rounds)) ]; then
        t_pass efirt/selected-follows-switches
else
        t_fail efirt/selected-follows-switches "a read its own id $sel_a times (want $((rounds + 1))), b $sel_b (want $rounds); the switcher wrote it $sel_sw times (want at least $((2 * rounds)))"
fi
t_check efirt/switcher-mapping "$s" '^switcher: runtime regions mapped at their virtual addresses for the switcher.s own calls'
check_absent efirt/selected-no-failure "$s" 'cannot set LoaderEntrySelected|LoaderEntrySelected will not follow|LoaderEntrySelected not updated'
t_check efirt/a-sees-b "$s" "^GUEST: efirt slot=a round=$((rounds + 1)) wrote=SwitcherTesta$((rounds + 1)) saw=b$rounds$"
t_check efirt/switches-ok "$s" "^GUEST: efirt slot=b switch rc 0 "
t_check efirt/set-default "$s" "^GUEST: efirt set-default rc 0 switchctl: default slot set to 'b'"

# Steering across power-ons, each with the variable store the run before
# left: the default a slot set, then a one-shot, then the default again.
steer_run() {
        local name=$1 prev=$2
        cp "$prev" "$w/$name-vars.fd"
        OVMF_VARS=$w/$name-vars.fd qemu_boot "efirt/$name/power-off" "$name" 2G 300 "$w/disk.img" "$w/$name.log" || true
        tr -d '\r' <"$w/$name.log" >"$w/$name.txt"
}
steer_run steer-default "$w/efirt.run/vars.fd"
t_check efirt/steer-default/switcher "$w/steer-default.txt" "^switcher: default slot 'b' \(from the EFI variable LoaderEntryDefault, not partitions.conf\)$"
t_check efirt/steer-default/slot-b "$w/steer-default.txt" '^GUEST: efirt steer slot=b selected=b default=b oneshot= menu-once=$'
check_absent efirt/steer-default/no-menu "$w/steer-default.txt" '^menu: booting'
t_check efirt/steer-default/asks-a-once "$w/steer-default.txt" '^GUEST: efirt steer one-shot a written$'
steer_run steer-oneshot "$w/steer-default.run/vars.fd"
# Both one-shots: the menu is shown once (partitions.conf says timeout 0),
# with the one-shot entry highlighted, and boots it when the 2 s are over.
t_check efirt/steer-oneshot/menu-once "$w/steer-oneshot.txt" "^switcher: LoaderConfigTimeoutOneShot: the menu is shown once, 2 s$"
t_check efirt/steer-oneshot/menu-countdown "$w/steer-oneshot.txt" "^menu: booting 'a' in 2 s unless a key is pressed$"
t_check efirt/steer-oneshot/menu-timeout "$w/steer-oneshot.txt" "^menu: timeout: booting 'a'$"
# Both one-shots were deleted before a started.
t_check efirt/steer-oneshot/slot-a "$w/steer-oneshot.txt" '^GUEST: efirt steer slot=a selected=a default=b oneshot= menu-once=$'
steer_run steer-back "$w/steer-oneshot.run/vars.fd"
t_check efirt/steer-back/slot-b "$w/steer-back.txt" '^GUEST: efirt steer slot=b selected=b default=b oneshot= menu-once=$'
# The power-on after the one-shot menu has none.
check_absent efirt/steer-back/no-menu "$w/steer-back.txt" '^menu: booting|LoaderConfigTimeoutOneShot'

no_fault efirt "$log"
no_kernel_complaint efirt "$log"
for n in steer-default steer-oneshot steer-back; do
        no_fault "efirt/$n" "$w/$n.log"
done
t_summary
