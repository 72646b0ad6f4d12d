# shellcheck shell=sh
# Role "agent" (sourced by guest-init.sh as /roles/agent.sh): the guest agent
# inside a guest the switcher booted.  Proves the mailbox is reachable through
# /dev/mem, runs the CLI's refusals, the mount check against a real GPT, and
# the hotkey daemon on the real input devices (the host presses the keys with
# the QEMU monitor's sendkey).  Nothing here suspends: the switcher's switch
# path is tested elsewhere.  Every line it prints starts with "GUEST: agent ".
#
# Markers (the host waits for them):
#   GUEST: agent daemon-ready       the daemon watches the keyboards
#   GUEST: agent daemon-rc N        the daemon saw the hotkey and exited

# agent_run NAME CMD...: run CMD, print its stdout and stderr line by line as
# "GUEST: agent NAME out|err ...", then "GUEST: agent NAME rc N".
agent_run() {
        name=$1
        shift
        "$@" >/tmp/agent.out 2>/tmp/agent.err
        rc=$?
        sed "s/^/GUEST: agent $name out /" /tmp/agent.out
        sed "s/^/GUEST: agent $name err /" /tmp/agent.err
        say "agent $name rc $rc"
}

say "agent cmdline $(cat /proc/cmdline)"
agent_run status-json switchctl status --json
agent_run status switchctl status
agent_run list switchctl list
agent_run list-json switchctl list --json
agent_run switch-unknown switchctl switch no-such-slot
agent_run switch-self switchctl switch "$slot"
mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null || true
agent_run set-default switchctl set-default "$slot"

# The mount check, on the real disk: slot b's partition mounted read-write
# must block a switch; read-only it must not.
dev=$(find_part slot-b) || fail "no partition slot-b"
mount -t ext4 "$dev" /mnt || fail "mount $dev"
agent_run switch-mounted-rw switchctl switch b --dry-run
umount /mnt
mount -t ext4 -o ro "$dev" /mnt || fail "mount -o ro $dev"
agent_run switch-mounted-ro switchctl switch b --dry-run
umount /mnt
# The read-only dry run left request #1 a -> b pending (nobody answers it
# without a suspend); the daemon's request below is #1 again.
agent_run status-after-dry-run switchctl status --json

# The hotkey daemon: real keyboards (evdev), keys from the QEMU monitor.
say "agent input $(ls /dev/input 2>/dev/null | tr '\n' ' ')"
switcher-agent --foreground --once --dry-run >/tmp/daemon.out 2>/tmp/daemon.err &
dpid=$!
# Let it open the devices before the host presses anything.
sleep 2
say "agent daemon-ready"
i=0
while kill -0 "$dpid" 2>/dev/null && [ $i -lt 600 ]; do
        sleep 0.1
        i=$((i + 1))
done
if kill -0 "$dpid" 2>/dev/null; then
        kill "$dpid"
        say "agent daemon-timeout"
fi
wait "$dpid"
drc=$?
sed 's/^/GUEST: agent daemon err /' /tmp/daemon.err
say "agent daemon-rc $drc"
agent_run status-after-hotkey switchctl status --json
dmesg | grep 'switcher-agent:' | sed 's/^/GUEST: agent kmsg /'
