#!/bin/bash
# table.sh DIR: the `make bench` table from the records of one run in DIR
# (tests/bench/bench.sh writes them; tests/tools/t-bench-table.sh feeds it a
# saved fixture):
#   serial.ts    the switch run's serial log, each line "HOST_US LINE"
#   presses.txt  "poweron US" (QEMU started), then "NAME US" per hotkey:
#                cold-ID (the marker is "GUEST: up slot=ID") or resume-ID
#                (the marker is the next agent's "resumed after" line)
#   qmp.txt      QEMU's QMP events, "EVENT US" (SUSPEND, WAKEUP)
#   boots.txt    "mem SIZE" (QEMU's -m), "tpm swtpm|none" (the machine's
#                TPM; older records lack it), then "direct MS" and
#                "switcher MS": power-on -> userspace marker
#   copy.txt     the copy loops' lines from their VM, "NAME MIB MiB: best N
#                MB/s (of R rounds: median N, min N)" (older records lack
#                it); alone in DIR (SW_BENCH_ONLY=copy), the table is those
#                rows only
# Every figure is a median over the run; the ratios compare figures of the
# same run.  Targets from issue 7; a missed one is marked "MISSED".
# A cause next to a figure is printed only when the run's numbers show it.
set -eu
d=${1:?usage: table.sh DIR}

# row FIGURE VALUE [TARGET]
row() {
        printf '%-58s %-22s %s\n' "$1" "$2" "${3:-}"
}

# copy_rows: the copy loops, each at its best round (other work on the
# host only slows a round, so the best is the loop's own speed; the median
# and the slowest show the noise), and the swap's loop as ratios over the
# others, best against best (all from one VM, taking turns).
copy_rows() {
        local f=$d/copy.txt c mib n
        [ -f "$f" ] || return 0
        c=$(sed -n 's/^\([a-z_]*\) \([0-9]*\) MiB: best \([0-9]*\) MB\/s (of \([0-9]*\) rounds: median \([0-9]*\), min \([0-9]*\))$/\1 \2 \3 \4 \5 \6/p' "$f")
        read -r _ mib _ n _ < <(printf '%s\n' "$c" | awk 'NF { print; exit }') || true
        echo "copy loops in one VM, ${mib:-?} MiB a copy (best of ${n:-?} rounds, taking turns):"
        # loop NAME: "BEST MEDIAN MIN" of that loop, or nothing.
        loop() {
                printf '%s\n' "$c" | awk -v k="$1" '$1 == k { print $3, $5, $6; exit }'
        }
        local name rate med lo fast
        read -r fast _ < <(loop sw_copy_fast) || true
        for name in sw_copy_fast rep_movsb rep_movsq memcpy; do
                rate='' med='' lo=''
                read -r rate med lo < <(loop "$name") || true
                if [ -n "$rate" ]; then
                        row "  $(copy_label "$name")" "$rate MB/s" "median $med, min $lo"
                else
                        row "  $(copy_label "$name")" "?"
                fi
        done
        for name in rep_movsb rep_movsq memcpy; do
                rate=''
                read -r rate _ < <(loop "$name") || true
                row "  ratio sw_copy_fast / $(copy_label "$name")" \
                        "$(awk -v a="${fast:-}" -v b="$rate" 'BEGIN { if (a == "" || b == "" || b == 0) print "?"; else printf "%.2f\n", a / b }')"
        done
}
copy_label() {
        case $1 in
        sw_copy_fast) echo "the swap's own loop, sw_copy_fast (trampoline.asm)" ;;
        rep_movsb) echo "rep movsb" ;;
        rep_movsq) echo "rep movsq" ;;
        memcpy) echo "glibc memcpy" ;;
        esac
}

records=0
for f in serial.ts presses.txt qmp.txt boots.txt; do
        [ -f "$d/$f" ] && records=$((records + 1))
done
if [ "$records" = 0 ] && [ -f "$d/copy.txt" ]; then
        echo
        echo "make bench, the copy loops alone (SW_BENCH_ONLY=copy): QEMU TCG, -kernel boot"
        copy_rows
        exit 0
fi
for f in serial.ts presses.txt qmp.txt boots.txt; do
        [ -f "$d/$f" ] || { echo "table.sh: $d/$f is missing" >&2; exit 1; }
done

# median: the tests' one (numbers on stdin -> the median, "" when none).
# shellcheck source=tests/ovmf/lib-results.sh
. "$(dirname "$0")/../ovmf/lib-results.sh"
# stats: numbers on stdin -> "MEDIAN MIN MAX N", or nothing when none.
stats() {
        local v
        v=$(sort -n)
        [ -n "$v" ] || return 0
        printf '%s %s\n' "$(printf '%s\n' "$v" | median)" "$(printf '%s\n' "$v" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo, hi, NR }')"
}
# The serial lines without their timestamps.
lines() {
        sed 's/^[0-9]* //' "$d/serial.ts"
}

# Hotkey -> marker, per press: "NAME MS WAKE_MS".  The hotkey's moment is
# when the guest saw it (the agent's "pressed" line), not when the host sent
# it: the host's monitor round trip is not part of a switch.  Without that
# line, the host's press time.  WAKE_MS is the part after the S3 path, from
# the switcher's wake entry to the marker (-1 without a wake line).
latencies=$(awk 'FNR == NR { if ($1 != "poweron") { nm[++n] = $1; t[n] = $2 } next }
        { l = $0; sub(/^[0-9]+ /, "", l) }
        i < n && $1 >= t[i + 1] {
                k = nm[i + 1]
                if (!seen && l ~ /^GUEST: agent-log .*hotkey .* pressed/) { seen = $1; next }
                if (!wake && l ~ /^switcher: S3 wake/) { wake = $1; next }
                if (k ~ /^cold-/) { id = substr(k, 6); hit = index(l, "GUEST: up slot=" id " ") == 1 }
                else hit = l ~ /^GUEST: agent-log .*resumed after/
                if (hit) {
                        i++
                        printf "%s %.0f %.0f\n", k, ($1 - (seen ? seen : t[i])) / 1000, wake ? ($1 - wake) / 1000 : -1
                        seen = 0; wake = 0
                }
        }' "$d/presses.txt" "$d/serial.ts")

# The slots the menu shows as in-place ("[id, in-place]").
inplace=$(lines | sed -n 's/.*\[\([^],]*\), in-place\].*/\1/p' | sort -u)
is_inplace() {
        printf '%s\n' "$inplace" | grep -qxF -- "$1"
}
res_swap='' res_inpl='' aft_swap='' aft_inpl=''
while read -r name ms aft; do
        case $name in
        resume-*)
                if is_inplace "${name#resume-}"; then
                        res_inpl+="$ms"$'\n'
                        [ "${aft:--1}" -lt 0 ] || aft_inpl+="$aft"$'\n'
                else
                        res_swap+="$ms"$'\n'
                        [ "${aft:--1}" -lt 0 ] || aft_swap+="$aft"$'\n'
                fi
                ;;
        esac
done <<<"$latencies"
aft_swap=$(printf '%s' "$aft_swap" | median)
aft_inpl=$(printf '%s' "$aft_inpl" | median)
res_all=$(printf '%s\n' "$latencies" | awk '$1 ~ /^resume-/ { print $2 }' | stats)
res_swap=$(printf '%s' "$res_swap" | median)
res_inpl=$(printf '%s' "$res_inpl" | median)
# Cold boots, "ID MS" per cold-ID press.  A ratio compares a slot kind's
# resumes with a cold boot of the same kind (any cold boot when the run had
# none of that kind): a swap slot's first, an in-place slot's last.
colds=$(printf '%s\n' "$latencies" | awk '$1 ~ /^cold-/ { print substr($1, 6), $2, $3 }')
cold_swap='' cold_inpl='' caft_swap='' caft_inpl=''
while read -r id ms aft; do
        [ -n "$id" ] || continue
        if is_inplace "$id"; then
                # The last: in bench.sh, d's, reached from c.
                cold_inpl=$ms caft_inpl=$aft
        elif [ -z "$cold_swap" ]; then
                cold_swap=$ms caft_swap=$aft
        fi
done <<<"$colds"
read -r _ cold_any caft_any < <(printf '%s\n' "$colds" | awk 'NF { print; exit }') || true
cold_swap=${cold_swap:-${cold_any:-}} caft_swap=${caft_swap:-${caft_any:-}}
cold_inpl=${cold_inpl:-${cold_any:-}} caft_inpl=${caft_inpl:-${caft_any:-}}
[ "${caft_swap:--1}" -ge 0 ] || caft_swap=''
[ "${caft_inpl:--1}" -ge 0 ] || caft_inpl=''
direct=$(awk '$1 == "direct" { print $2 }' "$d/boots.txt" | stats)
viasw=$(awk '$1 == "switcher" { print $2 }' "$d/boots.txt" | stats)

# Where a switch's time goes, from the host's clock: every event in time
# order, then the gaps between the ones that follow each other.
s3=$( {
        awk '{ print $2, $1 }' "$d/qmp.txt"
        awk '{ l = $0; sub(/^[0-9]+ /, "", l) }
                l ~ /^GUEST: agent-log .*hotkey .* pressed/ { print $1, "press" }
                l ~ /^GUEST: agent-log .*suspending to RAM/ { print $1, "arm" }
                l ~ /^switcher: S3 wake/ { print $1, "wake16" }
                l ~ /^switcher: resuming slot/ { print $1, "resuming" }
                l ~ /^GUEST: agent-log .*resumed after/ { print $1, "user" }' "$d/serial.ts"
} | sort -n -k1,1 | awk '
        { ev = $2; t = $1 }
        ev == "arm" && last == "press" { print "press-arm", (t - tl) / 1000 }
        ev == "SUSPEND" && last == "arm" { print "arm-suspend", (t - tl) / 1000 }
        ev == "WAKEUP" && last == "SUSPEND" { print "wait", (t - tl) / 1000 }
        ev == "wake16" && last == "WAKEUP" { print "firmware", (t - tl) / 1000 }
        ev == "user" && last == "resuming" { print "resume-user", (t - tl) / 1000 }
        { last = ev; tl = t }')
part() {
        printf '%s\n' "$s3" | awk -v k="$1" '$1 == k { print $2 }' | median
}

# The guests' own view, from their kernel logs (per slot, the kernel's clock,
# which stops while the machine sleeps): the agent arms the alarm, the
# kernel starts suspending ("PM: suspend entry"), the machine is in S3 until
# "Low-level resume complete", and the kernel is done at "PM: suspend exit".
kern=$(lines | awk '$1 == "GUEST:" && $2 == "kmsg" {
                s = $3; t = $4; m = $0; sub(/^GUEST: kmsg [^ ]* [0-9]+ /, "", m)
                if (m ~ /^switcher-agent: suspending/) arm[s] = t
                else if (m ~ /^PM: suspend entry/) entry[s] = t
                else if (m ~ /Low-level resume complete/) {
                        if (entry[s] != "") print "k-suspend", (t - entry[s]) / 1000
                        if (arm[s] != "") print "k-arm-s3", (t - arm[s]) / 1000
                        low[s] = t; entry[s] = ""; arm[s] = ""
                } else if (m ~ /^PM: suspend exit/ && low[s] != "") {
                        print "k-resume", (t - low[s]) / 1000; low[s] = ""
                }
        }')
kpart() {
        printf '%s\n' "$kern" | awk -v k="$1" '$1 == k { print $2 }' | median
}

# The copy rate of the switches that moved a swap slot (16 MiB or more either
# way); a switch between in-place slots copies only the low memory, whose
# rate says nothing.
copy=$(lines | sed -n 's/^switcher: switch .*: saved \([0-9]*\) KiB, restored \([0-9]*\) KiB in .* (\([0-9]*\) MB\/s)$/\1 \2 \3/p' |
        awk '$1 >= 16384 || $2 >= 16384 { print $3 }' | median)
mcpy=$(lines | sed -n 's/^GUEST: bench memcpy .*: \([0-9]*\) MB\/s$/\1/p' | head -n 1)
# The switcher's own time per switch, "KIND VERIFY_US RECORD_US TOTAL_US": a
# switch between two in-place slots copies only low memory, any other one a
# swap slot's whole region, so each kind gets its own median.
sums=$(lines | sed -n "s/^switcher: checksums: verify '\([^']*\)' \([0-9]*\) us, record '\([^']*\)' \([0-9]*\) us; switcher total \([0-9]*\) us$/\1 \3 \2 \4 \5/p" |
        while read -r to from v r t; do
                if is_inplace "$to" && is_inplace "$from"; then echo "inplace $v $r $t"; else echo "swap $v $r $t"; fi
        done)
sum_med=$(printf '%s\n' "$sums" | awk '$1 == "swap" { print $2 + $3 }' | median)
tot_swap=$(printf '%s\n' "$sums" | awk '$1 == "swap" { print $4 }' | median)
tot_inpl=$(printf '%s\n' "$sums" | awk '$1 == "inplace" { print $4 }' | median)
active=$(lines | sed -n 's/^plan: active region \([0-9.]* [KMG]iB\).*/\1/p' | head -n 1)
nslots=$(lines | grep -c '^ *\(=> \)\{0,1\}[0-9]*) .*\[[^]]*\]$' || true)
# Whether the RTC wait is the agent's alarm: each switch's wake-up (QMP
# WAKEUP) against the moment the agent armed it for ("suspending to RAM
# (wake-up alarm in N ms ...)" stamped on the host, plus N).  "MAX_MS N": the
# largest miss over the N switches whose alarm was armed on an RTC tick; an
# alarm in whole seconds (the agent's fallback) ends the pairing, so it is
# left out.
rtc=$( {
        awk '$1 == "WAKEUP" { print $2, "WAKEUP" }' "$d/qmp.txt"
        awk '{ l = $0; sub(/^[0-9]+ /, "", l) }
                l ~ /^GUEST: agent-log .*suspending to RAM/ {
                        ms = l; n = sub(/.*wake-up alarm in /, "", ms); sub(/ .*/, "", ms)
                        print $1, "arm", (n && l ~ /alarm in [0-9]+ ms/) ? ms : -1
                }' "$d/serial.ts"
} | sort -n -k1,1 | awk '
        $2 == "arm" { due = ($3 >= 0) ? $1 + $3 * 1000 : ""; next }
        $2 == "WAKEUP" && due != "" { m = ($1 - due) / 1000; if (m < 0) m = -m; if (m > max) max = m; n++; due = "" }
        END { if (n) printf "%.0f %d\n", max, n }')
# The wait is put down to the RTC tick only when every such wake-up came
# within a quarter of the RTC's one-second period of the tick the agent
# armed; any later one means something else kept the machine asleep.
amode=
if [ -n "$rtc" ] && [ "${rtc%% *}" -le 250 ]; then
        amode="aligned to the RTC tick: all ${rtc#* } wake-ups within ${rtc%% *} ms of it"
fi

ms() { # "MEDIAN" -> "N ms", "" -> "?"
        [ -n "$1" ] && printf '%.0f ms' "$1" || printf '?'
}
# ratio A B OP LIMIT: "R  (target OP LIMIT: ok|MISSED)".
ratio() {
        awk -v a="$1" -v b="$2" -v op="$3" -v lim="$4" 'BEGIN {
                if (a == "" || b == "" || b == 0) { print "?"; exit }
                r = a / b; ok = (op == "<=") ? r <= lim : r >= lim
                printf "%.2f|%s %s%s\n", r, op, lim, ok ? "  ok" : "  MISSED" }'
}
ratio_row() { # FIGURE A B OP LIMIT
        local r
        r=$(ratio "$2" "$3" "$4" "$5")
        row "$1" "${r%%|*}" "$( [ "$r" = "?" ] || echo "target ${r#*|}")"
}

echo
mem=$(awk '$1 == "mem" { print $2; exit }' "$d/boots.txt")
tpm=$(awk '$1 == "tpm" { print $2; exit }' "$d/boots.txt")
case $tpm in
"") tpm_note= ;;
none) tpm_note=", no TPM" ;;
*) tpm_note=", TPM 2.0 ($tpm)" ;;
esac
echo "make bench: one run, QEMU TCG, -m ${mem:-?}$tpm_note, ${active:-?} active region, ${nslots:-?} slots (medians; ratios within this run)"
row "figure" "value" "target"
# shellcheck disable=SC2086 # "MEDIAN MIN MAX N": four words on purpose
set -- $res_all
row "resume switch, hotkey -> target userspace (n=${4:-0})" "$(ms "${1:-}")" "min ${2:-?}, max ${3:-?}"
if [ -z "$colds" ]; then
        row "cold boot of a slot at a switch, hotkey -> userspace" "?"
fi
while read -r id ms _; do
        [ -n "$id" ] || continue
        row "cold boot of slot $id at a switch, hotkey -> userspace" "$(ms "$ms")" "$(is_inplace "$id" && echo in-place)"
done <<<"$colds"
# shellcheck disable=SC2086
set -- $viasw
row "plain reboot, power-on -> switcher -> slot a (n=${4:-0})" "$(ms "${1:-}")"
viasw_med=${1:-}
# shellcheck disable=SC2086
set -- $direct
row "direct boot, power-on -> OVMF -> EFI stub (n=${4:-0})" "$(ms "${1:-}")"
direct_med=${1:-}
ratio_row "ratio resume / cold boot, swap slots" "$res_swap" "$cold_swap" "<=" 0.33
# The same ratios without the S3 path both share (hotkey, suspend, RTC wait,
# firmware S3 resume): from the switcher's wake entry to userspace, the part
# a switch adds on top of the platform's own suspend-to-RAM cycle.
if [ -n "$aft_swap" ] && [ -n "$caft_swap" ]; then
        ratio_row "  the same from the switcher's wake entry, swap" "$aft_swap" "$caft_swap" "<=" 0.33
fi
if [ -n "$res_inpl" ]; then
        ratio_row "ratio resume / cold boot, in-place slots" "$res_inpl" "$cold_inpl" "<=" 0.20
else
        row "ratio resume / cold boot, in-place slots" "n/a (none in this run)" "target <= 0.20"
fi
if [ -n "$aft_inpl" ] && [ -n "$caft_inpl" ]; then
        ratio_row "  the same from the switcher's wake entry, in-place" "$aft_inpl" "$caft_inpl" "<=" 0.20
fi
ratio_row "ratio resume / plain reboot" "${res_all%% *}" "$viasw_med" "<=" 0.33
if [ -n "$viasw_med" ] && [ -n "$direct_med" ]; then
        row "switcher boot overhead over direct boot" \
                "$(awk -v a="$viasw_med" -v b="$direct_med" 'BEGIN { p = 100 * (a - b) / b; if (p > -0.05 && p < 0.05) p = 0; printf "%+.1f%%", p }')" \
                "target <= 10%$(awk -v a="$viasw_med" -v b="$direct_med" 'BEGIN { print (100 * (a - b) / b <= 10) ? "  ok" : "  MISSED" }')"
else
        row "switcher boot overhead over direct boot" "?" "target <= 10%"
fi
row "switcher swap copy (save + restore + bookkeeping)" "$( [ -n "$copy" ] && printf '%.0f' "$copy" || echo '?') MB/s"
row "glibc memcpy in the same VM (64 MiB, best of 3)" "${mcpy:-?} MB/s"
ratio_row "ratio swap copy / memcpy" "$copy" "$mcpy" ">=" 0.8
row "store checksums per swap switch (verify + record)" \
        "$(awk -v s="$sum_med" -v t="$tot_swap" 'BEGIN { if (t == "") print "?"; else printf "%.0f of %.0f ms switcher time", s / 1000, t / 1000 }')"
copy_rows
echo "where a switch goes (host clock unless 'its log'):"
row "  hotkey seen -> released, request written, alarm armed" "$(ms "$(part press-arm)")"
row "  alarm armed -> machine in S3" "$(ms "$(part arm-suspend)")"
row "    guest kernel suspend (its log: suspend entry -> S3)" "$(ms "$(kpart k-suspend)")"
row "    guest: alarm armed -> S3 (its log)" "$(ms "$(kpart k-arm-s3)")"
row "  waiting for the RTC wake-up (QMP SUSPEND -> WAKEUP)" "$(ms "$(part wait)")" "${amode:+($amode)}"
row "    the same, as the agents estimate it (their log)" "$(ms "$(lines | sed -n 's/^GUEST: agent-log .*resumed after .* waited \([0-9]*\) ms for it$/\1/p' | median)")"
fw=$(part firmware)
# No cause here: one run measures one platform, so a TPM's part in this
# figure shows only against a run with the other SW_BENCH_TPM setting.
row "  firmware S3 resume (WAKEUP -> switcher's wake entry)" "$(ms "$fw")"
row "  switcher: checks, save, restore, swap" "$(ms "$(awk -v t="$tot_swap" 'BEGIN { if (t != "") print t / 1000 }')")"
row "  switcher: checks, save, restore, in-place" \
        "$([ -n "$tot_inpl" ] && ms "$(awk -v t="$tot_inpl" 'BEGIN { print t / 1000 }')" || echo "n/a (none in this run)")"
row "  switcher -> target userspace (resume switches)" "$(ms "$(part resume-user)")"
row "    guest kernel resume (its log: wake -> suspend exit)" "$(ms "$(kpart k-resume)")"
