#!/bin/bash
# table.sh DIR: the `make bench` table from the records of one run in DIR
# (tests/bench/bench.sh writes them; tests/tools/t-bench-table.sh feeds it a
# saved fixture):
#   serial.ts    the switch run's serial log, each line "HOST_US LINE"
#   presses.txt  "poweron US" (QEMU started), then "NAME US" per hotkey:
#                cold-ID (the marker is "GUEST: up slot=ID") or resume-ID
#                (the marker is the next agent's "resumed after" line)
#   qmp.txt      QEMU's QMP events, "EVENT US" (SUSPEND, WAKEUP); a switch
#                through the switcher's tboot entry has none
#   boots.txt    "mem SIZE" (QEMU's -m), "tpm swtpm|none" (the machine's
#                TPM; older records lack it), then "direct MS" and
#                "switcher MS": power-on -> userspace marker
#   copy.txt     the copy loops' lines from their VM, "NAME MIB MiB: best N
#                MB/s (of R rounds: median N, min N)" (older records lack
#                it); alone in DIR (SW_BENCH_ONLY=copy), the table is those
#                rows only
#   scale.txt    the scale runs' switcher lines, "MIB LINE": each run's
#                active region in MiB, then a "switcher: ..." line of its
#                serial log (older records lack it: no scale rows)
#   snapshot.txt the lab bank's run (issue 14): "KIND K MS BYTES" per timed
#                step (KIND save, ddwrite, restore, ddread, sha256; round K),
#                "phase save K RAM_MS FS_MS" and "phase restore K CHECK_MS
#                WRITE_MS ADOPT_MS" (where the time went), "fs-used KIB"
#                (lab's file system), "slot-mib N",
#                "valid yes|no" and "part ram|fs BYTES" (the host's
#                inspection of the last snapshot), "done" when the run
#                finished (older records lack it: no lab bank rows); alone
#                in DIR (SW_BENCH_ONLY=snapshot), the table is those rows
# A switch's path is its requester's: the tboot path when the switcher
# logged "slot 'ID' entered through its tboot entry" for it, else the S3
# path (the RTC alarm and the firmware's S3 resume).  Each path gets its own
# rows; the tboot path's targets are issue 13's.
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

# snap_rows: the lab bank (snapshot.txt): each kind of step at its median
# over the rounds, a snapshot against dd of the same bytes on the same disk
# in the same run.  The ratio is of the time per byte (dd moves whole 64 KiB
# blocks, so its count is rounded up): how many times dd's time the
# snapshot takes.  The issue asks for the comparison, not for a limit.
snap_rows() {
        local f=$d/snapshot.txt kind ms bytes fs slot ram fsb valid
        [ -f "$f" ] || return 0
        fs=$(awk '$1 == "fs-used" { printf "%.1f", $2 / 1024; exit }' "$f")
        slot=$(awk '$1 == "slot-mib" { print $2; exit }' "$f")
        echo "the lab bank: snapshot of a ${slot:-?} MiB slot, its file system ${fs:-?} MiB used," \
                "against dd on the same disk (medians of $(awk '$1 == "save" { n++ } END { print n + 0 }' "$f") rounds, cold page cache):"
        ram=$(awk '$1 == "part" && $2 == "ram" { print $3; exit }' "$f")
        fsb=$(awk '$1 == "part" && $2 == "fs" { print $3; exit }' "$f")
        valid=$(awk '$1 == "valid" { print $2; exit }' "$f")
        row "  snapshot file: RAM (non-zero pages) + fs (used blocks)" \
                "$(awk -v r="$ram" -v b="$fsb" 'BEGIN { if (r == "" || b == "") print "?"; else printf "%.0f + %.0f MiB", r / 1048576, b / 1048576 }')" \
                "$(case $valid in yes) echo "verified on the host" ;; no) echo "did NOT verify on the host" ;; esac)"
        # step KIND: "MS BYTES" at the medians of KIND's rounds, or nothing.
        step() {
                ms=$(awk -v k="$1" '$1 == k && NF == 4 { print $3 }' "$f" | median)
                bytes=$(awk -v k="$1" '$1 == k && NF == 4 { print $4 }' "$f" | median)
                [ -n "$ms" ] && [ -n "$bytes" ] && echo "$ms $bytes"
        }
        for kind in save:ddwrite restore:ddread; do
                local a b
                a=$(step "${kind%%:*}") || true
                b=$(step "${kind#*:}") || true
                snap_step_row "${kind%%:*}" "$a"
                snap_phase_row "${kind%%:*}"
                snap_step_row "${kind#*:}" "$b"
                row "  ratio ${kind%%:*} / dd, time per byte" "$(awk -v a="$a" -v b="$b" 'BEGIN {
                        split(a, x, " "); split(b, y, " ")
                        if (a == "" || b == "" || x[2] == 0 || y[1] == 0) { print "?"; exit }
                        printf "%.2f (%.0f / %.0f ms)\n", (x[1] / x[2]) / (y[1] / y[2]), x[1], y[1] }')"
        done
        # Reading and hashing the snapshot alone, when the run timed it.
        a=$(step sha256) || true
        [ -z "$a" ] || snap_step_row sha256 "$a"
        if awk '$1 == "rc" { f = 1 } END { exit !f }' "$f"; then
                row "  a step failed" "$(awk '$1 == "rc" { print $2, "round", $3, "status", $4; exit }' "$f")"
        fi
}
# snap_phase_row KIND: where a save's or restore's time goes, each part at
# its median over the rounds (from the agent's progress lines; absent in
# older records).
snap_phase_row() {
        local f=$d/snapshot.txt n i parts='' v
        n=$(awk -v k="$1" '$1 == "phase" && $2 == k { print NF - 3; exit }' "$f")
        [ -n "$n" ] || return 0
        for ((i = 1; i <= n; i++)); do
                v=$(awk -v k="$1" -v c=$((i + 3)) '$1 == "phase" && $2 == k { print $c }' "$f" | median)
                parts+="${parts:+ + }$(printf '%.0f' "$v")"
        done
        case $1 in
        save) row "    RAM part + the partition's used blocks" "$parts ms" ;;
        restore) row "    check pass + write pass + the switcher's adoption" "$parts ms" ;;
        esac
}
# snap_step_row KIND "MS BYTES": one timed step's row, time and rate.
snap_step_row() {
        local label
        case $1 in
        save) label="snapshot save (switchctl snapshot save)" ;;
        ddwrite) label="dd of the same bytes into a file (conv=fsync)" ;;
        restore) label="snapshot restore (switchctl, with the adoption)" ;;
        ddread) label="dd of the same bytes from that file" ;;
        sha256) label="sha256sum of the snapshot file (busybox)" ;;
        esac
        row "  $label" "$(awk -v a="$2" 'BEGIN { split(a, x, " "); if (a == "" || x[1] == 0) print "?"; else printf "%.0f ms, %.1f MiB/s\n", x[1], x[2] / 1048576 / (x[1] / 1000) }')" \
                "$(awk -v a="$2" 'BEGIN { split(a, x, " "); if (a != "") printf "%.1f MiB\n", x[2] / 1048576 }')"
}

# median: the tests' one (numbers on stdin -> the median, "" when none).
# shellcheck source=tests/ovmf/lib-results.sh
. "$(dirname "$0")/../ovmf/lib-results.sh"

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
if [ "$records" = 0 ] && [ -f "$d/snapshot.txt" ]; then
        echo
        echo "make bench, the lab bank alone (SW_BENCH_ONLY=snapshot): QEMU TCG, -m $(awk '$1 == "mem" { print $2; exit }' "$d/snapshot.txt"), tboot swap slots"
        snap_rows
        exit 0
fi
for f in serial.ts presses.txt qmp.txt boots.txt; do
        [ -f "$d/$f" ] || { echo "table.sh: $d/$f is missing" >&2; exit 1; }
done
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

# Hotkey -> marker, per press: "NAME MS AFTER_MS PATH".  The hotkey's moment
# is when the guest saw it (the agent's "pressed" line), not when the host
# sent it: the host's monitor round trip is not part of a switch.  Without
# that line, the host's press time.  PATH is tboot when the switcher logged
# its tboot entry before the marker, else s3.  AFTER_MS is the part after
# the hand-off, from the switcher's wake entry (S3) or its tboot entry to
# the marker (-1 without either line).
latencies=$(awk 'FNR == NR { if ($1 != "poweron") { nm[++n] = $1; t[n] = $2 } next }
        { l = $0; sub(/^[0-9]+ /, "", l) }
        i < n && $1 >= t[i + 1] {
                k = nm[i + 1]
                if (!seen && l ~ /^GUEST: agent-log .*hotkey .* pressed/) { seen = $1; next }
                if (!wake && l ~ /^switcher: S3 wake/) { wake = $1; next }
                if (!wake && l ~ /^switcher: slot .* entered through its tboot entry/) { wake = $1; tb = 1; next }
                if (k ~ /^cold-/) { id = substr(k, 6); hit = index(l, "GUEST: up slot=" id " ") == 1 }
                else hit = l ~ /^GUEST: agent-log .*resumed after/
                if (hit) {
                        i++
                        printf "%s %.0f %.0f %s\n", k, ($1 - (seen ? seen : t[i])) / 1000, wake ? ($1 - wake) / 1000 : -1, tb ? "tboot" : "s3"
                        seen = 0; wake = 0; tb = 0
                }
        }' "$d/presses.txt" "$d/serial.ts")

# The slots the menu shows as in-place ("[id, in-place]").
inplace=$(lines | sed -n 's/.*\[\([^],]*\), in-place\].*/\1/p' | sort -u)
is_inplace() {
        printf '%s\n' "$inplace" | grep -qxF -- "$1"
}
# The slots whose switches came through the tboot entry.
tbslots=$(lines | sed -n "s/^switcher: slot '\([^']*\)' entered through its tboot entry: .*/\1/p" | sort -u)
is_tboot() {
        printf '%s\n' "$tbslots" | grep -qxF -- "$1"
}

# resumes PATH KIND COLUMN: one figure of PATH's resume switches into KIND
# (swap, in-place or all) slots, one a line: COLUMN 2 the hotkey -> marker,
# 3 the part after the hand-off (left out when absent).
resumes() {
        local name ms aft path
        while read -r name ms aft path; do
                case $name in resume-*) ;; *) continue ;; esac
                [ "$path" = "$1" ] || continue
                case $2 in
                swap) ! is_inplace "${name#resume-}" || continue ;;
                in-place) is_inplace "${name#resume-}" || continue ;;
                esac
                if [ "$3" = 2 ]; then echo "$ms"; elif [ "$aft" -ge 0 ]; then echo "$aft"; fi
        done <<<"$latencies"
}
# Cold boots, "ID MS AFTER_MS PATH" per cold-ID press.
colds=$(printf '%s\n' "$latencies" | awk '$1 ~ /^cold-/ { print substr($1, 6), $2, $3, $4 }')
# cold_ref PATH KIND: "ID MS AFTER_MS" of the cold boot a resume of that path
# and kind is compared with: of the same path and kind (a swap slot's first,
# an in-place slot's last: in bench.sh b's from a and d's from c, f's from e
# and h's from g), else of that kind on any path, else the run's first.
cold_ref() {
        local pick
        pick=$(cold_pick "$1" "$2")
        [ -n "$pick" ] || pick=$(cold_pick "" "$2")
        [ -n "$pick" ] || pick=$(printf '%s\n' "$colds" | awk 'NF { print $1, $2, $3; exit }')
        echo "$pick"
}
# cold_pick PATH KIND: cold_ref's choice among PATH's cold boots (any path
# when PATH is empty), or nothing.
cold_pick() {
        local id ms aft path pick=''
        while read -r id ms aft path; do
                [ -n "$id" ] || continue
                if [ "$2" = in-place ] && ! is_inplace "$id"; then continue; fi
                if [ "$2" = swap ] && is_inplace "$id"; then continue; fi
                if [ -n "$1" ] && [ "$path" != "$1" ]; then continue; fi
                if [ "$2" = swap ] && [ -n "$pick" ]; then continue; fi
                pick="$id $ms $aft"
        done <<<"$colds"
        echo "$pick"
}
direct=$(awk '$1 == "direct" { print $2 }' "$d/boots.txt" | stats)
viasw=$(awk '$1 == "switcher" { print $2 }' "$d/boots.txt" | stats)

# Where a switch's time goes, from the host's clock: every event in time
# order, then the gaps between the ones that follow each other, each as
# "PATH GAP MS".  A switch's gaps are printed at the next hotkey (or the
# end), once its hand-off line has said which path it took.
gaps=$( {
        awk '{ print $2, $1 }' "$d/qmp.txt"
        awk '{ l = $0; sub(/^[0-9]+ /, "", l) }
                l ~ /^GUEST: agent-log .*hotkey .* pressed/ { print $1, "press" }
                l ~ /^GUEST: agent-log .*suspending to RAM/ { print $1, "arm" }
                l ~ /^switcher: S3 wake/ { print $1, "wake16" }
                l ~ /^switcher: slot .* entered through its tboot entry/ { print $1, "tbentry" }
                l ~ /^switcher: resuming slot/ { print $1, "resuming" }
                l ~ /^GUEST: agent-log .*resumed after/ { print $1, "user" }' "$d/serial.ts"
} | sort -n -k1,1 | awk '
        function flush(k) { for (k in g) print (path == "" ? "s3" : path), k, g[k]; delete g; path = "" }
        { ev = $2; t = $1 }
        ev == "press" { flush() }
        ev == "arm" && last == "press" { g["press-arm"] = (t - tl) / 1000 }
        ev == "SUSPEND" && last == "arm" { g["arm-suspend"] = (t - tl) / 1000 }
        ev == "WAKEUP" && last == "SUSPEND" { g["wait"] = (t - tl) / 1000 }
        ev == "wake16" { path = "s3"; if (last == "WAKEUP") g["firmware"] = (t - tl) / 1000 }
        ev == "tbentry" { path = "tboot"; if (last == "arm") g["arm-entry"] = (t - tl) / 1000 }
        ev == "user" && last == "resuming" { g["resume-user"] = (t - tl) / 1000 }
        { last = ev; tl = t }
        END { flush() }')
part() { # PATH GAP
        printf '%s\n' "$gaps" | awk -v p="$1" -v k="$2" '$1 == p && $2 == k { print $3 }' | median
}

# The guests' own view, from their kernel logs (per slot, the kernel's clock,
# which leaves out the time the slot was away): the agent writes its request
# (and on the S3 path arms the alarm), the kernel starts suspending ("PM:
# suspend entry"), hands over (S3, or the tboot entry) until "Low-level
# resume complete", and is done at "PM: suspend exit".  "PATH FIGURE MS",
# the path being the slot's.
kern=$(lines | awk -v tb="$(printf '%s\n' "$tbslots" | tr '\n' ' ')" 'BEGIN { n = split(tb, a, " "); for (i = 1; i <= n; i++) tbs[a[i]] = 1 }
        $1 == "GUEST:" && $2 == "kmsg" {
                s = $3; t = $4; m = $0; sub(/^GUEST: kmsg [^ ]* [0-9]+ /, "", m)
                id = s; sub(/^slot=/, "", id); p = (id in tbs) ? "tboot" : "s3"
                if (m ~ /^switcher-agent: suspending/) arm[s] = t
                else if (m ~ /^PM: suspend entry/) entry[s] = t
                else if (m ~ /Low-level resume complete/) {
                        if (entry[s] != "") print p, "k-suspend", (t - entry[s]) / 1000
                        if (arm[s] != "") print p, "k-arm-s3", (t - arm[s]) / 1000
                        low[s] = t; entry[s] = ""; arm[s] = ""
                } else if (m ~ /^PM: suspend exit/ && low[s] != "") {
                        print p, "k-resume", (t - low[s]) / 1000; low[s] = ""
                }
        }')
kpart() { # PATH FIGURE
        printf '%s\n' "$kern" | awk -v p="$1" -v k="$2" '$1 == p && $2 == k { print $3 }' | median
}

# switches: the switcher's lines on stdin -> one line per switch, "FROM TO
# SAVED_KIB RESTORED_KIB RATE VERIFY_US RECORD_US TOTAL_US END PATH": END is
# cold when a cold boot followed, else resume; PATH tboot when the tboot
# entry came before it.  A switch without its "switch" line (a cold boot
# after damage) has saved, restored and rate 0.
switches() {
        awk '
        function emit(e) {
                if (!have) return
                print from, to, sv, rs, rate, v, r, tot, e, tb ? "tboot" : "s3"
                have = 0; tb = 0; sv = rs = rate = 0
        }
        { sub(/^switcher: /, "") }
        /^slot .* entered through its tboot entry/ { emit("resume"); tb = 1; next }
        /^S3 wake/ { emit("resume"); tb = 0; next }
        /^switch .*: saved [0-9]+ KiB, restored [0-9]+ KiB in .* MB\/s\)$/ {
                emit("resume")
                for (i = 1; i <= NF; i++) {
                        if ($i == "saved") sv = $(i + 1)
                        if ($i == "restored") rs = $(i + 1)
                }
                rate = $(NF - 1); sub(/^\(/, "", rate)
                next
        }
        /^checksums: verify / {
                emit("resume")
                to = $3; v = $4; from = $7; r = $8; tot = $(NF - 1)
                gsub(/\047/, "", to); gsub(/\047/, "", from)
                have = 1
                next
        }
        /^cold boot of slot/ { emit("cold"); next }
        { emit("resume") }
        END { emit("resume") }'
}
sw_all=$(lines | grep '^switcher: ' | switches)
# The copy rate of the switches that moved a swap slot (16 MiB or more either
# way); a switch between in-place slots copies only the low memory, whose
# rate says nothing.
copy=$(printf '%s\n' "$sw_all" | awk 'NF && ($3 >= 16384 || $4 >= 16384) { print $5 }' | median)
mcpy=$(lines | sed -n 's/^GUEST: bench memcpy .*: \([0-9]*\) MB\/s$/\1/p' | head -n 1)
# The switcher's own time per switch, "PATH KIND VERIFY_US RECORD_US
# TOTAL_US": a switch between two in-place slots copies only low memory, any
# other one a swap slot's whole region, so each kind gets its own median.
# A switch between a swap slot and an in-place slot that moved less than
# 16 MiB either way is the lazy save at work (the swap slot's RAM stayed in
# the active region): kind "lazy", kept out of the swap median.
sums=$(printf '%s\n' "$sw_all" | while read -r from to sv rs _ v r t _ path; do
        [ -n "$from" ] || continue
        if is_inplace "$to" && is_inplace "$from"; then echo "$path inplace $v $r $t"
        elif [ "${sv:-0}" -lt 16384 ] && [ "${rs:-0}" -lt 16384 ]; then echo "$path lazy $v $r $t"
        else echo "$path swap $v $r $t"; fi
done)
sum_med=$(printf '%s\n' "$sums" | awk '$2 == "swap" { print $3 + $4 }' | median)
tot() { # PATH KIND: the median switcher total, in us
        printf '%s\n' "$sums" | awk -v p="$1" -v k="$2" '$1 == p && $2 == k { print $5 }' | median
}
tot_swap=$(tot s3 swap)
active=$(lines | sed -n 's/^plan: active region \([0-9.]* [KMG]iB\).*/\1/p' | head -n 1)
nslots=$(lines | grep -c '^ *\(=> \)\{0,1\}[0-9]*) .*\[[^]]*\]$' || true)
# Whether the RTC wait is the agent's alarm: each switch's wake-up (QMP
# WAKEUP) against the moment the agent armed it for ("suspending to RAM
# (wake-up alarm in N ms ...)" stamped on the host, plus N).  "MAX_MS N": the
# largest miss over the N switches whose alarm was armed on an RTC tick; an
# alarm in whole seconds (the agent's fallback) ends the pairing, so it is
# left out, and so is a request through the tboot entry, which arms none.
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
us_ms() { # "MEDIAN_US" -> "N ms", "" -> the second argument (default "?")
        if [ -n "$1" ]; then ms "$(awk -v t="$1" 'BEGIN { print t / 1000 }')"; else printf '%s' "${2:-?}"; fi
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
# frac_row FIGURE A B N: A / B against a target of at most 1/N, printed with
# its two terms: "R (A / B ms)" and "target <= 1/N (L)  ok|MISSED".
frac_row() {
        local v
        v=$(awk -v a="$2" -v b="$3" -v n="$4" 'BEGIN {
                if (a == "" || b == "" || b == 0) { print "?|target <= 1/" n; exit }
                r = a / b
                printf "%.3f (%.0f / %.0f ms)|target <= 1/%d (%.3f)%s\n", r, a, b, n, 1 / n, r <= 1 / n ? "  ok" : "  MISSED" }')
        row "$1" "${v%%|*}" "${v#*|}"
}
# resume_rows PATH LABEL: the resume row of one path (LABEL: what it is
# called), then one per slot kind with some.
resume_rows() {
        local k
        # shellcheck disable=SC2046 # "MEDIAN MIN MAX N": four words on purpose
        set -- "$1" "$2" $(resumes "$1" all 2 | stats)
        row "$2, hotkey -> target userspace (n=${6:-0})" "$(ms "${3:-}")" "min ${4:-?}, max ${5:-?}"
        for k in swap in-place; do
                # shellcheck disable=SC2046
                set -- "$1" "$2" $(resumes "$1" "$k" 2 | stats)
                [ -n "${3:-}" ] || continue
                row "  $k slots (n=$6)" "$(ms "$3")" "min $4, max $5"
        done
}
# cold_rows PATH: one row per cold boot at a switch on PATH.
cold_rows() {
        local id ms aft path
        while read -r id ms aft path; do
                if [ -z "$id" ] || [ "$path" != "$1" ]; then continue; fi
                row "cold boot of slot $id at a switch, hotkey -> userspace" "$(ms "$ms")" "$(is_inplace "$id" && echo in-place)"
        done <<<"$colds"
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
# A run of tboot slots alone (bench.sh's run without a TPM) has no S3 rows
# to show: the path is named absent, and its rows and breakdown left out.
s3_only_absent=$(printf '%s\n' "$latencies" | awk 'NF { n[$4]++ } END { print (n["tboot"] && !n["s3"]) ? 1 : 0 }')
res_swap='' res_inpl=''
if [ "$s3_only_absent" = 1 ]; then
        row "the S3 path" "n/a (none in this run)"
else
        echo "the S3 path (handoff s3: RTC alarm, firmware S3 resume):"
        resume_rows s3 "resume switch"
        if ! printf '%s\n' "$colds" | awk '$4 == "s3" { f = 1 } END { exit !f }'; then
                row "cold boot of a slot at a switch, hotkey -> userspace" "?"
        fi
        cold_rows s3
        res_swap=$(resumes s3 swap 2 | median) aft_swap=$(resumes s3 swap 3 | median)
        res_inpl=$(resumes s3 in-place 2 | median) aft_inpl=$(resumes s3 in-place 3 | median)
        read -r _ cold_swap caft_swap < <(cold_ref s3 swap) || true
        read -r _ cold_inpl caft_inpl < <(cold_ref s3 in-place) || true
        [ "${caft_swap:--1}" -ge 0 ] || caft_swap=''
        [ "${caft_inpl:--1}" -ge 0 ] || caft_inpl=''
        ratio_row "ratio resume / cold boot, swap slots" "$res_swap" "${cold_swap:-}" "<=" 0.33
        # The same ratios without the S3 path both share (hotkey, suspend, RTC wait,
        # firmware S3 resume): from the switcher's wake entry to userspace, the part
        # a switch adds on top of the platform's own suspend-to-RAM cycle.
        if [ -n "$aft_swap" ] && [ -n "$caft_swap" ]; then
                ratio_row "  the same from the switcher's wake entry, swap" "$aft_swap" "$caft_swap" "<=" 0.33
        fi
        if [ -n "$res_inpl" ]; then
                ratio_row "ratio resume / cold boot, in-place slots" "$res_inpl" "${cold_inpl:-}" "<=" 0.20
        else
                row "ratio resume / cold boot, in-place slots" "n/a (none in this run)" "target <= 0.20"
        fi
        if [ -n "$aft_inpl" ] && [ -n "$caft_inpl" ]; then
                ratio_row "  the same from the switcher's wake entry, in-place" "$aft_inpl" "$caft_inpl" "<=" 0.20
        fi
fi
# shellcheck disable=SC2046
set -- $(resumes s3 all 2 | stats)
res_s3=${1:-}

# The tboot path: the same rows, and issue 13's targets, each against a cold
# boot of its own kind through the same path (no RTC wait or firmware in
# either term).
tb_any=$(printf '%s\n' "$latencies" | awk '$4 == "tboot" { f = 1 } END { print f + 0 }')
if [ "$tb_any" = 1 ]; then
        echo "the tboot path (the switcher's tboot entry: no alarm, no firmware):"
        resume_rows tboot "tboot resume switch"
        cold_rows tboot
        tres_swap=$(resumes tboot swap 2 | median) taft_swap=$(resumes tboot swap 3 | median)
        tres_inpl=$(resumes tboot in-place 2 | median) taft_inpl=$(resumes tboot in-place 3 | median)
        read -r tid_swap tcold_swap tcaft_swap < <(cold_ref tboot swap) || true
        read -r tid_inpl tcold_inpl tcaft_inpl < <(cold_ref tboot in-place) || true
        frac_row "ratio tboot resume / cold boot of ${tid_inpl:-?}, in-place" "$tres_inpl" "${tcold_inpl:-}" 20
        frac_row "ratio tboot resume / cold boot of ${tid_swap:-?}, swap (${active:-?})" "$tres_swap" "${tcold_swap:-}" 8
        [ "${tcaft_swap:--1}" -ge 0 ] || tcaft_swap=''
        [ "${tcaft_inpl:--1}" -ge 0 ] || tcaft_inpl=''
        if [ -n "$taft_inpl" ] && [ -n "$tcaft_inpl" ]; then
                frac_row "  the same from the switcher's tboot entry, in-place" "$taft_inpl" "$tcaft_inpl" 20
        fi
        if [ -n "$taft_swap" ] && [ -n "$tcaft_swap" ]; then
                frac_row "  the same from the switcher's tboot entry, swap" "$taft_swap" "$tcaft_swap" 8
        fi
        ratio_row "ratio tboot resume / S3 resume, swap slots" "$tres_swap" "$res_swap" "<=" 1
        ratio_row "ratio tboot resume / S3 resume, in-place slots" "$tres_inpl" "$res_inpl" "<=" 1
        # The lazy save: a swap -> in-place -> same swap round trip (the
        # swap slot's RAM never leaves the active region) against a swap <->
        # swap one, each the sum of its two switches' medians.
        lz_swap=$(printf '%s\n' "$latencies" | awk '$1 ~ /^lazy-/ && $4 == "tboot" { print substr($1, 6), $2 }' |
                while read -r id ms; do is_inplace "$id" || echo "$ms"; done | median)
        lz_inpl=$(printf '%s\n' "$latencies" | awk '$1 ~ /^lazy-/ && $4 == "tboot" { print substr($1, 6), $2 }' |
                while read -r id ms; do ! is_inplace "$id" || echo "$ms"; done | median)
        nlz=$(printf '%s\n' "$latencies" | grep -c '^lazy-' || true)
        if [ "$nlz" -gt 0 ]; then
                lz_rt=$(awk -v a="$lz_swap" -v b="$lz_inpl" 'BEGIN { if (a != "" && b != "") print a + b }')
                sw_rt=$(awk -v a="$tres_swap" 'BEGIN { if (a != "") print 2 * a }')
                row "lazy round trip swap -> in-place -> swap (n=$nlz)" "$(ms "$lz_rt")" \
                        "back to swap $(ms "$lz_swap"), to in-place $(ms "$lz_inpl")"
                row "swap <-> swap round trip (two swap resumes)" "$(ms "$sw_rt")"
                ratio_row "ratio lazy / swap <-> swap round trip" "$lz_rt" "$sw_rt" "<=" 1
                row "  switcher part of a lazy switch (median)" "$(us_ms "$(tot tboot lazy)" "n/a (none in this run)")"
        fi
else
        row "the tboot path" "n/a (none in this run)"
fi
echo "both paths:"
# shellcheck disable=SC2086
set -- $viasw
row "plain reboot, power-on -> switcher -> slot a (n=${4:-0})" "$(ms "${1:-}")"
viasw_med=${1:-}
# shellcheck disable=SC2086
set -- $direct
row "direct boot, power-on -> OVMF -> EFI stub (n=${4:-0})" "$(ms "${1:-}")"
direct_med=${1:-}
ratio_row "ratio resume / plain reboot" "$res_s3" "$viasw_med" "<=" 0.33
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
        "$(awk -v s="$sum_med" -v t="$(tot s3 swap; tot tboot swap)" 'BEGIN { split(t, a, "\n"); t = a[1] != "" ? a[1] : a[2]; if (t == "") print "?"; else printf "%.0f of %.0f ms switcher time", s / 1000, t / 1000 }')"
copy_rows
snap_rows
if [ "$s3_only_absent" != 1 ]; then
        echo "where a switch goes (host clock unless 'its log'):"
        row "  hotkey seen -> released, request written, alarm armed" "$(ms "$(part s3 press-arm)")"
        row "  alarm armed -> machine in S3" "$(ms "$(part s3 arm-suspend)")"
        row "    guest kernel suspend (its log: suspend entry -> S3)" "$(ms "$(kpart s3 k-suspend)")"
        row "    guest: alarm armed -> S3 (its log)" "$(ms "$(kpart s3 k-arm-s3)")"
        row "  waiting for the RTC wake-up (QMP SUSPEND -> WAKEUP)" "$(ms "$(part s3 wait)")" "${amode:+($amode)}"
        row "    the same, as the agents estimate it (their log)" "$(ms "$(lines | sed -n 's/^GUEST: agent-log .*resumed after .* waited \([0-9]*\) ms for it$/\1/p' | median)")"
        # No cause here: one run measures one platform, so a TPM's part in this
        # figure shows only against a run with the other SW_BENCH_TPM setting.
        row "  firmware S3 resume (WAKEUP -> switcher's wake entry)" "$(ms "$(part s3 firmware)")"
        row "  switcher: checks, save, restore, swap" "$(us_ms "$tot_swap")"
        row "  switcher: checks, save, restore, in-place" "$(us_ms "$(tot s3 inplace)" "n/a (none in this run)")"
        row "  switcher -> target userspace (resume switches)" "$(ms "$(part s3 resume-user)")"
        row "    guest kernel resume (its log: wake -> suspend exit)" "$(ms "$(kpart s3 k-resume)")"
fi
if [ "$tb_any" = 1 ]; then
        # The same breakdown: the two S3 figures this path has no part of are
        # named absent, not shown as a 0 that a missing record could also give.
        echo "where a tboot-path switch goes (host clock unless 'its log'):"
        row "  hotkey seen -> released, request written (no alarm)" "$(ms "$(part tboot press-arm)")"
        row "  request written -> the switcher's tboot entry" "$(ms "$(part tboot arm-entry)")"
        row "    guest kernel suspend (its log: entry -> hand-off)" "$(ms "$(kpart tboot k-suspend)")"
        row "    guest: request written -> hand-off (its log)" "$(ms "$(kpart tboot k-arm-s3)")"
        row "  waiting for the RTC wake-up" "absent" "(no alarm on this path)"
        row "  firmware S3 resume" "absent" "(no firmware on this path)"
        row "  switcher: checks, save, restore, swap" "$(us_ms "$(tot tboot swap)" "n/a (none in this run)")"
        row "  switcher: checks, save, restore, in-place" "$(us_ms "$(tot tboot inplace)" "n/a (none in this run)")"
        row "  switcher -> target userspace (resume switches)" "$(ms "$(part tboot resume-user)")"
        row "    guest kernel resume (its log: wake -> suspend exit)" "$(ms "$(kpart tboot k-resume)")"
fi

# The scale row: the switcher's part of a swap resume switch by active
# region size, the 256 MiB-class point from this run's tboot swap resumes
# and the others from scale.txt, then its growth per GiB (least squares over
# the points) against memcpy's: a swap switch moves the region twice (save
# and restore), so memcpy's growth is 2 GiB at its rate per GiB of region.
scale_pts=''
if [ -f "$d/scale.txt" ]; then
        while read -r m; do
                v=$(awk -v m="$m" '$1 == m { sub(/^[0-9]+ /, ""); print }' "$d/scale.txt" | switches |
                        awk '$9 == "resume" && $3 >= 16384 && $4 >= 16384 { print $8 }' | stats)
                scale_pts+="$m ${v:-- - - 0} scale run"$'\n'
        done < <(awk '{ print $1 }' "$d/scale.txt" | sort -un)
fi
if [ "$tb_any" = 1 ] || [ -n "$scale_pts" ]; then
        amib=$(printf '%s\n' "$active" | awk '$2 == "MiB" { print $1 } $2 == "GiB" { print $1 * 1024 }')
        if [ -n "$amib" ] && ! printf '%s' "$scale_pts" | awk -v m="$amib" '$1 == m { f = 1 } END { exit !f }'; then
                v=$(printf '%s\n' "$sw_all" | awk '$10 == "tboot" && $9 == "resume" && $3 >= 16384 && $4 >= 16384 { print $8 }' | stats)
                scale_pts+="$amib ${v:-- - - 0} this run"$'\n'
        fi
        echo "the switcher's part of a swap resume switch, by active region (tboot path):"
        while read -r m med _ _ n src; do
                [ -n "$m" ] || continue
                row "  $(awk -v m="$m" 'BEGIN { if (m % 1024 == 0) printf "%d GiB", m / 1024; else printf "%d MiB", m }') active ($src, n=$n)" \
                        "$(if [ "$med" = - ]; then echo '?'; else us_ms "$med"; fi)"
        done < <(printf '%s' "$scale_pts" | sort -n)
        slope=$(printf '%s' "$scale_pts" | awk '$2 != "-" { x = $1 / 1024; y = $2 / 1000; n++; sx += x; sy += y; sxx += x * x; sxy += x * y }
                END { if (n >= 2 && n * sxx - sx * sx > 0) printf "%.0f\n", (n * sxy - sx * sy) / (n * sxx - sx * sx) }')
        mgrow=$(awk -v r="$mcpy" 'BEGIN { if (r != "" && r > 0) printf "%.0f\n", 2 * 1073.741824 / r * 1000 }')
        row "  growth per GiB of active region, the switcher" "$( [ -n "$slope" ] && echo "$slope ms/GiB" || echo '?')" "least squares over the points"
        row "  growth per GiB, memcpy (2 GiB moved per GiB)" "$( [ -n "$mgrow" ] && echo "$mgrow ms/GiB" || echo '?')" "at ${mcpy:-?} MB/s"
        row "  ratio switcher / memcpy growth" "$(awk -v a="$slope" -v b="$mgrow" 'BEGIN { if (a == "" || b == "" || b == 0) print "?"; else printf "%.2f\n", a / b }')"
fi
