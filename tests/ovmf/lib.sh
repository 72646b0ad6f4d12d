# shellcheck shell=bash
# Shared helpers for the QEMU + OVMF end-to-end tests and the guest builders.
#
# Source it from bash:   . "$(dirname "$0")/lib.sh"
# It sets no shell options itself; the scripts that source it use `set -eu`.
# It sources the rest by concern (see tests/ovmf/README.md for the contract):
#   lib-results.sh   PASS/FAIL results, checks, serial log readers, median
#   lib-qemu.sh      run_qemu, the monitor, how each run ends, hotkeys
#   lib-disk.sh      the ESP and test disk, what the guests wrote on it
#   lib-ranges.sh    memory ranges and addresses from the serial log
# and holds the rest itself:
#   sw_log MSG... / sw_die MSG...       a line to stderr prefixed with the script name (and exit 1)
#   sw_now_ms / sw_since T0_MS          timings for the log
#   sw_make BUILD LOG TARGET...         this tree's Makefile for TARGET
#   sw_need_cmd CMD...                  fail with the package hint when a tool is missing
#   sw_apt_lists_ready                  run `apt-get update` once (root) when lists are empty
#   sw_apt_download PKG CACHE_DEB_DIR   `apt-get download PKG` into a cache dir; prints the path
#   sw_guest ARCH BUILD                 the stock kernel and test initramfs (SW_KERNEL, SW_INITRD)
#   sw_agent_initrd BUILD WORK ROLE...  the test initramfs with the guest agent
#   need_switcher BUILD                 fail (once) when BUILD/switcher.efi is missing
#   sw_test_dir / sw_test / sw_agent_test NAME BUILD_ARG   the start of a switcher test

# Where this file lives, so scripts can find their siblings wherever they run from.
SW_OVMF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # for the scripts that source this file
SW_TOP=$(cd "$SW_OVMF_DIR/../.." && pwd)

# shellcheck source=tests/ovmf/lib-results.sh
. "$SW_OVMF_DIR/lib-results.sh"
# shellcheck source=tests/ovmf/lib-qemu.sh
. "$SW_OVMF_DIR/lib-qemu.sh"
# shellcheck source=tests/ovmf/lib-disk.sh
. "$SW_OVMF_DIR/lib-disk.sh"
# shellcheck source=tests/ovmf/lib-ranges.sh
. "$SW_OVMF_DIR/lib-ranges.sh"

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

# --- guests and tests ---------------------------------------------------------

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
        # SW_EXTRA_ROOT: a directory tree merged into the initramfs root
        # (programs with their shared libraries, for one test's role).
        [ -n "${SW_EXTRA_ROOT:-}" ] && cp -a "$SW_EXTRA_ROOT/." "$work/extra/"
        for r in "$@"; do
                cp "$SW_OVMF_DIR/roles/$r.sh" "$work/extra/roles/"
        done
        if ! SW_INITRD_EXTRA=$work/extra SW_INITRD_MODULES="evdev ${SW_AGENT_MODULES:-}" \
                "$SW_OVMF_DIR/mkinitramfs.sh" "$arch" "$build/cache" "$work/initrd.gz" >"$work/mkinitramfs.log" 2>&1; then
                sw_log "mkinitramfs failed: $(tail -n 3 "$work/mkinitramfs.log")"
                return 1
        fi
        SW_INITRD=$work/initrd.gz
}

# need_switcher BUILD: for tests that boot the switcher.  When
# BUILD/switcher.efi is missing: fail with a clear message and exit the script
# (under run-all.sh, which already counted that failure once, exit quietly).
need_switcher() {
        [ -f "$1/switcher.efi" ] && return 0
        if [ -n "${SW_SWITCHER_MISSING:-}" ]; then
                # A "skip" record tells run-all that this script did not just
                # record nothing; it counts neither as a pass nor as a failure.
                echo "$(basename "$0" .sh): skipped: $1/switcher.efi is missing (counted once by run-all)"
                echo "skip $(basename "$0" .sh)" >>"${SW_RESULTS:-/dev/null}"
                exit 0
        fi
        t_fail "$(basename "$0" .sh)" "$1/switcher.efi is missing: build it first (make)"
        t_summary
        exit 1
}

# --- the start of a switcher test ------------------------------------------------
# They set the globals the test scripts use: build (absolute) and w (a fresh
# BUILD/ovmf/NAME), and exit the script after recording NAME/prepare when
# the guest cannot be had.

# sw_test_dir NAME BUILD_ARG: build and w, after need_switcher.
sw_test_dir() {
        build=$(cd "${2:-build}" && pwd)
        need_switcher "$build"
        w=$build/ovmf/$1
        rm -rf "$w"
        mkdir -p "$w"
}

# sw_prepare_failed NAME WHAT: record NAME/prepare and end the script.
sw_prepare_failed() {
        t_fail "$1/prepare" "$2"
        t_summary
        exit 1
}

# sw_test NAME BUILD_ARG: sw_test_dir, then the amd64 guest (sw_guest).
sw_test() {
        sw_test_dir "$1" "$2"
        sw_guest amd64 "$build" || sw_prepare_failed "$1" "could not fetch the kernel or build the initramfs"
}

# sw_agent_test NAME BUILD_ARG ROLE...: the start of a test whose amd64
# guests run the agent: sw_test, with SW_INITRD the test initramfs with the
# agent and ROLEs.
sw_agent_test() {
        local name=$1
        sw_test "$name" "$2"
        shift 2
        sw_agent_initrd "$build" "$w" "$@" ||
                sw_prepare_failed "$name" "could not build the guest with the agent (see above)"
}
