# shellcheck shell=bash
# Results and serial logs (sourced by lib.sh): the PASS/FAIL lines every test
# script records, the checks built on them, and the readers of the serial
# logs the checks look at.
#
#   t_pass NAME / t_fail NAME REASON    print PASS:/FAIL: lines and count them
#   t_check NAME LOG REGEX              t_pass when a line of LOG matches
#   t_line NAME FILE LINE               t_pass when LINE is a whole line of FILE
#   t_summary                           "SCRIPT: N passed, N failed"; status 0 when no failure
#   no_fault NAME LOG                   NAME/no-fault: no exception, no guest FAIL marker
#   median                              numbers on stdin -> their median
#   wait_for_marker LOG REGEX SECS      wait until a line of LOG matches (extended regex)
#   wait_for_count LOG REGEX N SECS     wait until N lines match
#   expect_line LOG REGEX               status 0 if a line matches, else print the log tail
#   log_value LOG REGEX / log_count LOG REGEX
#   guest_section LOG SLOT [N]          the lines of the Nth run of slot SLOT's guest

# Counters live in a file when SW_RESULTS is set (run-all.sh sets it so that
# every script adds to one total), else in this shell only.
T_PASS=0
T_FAIL=0

t_pass() {
        echo "PASS: $1"
        T_PASS=$((T_PASS + 1))
        if [ -n "${SW_RESULTS:-}" ]; then
                echo "pass $1" >>"$SW_RESULTS"
        fi
}

t_fail() {
        echo "FAIL: $1: $2"
        T_FAIL=$((T_FAIL + 1))
        if [ -n "${SW_RESULTS:-}" ]; then
                echo "fail $1" >>"$SW_RESULTS"
        fi
}

# t_summary: the closing line for a test script: its own counts, prefixed
# with the script's name ("t-boot: 3 passed, 0 failed").  Status 0 when none
# failed.  Under run-all.sh the shared results file carries the real totals.
t_summary() {
        echo "$(basename "$0" .sh): $T_PASS passed, $T_FAIL failed"
        [ "$T_FAIL" = 0 ]
}

# t_check NAME LOG REGEX: t_pass when LOG has a matching line, else t_fail with
# the log tail printed by expect_line.
t_check() {
        if expect_line "$2" "$3"; then
                t_pass "$1"
        else
                t_fail "$1" "no line matching /$3/"
        fi
}

# t_line NAME FILE LINE: t_pass when LINE is a whole line of FILE (a serial
# log with its \r already removed); else show the switcher's own lines, where
# the one expected should have been.
t_line() {
        if grep -Fxq -- "$3" "$2"; then
                t_pass "$1"
        else
                echo "--- expected the line: $3" >&2
                echo "--- the switcher's own lines were:" >&2
                grep -E '^(switcher|plan)' "$2" | sed 's/^/    | /' >&2
                t_fail "$1" "no line '$3' in $2"
        fi
}

# lab_tick LOG BEFORE|AFTER MARK: the lab writer's tick ("pid=P n=N") next
# to the first line of LOG that starts with MARK: the last one before it,
# or the first one after it (AFTER with an empty MARK: the first in LOG).
lab_tick() {
        awk -v when="$2" -v mark="$3" '
                when == "BEFORE" && index($0, mark) == 1 { print last; exit }
                when == "AFTER" && index($0, mark) == 1 { on = 1 }
                /^GUEST: tick slot=lab / { if (on) { print $4 " " $5; exit } last = $4 " " $5 }' "$1"
}

# check_brought_back PREFIX LOG ROLE: the checks PREFIX-* of a boot (serial
# LOG, \r removed) that brought slot lab back from its snapshot at start-up
# (the ESP's /snap/lab.snap): ctl booted instead of it and found it
# suspended ("GUEST: ROLE ctl boot=2 lab=suspended"), and ctl's switch to
# lab was a resume, not a cold boot (lab's init never ran: no "GUEST: ROLE
# up").  The lab-bank tests of a start-up restore (t-labboot, t-labinplace).
check_brought_back() {
        local p=$1 log=$2 role=$3
        t_check "$p-restored" "$log" \
                "^switcher: slot 'lab': snapshot /snap/lab.snap brought back; its first switch resumes it at 0x[0-9a-f]+\$"
        t_check "$p-ctl-boots" "$log" "^switcher: slot 'lab' is brought back from its snapshot; 'ctl' boots first\$"
        t_check "$p-lab-suspended" "$log" "^GUEST: $role ctl boot=2 lab=suspended\$"
        t_check "$p-lab-resumed" "$log" "^switcher: resuming slot 'lab' at its waking vector"
        if grep -Eq "^GUEST: up slot=lab |^switcher: cold boot of slot 'lab'|^GUEST: $role up " "$log"; then
                t_fail "$p-no-cold-boot" \
                        "lab was cold-booted: $(grep -E "^GUEST: up slot=lab |cold boot of slot 'lab'" "$log" | head -n 1)"
        else
                t_pass "$p-no-cold-boot"
        fi
}

# check_continues NAME SNAP BACK PID: the check NAME: the writer PID at the
# snapshot (tick SNAP, "pid=P n=N") goes on after the restore (tick BACK)
# with the same PID and the next count.
check_continues() {
        if [ -n "$2" ] && [ -n "$3" ] && [ "${2%% *}" = "pid=$4" ] && [ "${3%% *}" = "${2%% *}" ] &&
                [ "${3#* n=}" = $((${2#* n=} + 1)) ]; then
                t_pass "$1"
        else
                t_fail "$1" "at the snapshot '$2', after the restore '$3', writer $4"
        fi
}

# no_fault NAME LOG: a test line that fails on a switcher exception or a
# guest's FAIL marker anywhere in LOG.
no_fault() {
        local bad
        bad=$(tr -d '\r' <"$2" | grep -a -m1 'EXCEPTION\|GUEST: FAIL' || true)
        if [ -n "$bad" ]; then
                t_fail "$1/no-fault" "$bad"
        else
                t_pass "$1/no-fault"
        fi
}

# no_kernel_complaint NAME LOG: the check NAME/no-kernel-complaint: no
# kernel warning or BUG in LOG, and no failed tboot dying step (the kernel's
# wait for its parked CPUs timing out).
no_kernel_complaint() {
        local bad
        bad=$(tr -d '\r' <"$2" | grep -a -m1 'x86/tboot:dying.*failed\|WARNING: \|BUG: ' || true)
        if [ -n "$bad" ]; then
                t_fail "$1/no-kernel-complaint" "$bad"
        else
                t_pass "$1/no-kernel-complaint"
        fi
}

# no_firmware_s3 NAME LOG: the check NAME/no-firmware-s3: the firmware never
# woke the machine from S3 (no line from the wake blob's real-mode entry).
no_firmware_s3() {
        local n
        n=$(log_count "$2" '^switcher: S3 wake')
        if [ "$n" = 0 ]; then
                t_pass "$1/no-firmware-s3"
        else
                t_fail "$1/no-firmware-s3" "$n firmware S3 wakes"
        fi
}

# median: numbers on stdin, one a line -> their median (the mean of the two
# middle ones for an even count); prints nothing when there are none, so a
# caller can tell "no figure" from a figure.
median() {
        sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# --- serial logs ---------------------------------------------------------------
# Serial logs carry \r\n line ends; every reader strips the \r first.

# wait_for_marker LOG REGEX TIMEOUT: poll LOG (extended regex, per line) every
# 0.2 s; status 0 as soon as it matches, 1 after TIMEOUT seconds, or at once
# (after one last look) when the QEMU started in the background by run_qemu
# has ended: its log cannot grow any more.
wait_for_marker() {
        local log=$1 re=$2 secs=$3 end
        end=$((SECONDS + secs))
        while [ "$SECONDS" -lt "$end" ]; do
                if [ -f "$log" ] && tr -d '\r' <"$log" | grep -Eq -- "$re"; then
                        return 0
                fi
                if qemu_gone; then
                        [ -f "$log" ] && tr -d '\r' <"$log" | grep -Eq -- "$re"
                        return
                fi
                sleep 0.2
        done
        return 1
}

# expect_line LOG REGEX: status 0 if a line of LOG matches REGEX (extended);
# otherwise say which pattern was missing and show the last 40 log lines.
expect_line() {
        local log=$1 re=$2
        if [ -f "$log" ] && tr -d '\r' <"$log" | grep -Eq -- "$re"; then
                return 0
        fi
        echo "--- expected a line matching /$re/ in $log; last 40 lines:" >&2
        if [ -f "$log" ]; then
                tr -d '\r' <"$log" | tail -n 40 | sed 's/^/    | /' >&2
        else
                echo "    (no log file)" >&2
        fi
        echo "---" >&2
        return 1
}

# log_value LOG REGEX: print the first line of LOG matching REGEX (\r removed).
log_value() {
        tr -d '\r' <"$1" | grep -E -m1 -- "$2" || true
}

# log_count LOG REGEX: how many lines of LOG match (CRs stripped).
log_count() {
        tr -d '\r' <"$1" | grep -Ec -- "$2" || true
}

# wait_for_count LOG REGEX N SECS: wait until at least N lines match; like
# wait_for_marker, it stops early once the background QEMU has ended.
wait_for_count() {
        local log=$1 re=$2 want=$3 secs=$4 end
        end=$((SECONDS + secs))
        while [ "$SECONDS" -lt "$end" ]; do
                [ "$(log_count "$log" "$re")" -ge "$want" ] && return 0
                if qemu_gone; then
                        [ "$(log_count "$log" "$re")" -ge "$want" ]
                        return
                fi
                sleep 0.2
        done
        return 1
}

# guest_section LOG SLOT [N]: the lines of the Nth (default 1st) run of the
# guest in slot SLOT: from its "GUEST: up slot=SLOT" line up to (not including)
# the next "GUEST: up " line of any slot, \r removed.  Empty when absent.
guest_section() {
        tr -d '\r' <"$1" | awk -v slot="$2" -v want="${3:-1}" '
                /^GUEST: up / {
                        if (on) exit
                        if (index($0, "GUEST: up slot=" slot " ") == 1) {
                                n++
                                if (n == want) on = 1
                        }
                }
                on { print }'
}
