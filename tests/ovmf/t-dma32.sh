#!/bin/bash
# t-dma32.sh BUILD
#
# The DMA32 window of an in-place slot (docs/dma32.md).  OVMF on q35 with
# -m 6G has 2 GiB below 4 GiB and 4 GiB above; both in-place slots' own RAM
# goes above 4 GiB, so each gets a window of RAM below 4 GiB: a the default
# 256 MiB, b (preloaded, not started) 64 MiB.  Slot a boots Debian's amd64
# kernel with the bochs DRM driver (and its dependencies) in the initramfs.
#
# Checked: the plan's windows (below 4 GiB, apart from the active region,
# the resident block and each other); a's RAM is exactly the low active
# ranges, its window and its own RAM; its kernel logged no swiotlb failure
# and no GFP_DMA32 allocation failure, mapped its bounce buffer inside the
# window and preallocated its GFP_DMA32 atomic pool; /proc/zoneinfo has a
# populated DMA32 zone as large as the window; bochs-drm bound QEMU's
# display; and `mkslot plan` on the boot's memory map prints the same plan.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_test dma32 "${1:-build}"

# The guest's part: a role that reports what the checks below read, with the
# kernel's own lines about the bounce buffer, DMA32 and the display driver
# (init turns the console's log level down, so they would not reach serial
# by themselves).
mkdir -p "$w/extra/roles"
cat >"$w/extra/roles/dma32.sh" <<'ROLE'
# shellcheck shell=dash
report_basics
awk '$1 == "Node" { z = $4 }
     z == "DMA32" && $1 == "present" { p = $2 }
     z == "DMA32" && $1 == "managed" { m = $2 }
     END { print "GUEST: zone DMA32 present=" p + 0 " managed=" m + 0 }' /proc/zoneinfo
dmesg | grep -iE 'swiotlb|software io tlb|GFP_DMA32|page allocation failure|bochs-drm|probe of' |
        sed 's/^/GUEST: kmsg /'
for d in /sys/bus/pci/drivers/bochs-drm/0000:*; do
        [ -e "$d" ] && say "bochs bound ${d##*/}"
done
ROLE
if ! SW_INITRD_EXTRA=$w/extra SW_INITRD_MODULES=bochs \
        "$SW_OVMF_DIR/mkinitramfs.sh" amd64 "$build/cache" "$w/initrd.gz" >"$w/mkinitramfs.log" 2>&1; then
        sw_prepare_failed dma32 "mkinitramfs with the bochs module failed: $(tail -n 3 "$w/mkinitramfs.log")"
fi
SW_INITRD=$w/initrd.gz

cat >"$w/partitions.conf" <<'CONF'
timeout 0
default a
active-size 256M
console both

slot a
title In-place A, default DMA32 window
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=dma32 sw.watchdog=120
partition PARTLABEL=slot-a
mode in-place
memory 512M

slot b
title In-place B, 64 MiB window (preloaded, not started)
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=dma32
partition PARTLABEL=slot-b
mode in-place
memory 256M
dma32-size 64M
CONF
conf=$w/partitions.conf
sw_disk "$w" a b

log=$w/serial.log
qemu_boot dma32/exit dma32 6G 240 "$w/disk.img" "$log" || true
tr -d '\r' <"$log" >"$w/serial.txt"

# --- the plan ---------------------------------------------------------------
# slot_range ID KIND: "0xS 0xE" of slot ID's KIND line (in-place, dma32).
slot_range() {
        sed -n "s/^plan:   slot $1 *$2 \\(0x[0-9a-f]*\\)-\\(0x[0-9a-f]*\\)  .*/\\1 \\2/p" "$w/serial.txt"
}
read -r a_own a_own_end < <(slot_range a in-place) || true
read -r a_win a_win_end < <(slot_range a dma32) || true
read -r b_win b_win_end < <(slot_range b dma32) || true
if [ -n "${a_own:-}" ] && [ "$(hexnum "$a_own")" -ge $((4 << 30)) ]; then
        t_pass dma32/own-ram-above-4G
else
        t_fail dma32/own-ram-above-4G "a's in-place line: '$(grep '^plan:   slot a ' "$w/serial.txt" | head -n 1)'"
fi
t_check dma32/plan-a-window "$log" '^plan:   slot a +dma32 0x[0-9a-f]+-0x[0-9a-f]+  256 MiB$'
t_check dma32/plan-b-window "$log" '^plan:   slot b +dma32 0x[0-9a-f]+-0x[0-9a-f]+  64 MiB$'
# Both windows below 4 GiB, and no two of the active ranges, the resident
# block, the windows and the in-place ranges overlap.
{
        plan_ranges "$log" active
        plan_ranges "$log" resident
        for id in a b; do
                for kind in in-place dma32; do
                        slot_range "$id" "$kind" | tr ' ' -
                done
        done
} >"$w/plan-ranges"
if [ -n "${a_win_end:-}" ] && [ -n "${b_win_end:-}" ] && [ "$(hexnum "$a_win_end")" -lt $((4 << 30)) ] &&
        [ "$(hexnum "$b_win_end")" -lt $((4 << 30)) ]; then
        t_pass dma32/windows-below-4G
else
        t_fail dma32/windows-below-4G "a's window '${a_win:-}-${a_win_end:-}', b's '${b_win:-}-${b_win_end:-}'"
fi
if out=$(python3 - "$w/plan-ranges" 2>&1 <<'PY'
import sys
r = [tuple(int(x, 16) for x in l.strip().split("-")) for l in open(sys.argv[1]) if l.strip()]
if len(r) < 7:
    sys.exit("only %d ranges in the plan" % len(r))
bad = [(hex(a[0]), hex(b[0])) for i, a in enumerate(r) for b in r[i + 1:] if a[0] <= b[1] and b[0] <= a[1]]
if bad:
    sys.exit("overlapping ranges (by base): %s" % bad)
PY
); then
        t_pass dma32/plan-disjoint
else
        t_fail dma32/plan-disjoint "$out: $(tr '\n' ' ' <"$w/plan-ranges")"
fi

# --- the guest ----------------------------------------------------------------
t_check dma32/up "$log" '^GUEST: up slot=a arch=x86_64$'
t_check dma32/done "$log" '^GUEST: done$'
no_fault dma32 "$log"
no_kernel_complaint dma32 "$log"

# a's RAM: the active ranges below 1 MiB, its window, its own RAM (the
# in-place range minus its first 2 MiB, the saved low memory).
plan_ranges "$log" active | while IFS=- read -r lo hi; do
        if [ "$(hexnum "$lo")" -lt $((1 << 20)) ]; then
                echo "$lo-$hi"
        fi
done >"$w/want-ram"
if [ -n "${a_win:-}" ] && [ -n "${a_own:-}" ]; then
        echo "$a_win-$a_win_end" >>"$w/want-ram"
        printf '0x%x-%s\n' $(($(hexnum "$a_own") + (2 << 20))) "$a_own_end" >>"$w/want-ram"
fi
guest_section "$log" a | guest_ram - >"$w/guest-ram"
if [ -s "$w/guest-ram" ] && [ -n "${a_win:-}" ] && ranges_equal "$w/guest-ram" "$w/want-ram"; then
        t_pass dma32/guest-ram
else
        t_fail dma32/guest-ram "guest RAM [$(tr '\n' ' ' <"$w/guest-ram")] want [$(tr '\n' ' ' <"$w/want-ram")]"
fi

# No allocation below 4 GiB failed: not the bounce buffer, not GFP_DMA32.
# The whole log is searched: the kernel's early lines reach serial by
# themselves, the later ones through the role's kmsg lines.
bad=$(grep -aiE '(swiotlb.*fail|fail.*swiotlb|software io tlb.*(fail|cannot)|page allocation failure|fail.*GFP_DMA32)' \
        "$w/serial.txt" | head -n 3 || true)
if [ -z "$bad" ] && grep -aq '^GUEST: kmsg ' "$w/serial.txt"; then
        t_pass dma32/no-allocation-failure
else
        t_fail dma32/no-allocation-failure "${bad:-no kernel lines from the guest}"
fi
# The bounce buffer: "software IO TLB: mapped [mem 0xS-0xE] (64MB)", inside
# a's window (Linux 6.1 prints E one past the buffer's last byte).
tlb=$(sed -n 's/.*software IO TLB: mapped \[mem \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\)\].*/\1 \2/p' \
        "$w/serial.txt" | head -n 1)
read -r tlb_lo tlb_hi <<<"${tlb:-x x}" || true
if [ -n "$tlb" ] && [ -n "${a_win:-}" ] && [ "$(hexnum "$tlb_lo")" -ge "$(hexnum "$a_win")" ] &&
        [ "$(hexnum "$tlb_hi")" -le $(($(hexnum "$a_win_end") + 1)) ]; then
        t_pass dma32/swiotlb-in-window
else
        t_fail dma32/swiotlb-in-window "bounce buffer '${tlb:-none}', window '${a_win:-}-${a_win_end:-}'"
fi
t_check dma32/dma32-atomic-pool "$log" '^GUEST: kmsg .*preallocated [0-9]+ KiB GFP_KERNEL[|]GFP_DMA32 pool'
# The DMA32 zone holds the window: all its pages present (the low memory
# below 16 MiB is ZONE_DMA), most of them managed by the page allocator.
zone=$(sed -n 's/^GUEST: zone DMA32 present=\([0-9]*\) managed=\([0-9]*\)$/\1 \2/p' "$w/serial.txt" | head -n 1)
read -r present managed <<<"${zone:-0 0}"
if [ "$present" -eq $((256 << 8)) ] && [ "$managed" -ge $((64 << 8)) ]; then
        t_pass dma32/zone-populated
else
        t_fail dma32/zone-populated "DMA32 zone: '${zone:-no zone line}' pages; want present=$((256 << 8)), managed >= $((64 << 8))"
fi
# QEMU's display (the std VGA, PCI 1234:1111) bound to bochs-drm, which
# initialized its DRM device.
t_check dma32/bochs-bound "$log" '^GUEST: bochs bound 0000:'
t_check dma32/bochs-initialized "$log" '^GUEST: kmsg .*Initialized bochs-drm'

# --- one planner: mkslot on the switcher's memory map -------------------------
grep -a '^memmap: ' "$w/serial.txt" >"$w/memmap.txt" || true
if [ ! -s "$w/memmap.txt" ] || [ ! -x "$build/mkslot" ]; then
        t_fail dma32/mkslot-same-plan "no memmap: lines on serial, or $build/mkslot missing"
else
        mrc=0
        "$build/mkslot" plan --memmap "$w/memmap.txt" "$conf" >"$w/mkslot-plan.txt" 2>"$w/mkslot-plan.err" || mrc=$?
        # (Recovery copies aside: the switcher sizes them from the files it
        # read, which mkslot plan does not read.)
        grep -aE '^plan:   (active|slot) ' "$w/serial.txt" | grep -av '^plan:   slot .* spare 0x' >"$w/switcher-plan.cmp" || true
        grep -E '^plan:   (active|slot) ' "$w/mkslot-plan.txt" >"$w/mkslot-plan.cmp" || true
        if [ "$mrc" = 0 ] && grep -q ' dma32 ' "$w/switcher-plan.cmp" &&
                cmp -s "$w/switcher-plan.cmp" "$w/mkslot-plan.cmp"; then
                t_pass dma32/mkslot-same-plan
        else
                {
                        echo "--- mkslot exit $mrc; stderr:"
                        sed 's/^/    | /' "$w/mkslot-plan.err"
                        echo "--- diff switcher (-) mkslot (+):"
                        diff -u "$w/switcher-plan.cmp" "$w/mkslot-plan.cmp" | sed 's/^/    /'
                } >&2
                t_fail dma32/mkslot-same-plan "mkslot's plan lines differ from the switcher's (or have no dma32 line)"
        fi
fi
t_summary
