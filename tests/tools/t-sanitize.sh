#!/bin/bash
# t-sanitize.sh BUILD
#
# The host unit tests again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (-fno-sanitize-recover=all: the first report
# stops the binary) into BUILD/san/ by "make sanitize-build", then run.  One
# PASS/FAIL per binary (san/test_NAME, for each tests/unit/test_NAME.c): the
# cases themselves are counted once already, by run-all.sh's unit run; here
# a binary passes when run-unit.sh finds every case passed and the binary
# exited 0 (LeakSanitizer's report makes it exit non-zero after its tests);
# a failure shows the sanitizer's own words.  `make sanitize` runs this script.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/../ovmf/lib.sh"

build=${1:-build}
mkdir -p "$build"
build=$(cd "$build" && pwd)
san=$build/san
mkdir -p "$san"

if ! sw_make "$build" "$san/build.log" sanitize-build; then
        tail -n 30 "$san/build.log" | sed 's/^/    | /'
        t_fail san/build "the unit tests do not build with -fsanitize=address,undefined (log: $san/build.log)"
        t_summary
        exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# san_report LOG: the sanitizer's own words.
san_report() {
        grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY:' "$1" | head -n 8 | sed 's/^/    | /'
}

n=0
for src in "$SW_TOP"/tests/unit/test_*.c; do
        [ -e "$src" ] || continue
        b=$(basename "$src" .c)
        bin=$san/tests/$b
        log=$san/$b.log
        n=$((n + 1))
        if [ ! -x "$bin" ]; then
                t_fail "san/$b" "$bin was not built (log: $san/build.log)"
        elif "$SW_TOP/tests/run-unit.sh" "$bin" >"$log" 2>&1; then
                echo "sanitize: $b: $(tail -n 1 "$log")"
                t_pass "san/$b"
        else
                san_report "$log"
                t_fail "san/$b" "$(grep -E '^FAIL: |^\[  FAILED  \] [a-z]' "$log" | head -n 3 | tr '\n' ' ')(log: $log)"
        fi
done
[ "$n" -gt 0 ] || t_fail san/build "no tests/unit/test_*.c to build"
t_summary
