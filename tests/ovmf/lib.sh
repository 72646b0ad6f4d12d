# shellcheck shell=bash
# Shared helpers for the QEMU + OVMF end-to-end tests and the guest builders.
#
# Source it from bash:   . "$(dirname "$0")/lib.sh"
# It sets no shell options itself; the scripts that source it use `set -eu`.
#
# Public functions (see tests/ovmf/README.md for the full contract):
#   sw_log MSG...                       one line to stderr, prefixed with the script name
#   sw_die MSG...                       sw_log, then exit 1
#   sw_need_cmd CMD...                  fail with the package hint when a tool is missing
#   sw_apt_lists_ready                  run `apt-get update` once (root) when lists are empty
#   sw_apt_download PKG CACHE_DEB_DIR   `apt-get download PKG` into a cache dir; prints the path
#   run_qemu NAME MEM TIMEOUT DISK LOG [EXTRA QEMU ARGS...]
#   qemu_monitor RUN_DIR COMMAND        send one HMP command to a running QEMU's monitor
#   wait_for_marker LOG REGEX TIMEOUT   wait until a line of LOG matches (extended regex)
#   expect_line LOG REGEX               succeed if a line matches, else print the log tail
#   t_pass NAME / t_fail NAME REASON    print PASS:/FAIL: lines and count them
#   t_summary                           print "N passed, N failed"; status 0 when no failure

# Where this file lives, so scripts can find their siblings wherever they run from.
SW_OVMF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # for the scripts that source this file
SW_TOP=$(cd "$SW_OVMF_DIR/../.." && pwd)

# Firmware images from Debian's `ovmf` package.  The 4 MiB variants are the ones
# the design evidence was gathered with.
: "${OVMF_CODE:=/usr/share/OVMF/OVMF_CODE_4M.fd}"
: "${OVMF_VARS:=/usr/share/OVMF/OVMF_VARS_4M.fd}"
: "${QEMU:=qemu-system-x86_64}"

# Results: counters live in a file when SW_RESULTS is set (run-all.sh sets it so
# that every t-*.sh adds to one total), else in this shell only.
T_PASS=0
T_FAIL=0

# sw_now_ms: milliseconds since the epoch (bash 5's EPOCHREALTIME, no fork).
sw_now_ms() {
        local t=${EPOCHREALTIME/[.,]/}
        echo $((t / 1000))
}

# sw_since T0_MS: seconds elapsed since T0_MS, with one decimal ("12.3").
sw_since() {
        local d=$(($(sw_now_ms) - $1))
        printf '%d.%d\n' $((d / 1000)) $((d % 1000 / 100))
}

sw_log() {
        printf '%s: %s\n' "$(basename "$0")" "$*" >&2
}

sw_die() {
        sw_log "$@"
        exit 1
}

# sw_make BUILD LOG TARGET...: this tree's Makefile for TARGET with BUILD as
# its build folder (-j2), all output in LOG.  For scripts that build what
# they test and may themselves run under make: the parent's jobserver flags
# are dropped, since a child make started by a plain command cannot use them.
sw_make() {
        local build=$1 log=$2
        shift 2
        (cd "$SW_TOP" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -j2 --no-print-directory \
                BUILD="$build" "$@") >"$log" 2>&1
}

# Maps a missing tool to the Debian package that ships it, so the message says
# what to install instead of just "not found".
sw_need_cmd() {
        local c pkg
        for c in "$@"; do
                command -v "$c" >/dev/null 2>&1 && continue
                case $c in
                qemu-system-x86_64) pkg=qemu-system-x86 ;;
                sgdisk) pkg=gdisk ;;
                mkfs.vfat) pkg=dosfstools ;;
                mcopy | mmd) pkg=mtools ;;
                mke2fs | debugfs | e2fsck) pkg=e2fsprogs ;;
                cpio) pkg=cpio ;;
                zstd) pkg=zstd ;;
                xz) pkg=xz-utils ;;
                *) pkg="(the package providing $c)" ;;
                esac
                sw_die "missing tool '$c': install it with: apt-get install -y $pkg (or run 'make deps' as root)"
        done
}

# apt-get download needs package lists.  A fresh container often has none; then,
# and only then, refresh them (only root can).
sw_apt_lists_ready() {
        if compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
                return 0
        fi
        if [ "$(id -u)" != 0 ]; then
                sw_die "apt package lists are empty and we are not root: run 'apt-get update' as root first"
        fi
        sw_log "apt lists are empty: running apt-get update"
        apt-get update -q >/dev/null || sw_log "apt-get update reported errors; trying with what it fetched"
}

# sw_need_i386_arch: make sure dpkg knows the i386 architecture (for
# `apt-get download PKG:i386`); as root add it and update the lists, else
# die with the command to run.
sw_need_i386_arch() {
        dpkg --print-foreign-architectures | grep -qx i386 && return 0
        if [ "$(id -u)" != 0 ]; then
                sw_die "i386 is not a dpkg architecture here: as root run 'dpkg --add-architecture i386 && apt-get update'"
        fi
        sw_log "adding dpkg architecture i386 and updating apt lists"
        dpkg --add-architecture i386
        # One stale index (a mirror mid-sync) makes apt-get update fail as a
        # whole although the rest is usable: go on and let the resolution
        # decide.
        apt-get update -q >/dev/null || sw_log "apt-get update reported errors; trying with what it fetched"
}

# sw_apt_download PKG DIR: make sure the .deb of PKG's candidate version is in
# DIR (download only when it is not there yet) and print its path.  PKG may
# carry an architecture qualifier (busybox-static:i386).
sw_apt_download() {
        local pkg=$1 dir=$2 name arch ver deb
        name=${pkg%%:*}
        arch=$(dpkg --print-architecture)
        case $pkg in *:*) arch=${pkg#*:} ;; esac
        ver=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
        if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
                sw_die "package '$pkg' has no candidate version (apt-get update? architecture added?)"
        fi
        # Debian file names drop the epoch and escape ':' as %3a; match on the
        # version without its epoch.
        mkdir -p "$dir"
        dir=$(cd "$dir" && pwd)
        deb="$dir/${name}_${ver#*:}_${arch}.deb"
        if [ ! -s "$deb" ]; then
                # Download into a temporary dir so an interrupted run never leaves
                # a half file under the final name.
                local tmp
                tmp=$(mktemp -d "$dir/.dl.XXXXXX")
                chmod 755 "$tmp"
                if ! (cd "$tmp" && apt-get download -q "$pkg=$ver" >/dev/null 2>"$tmp/err"); then
                        cat "$tmp/err" >&2
                        rm -rf "$tmp"
                        sw_die "apt-get download $pkg=$ver failed"
                fi
                local got
                got=$(compgen -G "$tmp/*.deb" | head -n1)
                [ -n "$got" ] || { rm -rf "$tmp"; sw_die "apt-get download $pkg produced no .deb"; }
                mv "$got" "$deb"
                rm -rf "$tmp"
                sw_log "downloaded $(basename "$deb")"
        fi
        printf '%s\n' "$deb"
}

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
        # shellcheck disable=SC2034 # for the caller (qemu_monitor "$SW_QEMU_RUN_DIR" ...)
        SW_QEMU_RUN_DIR=$run
        # QEMU's own option syntax uses commas inside single arguments.
        # shellcheck disable=SC2054
        local -a args=(
                -machine q35 -global ICH9-LPC.disable_s3=0 -smp 2 -m "$mem"
                -display none -serial "file:$log" -no-reboot
                -device isa-debug-exit,iobase=0xf4,iosize=0x04 -net none
        )
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
        printf '%s\n' "$QEMU ${args[*]} $*" >"$run/cmdline"
        if [ "${SW_QEMU_BG:-0}" = 1 ]; then
                timeout -k 10 "$secs" "$QEMU" "${args[@]}" "$@" </dev/null \
                        >"$run/qemu.stdout" 2>"$run/qemu.stderr" &
                # shellcheck disable=SC2034 # for the caller
                SW_QEMU_PID=$!
                return 0
        fi
        local rc=0
        timeout -k 10 "$secs" "$QEMU" "${args[@]}" "$@" </dev/null \
                >"$run/qemu.stdout" 2>"$run/qemu.stderr" || rc=$?
        tpm_stop "$run"
        if [ -s "$run/qemu.stderr" ]; then
                sed 's/^/qemu: /' "$run/qemu.stderr" >&2
        fi
        return "$rc"
}

# qemu_monitor RUN_DIR COMMAND...: HMP commands through the monitor socket
# (for example 'sendkey a' or 'system_wakeup'), one connection, 50 ms apart.
# Needs socat or python3.
qemu_monitor() {
        local sock=$1/monitor.sock
        shift
        [ -S "$sock" ] || sw_die "qemu_monitor: no monitor socket at $sock"
        if command -v socat >/dev/null 2>&1; then
                local c
                for c in "$@"; do
                        printf '%s\n' "$c"
                        sleep 0.05
                done | socat - "UNIX-CONNECT:$sock" >/dev/null
        elif command -v python3 >/dev/null 2>&1; then
                python3 - "$sock" "$@" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(2)
try:
    s.recv(4096)        # the banner and first prompt
except socket.timeout:
    pass
for cmd in sys.argv[2:]:
    s.sendall(cmd.encode() + b"\n")
    time.sleep(0.05)
time.sleep(0.3)
s.close()
EOF
        else
                sw_die "qemu_monitor: needs socat or python3"
        fi
}

# wait_for_marker LOG REGEX TIMEOUT: poll LOG (extended regex, per line) every
# 0.2 s; status 0 as soon as it matches, 1 after TIMEOUT seconds.
wait_for_marker() {
        local log=$1 re=$2 secs=$3 end
        end=$((SECONDS + secs))
        while [ "$SECONDS" -lt "$end" ]; do
                if [ -f "$log" ] && tr -d '\r' <"$log" | grep -Eq -- "$re"; then
                        return 0
                fi
                sleep 0.2
        done
        return 1
}

# expect_line LOG REGEX: status 0 if a line of LOG matches REGEX (extended);
# otherwise say which pattern was missing and show the last 40 log lines.
# Serial logs carry \r\n line ends; they are stripped before matching.
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

# need_switcher BUILD: for tests that boot the switcher.  When
# BUILD/switcher.efi is missing: fail with a clear message and exit the script
# (under run-all.sh, which already counted that failure once, exit quietly).
need_switcher() {
        [ -f "$1/switcher.efi" ] && return 0
        if [ -n "${SW_SWITCHER_MISSING:-}" ]; then
                echo "$(basename "$0" .sh): skipped: $1/switcher.efi is missing (counted once by run-all)"
                exit 0
        fi
        t_fail "$(basename "$0" .sh)" "$1/switcher.efi is missing: build it first (make)"
        t_summary
        exit 1
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

# disk_part_range DISK LABEL: print "FIRST_SECTOR SECTORS" (512-byte sectors)
# of the GPT partition named LABEL; status 1 when there is none.
disk_part_range() {
        local disk=$1 label=$2 n name first count
        for n in $(sgdisk -p "$disk" 2>/dev/null | awk '/^ *[0-9]+ +[0-9]+ +[0-9]+/ {print $1}'); do
                name=$(sgdisk -i "$n" "$disk" 2>/dev/null | sed -n "s/^Partition name: '\(.*\)'$/\1/p")
                [ "$name" = "$label" ] || continue
                first=$(sgdisk -i "$n" "$disk" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
                count=$(sgdisk -i "$n" "$disk" | sed -n 's/^Partition size: \([0-9]*\) sectors.*/\1/p')
                echo "$first $count"
                return 0
        done
        return 1
}

# disk_extract DISK LABEL OUT: copy the partition named LABEL to the file OUT.
disk_extract() {
        local range
        range=$(disk_part_range "$1" "$2") || {
                sw_log "no partition named '$2' in $1"
                return 1
        }
        # shellcheck disable=SC2086 # "FIRST COUNT": two words on purpose
        set -- "$1" "$2" "$3" $range
        dd if="$1" of="$3" bs=512 skip="$4" count="$5" conv=sparse status=none
}

# disk_readfile DISK LABEL PATH: print PATH from the ext4 partition LABEL.
# Status 1 (with debugfs's message) when the file is not there.
disk_readfile() {
        local tmp rc=0
        tmp=$(mktemp "${TMPDIR:-/tmp}/sw-part.XXXXXX")
        if ! disk_extract "$1" "$2" "$tmp"; then
                rm -f "$tmp"
                return 1
        fi
        # debugfs reports a missing file on stderr but still exits 0: check
        # with stat first.
        if ! debugfs -R "stat $3" "$tmp" 2>&1 | grep -q '^Inode:'; then
                sw_log "no file $3 on partition '$2' of $1"
                rc=1
        else
                debugfs -R "cat $3" "$tmp" 2>/dev/null || rc=$?
        fi
        rm -f "$tmp"
        return "$rc"
}

# disk_fsck DISK LABEL: `e2fsck -fn` on partition LABEL; prints e2fsck's output
# only when it finds a problem.  Status 0 when clean.
disk_fsck() {
        local tmp out rc=0
        tmp=$(mktemp "${TMPDIR:-/tmp}/sw-part.XXXXXX")
        if ! disk_extract "$1" "$2" "$tmp"; then
                rm -f "$tmp"
                return 1
        fi
        out=$(e2fsck -fn "$tmp" 2>&1) || rc=$?
        rm -f "$tmp"
        if [ "$rc" != 0 ]; then
                printf '%s\n' "$out" | sed "s/^/e2fsck($2): /" >&2
        fi
        return "$rc"
}

# --- serial log parsing ------------------------------------------------------

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

# guest_ram TEXT_FILE_OR_-: the "GUEST: iomem-ram START-END" ranges as
# "START-END" lines (hex as the kernel prints it).
guest_ram() {
        sed -n 's/^GUEST: iomem-ram \([0-9a-fA-F]*-[0-9a-fA-F]*\).*/\1/p' "${1:--}"
}

# plan_ranges LOG KIND: the switcher's "plan:   KIND   0xS-0xE ..." lines as
# "S-E" (inclusive end, 0x prefixes kept).  KIND is e.g. active.
plan_ranges() {
        tr -d '\r' <"$1" |
                sed -n "s/^plan: *$2 *\(0x[0-9a-fA-F]*-0x[0-9a-fA-F]*\).*/\1/p"
}

# ranges_norm: read "START-END" lines (hex, 0x optional, inclusive end) on
# stdin; print them as decimal "START END", sorted, with overlapping and
# touching ranges merged.  The kernel splits one RAM range around setup_data
# and similar; merging makes two maps comparable.
ranges_norm() {
        local line a b
        while IFS= read -r line; do
                [ -n "$line" ] || continue
                a=${line%%-*}
                b=${line#*-}
                a=${a#0x} a=${a#0X} b=${b#0x} b=${b#0X}
                echo "$((16#$a)) $((16#$b))"
        done | sort -n -k1,1 | {
                local s=-1 e=-1 x y
                while read -r x y; do
                        if [ "$s" -ge 0 ] && [ "$x" -le $((e + 1)) ]; then
                                [ "$y" -gt "$e" ] && e=$y
                                continue
                        fi
                        [ "$s" -lt 0 ] || echo "$s $e"
                        s=$x e=$y
                done
                [ "$s" -lt 0 ] || echo "$s $e"
        }
}

# ranges_inside INNER OUTER: both files of "START-END" lines.  Status 0 when
# every inner range lies inside the union of the outer ones; otherwise print
# each inner range that does not (as hex) and return 1.
ranges_inside() {
        local outer bad=0 x y s e ok
        outer=$(ranges_norm <"$2")
        while read -r x y; do
                ok=0
                while read -r s e; do
                        [ -n "$s" ] || continue
                        if [ "$x" -ge "$s" ] && [ "$y" -le "$e" ]; then
                                ok=1
                                break
                        fi
                done <<<"$outer"
                if [ "$ok" = 0 ]; then
                        printf 'outside: %#x-%#x\n' "$x" "$y"
                        bad=1
                fi
        done < <(ranges_norm <"$1")
        return "$bad"
}

# ranges_equal A B: status 0 when the two files of "START-END" lines cover
# exactly the same addresses (after merging).
ranges_equal() {
        [ "$(ranges_norm <"$1")" = "$(ranges_norm <"$2")" ]
}

# --- switcher ESP staging ----------------------------------------------------

# sw_guest ARCH BUILD: make sure the stock kernel and the test initramfs for
# ARCH are in BUILD/cache (fetched and built once, then reused) and set
# SW_KERNEL and SW_INITRD to their paths.
sw_guest() {
        local arch=$1 cache=$2/cache
        "$SW_OVMF_DIR/fetch-kernel.sh" "$arch" "$cache" >&2 || return 1
        if [ ! -s "$cache/$arch/initrd.gz" ] || [ "$SW_OVMF_DIR/guest-init.sh" -nt "$cache/$arch/initrd.gz" ] ||
                [ "$SW_OVMF_DIR/mkinitramfs.sh" -nt "$cache/$arch/initrd.gz" ]; then
                "$SW_OVMF_DIR/mkinitramfs.sh" "$arch" "$cache" "$cache/$arch/initrd.gz" >&2 || return 1
        fi
        SW_KERNEL=$cache/$arch/vmlinuz
        SW_INITRD=$cache/$arch/initrd.gz
}

# sw_esp ESP BUILD CONF: a fresh ESP directory holding the switcher as the
# removable-media boot loader and CONF next to it, as an installed machine has.
sw_esp() {
        local esp=$1 build=$2 conf=$3
        rm -rf "$esp"
        mkdir -p "$esp/EFI/BOOT"
        cp "$build/switcher.efi" "$esp/EFI/BOOT/BOOTX64.EFI"
        cp "$conf" "$esp/EFI/BOOT/partitions.conf"
}

# sw_esp_slot ESP ID: copy SW_KERNEL/SW_INITRD (see sw_guest) to
# ESP/slots/ID/vmlinuz and ESP/slots/ID/initrd.img.
sw_esp_slot() {
        mkdir -p "$1/slots/$2"
        cp "$SW_KERNEL" "$1/slots/$2/vmlinuz"
        cp "$SW_INITRD" "$1/slots/$2/initrd.img"
}

# hexnum 0xABC / ABC -> decimal, for comparing addresses printed in any case.
hexnum() {
        local v=${1#0x}
        v=${v#0X}
        printf '%d\n' "0x$v"
}

# sw_agent_initrd BUILD WORK ROLE...: the test initramfs plus the guest agent
# (switchctl, switcher-agent), evdev for the hotkeys, and the given roles from
# tests/ovmf/roles/; sets SW_INITRD to WORK/initrd.gz.  Call sw_guest first.
# SW_GUEST_ARCH=i386 builds it for Debian's i386 kernel, with the i386 agent
# (make agent32); the default is amd64.  The agent is its test build
# (BUILD/guest-agent/test/, with the test hooks the roles use);
# SW_AGENT_SHIPPED=1 takes the shipped one instead (make demo).
sw_agent_initrd() {
        local build=$1 work=$2 arch=${SW_GUEST_ARCH:-amd64} bindir=$1/guest-agent target=agent b r
        shift 2
        [ "${SW_AGENT_SHIPPED:-0}" = 1 ] || bindir=$bindir/test
        if [ "$arch" = i386 ]; then
                bindir=$bindir/i386
                target=agent32
        fi
        for b in switchctl switcher-agent; do
                [ -x "$bindir/$b" ] || { sw_log "$bindir/$b is missing: run make $target"; return 1; }
        done
        rm -rf "$work/extra"
        mkdir -p "$work/extra/bin" "$work/extra/roles"
        cp "$bindir/switchctl" "$bindir/switcher-agent" "$work/extra/bin/"
        # shellcheck disable=SC2086 # SW_EXTRA_BIN is a list of files
        [ -n "${SW_EXTRA_BIN:-}" ] && cp $SW_EXTRA_BIN "$work/extra/bin/"
        for r in "$@"; do
                cp "$SW_OVMF_DIR/roles/$r.sh" "$work/extra/roles/"
        done
        if ! SW_INITRD_EXTRA=$work/extra SW_INITRD_MODULES=evdev \
                "$SW_OVMF_DIR/mkinitramfs.sh" "$arch" "$build/cache" "$work/initrd.gz" >"$work/mkinitramfs.log" 2>&1; then
                sw_log "mkinitramfs failed: $(tail -n 3 "$work/mkinitramfs.log")"
                return 1
        fi
        SW_INITRD=$work/initrd.gz
}

# log_count LOG REGEX: how many lines of LOG match (CRs stripped).
log_count() {
        tr -d '\r' <"$1" | grep -Ec -- "$2" || true
}

# wait_for_count LOG REGEX N SECS: wait until at least N lines match.
wait_for_count() {
        local log=$1 re=$2 want=$3 secs=$4 end
        end=$((SECONDS + secs))
        while [ "$SECONDS" -lt "$end" ]; do
                [ "$(log_count "$log" "$re")" -ge "$want" ] && return 0
                sleep 0.2
        done
        return 1
}

# check_slot_writer LOG WORK NAME SLOT DISK: the checks of a slot that ran the
# "switch" role's writer across switches (t-switch, t-i386): the same writer
# PID throughout with its counter and uptime continuing (NAME/slot-SLOT-alive),
# the file on its partition exactly the ticks, in order (…-file-exact), and
# the partition clean under e2fsck -fn (…-fsck).  DISK must be the image
# after QEMU exited.
check_slot_writer() {
        local log=$1 w=$2 name=$3 s=$4 disk=$5 pid last
        tr -d '\r' <"$log" |
                sed -n "s/^GUEST: tick slot=$s pid=\([0-9]*\) n=\([0-9]*\) up=\([0-9.]*\)$/\1 \2 \3/p" >"$w/ticks-$s"
        if awk 'NR == 1 { pid = $1; n = $2; up = $3; next }
                $1 != pid { print "pid changed " pid " -> " $1; bad = 1 }
                $2 != n + 1 { print "counter jumped " n " -> " $2; bad = 1 }
                $3 + 0 < up + 0 { print "uptime went back " up " -> " $3; bad = 1 }
                { n = $2; up = $3 }
                END { if (NR < 2) { print "only " NR " ticks"; bad = 1 } exit bad }' "$w/ticks-$s" >"$w/ticks-$s.err"; then
                t_pass "$name/slot-$s-alive"
        else
                t_fail "$name/slot-$s-alive" "$(head -n 3 "$w/ticks-$s.err" | tr '\n' ' ')"
        fi
        pid=$(awk 'NR == 1 { print $1 }' "$w/ticks-$s")
        last=$(awk 'END { print $2 }' "$w/ticks-$s")
        disk_readfile "$disk" "slot-$s" /count.txt >"$w/count-$s.txt" 2>/dev/null || true
        seq 1 "${last:-0}" | sed "s/^/slot=$s pid=$pid n=/" >"$w/want-$s.txt"
        if [ -n "$last" ] && cmp -s "$w/count-$s.txt" "$w/want-$s.txt"; then
                t_pass "$name/slot-$s-file-exact"
        else
                t_fail "$name/slot-$s-file-exact" "$(diff "$w/want-$s.txt" "$w/count-$s.txt" | head -n 4 | tr '\n' ' ')"
        fi
        if disk_fsck "$disk" "slot-$s" >"$w/fsck-$s.log" 2>&1; then
                t_pass "$name/slot-$s-fsck"
        else
                t_fail "$name/slot-$s-fsck" "$(tail -n 3 "$w/fsck-$s.log" | tr '\n' ' ')"
        fi
}

# qemu_stop PID RUN_DIR: quit a background QEMU (run_qemu with SW_QEMU_BG=1)
# through its monitor, kill it if that did not work, and reap it.
qemu_stop() {
        local qpid=$1 run=$2
        if kill -0 "$qpid" 2>/dev/null; then
                qemu_monitor "$run" quit 2>/dev/null || true
                sleep 1
                kill "$qpid" 2>/dev/null || true
        fi
        wait "$qpid" 2>/dev/null || true
        tpm_stop "$run"
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

# press_hotkey RUN LOG TIMINGS KEYS NAME MARKER_RE N: press the hotkey KEYS
# (QEMU sendkey syntax; "ctrl-alt-2 1500" holds it 1.5 s, so the keyboard
# repeats it) through the monitor in RUN, wait up to 120 s for the Nth line
# of LOG matching MARKER_RE, and append "NAME MS" (press to marker) to
# TIMINGS.  SW_PRESS_TIMES=N presses it N times, 50 ms apart (a storm).
# Fails (status 1) when the marker does not come.
press_hotkey() {
        local run=$1 log=$2 timings=$3 keys=$4 name=$5 re=$6 n=$7 t0 i cmds=()
        # The agent ignores hotkeys for 1 s after a switch (bouncing keys).
        sleep 1.5
        for ((i = 0; i < ${SW_PRESS_TIMES:-1}; i++)); do
                cmds+=("sendkey $keys")
        done
        t0=$(sw_now_ms)
        qemu_monitor "$run" "${cmds[@]}"
        if wait_for_count "$log" "$re" "$n" 120; then
                echo "$name $(($(sw_now_ms) - t0))" >>"$timings"
                return 0
        fi
        return 1
}

# A hotkey tour of several slots running the "switch" role (t-i386,
# t-inplace).  tour_init NAME RUN LOG TIMINGS FIRST: FIRST is the slot that
# booted.  tour_go KEY SLOT: press KEY and wait for SLOT's userspace, its
# 'ready' marker on its first visit (a cold boot), else one more "resumed
# after" line; records the time as cold-SLOT / resume-SLOT.  tour_end
# LAST SLOT...: after the last press, wait for LAST's final marker, check
# each SLOT's, and for QEMU (pid SW_QEMU_PID) to power off.  TOUR_OK is 1
# while everything went well.
tour_init() {
        TOUR_NAME=$1 TOUR_RUN=$2 TOUR_LOG=$3 TOUR_TIMINGS=$4
        TOUR_OK=1 TOUR_RESUMES=0 TOUR_T0=$(sw_now_ms)
        declare -gA TOUR_VISITED=([$5]=1)
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
        [ "$TOUR_OK" = 1 ] || return 0
        wait_for_marker "$TOUR_LOG" "^GUEST: final slot=$last " 300 || true
        for s in "$@"; do
                t_check "$TOUR_NAME/final-$s" "$TOUR_LOG" "^GUEST: final slot=$s lines=[0-9]+$"
        done
        for _ in $(seq 1 60); do
                kill -0 "$SW_QEMU_PID" 2>/dev/null || break
                sleep 1
        done
        if kill -0 "$SW_QEMU_PID" 2>/dev/null; then
                t_fail "$TOUR_NAME/power-off" "QEMU still running after the last slot's power-off"
        fi
}

# sw_agent_test NAME BUILD_ARG ROLE...: the start of a test whose amd64
# guests run the agent: sets build (absolute), w (a fresh BUILD/ovmf/NAME),
# SW_KERNEL and SW_INITRD (the test initramfs with the agent and ROLEs), or
# fails NAME/prepare and exits.
sw_agent_test() {
        local name=$1
        build=$(cd "${2:-build}" && pwd)
        shift 2
        need_switcher "$build"
        w=$build/ovmf/$name
        rm -rf "$w"
        mkdir -p "$w"
        if ! sw_guest amd64 "$build" || ! sw_agent_initrd "$build" "$w" "$@"; then
                t_fail "$name/prepare" "could not build the guest with the agent (see above)"
                t_summary
                exit 1
        fi
}
