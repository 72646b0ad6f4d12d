# shellcheck shell=sh
# Role "lifecycle" (sourced by guest-init.sh as /roles/lifecycle.sh): a
# 64-bit guest that hands over through the switcher's tboot entry and
# restarts, powers off or panics inside its slot (t-tboot).
#
# It mounts its partition, counts its boots there (/boots), starts the tick
# writer and the hotkey daemon, then does what sw.life=ACT1,ACT2,... names
# for this boot (the Nth word for boot N, "wait" past the end):
#   reboot    reboot -f, 2 s after it is up
#   poweroff  poweroff -f, likewise
#   panic     a crash (sysrq c) on CPU 0; the command line's panic=N
#             (N != 0) turns it into a restart
#   panic-ap  the same on CPU 1, an application processor: the kernel stops
#             CPU 0 in its own code, and the switcher must bring it over
#   wait      stay, reporting each switch back into this slot, until it
#             has been switched to sw.want=N times and, with sw.alone=1, no
#             other slot is suspended; then unmount and power off.
#
# Markers:
#   GUEST: life slot=ID boot=N writer=PID action=ACT cpus=N
#   GUEST: act slot=ID ACT (just before it)
#   GUEST: resumed slot=ID switches=N cpus=N
#   GUEST: tick slot=ID pid=PID n=N up=SECONDS (start_writer)
#   GUEST: final slot=ID lines=N

life='' want=1 alone=0
# shellcheck disable=SC2013
for w in $(cat /proc/cmdline); do
        case $w in
        sw.life=*) life=${w#sw.life=} ;;
        sw.want=*) want=${w#sw.want=} ;;
        sw.alone=*) alone=${w#sw.alone=} ;;
        esac
done
[ -n "$part" ] || fail "role lifecycle needs sw.part=LABEL"

dev=$(find_part "$part") || fail "no partition labelled '$part'"
mount -t ext4 "$dev" /mnt || fail "mount -t ext4 $dev"
boot=$(($(cat /mnt/boots 2>/dev/null || echo 0) + 1))
echo "$boot" >/mnt/boots
sync
act=$(echo "$life" | cut -d, -f"$boot")
[ -n "$act" ] || act="wait"

start_writer
# busybox sed has no -u: a read loop passes each line on at once.
switcher-agent --foreground 2>&1 | while IFS= read -r l; do echo "GUEST: agent-log $l"; done &
sleep 1
say "life slot=$slot boot=$boot writer=$wpid action=$act cpus=$(nproc)"

# Is any slot but this one suspended (has state the machine can go on in)?
others_suspended() {
        switchctl list --json 2>/dev/null | tr '{' '\n' | grep -v "\"id\":\"$slot\"" |
                grep -q '"state":"suspended"'
}

case $act in
reboot | poweroff | panic | panic-ap)
        sleep 2
        sync
        say "act slot=$slot $act"
        case $act in
        reboot) reboot -f ;;
        poweroff) poweroff -f ;;
        panic) taskset 1 sh -c 'echo c >/proc/sysrq-trigger' ;;
        panic-ap) taskset 2 sh -c 'echo c >/proc/sysrq-trigger' ;;
        esac
        fail "$act came back"
        ;;
esac

seen=$(mb_slot "$slot" switches)
while :; do
        sleep 1
        n=$(mb_slot "$slot" switches)
        [ -n "$n" ] || continue
        if [ "$n" != "$seen" ]; then
                seen=$n
                say "resumed slot=$slot switches=$n cpus=$(nproc)"
        fi
        [ "$n" -ge "$want" ] || continue
        [ "$alone" = 1 ] && others_suspended && continue
        break
done
touch /tmp/stop
wait "$wpid"
lines=$(wc -l </mnt/count.txt)
umount /mnt || fail "umount /mnt"
say "final slot=$slot lines=$lines"
finish
