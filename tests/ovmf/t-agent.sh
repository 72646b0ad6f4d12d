#!/bin/bash
# t-agent.sh BUILD
#
# The guest agent inside a guest the switcher booted: switchctl reaches the
# mailbox through /dev/mem (mmap without O_SYNC, or the pread fallback) and
# shows what the switcher wrote there, refuses bad switches, blocks a switch
# while another slot's partition is mounted read-write (read from the real
# GPT), and switcher-agent sees a hotkey pressed on the guest's keyboard
# (QEMU monitor sendkey) and writes the request (dry run: no suspend).
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

SW_AGENT_MODULES=efivarfs sw_agent_test agent "${1:-build}" agent

cat >"$w/partitions.conf" <<'CONF'
timeout 0
default a
active-size 160M
console both
next-hotkey ctrl+alt+0

slot a
title Agent test A
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=agent
partition PARTLABEL=slot-a
hotkey ctrl+alt+1

slot b
title Agent test B
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options console=ttyS0,115200 panic=-1 sw.test=agent
partition PARTLABEL=slot-b
hotkey ctrl+alt+2
memory 96M
CONF
sw_disk "$w" a b

log=$w/serial.log
t0=$(sw_now_ms)
SW_QEMU_BG=1 run_qemu agent 512M 240 "$w/disk.img" "$log"
if wait_for_marker "$log" '^GUEST: agent daemon-ready$' 200; then
        # Slot b's hotkey, pressed and released on the guest's PS/2 keyboard.
        qemu_monitor "$SW_QEMU_RUN_DIR" 'sendkey ctrl-alt-2' >/dev/null || true
fi
# The role ends with the guest's power-off.
qemu_wait_exit agent/exit "$SW_QEMU_PID" "$SW_QEMU_RUN_DIR" 240 || true
echo "agent: qemu ended after $(sw_since "$t0") s"

t_check agent/up "$log" '^GUEST: up slot=a arch=x86_64$'
# The mailbox through /dev/mem: which path worked is in "access".
t_check agent/status-rc "$log" '^GUEST: agent status-json rc 0$'
t_check agent/status-json "$log" \
        '^GUEST: agent status-json out \{"mailbox":"0x[0-9a-f]+ \(/dev/mem, (mmap|pread)\)","access":"(mmap|pread)","version":1,"current":"a","self":"a","default":"a","result":\{"seq":0,"status":"ok","message":""\},"request":null\}$'
t_check agent/status-mmap "$log" '^GUEST: agent status-json out .*"access":"mmap"'
t_check agent/list "$log" '^GUEST: agent list out \* a +Agent test A +swap +running +ctrl\+alt\+1 +0 +0  PARTLABEL=slot-a$'
t_check agent/list-b "$log" '^GUEST: agent list out   b +Agent test B +swap +empty +ctrl\+alt\+2 +0 +0  PARTLABEL=slot-b$'
t_check agent/list-json "$log" '^GUEST: agent list-json out \{"current":"a","slots":\[\{"id":"a",.*\{"id":"b","title":"Agent test B",'
t_check agent/switch-unknown "$log" "^GUEST: agent switch-unknown err switchctl: cannot switch: unknown slot 'no-such-slot' \(slots: a, b\)$"
t_check agent/switch-unknown-rc "$log" '^GUEST: agent switch-unknown rc 1$'
t_check agent/switch-self "$log" "^GUEST: agent switch-self err switchctl: cannot switch: slot 'a' is the one running$"
t_check agent/switch-self-rc "$log" '^GUEST: agent switch-self rc 1$'
# A 64-bit slot has EFI runtime services (docs/efi-runtime.md): with
# efivarfs mounted, set-default writes the default for the next start-up.
t_check agent/set-default "$log" "^GUEST: agent set-default (out|err) switchctl: default slot set to '[a-z]+' \(EFI variables LoaderEntryDefault-[0-9a-f-]+ and SwitcherSlotDefault-[0-9a-f-]+\)"
t_check agent/set-default-rc "$log" '^GUEST: agent set-default rc 0$'
t_check agent/mount-rw-refused "$log" "^GUEST: agent switch-mounted-rw err switchctl: /dev/sd[a-z]3 \(slot 'b''s partition PARTLABEL=slot-b\) is mounted read-write at /mnt in this mount namespace: refusing to switch"
t_check agent/mount-rw-rc "$log" '^GUEST: agent switch-mounted-rw rc 1$'
t_check agent/mount-ro-allowed "$log" "^GUEST: agent switch-mounted-ro err switchctl: request 1: a -> b written to the mailbox"
t_check agent/mount-ro-rc "$log" '^GUEST: agent switch-mounted-ro rc 0$'
t_check agent/request-pending "$log" '^GUEST: agent status-after-dry-run out .*"request":\{"slot":"a","target":"b","seq":1,"csum_ok":true\}\}$'
t_check agent/evdev "$log" '^GUEST: agent input .*event[0-9]'
t_check agent/daemon-hotkey "$log" "^GUEST: agent daemon err switcher-agent: hotkey ctrl\+alt\+2 released: switching to b$"
t_check agent/daemon-rc "$log" '^GUEST: agent daemon-rc 0$'
t_check agent/daemon-kmsg "$log" '^GUEST: agent kmsg .*switcher-agent: hotkey ctrl\+alt\+2 released: switching to b'
t_check agent/done "$log" '^GUEST: done$'
t_summary
