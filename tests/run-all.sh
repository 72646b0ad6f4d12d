#!/bin/bash
# run-all.sh [BUILD]
#
# Runs every test and prints one total as its last line:
#   1. the host unit tests: BUILD/tests/test_NAME for each tests/unit/test_NAME.c
#      (a binary whose source is gone is not run; one not built fails),
#      through run-unit.sh: each cmocka test case counts once, a binary that
#      records no test or crashes counts as one failure;
#   2. every tests/ovmf/t-*.sh BUILD, t-distro last, and beside t-distro
#      every tests/tools/t-*.sh BUILD (see "The order" below); they add their
#      PASS/FAIL results to a results file through t_pass/t_fail
#      (tests/ovmf/lib-results.sh).  A script that records nothing and does
#      not say it skipped fails, as does one that exits non-zero without
#      recording a failure.
# The last line is exactly "N passed, N failed"; the exit status is 0 only when
# nothing failed.
#
# Environment: SW_TESTS="t-boot t-guest-direct" runs only those scripts (a
# name with no script fails); SW_TEST_TIMEOUT bounds each script (seconds,
# default 1800, or what the script's "# run-all: timeout SECONDS" line says).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
[ -d "$build" ] || mkdir -p "$build"
build=$(cd "$build" && pwd)

pass=0
fail=0

# --- 1. unit tests -----------------------------------------------------------
units=()
for src in "$top"/tests/unit/test_*.c; do
        [ -e "$src" ] || continue
        bin=$build/tests/$(basename "$src" .c)
        if [ -x "$bin" ]; then
                units+=("$bin")
        else
                echo "FAIL: $(basename "$bin"): not built from $src (make unit)"
                fail=$((fail + 1))
        fi
done
if [ "${#units[@]}" -gt 0 ]; then
        unit_out=$("$top/tests/run-unit.sh" "${units[@]}") || true
        printf '%s\n' "$unit_out"
        read -r p f <<<"$(printf '%s\n' "$unit_out" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -n 1)"
        pass=$((pass + ${p:-0}))
        fail=$((fail + ${f:-1}))
fi
echo "run-all: unit: ${#units[@]} binaries, $pass passed, $fail failed"

# --- 2. test scripts (tools, then QEMU + OVMF) -------------------------------
results=$(mktemp)
trap 'rm -f "$results"' EXIT
export SW_RESULTS=$results

if [ ! -f "$build/switcher.efi" ]; then
        echo "FAIL: ovmf/switcher-efi: $build/switcher.efi is missing: build it first (make), the switcher boot tests cannot run"
        echo "fail ovmf/switcher-efi" >>"$results"
        # The scripts' need_switcher sees this and skips without counting twice.
        export SW_SWITCHER_MISSING=1
fi

shopt -s nullglob
scripts=("$top"/tests/tools/t-*.sh "$top"/tests/ovmf/t-*.sh)
shopt -u nullglob
# Every name in SW_TESTS must be a script: a typo would otherwise run nothing
# and pass.
for want in ${SW_TESTS:-}; do
        found=0
        for t in "${scripts[@]}"; do
                [ "$(basename "$t" .sh)" = "$want" ] && found=1
        done
        if [ "$found" = 0 ]; then
                echo "FAIL: SW_TESTS: no test script named '$want' in tests/tools or tests/ovmf"
                echo "fail SW_TESTS/$want" >>"$results"
        fi
done

# The order: the QEMU tests one after the other; then t-distro, with the
# host-only tests (tests/tools: fuzzing, sanitizers, packages, mkslot) in a
# second lane beside it.  t-distro is the longest test and spends most of
# its time in one QEMU, so on 2 cores the host tests' 4 minutes go in its
# shadow.  Its Debian roots take the longest to make on a first run (about
# 20 minutes of mmdebstrap, most of it the i386 packages' scripts under
# qemu-user), so they are made in the background, niced, from the start
# while the other tests run (distro-roots.sh; it exits at once when the
# roots are cached); t-distro's own call waits for that build.
tools=() qemu=() late=()
for t in "${scripts[@]}"; do
        name=$(basename "$t" .sh)
        if [ -n "${SW_TESTS:-}" ] && ! [[ " $SW_TESTS " == *" $name "* ]]; then
                continue
        fi
        case $t in
        */tests/ovmf/t-distro.sh) late+=("$t") ;;
        */tests/tools/*) tools+=("$t") ;;
        *) qemu+=("$t") ;;
        esac
done
if [ "${#late[@]}" -gt 0 ]; then
        mkdir -p "$build/ovmf/distro-roots"
        echo "run-all: building t-distro's Debian roots in the background (log: $build/ovmf/distro-roots/roots.log)"
        nice -n 19 "$top/tests/ovmf/distro-roots.sh" "$build" "$build/ovmf/distro-roots/roots" \
                >/dev/null 2>"$build/ovmf/distro-roots/roots.err" </dev/null &
fi

# run_one SCRIPT RESULTS: runs SCRIPT, its PASS/FAIL/skip lines going to
# RESULTS, and counts a failure when it dies without saying why or records
# nothing.
run_one() {
        local t=$1 res=$2 name before fails_before after fails_after rc=0 t0=$SECONDS limit
        name=$(basename "$t" .sh)
        echo "run-all: $name"
        before=$(wc -l <"$res")
        fails_before=$(grep -c '^fail ' "$res" || true)
        # A script may ask for a longer bound than the default on a line
        # "# run-all: timeout SECONDS" (t-distro: it may wait for its roots).
        limit=${SW_TEST_TIMEOUT:-$(sed -n 's/^# run-all: timeout \([0-9][0-9]*\)$/\1/p' "$t" | head -n 1)}
        limit=${limit:-1800}
        SW_RESULTS=$res timeout -k 10 "$limit" bash "$t" "$build" || rc=$?
        # Each script's wall time, so a slow one shows in the CI log.
        echo "run-all: $name took $((SECONDS - t0)) s"
        after=$(wc -l <"$res")
        fails_after=$(grep -c '^fail ' "$res" || true)
        if [ "$rc" != 0 ] && [ "$fails_after" = "$fails_before" ]; then
                # The script died without recording why: count it.
                if [ "$rc" = 124 ]; then
                        echo "FAIL: $name: timed out after $limit s"
                else
                        echo "FAIL: $name: exited with status $rc without reporting a failure"
                fi
                echo "fail $name" >>"$res"
        elif [ "$after" = "$before" ]; then
                echo "FAIL: $name: recorded no result (no PASS, FAIL or skip)"
                echo "fail $name" >>"$res"
        fi
}

for t in "${qemu[@]}"; do
        run_one "$t" "$results"
done
# The second lane: its own results file and log, shown when it is over.
lane_results=$(mktemp)
lane_log=$(mktemp)
trap 'rm -f "$results" "$lane_results" "$lane_log"' EXIT
if [ "${#tools[@]}" -gt 0 ]; then
        if [ "${#late[@]}" -gt 0 ]; then
                echo "run-all: the host-only tests (${#tools[@]} scripts) run beside t-distro; their output follows it"
        fi
        (
                for t in "${tools[@]}"; do
                        run_one "$t" "$lane_results"
                done
        ) >"$lane_log" 2>&1 </dev/null &
        lane=$!
fi
for t in "${late[@]}"; do
        run_one "$t" "$results"
done
if [ -n "${lane:-}" ]; then
        wait "$lane" || true
        cat "$lane_log"
        cat "$lane_results" >>"$results"
fi

pass=$((pass + $(grep -c '^pass ' "$results" || true)))
fail=$((fail + $(grep -c '^fail ' "$results" || true)))
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
