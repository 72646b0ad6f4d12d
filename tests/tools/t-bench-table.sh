#!/bin/bash
# t-bench-table.sh BUILD
#
# make bench's table maker (tests/bench/table.sh) on a saved run,
# tests/fixtures/bench/: a hand-made serial log with host timestamps, the
# hotkey presses, QMP events and boot times, whose figures are round numbers
# (see the fixture's lines).  Checked: every row's value and target verdict,
# the in-place row once the menu shows an in-place slot, the causes printed
# next to a figure only when the run's own numbers show them (and left out
# when they do not), and the refusal of a run with a record missing.  No QEMU: this is the cheap part of make bench.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/../ovmf/lib.sh"

build=$(cd "${1:-build}" && pwd)
table=$SW_TOP/tests/bench/table.sh
fix=$SW_TOP/tests/fixtures/bench
w=$build/tools/bench-table
rm -rf "$w"
mkdir -p "$w"

# row NAME OUT REGEX: one line of OUT matches the extended regex.
row() {
        if grep -Eq -- "$3" "$2"; then
                t_pass "bench-table/$1"
        else
                t_fail "bench-table/$1" "no line matching /$3/ in $(basename "$2")"
                sed 's/^/    | /' "$2"
        fi
}

# no_row NAME OUT REGEX: no line of OUT matches (something left out on purpose).
no_row() {
        if grep -Eq -- "$3" "$2"; then
                t_fail "bench-table/$1" "unexpected line: $(grep -E -m1 -- "$3" "$2")"
        else
                t_pass "bench-table/$1"
        fi
}

# variant NAME FILE SED: the fixture with FILE edited by the sed script SED,
# in $w/NAME; its table in $w/NAME.out.
variant() {
        mkdir -p "$w/$1"
        cp "$fix"/* "$w/$1/"
        sed "$3" "$fix/$2" >"$w/$1/$2"
        "$table" "$w/$1" >"$w/$1.out" 2>&1 || true
}

rc=0
"$table" "$fix" >"$w/swap.out" 2>&1 || rc=$?
if [ "$rc" = 0 ]; then
        t_pass bench-table/swap-run
else
        t_fail bench-table/swap-run "table.sh exit status $rc"
fi
o=$w/swap.out
row head "$o" '^make bench: one run, QEMU TCG, -m 1G, no TPM, 256 MiB active region, 2 slots '
row resume "$o" '^resume switch, hotkey -> target userspace \(n=2\) +6000 ms +min 5000, max 7000$'
row cold "$o" '^cold boot of slot b at a switch, hotkey -> userspace +20000 ms *$'
row reboot "$o" '^plain reboot, power-on -> switcher -> slot a \(n=3\) +11500 ms *$'
row direct "$o" '^direct boot, power-on -> OVMF -> EFI stub \(n=3\) +11000 ms *$'
row ratio-swap "$o" '^ratio resume / cold boot, swap slots +0\.30 +target <= 0\.33  ok$'
# From the wake entry on: resumes 1900 and 4100 ms, b's cold boot 17100 ms.
row after-wake-swap "$o" "^  the same from the switcher's wake entry, swap +0\\.18 +target <= 0\\.33  ok\$"
row ratio-inplace-na "$o" '^ratio resume / cold boot, in-place slots +n/a \(none in this run\) target <= 0\.20$'
row ratio-reboot "$o" '^ratio resume / plain reboot +0\.52 +target <= 0\.33  MISSED$'
row overhead "$o" '^switcher boot overhead over direct boot +\+4\.5% +target <= 10%  ok$'
row copy "$o" '^switcher swap copy \(save \+ restore \+ bookkeeping\) +671 MB/s *$'
row memcpy "$o" '^glibc memcpy in the same VM \(64 MiB, best of 3\) +1000 MB/s *$'
row ratio-copy "$o" '^ratio swap copy / memcpy +0\.67 +target >= 0\.8  MISSED$'
# The copy loops (copy.txt): each loop's best round, its median and slowest,
# then the swap's loop over each of the others (best against best).
row copy-head "$o" '^copy loops in one VM, 256 MiB a copy \(best of 7 rounds, taking turns\):$'
row copy-fast "$o" '^  the swap.s own loop, sw_copy_fast \(trampoline\.asm\) +2600 MB/s +median 2400, min 1200$'
row copy-movsb "$o" '^  rep movsb +2000 MB/s +median 1900, min 900$'
row copy-movsq "$o" '^  rep movsq +2080 MB/s +median 2000, min 1000$'
row copy-memcpy "$o" '^  glibc memcpy +1300 MB/s +median 1100, min 500$'
row copy-ratio-movsb "$o" '^  ratio sw_copy_fast / rep movsb +1\.30 *$'
row copy-ratio-movsq "$o" '^  ratio sw_copy_fast / rep movsq +1\.25 *$'
row copy-ratio-memcpy "$o" '^  ratio sw_copy_fast / glibc memcpy +2\.00 *$'
row checksums "$o" '^store checksums per swap switch \(verify \+ record\) +100 of 900 ms switcher time *$'
row press-arm "$o" '^  hotkey seen -> released, request written, alarm armed +100 ms *$'
row arm-s3 "$o" '^  alarm armed -> machine in S3 +200 ms *$'
row k-suspend "$o" '^    guest kernel suspend \(its log: suspend entry -> S3\) +215 ms *$'
row k-arm-s3 "$o" '^    guest: alarm armed -> S3 \(its log\) +230 ms *$'
# The three wake-ups come 0, 100 and 100 ms after the tick each alarm was
# armed for (its "alarm in N ms" line's host time plus N).
row wait "$o" '^  waiting for the RTC wake-up \(QMP SUSPEND -> WAKEUP\) +600 ms +\(aligned to the RTC tick: all 3 wake-ups within 100 ms of it\)$'
row wait-agent "$o" '^    the same, as the agents estimate it \(their log\) +600 ms *$'
# No TPM and a 2 s firmware resume, but nothing in one run measures the
# TPM's part: no cause.
row firmware "$o" '^  firmware S3 resume \(WAKEUP -> switcher.s wake entry\) +2000 ms *$'
row switcher "$o" '^  switcher: checks, save, restore, swap +900 ms *$'
row switcher-inplace-na "$o" '^  switcher: checks, save, restore, in-place +n/a \(none in this run\) *$'
row resume-user "$o" '^  switcher -> target userspace \(resume switches\) +2000 ms *$'
row k-resume "$o" '^    guest kernel resume \(its log: wake -> suspend exit\) +400 ms *$'

# Slot b in-place: its resume (7000 ms) counts against the in-place target,
# a's (5000 ms) against the swap one.
# An older record, without the "tpm" line: the header names no TPM.
mkdir -p "$w/inplace"
cp "$fix"/*.txt "$w/inplace/"
sed -i '/^tpm /d' "$w/inplace/boots.txt"
sed 's/\[b, swap\]$/[b, in-place]/' "$fix/serial.ts" >"$w/inplace/serial.ts"
"$table" "$w/inplace" >"$w/inplace.out" 2>&1 || true
o=$w/inplace.out
row inplace/head "$o" '^make bench: one run, QEMU TCG, -m 1G, 256 MiB active region, 2 slots '
row inplace/firmware "$o" '^  firmware S3 resume \(WAKEUP -> switcher.s wake entry\) +2000 ms *$'
row inplace/ratio-swap "$o" '^ratio resume / cold boot, swap slots +0\.25 +target <= 0\.33  ok$'
row inplace/ratio-inplace "$o" '^ratio resume / cold boot, in-place slots +0\.35 +target <= 0\.20  MISSED$'

# Both kinds in one run, as make bench does it: a in place (its resume, 5000
# ms, against the in-place cold boot of c, 10000 ms), b a swap slot (its
# resume, 7000 ms, against b's cold boot, 20000 ms); a switch between
# in-place slots (632 KiB at 100 MB/s) stays out of the copy rate.
mkdir -p "$w/kinds"
cp "$fix/qmp.txt" "$w/kinds/"
sed 's/^tpm none$/tpm swtpm/' "$fix/boots.txt" >"$w/kinds/boots.txt"
{
        cat "$fix/presses.txt"
        echo "cold-c 1000000080000000"
} >"$w/kinds/presses.txt"
{
        sed 's/\[a, swap\]$/[a, in-place]/' "$fix/serial.ts"
        echo "1000000080100000 GUEST: agent-log switcher-agent: hotkey ctrl+alt+3 pressed; waiting for its release"
        echo "1000000082000000 switcher: S3 wake"
        echo "1000000083000000 switcher: switch 'b' -> 'c': saved 632 KiB, restored 632 KiB in 6320 us (100 MB/s)"
        echo "1000000083000001 switcher: checksums: verify 'c' 1000 us, record 'b' 99000 us; switcher total 900000 us"
        echo "1000000083000002 switcher: checksums: verify 'a' 1000 us, record 'c' 1000 us; switcher total 3000 us"
        echo "1000000090100000 GUEST: up slot=c arch=x86_64"
} >"$w/kinds/serial.ts"
sed -i 's/^\(1000000001100002 .*\)$/\1\n1000000001100003     3) Bench C                          [c, in-place]/' "$w/kinds/serial.ts"
"$table" "$w/kinds" >"$w/kinds.out" 2>&1 || true
o=$w/kinds.out
row kinds/head "$o" '^make bench: one run, QEMU TCG, -m 1G, TPM 2\.0 \(swtpm\), 256 MiB active region, 3 slots '
row kinds/firmware "$o" '^  firmware S3 resume \(WAKEUP -> switcher.s wake entry\) +2000 ms *$'
row kinds/cold-b "$o" '^cold boot of slot b at a switch, hotkey -> userspace +20000 ms *$'
row kinds/cold-c "$o" '^cold boot of slot c at a switch, hotkey -> userspace +10000 ms +in-place$'
row kinds/ratio-swap "$o" '^ratio resume / cold boot, swap slots +0\.35 +target <= 0\.33  MISSED$'
row kinds/ratio-inplace "$o" '^ratio resume / cold boot, in-place slots +0\.50 +target <= 0\.20  MISSED$'
row kinds/after-wake-swap "$o" "^  the same from the switcher's wake entry, swap +0\\.24 +target <= 0\\.33  ok\$"
row kinds/after-wake-inplace "$o" "^  the same from the switcher's wake entry, in-place +0\\.23 +target <= 0\\.20  MISSED\$"
# The switcher's own time per kind: b -> c involves swap slot b (900 ms);
# the c -> a record, both in place here, is the in-place median (3 ms).
row kinds/switcher-swap "$o" '^  switcher: checks, save, restore, swap +900 ms *$'
row kinds/switcher-inplace "$o" '^  switcher: checks, save, restore, in-place +3 ms *$'
row kinds/copy "$o" '^switcher swap copy \(save \+ restore \+ bookkeeping\) +671 MB/s *$'

# One wake-up 600 ms after its armed tick (the third, 71.1 s -> 71.7 s):
# something besides the alarm kept the machine asleep, so the wait gets no
# cause.  The same when no alarm was armed on a tick (the agent's fallback,
# "wake-up alarm in 2 s"): nothing to compare with.
variant late qmp.txt 's/^WAKEUP 1000000071100000$/WAKEUP 1000000071700000/'
row late/wait "$w/late.out" '^  waiting for the RTC wake-up \(QMP SUSPEND -> WAKEUP\) +800 ms *$'
no_row late/no-cause "$w/late.out" 'RTC tick'
variant noalign serial.ts 's/(wake-up alarm in [0-9]* ms, on the RTC.s tick [0-9]*)$/(wake-up alarm in 2 s)/'
row noalign/wait "$w/noalign.out" '^  waiting for the RTC wake-up \(QMP SUSPEND -> WAKEUP\) +600 ms *$'
no_row noalign/no-cause "$w/noalign.out" 'RTC tick'

# An older record without copy.txt: no copy rows at all.
no_row no-copy-record "$w/kinds.out" 'copy loops|sw_copy_fast'

# SW_BENCH_ONLY=copy leaves copy.txt alone: its rows and nothing else.  A
# loop missing from the record shows as "?", and so does its ratio.
mkdir -p "$w/copyonly"
grep -v '^rep_movsq ' "$fix/copy.txt" >"$w/copyonly/copy.txt"
rc=0
"$table" "$w/copyonly" >"$w/copyonly.out" 2>&1 || rc=$?
o=$w/copyonly.out
if [ "$rc" = 0 ] && [ "$(grep -c . "$o")" = 9 ]; then
        t_pass bench-table/copy-only-run
else
        t_fail bench-table/copy-only-run "table.sh exit status $rc, $(grep -c . "$o") lines (want 9)"
        sed 's/^/    | /' "$o"
fi
row copy-only/head "$o" '^make bench, the copy loops alone \(SW_BENCH_ONLY=copy\): QEMU TCG, -kernel boot$'
row copy-only/fast "$o" '^  the swap.s own loop, sw_copy_fast \(trampoline\.asm\) +2600 MB/s +median 2400, min 1200$'
row copy-only/movsq-missing "$o" '^  rep movsq +\? *$'
row copy-only/ratio-movsq-missing "$o" '^  ratio sw_copy_fast / rep movsq +\? *$'
row copy-only/ratio-memcpy "$o" '^  ratio sw_copy_fast / glibc memcpy +2\.00 *$'

# A run without its QMP events is refused, by name.
mkdir -p "$w/noqmp"
cp "$fix/serial.ts" "$fix/presses.txt" "$fix/boots.txt" "$w/noqmp/"
rc=0
"$table" "$w/noqmp" >"$w/noqmp.out" 2>&1 || rc=$?
if [ "$rc" = 1 ] && grep -qx "table.sh: $w/noqmp/qmp.txt is missing" "$w/noqmp.out"; then
        t_pass bench-table/missing-record
else
        t_fail bench-table/missing-record "status $rc, output: $(head -n 2 "$w/noqmp.out" | tr '\n' ' ')"
fi
t_summary
