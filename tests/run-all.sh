#!/bin/bash
# run-all.sh [BUILD]
#
# Runs every test and prints one total as its last line:
#   1. the host unit tests BUILD/tests/test_* (cmocka): each test case counts,
#      read from cmocka's "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)"
#      lines; a binary that crashes or prints no summary counts as one failure;
#   2. every tests/ovmf/t-*.sh BUILD (QEMU + OVMF), which add their PASS/FAIL
#      results to a shared results file through t_pass/t_fail (lib.sh).
# The last line is exactly "N passed, N failed"; the exit status is 0 only when
# nothing failed.
#
# Environment: SW_TESTS="t-boot t-guest-direct" runs only those OVMF scripts;
# SW_TEST_TIMEOUT bounds each OVMF script (seconds, default 1800).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
[ -d "$build" ] || mkdir -p "$build"
build=$(cd "$build" && pwd)

pass=0
fail=0

# --- 1. unit tests -----------------------------------------------------------
unit_one() {
        local bin=$1 out rc=0 p f
        out=$(mktemp)
        "$bin" >"$out" 2>&1 || rc=$?
        cat "$out"
        p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' "$out" | awk '{s += $1} END {print s + 0}')
        f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' "$out" | awk '{s += $1} END {print s + 0}')
        rm -f "$out"
        if [ "$p" = 0 ] && [ "$f" = 0 ]; then
                # No cmocka summary at all: a crash, or not a cmocka binary.
                if [ "$rc" = 0 ]; then
                        p=1
                else
                        f=1
                        echo "FAIL: $(basename "$bin"): exit status $rc and no cmocka summary"
                fi
        elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
                f=1
                echo "FAIL: $(basename "$bin"): exit status $rc although cmocka reported no failure"
        fi
        pass=$((pass + p))
        fail=$((fail + f))
}

shopt -s nullglob
units=("$build"/tests/test_*)
shopt -u nullglob
nunit=0
for bin in "${units[@]}"; do
        if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
                continue
        fi
        case $bin in *.o | *.d) continue ;; esac
        unit_one "$bin"
        nunit=$((nunit + 1))
done
echo "run-all: unit: $nunit binaries, $pass passed, $fail failed"

# --- 2. QEMU + OVMF tests ----------------------------------------------------
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
for t in "${scripts[@]}"; do
        name=$(basename "$t" .sh)
        if [ -n "${SW_TESTS:-}" ] && ! [[ " $SW_TESTS " == *" $name "* ]]; then
                continue
        fi
        echo "run-all: $name"
        before=$(grep -c '^fail ' "$results" || true)
        rc=0
        timeout -k 10 "${SW_TEST_TIMEOUT:-1800}" bash "$t" "$build" || rc=$?
        after=$(grep -c '^fail ' "$results" || true)
        if [ "$rc" != 0 ] && [ "$after" = "$before" ]; then
                # The script died without recording why: count it.
                if [ "$rc" = 124 ]; then
                        echo "FAIL: $name: timed out after ${SW_TEST_TIMEOUT:-1800} s"
                else
                        echo "FAIL: $name: exited with status $rc without reporting a failure"
                fi
                echo "fail $name" >>"$results"
        fi
done

pass=$((pass + $(grep -c '^pass ' "$results" || true)))
fail=$((fail + $(grep -c '^fail ' "$results" || true)))
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
