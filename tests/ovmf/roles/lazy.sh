# shellcheck shell=sh
# Role "lazy" (sourced by guest-init.sh as /roles/lazy.sh): the lazy save
# of the active region (t-lazy).  Slot b is a swap slot, slot a an in-place
# one; both hand over through the tboot entry.
#
# b (sw.first=1) starts a writer and switches to a: only the low memory a
# overwrites is saved, the rest of b's RAM stays in the active region.  a
# switches straight back: b resumes with its writer.  b switches to a again
# (a resumed).  a then changes one byte of b's RAM in the active region
# (sw.poke=ADDR, through /dev/mem, as root can) and asks for b: the switcher
# must refuse to resume b, say why, and mark it failed, as for a changed
# store.  a then powers off, and with no slot with state left, so does the
# machine.
#
# Markers:
#   GUEST: lazy b-up writer=PID
#   GUEST: lazy b-back rc N writer=PID alive|dead   (b, after its first switch)
#   GUEST: lazy a-up
#   GUEST: lazy a-back rc N                         (a, after its first switch)
#   GUEST: lazy poke 0xADDR OLD -> NEW
#   GUEST: lazy refused rc N MESSAGE
#   GUEST: lazy state b STATE
first=0 poke=''
# shellcheck disable=SC2013
for w in $(cat /proc/cmdline); do
        case $w in
        sw.first=*) first=${w#sw.first=} ;;
        sw.poke=*) poke=${w#sw.poke=} ;;
        esac
done

if [ "$first" = 1 ]; then
        dev=$(find_part "$part") || fail "no partition labelled '$part'"
        mount -t ext4 "$dev" /mnt || fail "mount -t ext4 $dev"
        start_writer
        sleep 2
        say "lazy b-up writer=$wpid"
        out=$(switchctl switch a 2>&1)
        rc=$?
        sleep 2
        say "lazy b-back rc $rc writer=$wpid $(kill -0 "$wpid" 2>/dev/null && echo alive || echo dead)"
        switchctl switch a
        fail "slot b was resumed a second time, which the test never asks for"
fi

[ -n "$poke" ] || fail "role lazy needs sw.poke=ADDR on slot a"
say "lazy a-up"
out=$(switchctl switch b 2>&1)
say "lazy a-back rc $? $(echo "$out" | tail -n 1)"
old=$(devmem "$poke" 32) || fail "devmem read $poke"
new=$(printf '0x%08x' $((old ^ 0x00010000)))
devmem "$poke" 32 "$new" || fail "devmem write $poke"
say "lazy poke $poke $old -> $(devmem "$poke" 32)"
out=$(switchctl switch b 2>&1)
say "lazy refused rc $? $(echo "$out" | tail -n 1)"
say "lazy state b $(mb_slot b state)"
finish
