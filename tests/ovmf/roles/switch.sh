# shellcheck shell=sh
# Role "switch" (sourced by guest-init.sh as /roles/switch.sh): a guest that
# lives through many switches.  It mounts its own partition, starts a writer
# that appends one numbered line a second to /count.txt there (and prints it
# as a tick), and runs the hotkey daemon, whose log goes to the console.
# The host presses the hotkeys (QEMU monitor sendkey).  The daemon runs in
# the foreground, so its info lines too (each hotkey press it arms on, each
# one it ignores and why) reach serial as "GUEST: agent-log" lines: t-switch
# counts them to see its storm of presses reach the agents.
#
# Command line: sw.part=LABEL, sw.other=ID (the other slot), sw.rounds=R,
# sw.last=1 on the slot that powers the machine off at the end; sw.want=N
# overrides how many switches into this slot it waits for before it ends
# (tests with more than two slots); sw.basics=1 first reports the RAM map
# and RSDP the switcher gave it (iomem-ram/rsdp markers).
#
# First, on the slot booted first (sw.badreq=1), two requests the switcher
# must refuse, each through a real suspend/resume: an unknown target and a
# corrupt checksum.
#
# The end: once this slot has been switched to R times (R + 1 for the last
# one, which is entered once more by the other's final switch), the writer
# stops, the partition is unmounted (so the host's e2fsck -fn sees a clean
# file system), and the slot either powers off (sw.last=1) or switches to
# the other slot for good (and, when that one's power-off brings the
# machine back here, as the tboot entry does, powers off itself).
#
# Markers:
#   GUEST: badreq NAME rc N [message]
#   GUEST: ready slot=ID writer=PID
#   GUEST: tick slot=ID pid=PID n=N up=SECONDS
#   GUEST: cpus slot=ID switches=N n=CPUS       (after each switch into it)
#   GUEST: agent-log switcher-agent: ...
#   GUEST: final slot=ID lines=N

other='' rounds=3 last=0 badreq=0 want='' basics=0
# shellcheck disable=SC2013
for w in $(cat /proc/cmdline); do
        case $w in
        sw.other=*) other=${w#sw.other=} ;;
        sw.rounds=*) rounds=${w#sw.rounds=} ;;
        sw.last=*) last=${w#sw.last=} ;;
        sw.badreq=*) badreq=${w#sw.badreq=} ;;
        sw.want=*) want=${w#sw.want=} ;;
        sw.basics=*) basics=${w#sw.basics=} ;;
        esac
done
[ -n "$part" ] || fail "role switch needs sw.part=LABEL"
[ -n "$other" ] || fail "role switch needs sw.other=ID"

[ "$basics" = 1 ] && report_basics

dev=$(find_part "$part") || fail "no partition labelled '$part'"
mount -t ext4 "$dev" /mnt || fail "mount -t ext4 $dev"

if [ "$badreq" = 1 ]; then
        out=$(switchctl switch ghost --test-unchecked 2>&1)
        say "badreq unknown rc $? $(echo "$out" | tail -n 1)"
        out=$(switchctl switch "$other" --test-bad-csum 2>&1)
        say "badreq csum rc $? $(echo "$out" | tail -n 1)"
fi

# make bench: the copy rate this VM gets from the C library, for comparison
# with the switcher's swap copy.
if [ -x /bin/memcpy-bench ] && [ "$badreq" = 1 ]; then
        say "bench $(memcpy-bench 64)"
fi

# Whether this kernel runs on 5-level paging: Linux clears the la57 flag
# from /proc/cpuinfo unless it enabled it (t-nos3 gives the CPU la57).
if grep -qw la57 /proc/cpuinfo; then la57=1; else la57=0; fi
say "paging slot=$slot la57=$la57"
start_writer
say "ready slot=$slot writer=$wpid"

# busybox sed has no -u: a read loop passes each line on at once.
switcher-agent --foreground 2>&1 | while IFS= read -r l; do echo "GUEST: agent-log $l"; done &

if [ -z "$want" ]; then
        want=$rounds
        [ "$last" = 1 ] && want=$((rounds + 1))
fi
seen=$(mb_slot "$slot" switches)
while :; do
        sleep 1
        n=$(mb_slot "$slot" switches)
        # Every CPU back after each switch into this slot.
        if [ -n "$n" ] && [ "$n" != "$seen" ]; then
                seen=$n
                say "cpus slot=$slot switches=$n n=$(nproc)"
        fi
        [ -n "$n" ] && [ "$n" -ge "$want" ] && break
done
touch /tmp/stop
wait "$wpid"
lines=$(wc -l </mnt/count.txt)
umount /mnt || fail "umount /mnt"
say "final slot=$slot lines=$lines"
if [ "$last" = 1 ]; then
        finish
fi
# Leave for good: the other slot powers the machine off.
killall switcher-agent 2>/dev/null
switchctl switch "$other"
finish_if_off "$other"
fail "the final switch to '$other' came back"
