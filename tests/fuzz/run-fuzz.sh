#!/bin/bash
# run-fuzz.sh BUILD
#
# Builds the libFuzzer targets (make fuzz-build: clang, ASan + UBSan) and, for
# each tests/fuzz/fuzz_NAME.c:
#   1. seeds: BUILD/fuzz/seeds/NAME/ gets the files named on the target's
#      " * Seeds:" header line (globs from the top of the tree; text from a
#      '(' on is a comment) and whatever "fuzz_NAME --write-seeds=DIR" writes;
#   2. replay (fuzz/NAME/replay): every seed and every input kept in
#      tests/fuzz/regress/NAME/ runs once; none may crash;
#   3. fuzz (fuzz/NAME): FUZZ_SECONDS seconds from the corpus
#      BUILD/fuzz/corpus/NAME/ (kept between runs), the seeds and the
#      regressions, with tests/fuzz/fuzz_NAME.dict when there is one.  Prints
#      "fuzz: NAME: N runs, cov C, ft F, corpus K, crashes X".
# A crashing input is written to BUILD/fuzz/crashes/NAME/: reproduce it with
# "BUILD/fuzz/fuzz_NAME FILE", fix the bug, add a unit test, and keep the input
# in tests/fuzz/regress/NAME/.
#
# Results go through tests/ovmf/lib.sh (t_pass/t_fail, so run-all.sh counts
# them); the last line is the t_summary.  Exit status 0 when nothing failed.
#
# Environment: FUZZ_SECONDS (default 120), FUZZ_CC (default clang),
# FUZZ_TARGETS="config mailbox" to run only those.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/../ovmf/lib.sh"

build=${1:-build}
mkdir -p "$build"
build=$(cd "$build" && pwd)
top=$SW_TOP
secs=${FUZZ_SECONDS:-120}
cc=${FUZZ_CC:-clang}
fz=$build/fuzz

if ! command -v "$cc" >/dev/null 2>&1; then
        t_fail fuzz/clang "$cc is missing, no fuzz target can be built: run as root:  apt-get install -y clang libclang-rt-14-dev"
        t_summary
        exit 1
fi

mkdir -p "$fz"
if ! sw_make "$build" "$fz/build.log" FUZZ_CC="$cc" fuzz-build; then
        tail -n 30 "$fz/build.log" | sed 's/^/    | /'
        t_fail fuzz/build "the fuzz targets do not build (log: $fz/build.log)"
        t_summary
        exit 1
fi
t_pass fuzz/build

# seeds NAME SRC: fill $fz/seeds/NAME; status 1 (after t_fail) when a glob
# on the Seeds: line matches nothing or the target cannot write its own.
seeds() {
        local name=$1 src=$2 dir=$fz/seeds/$1 line g f n
        rm -rf "$dir"
        mkdir -p "$dir"
        line=$(sed -n 's/^ \* Seeds:[[:space:]]*//p' "$src" | head -n 1)
        line=${line%%(*}
        for g in $line; do
                n=0
                for f in "$top"/$g; do
                        [ -f "$f" ] || continue
                        cp "$f" "$dir/"
                        n=$((n + 1))
                done
                if [ "$n" = 0 ]; then
                        t_fail "fuzz/$name/seeds" "'$g' on the Seeds: line of $src matches no file"
                        return 1
                fi
        done
        if ! "$fz/fuzz_$name" --write-seeds="$dir" >"$fz/$name.seeds.log" 2>&1; then
                t_fail "fuzz/$name/seeds" "fuzz_$name --write-seeds failed: $(tail -n 3 "$fz/$name.seeds.log")"
                return 1
        fi
        if [ -z "$(ls -A "$dir")" ]; then
                t_fail "fuzz/$name/seeds" "no seed at all: name files on the Seeds: line of $src or define fuzz_seeds()"
                return 1
        fi
}

# report LOG: the sanitizer's or the invariant's own words about a crash.
report() {
        grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|fuzz invariant failed|SUMMARY:|Test unit written|Running: ' "$1" |
                head -n 12 | sed 's/^/    | /'
}

shopt -s nullglob
for src in "$top"/tests/fuzz/fuzz_*.c; do
        name=$(basename "$src" .c)
        name=${name#fuzz_}
        if [ -n "${FUZZ_TARGETS:-}" ] && ! [[ " $FUZZ_TARGETS " == *" $name "* ]]; then
                continue
        fi
        bin=$fz/fuzz_$name
        seeds "$name" "$src" || continue

        # Replay: every kept input, one run each.
        inputs=("$fz/seeds/$name"/* "$top/tests/fuzz/regress/$name"/*)
        if "$bin" -timeout=25 "${inputs[@]}" >"$fz/$name.replay.log" 2>&1; then
                t_pass "fuzz/$name/replay (${#inputs[@]} inputs)"
        else
                report "$fz/$name.replay.log"
                t_fail "fuzz/$name/replay" "a seed or regression input crashes (log: $fz/$name.replay.log)"
        fi

        # Fuzz.
        crashes=$fz/crashes/$name
        mkdir -p "$fz/corpus/$name" "$crashes"
        before=$(find "$crashes" -type f | wc -l)
        dirs=("$fz/corpus/$name" "$fz/seeds/$name")
        [ -d "$top/tests/fuzz/regress/$name" ] && dirs+=("$top/tests/fuzz/regress/$name")
        dict=()
        [ -f "$top/tests/fuzz/fuzz_$name.dict" ] && dict=(-dict="$top/tests/fuzz/fuzz_$name.dict")
        rc=0
        "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                -artifact_prefix="$crashes/" "${dict[@]}" "${dirs[@]}" >"$fz/$name.log" 2>&1 || rc=$?
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$fz/$name.log" | tail -n 1)
        took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$fz/$name.log" | tail -n 1)
        stats=$(grep -E '^#[0-9]+.* cov: ' "$fz/$name.log" | tail -n 1 || true)
        cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$stats")
        ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$stats")
        corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$stats")
        new=$(($(find "$crashes" -type f | wc -l) - before))
        echo "fuzz: $name: ${runs:-0} runs in ${took:-?} s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, crashes $new"
        if [ "$rc" = 0 ] && [ "$new" = 0 ]; then
                t_pass "fuzz/$name"
        else
                report "$fz/$name.log"
                t_fail "fuzz/$name" "exit status $rc, $new new crash input(s) in $crashes (log: $fz/$name.log); reproduce with $bin FILE, fix, keep FILE in tests/fuzz/regress/$name/"
        fi
done
shopt -u nullglob
t_summary
