#!/bin/sh
# Runs every host unit test binary given; prints cmocka's output and a total.
# Exit status: 0 when all pass.
set -u
pass=0 fail=0
for t in "$@"; do
        if "$t"; then
                pass=$((pass + 1))
        else
                echo "FAIL: $t" >&2
                fail=$((fail + 1))
        fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" = 0 ]
