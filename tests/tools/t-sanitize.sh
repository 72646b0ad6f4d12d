#!/bin/bash
# t-sanitize.sh BUILD
#
# The host unit tests again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (-fno-sanitize-recover=all: the first report
# stops the binary) into BUILD/san/ by "make sanitize-build", then run.  Each
# cmocka test case counts as one PASS/FAIL (san/BINARY/TEST), as the unit
# tests do in run-all.sh; a binary that a sanitizer stops fails the test that
# was running, and one that exits non-zero after its tests (LeakSanitizer)
# fails san/BINARY/exit.  `make sanitize` runs this script.
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

shopt -s nullglob
bins=("$san"/tests/test_*)
shopt -u nullglob
if [ "${#bins[@]}" = 0 ]; then
        t_fail san/build "no unit test binary in $san/tests"
fi
for bin in "${bins[@]}"; do
        [ -x "$bin" ] || continue
        b=$(basename "$bin")
        log=$san/$b.log
        rc=0
        "$bin" >"$log" 2>&1 || rc=$?
        running='' failed=0
        while IFS= read -r line; do
                case $line in
                "[ RUN      ] "*) running=${line#\[ RUN      \] } ;;
                "[       OK ] "*)
                        t_pass "san/$b/${line#\[       OK \] }"
                        running=
                        ;;
                "[  FAILED  ] "*" test(s)"* | "[  FAILED  ] "*"listed below"*) ;;
                "[  FAILED  ] "*)
                        # cmocka lists failures twice: once when they happen.
                        if [ -n "$running" ]; then
                                t_fail "san/$b/$running" "failed (log: $log)"
                                failed=$((failed + 1))
                                running=
                        fi
                        ;;
                esac
        done <"$log"
        if [ -n "$running" ]; then
                # Stopped inside a test: a sanitizer report, or a crash.
                san_report "$log"
                t_fail "san/$b/$running" "stopped by a sanitizer (log: $log)"
        elif [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
                san_report "$log"
                t_fail "san/$b/exit" "exit status $rc after its tests passed (log: $log)"
        fi
done
t_summary
