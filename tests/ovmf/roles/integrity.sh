# shellcheck shell=sh
# Role "integrity" (sourced by guest-init.sh as /roles/integrity.sh): the
# switcher's saved-state checks, through real S3 round trips.
#
# Slot a (sw.first=1) switches to b, which cold-boots and at once switches
# back (so b now has a saved state).  Then a, as root with /dev/mem (the
# hole the security model names), changes one byte in the middle of b's
# store, and asks for b again: the switcher must refuse to resume b, mark it
# failed, and resume a with the reason; a second request for b is refused
# as a failed slot.  A request for the running slot is refused too.  Then a
# powers the machine off.
#
# Markers:
#   GUEST: integrity b-ready                 (slot b, before it switches back)
#   GUEST: integrity back rc N               (a, after its first switch returned)
#   GUEST: integrity store b 0xBASE SIZE
#   GUEST: integrity poke 0xADDR OLD -> NEW
#   GUEST: integrity refused rc N MESSAGE    (a, the request for the damaged b)
#   GUEST: integrity state b STATE
#   GUEST: integrity again rc N MESSAGE
#   GUEST: integrity self rc N MESSAGE
#   GUEST: integrity done

first=0 recover=0
# shellcheck disable=SC2013
for w in $(cat /proc/cmdline); do
        case $w in
        sw.first=*) first=${w#sw.first=} ;;
        sw.recover=*) recover=${w#sw.recover=} ;;
        esac
done


if [ "$first" != 1 ]; then
        say "integrity b-ready"
        out=$(switchctl switch a 2>&1) || fail "slot b: switch back to a failed: $out"
        finish_if_off a
        fail "slot b was resumed, which the test never asks for"
fi

out=$(switchctl switch b 2>&1)
say "integrity back rc $? $(echo "$out" | tail -n 1)"
base=$(mb_slot b store)
size=$(mb_slot b store_size)
[ -n "$base" ] && [ -n "$size" ] && [ "$size" != 0 ] || fail "no store for slot b in switchctl list --json"
say "integrity store b $(printf '0x%x' "$base") $size"
addr=$(printf '0x%x' $((base + size / 2)))
old=$(devmem "$addr" 32) || fail "devmem read $addr"
new=$(printf '0x%08x' $((old ^ 0x00010000)))
devmem "$addr" 32 "$new" || fail "devmem write $addr"
say "integrity poke $addr $old -> $(devmem "$addr" 32)"

out=$(switchctl switch b 2>&1)
rc=$?
if [ "$recover" = 1 ]; then
        # 'on-damage cold-boot': b started over (and came straight back).
        say "integrity recovered rc $rc $(echo "$out" | tail -n 1)"
        say "integrity state b $(mb_slot b state)"
        say "integrity done"
        finish
fi
say "integrity refused rc $rc $(echo "$out" | tail -n 1)"
say "integrity state b $(mb_slot b state)"
out=$(switchctl switch b 2>&1)
say "integrity again rc $? $(echo "$out" | tail -n 1)"
out=$(switchctl switch a --test-unchecked 2>&1)
say "integrity self rc $? $(echo "$out" | tail -n 1)"

# A second switch while one is under way: the switch lock is an flock on
# /dev/mem (the mailbox's descriptor), held by a switch from its start to
# the answer.  Holding it the way a switch does, a new switch is refused
# at once, with nothing written.
switchctl switch a --test-unchecked --test-hold 3 >/tmp/first.out 2>&1 &
fpid=$!
sleep 1
out=$(switchctl switch a --test-unchecked 2>&1)
say "integrity concurrent rc $? $(echo "$out" | tail -n 1)"
wait "$fpid"
say "integrity first rc $? $(tail -n 1 /tmp/first.out)"

# A mailbox full of garbage, then a suspend: the switcher finds it damaged,
# rebuilds it from its own state and resumes this slot.
mbaddr=$(sed -n 's/.*switcher.mailbox=\(0x[0-9a-fA-F]*\).*/\1/p' /proc/cmdline)
i=0
while [ $i -lt 256 ]; do
        devmem "$(printf '0x%x' $((mbaddr + i * 4)))" 32 0xdeadbeef
        i=$((i + 1))
done
out=$(switchctl status 2>&1)
say "integrity garbage-status rc $? $(echo "$out" | tail -n 1)"
echo 0 >/sys/class/rtc/rtc0/wakealarm
echo +2 >/sys/class/rtc/rtc0/wakealarm
echo mem >/sys/power/state
out=$(switchctl list --json 2>&1)
say "integrity rebuilt rc $? $(echo "$out" | tail -n 1)"
say "integrity done"
finish
