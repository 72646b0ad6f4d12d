#!/bin/bash
# t-fuzz.sh BUILD
#
# The fuzzing smoke run of make test: builds every libFuzzer target (clang;
# without it this FAILs with the apt-get line), replays each target's seeds
# and every input kept in tests/fuzz/regress/ (none may crash), then fuzzes
# each target for SW_FUZZ_SMOKE_SECONDS (default 10) seconds.  One PASS/FAIL
# line per step and target; tests/fuzz/run-fuzz.sh does the work (make fuzz runs
# it for longer).
set -eu
FUZZ_SECONDS=${SW_FUZZ_SMOKE_SECONDS:-10} exec "$(dirname "$0")/../fuzz/run-fuzz.sh" "${1:-build}"
