#!/bin/bash
# t-bench-table.sh BUILD
#
# make bench's table maker (tests/bench/table.sh) on a saved run,
# tests/fixtures/bench/: a hand-made serial log with host timestamps, the
# hotkey presses, QMP events and boot times, whose figures are round numbers
# (see the fixture's lines).  Checked: every row's value and target verdict,
# the in-place row once the menu shows an in-place slot, the causes printed
# next to a figure only when the run's own numbers show them (and left out
# when they do not), and the refusal of a run with a record missing.  Then
# synthetic records of the tboot path next to the S3 one (as make bench runs
# both): its resume and cold-boot rows, issue 13's targets with their two
# terms, the RTC wait and firmware resume named absent, its breakdown kept
# apart from the S3 one, and the scale row from scale.txt (with and without
# it).  The lab bank's rows from synthetic records (alone, in the main
# table, and with a failed step).  No QEMU: this is the cheap part of make
# bench.
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

# The tboot path next to the S3 one (the fixture's a and b), as make bench
# runs it: from b (S3) a cold boot of swap slot e, then through the tboot
# entry f's cold boot (8000 ms from the hotkey, 7600 from the entry), e and
# f resumed (1000 ms each), g's and h's cold boots (in place; h's 6000 ms,
# 5800 from the entry), g and h resumed (300 and 400 ms, 100 and 200 from the
# entry).  No QMP event for those: the tboot path has none.
mkdir -p "$w/paths"
cp "$fix/qmp.txt" "$fix/boots.txt" "$fix/copy.txt" "$w/paths/"
{
        cat "$fix/presses.txt"
        printf '%s\n' "cold-e 1000000100000000" "cold-f 1000000120000000" "resume-e 1000000140000000" \
                "resume-f 1000000150000000" "cold-g 1000000160000000" "cold-h 1000000170000000" \
                "resume-g 1000000180000000" "resume-h 1000000190000000" \
                "lazy-f 1000000200000000" "lazy-g 1000000210000000" "lazy-f 1000000220000000"
} >"$w/paths/presses.txt"
# tb_switch T FROM TO SAVED RESTORED TOTAL_US END: the lines of one switch
# through the tboot entry, from the hotkey seen at T+0.1 s (request at T+0.2
# s) on; END is "cold" or the resume's "TO_RESUMING_US USER_US" stamps.
tb_switch() {
        local t=$1 from=$2 to=$3
        echo "$((t + 100000)) GUEST: agent-log switcher-agent: hotkey ctrl+alt+9 pressed; waiting for its release"
        echo "$((t + 200000)) GUEST: agent-log switcher-agent: suspending to RAM (hand-off through the switcher's tboot entry: no wake-up alarm)"
        echo "$((t + $8)) switcher: slot '$from' entered through its tboot entry: S3 (1 CPUs parked)"
        echo "$((t + $8 + 1)) switcher: slot '$from' suspended; reading its request"
        echo "$((t + $8 + 2)) switcher: switch '$from' -> '$to': saved $4 KiB, restored $5 KiB in 100000 us (1000 MB/s)"
        echo "$((t + $8 + 3)) switcher: checksums: verify '$to' 1000 us, record '$from' 1000 us; switcher total $6 us"
        if [ "$7" = cold ]; then
                echo "$((t + $8 + 4)) switcher: cold boot of slot '$to' (x86_64)"
        else
                echo "$((t + ${7% *})) switcher: resuming slot '$to' at its waking vector 0x991f0"
                echo "$((t + ${7#* })) GUEST: agent-log switcher-agent: resumed after 90 ms"
        fi
}
{
        sed 's/^\(1000000001100002 .*\)$/\1\n1000000001100003     5) Bench E                          [e, swap]\n1000000001100004     6) Bench F                          [f, swap]\n1000000001100005     7) Bench G                          [g, in-place]\n1000000001100006     8) Bench H                          [h, in-place]/' "$fix/serial.ts"
        echo "1000000100100000 GUEST: agent-log switcher-agent: hotkey ctrl+alt+5 pressed; waiting for its release"
        echo "1000000100200000 GUEST: agent-log switcher-agent: suspending to RAM (wake-up alarm in 800 ms, on the RTC's tick 1324)"
        echo "1000000103000000 switcher: S3 wake"
        echo "1000000103000001 switcher: switch 'b' -> 'e': saved 262144 KiB, restored 11264 KiB in 200000 us (1400 MB/s)"
        echo "1000000103000002 switcher: checksums: verify 'e' 0 us, record 'b' 100000 us; switcher total 400000 us"
        echo "1000000103000003 switcher: cold boot of slot 'e' (x86_64)"
        echo "1000000110100000 GUEST: up slot=e arch=x86_64"
        tb_switch 1000000120000000 e f 262144 11264 400000 cold 500000
        echo "1000000128100000 GUEST: up slot=f arch=x86_64"
        echo "1000000140150000 GUEST: kmsg slot=f 20000000 switcher-agent: suspending to RAM (hand-off through the switcher's tboot entry: no wake-up alarm)"
        echo "1000000140160000 GUEST: kmsg slot=f 20010000 PM: suspend entry (deep)"
        tb_switch 1000000140000000 f e 262144 262144 500000 "900000 1100000" 400000
        tb_switch 1000000150000000 e f 262144 262144 500000 "900000 1100000" 400000
        echo "1000000151200000 GUEST: kmsg slot=f 20090000 ACPI: PM: Low-level resume complete"
        echo "1000000151300000 GUEST: kmsg slot=f 20190000 PM: suspend exit"
        tb_switch 1000000160000000 f g 262144 11264 400000 cold 400000
        echo "1000000168100000 GUEST: up slot=g arch=x86_64"
        tb_switch 1000000170000000 g h 632 11264 20000 cold 300000
        echo "1000000176100000 GUEST: up slot=h arch=x86_64"
        tb_switch 1000000180000000 h g 632 632 3000 "350000 400000" 300000
        tb_switch 1000000190000000 g h 632 632 3000 "350000 500000" 300000
        # The lazy save: f's RAM still in the active region, so h -> f,
        # f -> g and g -> f move only the low memory (600, 400 and 600 ms
        # from the hotkey seen; switcher totals 5, 4 and 5 ms).
        tb_switch 1000000200000000 h f 632 632 5000 "350000 700000" 400000
        tb_switch 1000000210000000 f g 632 632 4000 "350000 500000" 400000
        tb_switch 1000000220000000 g f 632 632 5000 "350000 700000" 400000
} >"$w/paths/serial.ts"
# The scale runs: at 1 GiB resumes of 2000 and 2200 ms (and a cold boot,
# left out), at 2 GiB 4000 and 4200 ms; with this run's 500 ms at 256 MiB,
# the least-squares growth is 2054 ms per GiB, against memcpy's 2147 (2 GiB
# at 1000 MB/s).
scale_lines() { # MIB SAVED_KIB TOTAL_US...: a cold boot of b, then resumes
        local m=$1 kib=$2 t
        shift 2
        echo "$m switcher: slot 'a' entered through its tboot entry: S3 (1 CPUs parked)"
        echo "$m switcher: switch 'a' -> 'b': saved $kib KiB, restored 11264 KiB in 900000 us (1000 MB/s)"
        echo "$m switcher: checksums: verify 'b' 0 us, record 'a' 1000 us; switcher total 1500000 us"
        echo "$m switcher: cold boot of slot 'b' (x86_64)"
        for t in "$@"; do
                echo "$m switcher: slot 'b' entered through its tboot entry: S3 (1 CPUs parked)"
                echo "$m switcher: switch 'b' -> 'a': saved $kib KiB, restored $kib KiB in 900000 us (1000 MB/s)"
                echo "$m switcher: checksums: verify 'a' 1000 us, record 'b' 1000 us; switcher total $t us"
                echo "$m switcher: resuming slot 'a' at its waking vector 0x991f0"
        done
}
{
        scale_lines 1024 1048576 2000000 2200000
        scale_lines 2048 2097152 4000000 4200000
} >"$w/paths/scale.txt"
rc=0
"$table" "$w/paths" >"$w/paths.out" 2>&1 || rc=$?
o=$w/paths.out
if [ "$rc" = 0 ]; then
        t_pass bench-table/paths-run
else
        t_fail bench-table/paths-run "table.sh exit status $rc"
fi
row paths/head "$o" '^make bench: one run, QEMU TCG, -m 1G, no TPM, 256 MiB active region, 6 slots '
row paths/s3-head "$o" '^the S3 path \(handoff s3: RTC alarm, firmware S3 resume\):$'
# The S3 path's rows keep only its own switches: a's and b's resumes, and
# e's cold boot reached from b.
row paths/s3-resume "$o" '^resume switch, hotkey -> target userspace \(n=2\) +6000 ms +min 5000, max 7000$'
row paths/s3-resume-swap "$o" '^  swap slots \(n=2\) +6000 ms +min 5000, max 7000$'
row paths/s3-cold-e "$o" '^cold boot of slot e at a switch, hotkey -> userspace +10000 ms *$'
row paths/s3-ratio-swap "$o" '^ratio resume / cold boot, swap slots +0\.30 +target <= 0\.33  ok$'
row paths/tb-head "$o" "^the tboot path \\(the switcher's tboot entry: no alarm, no firmware\\):\$"
row paths/tb-resume "$o" '^tboot resume switch, hotkey -> target userspace \(n=4\) +700 ms +min 300, max 1000$'
row paths/tb-resume-swap "$o" '^  swap slots \(n=2\) +1000 ms +min 1000, max 1000$'
row paths/tb-resume-inplace "$o" '^  in-place slots \(n=2\) +350 ms +min 300, max 400$'
row paths/tb-cold-f "$o" '^cold boot of slot f at a switch, hotkey -> userspace +8000 ms *$'
row paths/tb-cold-h "$o" '^cold boot of slot h at a switch, hotkey -> userspace +6000 ms +in-place$'
# The targets: 350 / 6000 misses 1/20; 1000 / 8000 is exactly 1/8.
row paths/tb-ratio-inplace "$o" '^ratio tboot resume / cold boot of h, in-place +0\.058 \(350 / 6000 ms\) +target <= 1/20 \(0\.050\)  MISSED$'
row paths/tb-ratio-swap "$o" '^ratio tboot resume / cold boot of f, swap \(256 MiB\) +0\.125 \(1000 / 8000 ms\) +target <= 1/8 \(0\.125\)  ok$'
row paths/tb-entry-inplace "$o" "^  the same from the switcher's tboot entry, in-place +0\\.026 \\(150 / 5800 ms\\) +target <= 1/20 \\(0\\.050\\)  ok\$"
row paths/tb-entry-swap "$o" "^  the same from the switcher's tboot entry, swap +0\\.092 \\(700 / 7600 ms\\) +target <= 1/8 \\(0\\.125\\)  ok\$"
row paths/tb-vs-s3-swap "$o" '^ratio tboot resume / S3 resume, swap slots +0\.17 +target <= 1  ok$'
row paths/tb-vs-s3-inplace "$o" '^ratio tboot resume / S3 resume, in-place slots +\? *$'
# The lazy save's round trip (f <-> g, both hotkey -> userspace medians)
# against twice the tboot swap resume, and the switcher's part of it.
row paths/lazy-round-trip "$o" '^lazy round trip swap -> in-place -> swap \(n=3\) +1000 ms +back to swap 600 ms, to in-place 400 ms$'
row paths/lazy-vs-swap "$o" '^swap <-> swap round trip \(two swap resumes\) +2000 ms *$'
row paths/lazy-ratio "$o" '^ratio lazy / swap <-> swap round trip +0\.50 +target <= 1  ok$'
row paths/lazy-switcher "$o" '^  switcher part of a lazy switch \(median\) +5 ms *$'
# Where a tboot switch goes: the request at +0.2 s, the entry 0.1-0.3 s
# later (median 200 ms); the two S3 figures absent by name.
row paths/tb-press-arm "$o" '^  hotkey seen -> released, request written \(no alarm\) +100 ms *$'
row paths/tb-arm-entry "$o" "^  request written -> the switcher's tboot entry +200 ms *\$"
row paths/tb-k-suspend "$o" '^    guest kernel suspend \(its log: entry -> hand-off\) +80 ms *$'
row paths/tb-k-arm "$o" '^    guest: request written -> hand-off \(its log\) +90 ms *$'
row paths/tb-wait-absent "$o" '^  waiting for the RTC wake-up +absent +\(no alarm on this path\)$'
row paths/tb-firmware-absent "$o" '^  firmware S3 resume +absent +\(no firmware on this path\)$'
# Swap: f's and g's cold boots (400 ms), e's and f's resumes (500); in
# place: h's cold boot (20 ms), g's and h's resumes (3).
row paths/tb-switcher-swap "$o" '^  switcher: checks, save, restore, swap +450 ms *$'
row paths/tb-switcher-inplace "$o" '^  switcher: checks, save, restore, in-place +3 ms *$'
row paths/tb-resume-user "$o" '^  switcher -> target userspace \(resume switches\) +175 ms *$'
row paths/tb-k-resume "$o" '^    guest kernel resume \(its log: wake -> suspend exit\) +100 ms *$'
# The S3 breakdown keeps to its own switches: b -> e (400 ms) is one, with
# the fixture's 900, 1000 and 800; the tboot ones are not.
row paths/s3-switcher-swap "$o" '^  switcher: checks, save, restore, swap +850 ms *$'
row paths/s3-press-arm "$o" '^  hotkey seen -> released, request written, alarm armed +100 ms *$'
row paths/scale-head "$o" "^the switcher's part of a swap resume switch, by active region \\(tboot path\\):\$"
row paths/scale-256 "$o" '^  256 MiB active \(this run, n=2\) +500 ms *$'
row paths/scale-1g "$o" '^  1 GiB active \(scale run, n=2\) +2100 ms *$'
row paths/scale-2g "$o" '^  2 GiB active \(scale run, n=2\) +4100 ms *$'
row paths/scale-growth "$o" '^  growth per GiB of active region, the switcher +2054 ms/GiB +least squares over the points$'
row paths/scale-memcpy "$o" '^  growth per GiB, memcpy \(2 GiB moved per GiB\) +2147 ms/GiB +at 1000 MB/s$'
row paths/scale-ratio "$o" '^  ratio switcher / memcpy growth +0\.96 *$'
# A run with S3 switches only (the fixture) names the tboot path as absent
# and prints no tboot breakdown and no scale rows.
row s3only/tboot-na "$w/swap.out" '^the tboot path +n/a \(none in this run\) *$'
no_row s3only/no-tboot-breakdown "$w/swap.out" 'tboot-path switch goes|absent|by active region'
# A tboot run missing its scale record (SW_BENCH_SCALE=) has the 256 MiB
# point alone: no growth to fit.
mkdir -p "$w/noscale"
cp "$w/paths"/*.txt "$w/paths/serial.ts" "$w/noscale/"
rm "$w/noscale/scale.txt"
"$table" "$w/noscale" >"$w/noscale.out" 2>&1 || true
row noscale/256 "$w/noscale.out" '^  256 MiB active \(this run, n=2\) +500 ms *$'
row noscale/growth "$w/noscale.out" '^  growth per GiB of active region, the switcher +\? '
no_row noscale/no-1g "$w/noscale.out" '1 GiB active'

# The tboot slots alone (bench.sh's run without a TPM): the S3 path named
# absent, its rows and breakdown left out, the tboot rows as before.
mkdir -p "$w/tbonly"
awk '$1 < 1000000002000000 || $1 > 1000000115000000' "$w/paths/serial.ts" >"$w/tbonly/serial.ts"
grep -v '^resume-[ab] \|^cold-[be] ' "$w/paths/presses.txt" >"$w/tbonly/presses.txt"
: >"$w/tbonly/qmp.txt"
printf 'mem 4G\ntpm none\n' >"$w/tbonly/boots.txt"
"$table" "$w/tbonly" >"$w/tbonly.out" 2>&1 || true
o=$w/tbonly.out
row tbonly/s3-na "$o" '^the S3 path +n/a \(none in this run\) *$'
no_row tbonly/no-s3-rows "$o" '^resume switch, |QMP SUSPEND|firmware S3 resume \(WAKEUP'
row tbonly/tb-ratio-swap "$o" '^ratio tboot resume / cold boot of f, swap \(256 MiB\) +0\.125 \(1000 / 8000 ms\) '
row tbonly/tb-firmware-absent "$o" '^  firmware S3 resume +absent +\(no firmware on this path\)$'

# The lab bank (snapshot.txt): synthetic rounds whose medians are round
# numbers.  Save 4000 ms for 192 MiB (48 MiB/s) against dd's 2000 ms for the
# same bytes: twice dd's time per byte; restore 6000 ms against dd's 1500.
snap_records() { # DIR [EXTRA LINE]: the lab bank's records in DIR
        mkdir -p "$1"
        {
                echo "fs-used 65536"
                for k in 1 2 3; do
                        echo "save $k $((3900 + 100 * (k % 3))) 201326592"
                        echo "ddwrite $k $((1900 + 100 * (k % 3))) 201326592"
                        echo "restore $k $((5900 + 100 * (k % 3))) 201326592"
                        echo "ddread $k $((1400 + 100 * (k % 3))) 201326592"
                        echo "sha256 $k $((7900 + 100 * (k % 3))) 201326592"
                        echo "phase save $k $((2900 + 100 * (k % 3))) 1000"
                        echo "phase restore $k 2000 $((2900 + 100 * (k % 3))) 1000"
                done
                [ -z "${2:-}" ] || echo "$2"
                printf 'done\nmem 2G\nslot-mib 256\nvalid yes\npart ram 134217728\npart fs 67108864\n'
        } >"$1/snapshot.txt"
}
snap_records "$w/snap"
"$table" "$w/snap" >"$w/snap.out" 2>&1 || true
o=$w/snap.out
row snap/alone "$o" '^make bench, the lab bank alone \(SW_BENCH_ONLY=snapshot\): QEMU TCG, -m 2G, tboot swap slots$'
row snap/head "$o" '^the lab bank: snapshot of a 256 MiB slot, its file system 64\.0 MiB used, against dd on the same disk \(medians of 3 rounds, cold page cache\):$'
row snap/file "$o" '^  snapshot file: RAM \(non-zero pages\) \+ fs \(used blocks\) +128 \+ 64 MiB +verified on the host$'
row snap/save "$o" '^  snapshot save \(switchctl snapshot save\) +4000 ms, 48\.0 MiB/s +192\.0 MiB$'
row snap/save-phases "$o" "^    RAM part \+ the partition's used blocks +3000 \+ 1000 ms *\$"
row snap/restore-phases "$o" "^    check pass \+ write pass \+ the switcher's adoption +2000 \+ 3000 \+ 1000 ms *\$"
row snap/ddwrite "$o" '^  dd of the same bytes into a file \(conv=fsync\) +2000 ms, 96\.0 MiB/s +192\.0 MiB$'
row snap/save-ratio "$o" '^  ratio save / dd, time per byte +2\.00 \(4000 / 2000 ms\) *$'
row snap/restore "$o" '^  snapshot restore \(switchctl, with the adoption\) +6000 ms, 32\.0 MiB/s +192\.0 MiB$'
row snap/ddread "$o" '^  dd of the same bytes from that file +1500 ms, 128\.0 MiB/s +192\.0 MiB$'
row snap/restore-ratio "$o" '^  ratio restore / dd, time per byte +4\.00 \(6000 / 1500 ms\) *$'
row snap/sha256 "$o" '^  sha256sum of the snapshot file \(busybox\) +8000 ms, 24\.0 MiB/s +192\.0 MiB$'
no_row snap/no-failure "$o" 'a step failed|\?'
# A run whose restore failed in its second round: the row says which, and
# the medians are of the rounds there are.
snap_records "$w/snapfail" "rc restore 2 1"
sed -i '/^restore [23] \|^ddread [23] /d' "$w/snapfail/snapshot.txt"
"$table" "$w/snapfail" >"$w/snapfail.out" 2>&1 || true
row snapfail/failed "$w/snapfail.out" '^  a step failed +restore round 2 status 1 *$'
row snapfail/restore-one "$w/snapfail.out" '^  snapshot restore \(switchctl, with the adoption\) +6000 ms, '
# With the main run's records, the lab bank's rows join the main table.
cp "$w/snap/snapshot.txt" "$w/paths/"
"$table" "$w/paths" >"$w/paths-snap.out" 2>&1 || true
row snap/in-main-table "$w/paths-snap.out" '^  ratio save / dd, time per byte +2\.00 \(4000 / 2000 ms\) *$'
no_row snap/not-in-older-runs "$w/paths.out" 'the lab bank'

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
