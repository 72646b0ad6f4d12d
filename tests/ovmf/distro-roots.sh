#!/bin/bash
# distro-roots.sh BUILD OUT
#
# t-distro's two Debian roots, amd64 and i386, with this build's agent
# package in them: packaging/deb/build-deb.sh makes the packages, then
# mkrootfs.sh builds (or finds cached) each root.  OUT gets one line per
# architecture, "ARCH DIR", DIR the root's cache directory.  Each step's
# output goes to OUT.log.
#
# t-distro calls it for its roots.  run-all.sh also starts it in the
# background, niced, when it will run t-distro, before the other tests: on
# a first run the roots take the longest of anything in `make test` (about
# 20 minutes of mmdebstrap, most of it the i386 packages' scripts under
# qemu-user), and so they are made while the other tests run.  t-distro
# comes last; its own call waits for the background build (mkrootfs.sh
# allows one build per architecture at a time) and finds the roots cached.
#
# Exit status: 0; 3 when this host cannot make the roots, with the reason
# on stderr (not root, or no way to run i386 programs: see mkrootfs.sh);
# 1 for any other failure, with what failed on stderr.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || sw_die "usage: $0 BUILD OUT"
build=$(cd "$1" && pwd)
out=$2
log=$out.log
: >"$log"
if [ "$(id -u)" != 0 ]; then
        # mmdebstrap --mode=root, and a tar run as root to keep the owners.
        echo "building the Debian roots (mmdebstrap --mode=root) needs root" >&2
        exit 3
fi
# One run at a time (the packages are rewritten in place by build-deb.sh):
# a second caller waits for the first, then finds everything made.
mkdir -p "$build/cache/rootfs"
exec 8>"$build/cache/rootfs/.lock-roots"
if ! flock -n 8; then
        echo "distro-roots: another run is making the roots; waiting for it" >>"$log"
        flock 8
fi
for b in guest-agent/switchctl guest-agent/switcher-agent guest-agent/i386/switchctl guest-agent/i386/switcher-agent; do
        [ -x "$build/$b" ] || sw_die "$build/$b is missing: run make agent agent32"
done
"$SW_TOP/packaging/deb/build-deb.sh" "$build" >"$out.debs" 2>>"$log" ||
        sw_die "packaging/deb/build-deb.sh failed: $(tail -n 3 "$log" | tr '\n' ' ')"
: >"$out"
for arch in amd64 i386; do
        deb=$(grep "_$arch\.deb\$" "$out.debs" || true)
        [ -n "$deb" ] || sw_die "build-deb.sh made no $arch package: $(cat "$out.debs")"
        t0=$(sw_now_ms)
        rc=0
        dir=$("$SW_OVMF_DIR/mkrootfs.sh" "$arch" "$build/cache" "$deb" 2>"$out.$arch.log") || rc=$?
        cat "$out.$arch.log" >>"$log"
        if [ "$rc" = 3 ]; then
                grep -a 'runs no i386 programs' "$out.$arch.log" | head -n 1 >&2
                exit 3
        elif [ "$rc" != 0 ]; then
                sw_die "mkrootfs.sh $arch failed: $(tail -n 5 "$out.$arch.log" | tr '\n' ' ')"
        fi
        echo "distro-roots: $arch root ready after $(sw_since "$t0") s: $dir" >>"$log"
        echo "$arch $dir" >>"$out"
done
