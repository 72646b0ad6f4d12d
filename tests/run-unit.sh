#!/bin/bash
# run-unit.sh BINARY...
#
# Runs host unit-test binaries (cmocka) and counts every test case once, from
# cmocka's own summary lines ("[  PASSED  ] N test(s)." and "[  FAILED  ] N
# test(s)"; a binary with several groups prints several).  A binary that
# records nothing (no summary, or a summary of zero tests: a crash before the
# first test, or not a cmocka binary) is one failure even when it exits 0,
# and one that exits non-zero although cmocka reported no failure (a crash
# after its tests) is one failure.  The output of each binary is shown; the
# last line is "unit: N passed, N failed"; exit status 0 when none failed.
# Used by `make unit`, run-all.sh and t-sanitize.sh.
set -u
pass=0 fail=0
for bin in "$@"; do
        out=$(mktemp)
        rc=0
        "$bin" >"$out" 2>&1 || rc=$?
        cat "$out"
        p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
        f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
        rm -f "$out"
        if [ "$p" = 0 ] && [ "$f" = 0 ]; then
                f=1
                echo "FAIL: $(basename "$bin"): exit status $rc and no test recorded (no cmocka summary)"
        elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
                f=1
                echo "FAIL: $(basename "$bin"): exit status $rc although cmocka reported no failure"
        fi
        pass=$((pass + p))
        fail=$((fail + f))
done
echo "unit: $pass passed, $fail failed"
[ "$fail" = 0 ]
