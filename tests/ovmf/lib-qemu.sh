# shellcheck shell=bash
# QEMU and its monitor (sourced by lib.sh): starting a machine, talking to it,
# and how each run ends.  Every run's exit status is checked against what it
# should end with, through one of three helpers:
#
#   run_qemu NAME MEM TIMEOUT DISK LOG [EXTRA...]   start one machine
#   qemu_boot CHECK NAME MEM TIMEOUT DISK LOG [EXTRA...]
#                         run_qemu in the foreground; CHECK: it ended as expected
#   qemu_wait_exit CHECK PID RUN SECS   a background QEMU ends by itself within SECS
#   qemu_stop PID RUN [CHECK]           the test ends a background QEMU itself;
#                                       CHECK: it was still running until then
#   qemu_finish CHECK PID RUN SECS OK   qemu_wait_exit when OK is 1, else qemu_stop
#   (each returns status 1 after recording a failed CHECK: under set -e, call
#   them with "|| true" unless the script is to stop there)
#   qemu_monitor RUN_DIR COMMAND...     HMP commands through the monitor socket
#   qemu_monitor_open/_send/_close      the same, timed by the caller
#   press_hotkey, tour_init/tour_go/tour_end   hotkeys and the marker after them
#
# What a run should end with: SW_QEMU_EXIT (default 0, the guest powered the
# machine off; (v << 1) | 1 after a write of v to isa-debug-exit at 0xf4).

# Firmware images from Debian's `ovmf` package.  The 4 MiB variants are the ones
# the design evidence was gathered with.
: "${OVMF_CODE:=/usr/share/OVMF/OVMF_CODE_4M.fd}"
: "${OVMF_VARS:=/usr/share/OVMF/OVMF_VARS_4M.fd}"
: "${QEMU:=qemu-system-x86_64}"

# run_qemu NAME MEM TIMEOUT DISK LOG [EXTRA...]
#
# Boots OVMF on q35 with DISK on the AHCI controller and the first serial port
# in LOG.  Each run gets a fresh copy of the variable store (so boot entries
# from one test never leak into the next) in a run dir next to LOG:
#   $(dirname LOG)/NAME.run/{vars.fd,monitor.sock,qemu.stderr}
# The monitor socket is there for `qemu_monitor RUN_DIR 'sendkey a'`.
# QEMU is bounded by `timeout -k 10 TIMEOUT`; the exit status is QEMU's, or 124
# when the timeout hit.  isa-debug-exit makes QEMU exit with (value << 1) | 1.
# Set SW_QEMU_BG=1 to start it in the background: then the function returns at
# once and SW_QEMU_PID holds the pid of the timeout process.  SW_QEMU_TPM=1
# gives the machine a TPM 2.0 (swtpm, state and log in the run dir).
# SW_QEMU_S3=0 gives a machine without S3 (no \_S3 in its DSDT);
# SW_QEMU_SMP=N gives it N CPUs instead of 2.  SW_QEMU_QMP=1 opens a QMP
# socket in the run dir and records QEMU's events in RUN/qmp-events.txt
# ("EVENT MICROSECONDS", qmp_events), e.g. SUSPEND when a guest enters S3.
# SW_QEMU_CPU=MODEL[,FEATURES] picks the CPU model (QEMU's default if unset),
# e.g. "qemu64,la57=on" for 5-level paging.
run_qemu() {
        if [ $# -lt 5 ]; then
                sw_die "run_qemu: usage: run_qemu NAME MEM TIMEOUT DISK LOG [EXTRA...]"
        fi
        local name=$1 mem=$2 secs=$3 disk=$4 log=$5
        shift 5
        local run
        run="$(dirname "$log")/$name.run"
        rm -rf "$run"
        mkdir -p "$run"
        cp "$OVMF_VARS" "$run/vars.fd"
        : >"$log"
        # For qemu_wait_exit, which shows the log's tail after a timeout.
        printf '%s\n' "$log" >"$run/log.path"
        # shellcheck disable=SC2034 # for the caller (qemu_monitor "$SW_QEMU_RUN_DIR" ...)
        SW_QEMU_RUN_DIR=$run
        # QEMU's own option syntax uses commas inside single arguments.
        # shellcheck disable=SC2054
        local -a args=(
                -machine q35 -global "ICH9-LPC.disable_s3=$((1 - ${SW_QEMU_S3:-1}))" -smp "${SW_QEMU_SMP:-2}" -m "$mem"
                -display none -serial "file:$log" -no-reboot
                -device isa-debug-exit,iobase=0xf4,iosize=0x04 -net none
                -d cpu_reset -D "$run/qemu-reset.log"
        )
        if [ -n "${SW_QEMU_CPU:-}" ]; then
                args+=(-cpu "$SW_QEMU_CPU")
        fi
        # SW_QEMU_FIRMWARE=seabios boots QEMU's default BIOS instead of OVMF:
        # only for checking guests that OVMF cannot start by itself (a 32-bit
        # kernel given with -kernel: OVMF x64 has no 32-bit EFI stub support).
        if [ "${SW_QEMU_FIRMWARE:-ovmf}" = ovmf ]; then
                args+=(
                        -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
                        -drive "if=pflash,format=raw,unit=1,file=$run/vars.fd"
                )
        fi
        # shellcheck disable=SC2054
        args+=(
                -drive "if=none,id=disk0,format=raw,file=$disk"
                -device ide-hd,drive=disk0,bus=ide.0,bootindex=1
                -monitor "unix:$run/monitor.sock,server=on,wait=off"
        )
        if [ "${SW_QEMU_TPM:-0}" = 1 ]; then
                # A TPM 2.0 on the TIS interface, emulated by swtpm with a
                # fresh state per run.  --terminate: it exits with QEMU.
                sw_need_cmd swtpm
                mkdir -p "$run/tpm"
                swtpm socket --tpm2 --tpmstate "dir=$run/tpm" --terminate --daemon \
                        --ctrl "type=unixio,path=$run/tpm.sock" \
                        --pid "file=$run/tpm.pid" --log "file=$run/tpm.log" ||
                        sw_die "run_qemu: swtpm did not start (see $run/tpm.log)"
                # shellcheck disable=SC2054 # QEMU's commas, as above
                args+=(
                        -chardev "socket,id=chrtpm,path=$run/tpm.sock"
                        -tpmdev emulator,id=tpm0,chardev=chrtpm
                        -device tpm-tis,tpmdev=tpm0
                )
        fi
        if [ "${SW_QEMU_QMP:-0}" = 1 ]; then
                sw_need_cmd python3
                args+=(-qmp "unix:$run/qmp.sock,server=on,wait=off")
                : >"$run/qmp-events.txt"
                qmp_events "$run/qmp.sock" "$run/qmp-events.txt"
        fi
        printf '%s\n' "$QEMU ${args[*]} $*" >"$run/cmdline"
        if [ "${SW_QEMU_BG:-0}" = 1 ]; then
                timeout -k 10 "$secs" "$QEMU" "${args[@]}" "$@" </dev/null \
                        >"$run/qemu.stdout" 2>"$run/qemu.stderr" &
                # shellcheck disable=SC2034 # for the caller
                SW_QEMU_PID=$!
                return 0
        fi
        SW_QEMU_PID=
        local rc=0
        timeout -k 10 "$secs" "$QEMU" "${args[@]}" "$@" </dev/null \
                >"$run/qemu.stdout" 2>"$run/qemu.stderr" || rc=$?
        tpm_stop "$run"
        if [ -s "$run/qemu.stderr" ]; then
                sed 's/^/qemu: /' "$run/qemu.stderr" >&2
        fi
        return "$rc"
}

# qmp_events SOCK OUT: in the background, record QEMU's QMP events as
# "EVENT MICROSECONDS" (QEMU's own host timestamps) until QEMU quits.  It
# waits up to 20 s for the socket, so it may start just before QEMU does.
qmp_events() {
        python3 - "$1" "$2" <<'EOF' &
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
for _ in range(400):
    try:
        s.connect(sys.argv[1])
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit("qmp: no socket " + sys.argv[1])
f = s.makefile("rw")
f.readline()
f.write('{"execute": "qmp_capabilities"}\n')
f.flush()
with open(sys.argv[2], "w") as out:
    for line in f:
        m = json.loads(line)
        if "event" in m:
            t = m["timestamp"]
            out.write("%s %d%06d\n" % (m["event"], t["seconds"], t["microseconds"]))
            out.flush()
EOF
}

# qmp_count RUN EVENT: how many EVENTs the run's QMP recorder saw.
qmp_count() {
        awk -v e="$2" '$1 == e { n++ } END { print n + 0 }' "$1/qmp-events.txt" 2>/dev/null || echo 0
}

# qemu_gone: status 0 when the QEMU run_qemu last started in the background
# has ended (its log cannot grow any more); 1 while it runs, or when there is
# none (a foreground run, or none yet).
qemu_gone() {
        [ -n "${SW_QEMU_PID:-}" ] && ! kill -0 "$SW_QEMU_PID" 2>/dev/null
}

# qemu_check_exit CHECK RC SECS RUN LOG: record CHECK for a QEMU that ended with
# status RC after being given SECS seconds: it passes when RC is SW_QEMU_EXIT
# (default 0).  Otherwise the reason says what RC means (the timeout, or
# QEMU's own status, with its first stderr lines: a QEMU that cannot start
# ends at once with 1).  Status 0 when it passed.
qemu_check_exit() {
        local check=$1 rc=$2 secs=$3 run=$4 log=$5 want=${SW_QEMU_EXIT:-0}
        # -no-reboot turns a triple fault into an exit with status 0, like
        # a power-off: QEMU's reset log (-d cpu_reset) tells them apart.
        if grep -aq 'Triple fault' "$run/qemu-reset.log" 2>/dev/null; then
                t_fail "$check" "the machine triple-faulted (see $run/qemu-reset.log), exit status $rc"
                return 1
        fi
        if [ "$rc" = "$want" ]; then
                t_pass "$check"
                return 0
        fi
        case $rc in
        124 | 137)
                expect_line "$log" '^GUEST: done$' || true
                t_fail "$check" "QEMU timed out after $secs s (want exit status $want)"
                ;;
        *)
                t_fail "$check" "QEMU exit status $rc, want $want: $(head -n 3 "$run/qemu.stderr" 2>/dev/null | tr '\n' ' ')"
                ;;
        esac
        return 1
}

# qemu_boot CHECK NAME MEM TIMEOUT DISK LOG [EXTRA...]: run_qemu in the
# foreground (the arguments after CHECK are run_qemu's), print how long it
# ran, and record CHECK: QEMU ended with SW_QEMU_EXIT, default 0, the guest's
# power-off.  Status 0 when it did.
qemu_boot() {
        local check=$1 t0 rc=0
        shift
        t0=$(sw_now_ms)
        run_qemu "$@" || rc=$?
        echo "${check%%/*}: $1: qemu exit $rc after $(sw_since "$t0") s"
        qemu_check_exit "$check" "$rc" "$3" "$(dirname "$5")/$1.run" "$5"
}

# qemu_wait_exit CHECK PID RUN SECS: a QEMU started with SW_QEMU_BG=1 (PID,
# run dir RUN) is to end by itself (the guest powers off): wait up to SECS
# seconds and record CHECK on its exit status, as qemu_boot does.  One still
# running after SECS fails CHECK and is stopped.  Status 0 when CHECK passed.
qemu_wait_exit() {
        local check=$1 qpid=$2 run=$3 secs=$4 end rc=0
        end=$((SECONDS + secs))
        while kill -0 "$qpid" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do
                sleep 0.5
        done
        if kill -0 "$qpid" 2>/dev/null; then
                t_fail "$check" "QEMU still running $secs s after the guest should have powered off"
                qemu_stop "$qpid" "$run"
                return 1
        fi
        wait "$qpid" 2>/dev/null || rc=$?
        tpm_stop "$run"
        qemu_check_exit "$check" "$rc" "$secs" "$run" "$(cat "$run/log.path")"
}

# qemu_stop PID RUN [CHECK]: the test ends a background QEMU (run_qemu with
# SW_QEMU_BG=1) itself: "quit" through its monitor, a signal if that did not
# work within 10 s, and reap it.  With CHECK, record that QEMU was still
# running when the test stopped it (a machine that reset, crashed or never
# started has ended before) and that it left on the quit with status 0.
qemu_stop() {
        local qpid=$1 run=$2 check=${3:-} was=1 killed=0 rc=0 n=0
        kill -0 "$qpid" 2>/dev/null || was=0
        if [ "$was" = 1 ]; then
                qemu_monitor "$run" quit >/dev/null 2>&1 || true
                while kill -0 "$qpid" 2>/dev/null && [ "$n" -lt 50 ]; do
                        sleep 0.2
                        n=$((n + 1))
                done
                if kill "$qpid" 2>/dev/null; then
                        killed=1
                fi
        fi
        wait "$qpid" 2>/dev/null || rc=$?
        tpm_stop "$run"
        [ -n "$check" ] || return 0
        if [ "$was" = 0 ]; then
                t_fail "$check" "QEMU had already ended (exit status $rc) when the test came to stop it: $(head -n 3 "$run/qemu.stderr" 2>/dev/null | tr '\n' ' ')"
        elif [ "$killed" = 1 ]; then
                t_fail "$check" "QEMU did not leave on the monitor's quit within 10 s; killed"
        elif [ "$rc" != 0 ]; then
                t_fail "$check" "QEMU exit status $rc after the monitor's quit, want 0"
        else
                t_pass "$check"
                return 0
        fi
        return 1
}

# qemu_finish CHECK PID RUN SECS OK: the end of a background run whose guest
# powers the machine off when its script is done: when OK is 1 (the script
# went through), qemu_wait_exit CHECK PID RUN SECS; otherwise the failure is
# already recorded and QEMU is only stopped.
qemu_finish() {
        if [ "$5" = 1 ]; then
                qemu_wait_exit "$1" "$2" "$3" "$4"
        else
                qemu_stop "$2" "$3"
        fi
}

# tpm_stop RUN_DIR: swtpm leaves by itself when QEMU drops its connection;
# this ends one that QEMU never connected to (QEMU failed to start).
tpm_stop() {
        local pid
        [ -s "$1/tpm.pid" ] || return 0
        pid=$(cat "$1/tpm.pid")
        if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = swtpm ]; then
                kill "$pid" 2>/dev/null || true
        fi
}

# qemu_monitor RUN_DIR COMMAND...: HMP commands through the monitor socket
# (for example 'sendkey a' or 'system_wakeup'), one connection, one command
# every 50 ms.
qemu_monitor() {
        local run=$1 c
        shift
        qemu_monitor_open "$run"
        for c in "$@"; do
                qemu_monitor_send "$c"
                sleep 0.05
        done
        qemu_monitor_close
}

# qemu_monitor_open RUN_DIR / qemu_monitor_send COMMAND / qemu_monitor_close:
# one connection to the monitor kept open while the caller sends commands at
# times of its own choosing (a burst of key presses, timed; qemu_monitor
# uses them too).  The connection is a coprocess, python3 (else socat); its
# replies are dropped.  qemu_monitor_open returns once the connection is up,
# so that what is sent next reaches QEMU at once: starting python3 can take
# seconds on a loaded machine.  One connection at a time.
qemu_monitor_open() {
        local sock=$1/monitor.sock line=
        [ -S "$sock" ] || sw_die "qemu_monitor: no monitor socket at $sock"
        if command -v python3 >/dev/null 2>&1; then
                coproc SW_MON {
                        python3 -u -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(5)
try:
    s.recv(4096)        # the banner and the first prompt
except socket.timeout:
    pass
print("connected")
for line in iter(sys.stdin.readline, ""):
    s.sendall(line.encode())
time.sleep(0.3)
s.close()
' "$sock" 2>/dev/null
                }
                read -r -t 120 -u "${SW_MON[0]}" line || true
                [ "$line" = connected ] || sw_log "qemu_monitor: no connection to $sock within 120 s"
        elif command -v socat >/dev/null 2>&1; then
                coproc SW_MON { socat - "UNIX-CONNECT:$sock" >/dev/null 2>&1; }
                sleep 0.5
        else
                sw_die "qemu_monitor: needs python3 or socat"
        fi
        # The coprocess's variables go away when it ends: keep copies.
        # shellcheck disable=SC2153 # SW_MON_PID is set by coproc
        SW_MON_FD=${SW_MON[1]} SW_MON_JOB=$SW_MON_PID
}

qemu_monitor_send() {
        printf '%s\n' "$1" >&"$SW_MON_FD"
}

qemu_monitor_close() {
        eval "exec $SW_MON_FD>&-"
        wait "$SW_MON_JOB" 2>/dev/null || true
}

# press_hotkey RUN LOG TIMINGS KEYS NAME MARKER_RE N: press the hotkey KEYS
# (QEMU sendkey syntax; "ctrl-alt-2 1500" holds it 1.5 s, so the keyboard
# repeats it) through the monitor in RUN, wait up to 120 s for the Nth line
# of LOG matching MARKER_RE, and append "NAME MS" (press to marker) to
# TIMINGS.  Fails (status 1) when the marker does not come.
press_hotkey() {
        local run=$1 log=$2 timings=$3 keys=$4 name=$5 re=$6 n=$7 t0
        # The agent ignores hotkeys for 1 s after a switch (bouncing keys).
        sleep 1.5
        t0=$(sw_now_ms)
        qemu_monitor "$run" "sendkey $keys"
        if wait_for_count "$log" "$re" "$n" 120; then
                echo "$name $(($(sw_now_ms) - t0))" >>"$timings"
                return 0
        fi
        return 1
}

# A hotkey tour of several slots running the "switch" role (t-switch,
# t-i386, t-inplace, t-prewarm), in the QEMU run_qemu last started in the
# background.  tour_start NAME LOG TIMINGS SECS FIRST [SLOT...]: wait up to
# SECS for FIRST, the slot that boots, to be ready (recorded as boot-FIRST,
# or NAME/boot-FIRST fails); the SLOTs are up already too (prewarmed).  tour_go KEY SLOT: press KEY and wait for SLOT's userspace, its
# 'ready' marker on its first visit (a cold boot), else one more "resumed
# after" line; records the time as cold-SLOT / resume-SLOT.  tour_end
# LAST SLOT...: after the last press, wait for LAST's final marker, check
# each SLOT's, and for QEMU (pid SW_QEMU_PID) to power off (NAME/power-off,
# its exit status), or stop it when the tour failed.  TOUR_OK is 1 while
# everything went well.
tour_start() {
        TOUR_NAME=$1 TOUR_RUN=$SW_QEMU_RUN_DIR TOUR_LOG=$2 TOUR_TIMINGS=$3
        TOUR_OK=1 TOUR_RESUMES=0 TOUR_T0=$(sw_now_ms)
        local secs=$4 first=$5 s
        shift 4
        declare -gA TOUR_VISITED=()
        for s in "$@"; do
                TOUR_VISITED[$s]=1
        done
        if wait_for_marker "$TOUR_LOG" "^GUEST: ready slot=$first " "$secs"; then
                echo "$TOUR_NAME: slot $first ready after $(sw_since "$TOUR_T0") s"
                echo "boot-$first $(($(sw_now_ms) - TOUR_T0))" >>"$TOUR_TIMINGS"
        else
                expect_line "$TOUR_LOG" "^GUEST: ready slot=$first " || true
                t_fail "$TOUR_NAME/boot-$first" "slot $first did not come up"
                TOUR_OK=0
        fi
}

tour_go() {
        local key=$1 s=$2
        [ "$TOUR_OK" = 1 ] || return 0
        if [ -z "${TOUR_VISITED[$s]:-}" ]; then
                TOUR_VISITED[$s]=1
                press_hotkey "$TOUR_RUN" "$TOUR_LOG" "$TOUR_TIMINGS" "$key" "cold-$s" "^GUEST: ready slot=$s " 1 ||
                        TOUR_OK=0
        else
                TOUR_RESUMES=$((TOUR_RESUMES + 1))
                press_hotkey "$TOUR_RUN" "$TOUR_LOG" "$TOUR_TIMINGS" "$key" "resume-$s" \
                        '^GUEST: agent-log .*resumed after' "$TOUR_RESUMES" || TOUR_OK=0
        fi
        if [ "$TOUR_OK" = 1 ]; then
                echo "$TOUR_NAME: -> $s after $(sw_since "$TOUR_T0") s"
        else
                t_fail "$TOUR_NAME/to-$s" "no marker after $key (switch $((TOUR_RESUMES + 1)))"
        fi
}

tour_end() {
        local last=$1 s
        shift
        if [ "$TOUR_OK" = 1 ]; then
                wait_for_marker "$TOUR_LOG" "^GUEST: final slot=$last " 300 || true
                for s in "$@"; do
                        t_check "$TOUR_NAME/final-$s" "$TOUR_LOG" "^GUEST: final slot=$s lines=[0-9]+$"
                done
        fi
        qemu_finish "$TOUR_NAME/power-off" "$SW_QEMU_PID" "$TOUR_RUN" 60 "$TOUR_OK" || true
}
