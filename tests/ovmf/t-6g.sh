#!/bin/bash
# t-6g.sh BUILD
#
# A machine with RAM above 4 GiB: OVMF on q35 with -m 6G has 2 GiB below
# 4 GiB and 4 GiB above.  With a 512 MiB active region at the bottom, both
# slots' 512 MiB stores go above 4 GiB while the resident block (wake code,
# ACPI copies, mailbox) stays below it.  The default slot boots inside its
# active region and sees its own RSDP copy.  Then mkslot, fed the memory map
# the switcher printed on serial, must print the very same plan: the host
# tool and the firmware share one planner.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_test 6g "${1:-build}"
cat >"$w/partitions.conf" <<'CONF'
timeout 0
default a
active-size 512M
console both

slot a
title Above 4G test A
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=boot sw.part=slot-a
partition PARTLABEL=slot-a

slot b
title Above 4G test B (preloaded, not started)
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=boot sw.part=slot-b
partition PARTLABEL=slot-b
CONF
conf=$w/partitions.conf
sw_disk "$w" a b

log=$w/serial.log
qemu_boot 6g/exit 6g 6G 240 "$w/disk.img" "$log" || true
tr -d '\r' <"$log" >"$w/serial.txt"

t_check 6g/plan "$log" '^plan: active region 512 MiB in [0-9]+ range'

# store_base ID: the base of slot ID's store in the switcher's plan (hex).
store_base() {
        sed -n "s/^plan:   slot $1 *store \\(0x[0-9a-f]*\\)-0x[0-9a-f]*  512 MiB\$/\\1/p" "$w/serial.txt"
}
for id in a b; do
        base=$(store_base "$id")
        if [ -n "$base" ] && [ "$(hexnum "$base")" -ge $((1 << 32)) ]; then
                t_pass "6g/store-$id-above-4G"
        else
                t_fail "6g/store-$id-above-4G" "plan line: '$(grep "^plan:   slot $id " "$w/serial.txt" || true)'"
        fi
done
res_end=$(sed -n 's/^plan:   resident 0x[0-9a-f]*-\(0x[0-9a-f]*\).*/\1/p' "$w/serial.txt")
if [ -n "$res_end" ] && [ "$(hexnum "$res_end")" -lt $((1 << 32)) ]; then
        t_pass 6g/resident-below-4G
else
        t_fail 6g/resident-below-4G "resident line: '$(grep '^plan:   resident' "$w/serial.txt" || true)'"
fi
# The active region is what the config asked for, all of it below 4 GiB
# here (the bottom of RAM), and no store overlaps it.
plan_ranges "$log" active >"$w/plan-active"
{
        for id in a b; do
                sed -n "s/^plan:   slot $id *store \\(0x[0-9a-f]*-0x[0-9a-f]*\\) .*/\\1/p" "$w/serial.txt"
        done
} >"$w/plan-stores"
if [ "$(wc -l <"$w/plan-stores")" != 2 ]; then
        t_fail 6g/stores-disjoint "expected 2 store lines, got: $(tr '\n' ' ' <"$w/plan-stores")"
elif out=$(python3 - "$w/plan-active" "$w/plan-stores" 2>&1 <<'PY'
import sys
def rd(p):
    return [tuple(int(x, 16) for x in l.strip().split("-")) for l in open(p) if l.strip()]
allr = rd(sys.argv[1]) + rd(sys.argv[2])
bad = [(hex(a[0]), hex(b[0])) for i, a in enumerate(allr) for b in allr[i + 1:]
       if a[0] <= b[1] and b[0] <= a[1]]
if bad:
    sys.exit("overlapping ranges (by base): %s" % bad)
PY
); then
        t_pass 6g/stores-disjoint
else
        t_fail 6g/stores-disjoint "$out active: $(tr '\n' ' ' <"$w/plan-active") stores: $(tr '\n' ' ' <"$w/plan-stores")"
fi

t_check 6g/up "$log" '^GUEST: up slot=a arch=x86_64$'
t_check 6g/done "$log" '^GUEST: done$'

check_ram_inside_active 6g "$log" a "$w"
# The guest sees (nearly) the whole active region: at most 1 MiB less (the
# kernel hides page 0 and pieces under its own reservations are still RAM).
ram_total=$(ranges_norm <"$w/guest-ram" | awk '{s += $2 - $1 + 1} END {print s + 0}')
if [ "$ram_total" -le $((512 << 20)) ] && [ "$ram_total" -ge $(((512 - 1) << 20)) ]; then
        t_pass 6g/ram-size
else
        t_fail 6g/ram-size "guest RAM totals $ram_total bytes, expected about 512 MiB"
fi

check_rsdp_copy 6g "$log" a
check_file 6g/file-written "$w/disk.img" slot-a /sw-test.txt "slot=a boot=1"

# --- one planner: mkslot on the switcher's own memory map ---------------------
# The switcher prints the map it planned on as "memmap:" lines.  mkslot plans
# on them with the same config; the active region and the stores must come
# out identical.  (The switcher also keeps its own image out of the plan,
# which mkslot cannot know; should the image sit where a store would go the
# lines would differ, and this check says where.)
grep '^memmap: ' "$w/serial.txt" >"$w/memmap.txt" || true
if [ ! -s "$w/memmap.txt" ] || [ ! -x "$build/mkslot" ]; then
        t_fail 6g/mkslot-same-plan "no memmap: lines on serial, or $build/mkslot missing"
else
        mrc=0
        "$build/mkslot" plan --memmap "$w/memmap.txt" "$conf" >"$w/mkslot-plan.txt" 2>"$w/mkslot-plan.err" || mrc=$?
        # (Recovery copies aside: the switcher sizes them from the files it
        # read, which mkslot plan does not read.)
        grep -E '^plan:   (active|slot) ' "$w/serial.txt" | grep -Ev '^plan:   slot .* spare 0x' \
                >"$w/switcher-plan.cmp" || true
        grep -E '^plan:   (active|slot) ' "$w/mkslot-plan.txt" >"$w/mkslot-plan.cmp" || true
        if [ "$mrc" = 0 ] && [ -s "$w/switcher-plan.cmp" ] && cmp -s "$w/switcher-plan.cmp" "$w/mkslot-plan.cmp"; then
                t_pass 6g/mkslot-same-plan
        else
                {
                        echo "--- mkslot exit $mrc; stderr:"
                        sed 's/^/    | /' "$w/mkslot-plan.err"
                        echo "--- diff switcher (-) mkslot (+):"
                        diff -u "$w/switcher-plan.cmp" "$w/mkslot-plan.cmp" | sed 's/^/    /'
                        grep '^plan:' "$w/serial.txt" | sed 's/^/    switcher| /'
                } >&2
                t_fail 6g/mkslot-same-plan "mkslot's active/store lines differ from the switcher's"
        fi
        # The header and the resident block, for the record (the resident
        # block may legitimately differ: the switcher avoids its own image).
        s_head=$(grep -E '^plan: active region' "$w/serial.txt" || true)
        m_head=$(grep -E '^plan: active region' "$w/mkslot-plan.txt" || true)
        if [ -n "$s_head" ] && [ "$s_head" = "$m_head" ]; then
                t_pass 6g/mkslot-same-header
        else
                t_fail 6g/mkslot-same-header "switcher '$s_head', mkslot '$m_head'"
        fi
        s_res=$(grep -E '^plan:   resident' "$w/serial.txt" || true)
        m_res=$(grep -E '^plan:   resident' "$w/mkslot-plan.txt" || true)
        echo "6g: resident: switcher '$s_res', mkslot '$m_res'"
fi

# mkslot's help says the serial log can be given as it is: the map lines are
# picked out of the boot output around them.
if [ -x "$build/mkslot" ]; then
        mrc=0
        "$build/mkslot" plan --memmap "$log" "$conf" >"$w/mkslot-raw.txt" 2>"$w/mkslot-raw.err" || mrc=$?
        if [ "$mrc" = 0 ] && cmp -s "$w/mkslot-plan.txt" "$w/mkslot-raw.txt"; then
                t_pass 6g/mkslot-reads-raw-serial-log
        else
                t_fail 6g/mkslot-reads-raw-serial-log "mkslot plan --memmap on the raw serial log: exit $mrc: $(head -n 3 "$w/mkslot-raw.err")"
        fi
fi
t_summary
