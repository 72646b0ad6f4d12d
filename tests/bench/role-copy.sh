# shellcheck shell=sh
# Role "copy" (sourced by guest-init.sh as /roles/copy.sh) for make bench's
# copy-loop row (tests/bench/bench.sh): the switcher's copy loop, rep movsb,
# rep movsq and glibc's memcpy, timed one after the other in this VM by
# /bin/memcpy-bench --loops.  sw.copy.mib=N sets the size of each copy (the
# bench's active region).  guest-init.sh powers off when the role returns.
#
# Markers:
#   GUEST: copy NAME N MiB: best N MB/s (of R rounds: median N, min N)

mib=256
# shellcheck disable=SC2013
for w in $(cat /proc/cmdline); do
        case $w in
        sw.copy.mib=*) mib=${w#sw.copy.mib=} ;;
        esac
done
[ -x /bin/memcpy-bench ] || fail "no /bin/memcpy-bench in the initramfs"
out=$(memcpy-bench --loops "$mib") || fail "memcpy-bench --loops $mib: $out"
printf '%s\n' "$out" | while IFS= read -r l; do
        say "copy $l"
done
