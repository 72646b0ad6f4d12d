# shellcheck shell=sh
# Role "demo" (sourced by guest-init.sh as /roles/demo.sh), used by the
# shipped partitions.conf and `make demo`: a counter runs in the background,
# the hotkey daemon watches the keyboard, and on the first visit each slot
# switches on by itself after a few seconds (a -> b cold boot -> a resumes),
# so the demo shows a switch without anyone pressing a key.  Then a shell.
dev=$(find_part "$part") && mount -t ext4 "$dev" /mnt && say "demo: slot $slot mounted its partition $part at /mnt"
( n=0; while :; do n=$((n + 1)); echo "$n" >/tmp/count; sleep 1; done ) &
cpid=$!
switcher-agent --foreground 2>/tmp/agent.log &
say "demo: this is slot '$slot' ($(uname -m), kernel $(uname -r)); counter pid $cpid"
say "demo: slots: $(switchctl list 2>/dev/null | tr '\n' ';')"
sleep 3
if [ "$slot" = "$(switchctl status --json | sed -n 's/.*"default":"\([^"]*\)".*/\1/p')" ]; then
        say "demo: switching to the next slot (switchctl switch @next)..."
        umount /mnt 2>/dev/null
        switchctl switch @next
        say "demo: back in slot '$slot': counter pid $cpid still counts ($(cat /tmp/count) s of its own time)"
        say "demo: done"
else
        say "demo: switching back (switchctl switch @next)..."
        umount /mnt 2>/dev/null
        switchctl switch @next
        say "demo: back in slot '$slot'"
fi
say "demo: a shell; try: switchctl list, switchctl switch @next, or Ctrl+Alt+digit on the keyboard"
setsid sh -c 'exec sh </dev/console >/dev/console 2>&1'
finish
