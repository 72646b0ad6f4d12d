#!/bin/bash
# bench.sh BUILD: `make bench`.  One QEMU + OVMF run of the switch test
# (SW_BENCH_ROUNDS round trips, default 10), then one table of figures from
# that same run, as ratios: the machine is shared and noisy, so only
# comparisons within one run mean anything.
#   - resume switch latency, hotkey -> target userspace (median, min, max)
#     against a cold boot of a slot through the switcher (hotkey -> userspace)
#   - the switcher's swap copy rate against glibc memcpy in the same VM
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-build}" && pwd)
mkdir -p "$build/bench"
${CC:-gcc} -static -O2 -o "$build/bench/memcpy-bench" "$top/tests/bench/memcpy-bench.c"

echo "bench: running the switch test with ${SW_BENCH_ROUNDS:-10} round trips (several minutes under TCG)..."
SW_EXTRA_BIN=$build/bench/memcpy-bench SW_SWITCH_ROUNDS=${SW_BENCH_ROUNDS:-10} SW_SWITCH_ACTIVE=256M \
        "$top/tests/ovmf/t-switch.sh" "$build" >"$build/bench/t-switch.log" 2>&1 || {
        tail -n 20 "$build/bench/t-switch.log"
        echo "bench: the switch run failed; no figures"
        exit 1
}
w=$build/ovmf/switch
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
resumes=$(awk '/^resume-/ { print $2 }' "$w/timings.txt")
res_med=$(echo "$resumes" | median)
res_min=$(echo "$resumes" | sort -n | head -n 1)
res_max=$(echo "$resumes" | sort -n | tail -n 1)
cold=$(awk '/^cold-b/ { print $2 }' "$w/timings.txt")
copy=$(tr -d '\r' <"$w/serial.log" | sed -n "s/^switcher: switch .* (\([0-9]*\) MB\/s)$/\1/p" | median)
mcpy=$(tr -d '\r' <"$w/serial.log" | sed -n 's/^GUEST: bench memcpy .*: \([0-9]*\) MB\/s$/\1/p' | head -n 1)
n=$(echo "$resumes" | wc -l)
# Saved-state checksums (verify the target, record the requester), against
# the switcher's whole part of the same switches.
sums=$(tr -d '\r' <"$w/serial.log" | sed -n "s/^switcher: checksums: verify '[^']*' \([0-9]*\) us, record '[^']*' \([0-9]*\) us; switcher total \([0-9]*\) us$/\1 \2 \3/p")
sum_med=$(echo "$sums" | awk '{ print $1 + $2 }' | median)
tot_med=$(echo "$sums" | awk '{ print $3 }' | median)

printf '\n%-58s %s\n' "figure (one run, QEMU TCG, 256 MiB active region)" "value"
printf '%-58s %s ms (min %s, max %s, n=%s)\n' "resume switch, hotkey -> target userspace, median" "$res_med" "$res_min" "$res_max" "$n"
printf '%-58s %s ms\n' "cold boot through the switcher, hotkey -> userspace" "$cold"
awk -v r="$res_med" -v c="$cold" 'BEGIN { printf "%-58s %.2f (target for in-place slots <= 0.20, swap <= 0.33)\n", "ratio resume / cold boot", r / c }'
printf '%-58s %s MB/s\n' "switcher swap copy (save + restore + bookkeeping), median" "$copy"
printf '%-58s %s MB/s\n' "glibc memcpy in the same VM (64 MiB, best of 3)" "${mcpy:-?}"
[ -n "$mcpy" ] && awk -v a="$copy" -v b="$mcpy" 'BEGIN { printf "%-58s %.2f (target >= 0.8)\n", "ratio swap copy / memcpy", a / b }'
awk -v s="$sum_med" -v t="$tot_med" 'BEGIN { printf "%-58s %.1f ms of %.1f ms (%.0f%%; verify-store no drops it)\n", "store checksums per switch (verify + record), median", s / 1000, t / 1000, t ? 100 * s / t : 0 }'
