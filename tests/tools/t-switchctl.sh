#!/bin/bash
# t-switchctl.sh BUILD
#
# The guest agent's CLI on the host, against mailbox FILES built from a
# partitions.conf by `switchctl --make-test-mailbox` (the switcher's own
# sw_mailbox_build): status/list output in text and JSON, refusals with their
# exact messages and exit status, set-default with and without efivars, a
# dry-run switch writing a request the codec accepts, a damaged mailbox, the
# hotkey daemon fed recorded key events, and the GPT reader on a real disk
# image from mkdisk.sh.  It runs the agent's test build (guest-agent/test/,
# with the test hooks), and checks that the shipped build has none of them.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/../ovmf/lib.sh"

build=$(cd "${1:-build}" && pwd)
sc=$build/guest-agent/test/switchctl
sa=$build/guest-agent/test/switcher-agent
shipped=$build/guest-agent/switchctl
w=$build/tools/switchctl
rm -rf "$w"
mkdir -p "$w"
if [ ! -x "$sc" ] || [ ! -x "$sa" ] || [ ! -x "$shipped" ]; then
        t_fail switchctl/build "$sc, $sa or $shipped is missing: run make agent"
        t_summary
        exit 1
fi

# check NAME WANT_RC WANT_REGEX CMD...: run CMD (stdout+stderr), expect the
# exit status and one line matching the extended regex ("" = any output).
check() {
        local name=$1 want_rc=$2 re=$3 rc=0
        shift 3
        "$@" >"$w/$name.out" 2>&1 || rc=$?
        if [ "$rc" != "$want_rc" ]; then
                t_fail "switchctl/$name" "exit status $rc, wanted $want_rc: $(head -c 400 "$w/$name.out")"
        elif [ -n "$re" ] && ! grep -Eq -- "$re" "$w/$name.out"; then
                t_fail "switchctl/$name" "no line matching '$re' in: $(head -c 600 "$w/$name.out")"
        else
                t_pass "switchctl/$name"
        fi
}

cat >"$w/p.conf" <<'CONF'
timeout 0
default b
active-size 160M
next-hotkey ctrl+alt+0

slot a
title Test "A"
linux /slots/a/vmlinuz
partition PARTLABEL=slot-a
hotkey ctrl+alt+1

slot b
title Test B
linux /slots/b/vmlinuz
partition PARTUUID=53575054-0000-4000-8000-000000000003
hotkey ctrl+alt+2
mode in-place

slot c
title Test C
linux /slots/c/vmlinuz
CONF
mb=$w/mb
check make-mailbox 0 '' "$sc" --make-test-mailbox "$w/p.conf" "$mb" --current a
if [ "$(stat -c %s "$mb" 2>/dev/null)" = 16384 ]; then t_pass switchctl/mailbox-size; else t_fail switchctl/mailbox-size "not 16384 bytes"; fi
check make-mailbox-bad-current 1 "^switchctl: --current 'zz' names no valid slot of " \
        "$sc" --make-test-mailbox "$w/p.conf" "$w/mb2" --current zz

# --help everywhere, exit 0.
check help 0 '^usage: switchctl \[MAILBOX OPTIONS\] COMMAND' "$sc" --help
check help-status 0 '^usage: switchctl status \[--json\]$' "$sc" status --help
check help-list 0 '^usage: switchctl list \[--json\]$' "$sc" list --help
check help-switch 0 '^usage: switchctl switch SLOT\|@next\|@default' "$sc" switch --help
check help-set-default 0 '^usage: switchctl set-default SLOT' "$sc" set-default --help
check help-agent 0 '^usage: switcher-agent \[OPTIONS\]$' "$sa" --help
check no-command 2 '^usage: switchctl' "$sc"
check bad-command 2 "^switchctl: unknown command 'frobnicate'" "$sc" --mailbox-file "$mb" frobnicate

# status / list.
check status 0 '^running slot: +a$' "$sc" --mailbox-file "$mb" status
check status-default 0 '^default slot: +b$' "$sc" --mailbox-file "$mb" status
check status-json 0 \
        '^\{"mailbox":"[^"]*/mb","access":"file","version":1,"current":"a","self":"a","default":"b","result":\{"seq":0,"status":"ok","message":""\},"request":null\}$' \
        "$sc" --mailbox-file "$mb" status --json
check status-bad-arg 1 "^switchctl: status: unexpected argument '--xml'" "$sc" --mailbox-file "$mb" status --xml
check list-a 0 '^\* a +Test "A" +swap +running +ctrl\+alt\+1 +0 +0  PARTLABEL=slot-a$' "$sc" --mailbox-file "$mb" list
check list-b 0 '^  b +Test B +in-place +empty +ctrl\+alt\+2 +0 +0  PARTUUID=53575054-0000-4000-8000-000000000003$' \
        "$sc" --mailbox-file "$mb" list
check list-c 0 '^  c +Test C +swap +empty +- +0 +0  -$' "$sc" --mailbox-file "$mb" list
check list-json 0 \
        '^\{"current":"a","slots":\[\{"id":"a","title":"Test \\"A\\"","mode":"swap","state":"running","hotkey":"ctrl\+alt\+1","partition":"PARTLABEL=slot-a","partition_missing":false,"switches":0,"last_switch_us":0,"current":true,"store":0,"store_size":0\},\{"id":"b",.*\{"id":"c","title":"Test C","mode":"swap","state":"empty","hotkey":null,"partition":null,"partition_missing":false,"switches":0,"last_switch_us":0,"current":false,"store":0,"store_size":0\}\]\}$' \
        "$sc" --mailbox-file "$mb" list --json
n=$("$sc" --mailbox-file "$mb" list --json | wc -l)
[ "$n" = 1 ] && t_pass switchctl/list-json-one-line || t_fail switchctl/list-json-one-line "$n lines"
if command -v python3 >/dev/null; then
        if "$sc" --mailbox-file "$mb" list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [s["id"] for s in d["slots"]] == ["a","b","c"]' &&
                "$sc" --mailbox-file "$mb" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["current"] == "a"'; then
                t_pass switchctl/json-parses
        else
                t_fail switchctl/json-parses "python3 json.load refused the output"
        fi
fi

# Refusals.
check switch-unknown 1 "^switchctl: cannot switch: unknown slot 'zz' \(slots: a, b, c\)$" \
        "$sc" --mailbox-file "$mb" switch zz
check switch-self 1 "^switchctl: cannot switch: slot 'a' is the one running$" "$sc" --mailbox-file "$mb" switch a
check switch-none 1 '^switchctl: switch: which slot\?' "$sc" --mailbox-file "$mb" switch
check switch-bad-delay 1 "^switchctl: switch: --delay '0' is not a number of seconds in 1..3600$" \
        "$sc" --mailbox-file "$mb" switch b --delay 0
check switch-next-from-c 1 "^switchctl: cannot switch: unknown slot 'zz'" \
        "$sc" --mailbox-file "$mb" --slot c switch zz
check set-default-no-efi 1 \
        '^switchctl: set-default: no EFI variables in this guest \(booted without EFI runtime services\): /nonexistent/efivars is not there$' \
        "$sc" --mailbox-file "$mb" set-default b --efivars /nonexistent/efivars
check set-default-unknown 1 "^switchctl: set-default: unknown slot 'zz'$" "$sc" --mailbox-file "$mb" set-default zz
mkdir -p "$w/efivars"
check set-default-ok 0 "^switchctl: default slot set to 'b'" "$sc" --mailbox-file "$mb" set-default b --efivars "$w/efivars"
got=$(od -An -tx1 "$w/efivars/SwitcherSlotDefault-5c1a9a3e-8d2b-4f61-9b0e-3a4d5271c819" | tr -d ' \n')
[ "$got" = 0700000062000000 ] && t_pass switchctl/efivar-bytes || t_fail switchctl/efivar-bytes "got $got"

# Dry-run switches: the request lands in the file, checksum right.
# An empty test root for the partition-safety check (mounts.c): no block
# devices, so the host's own disks and mounts play no part.
mkdir -p "$w/mounts-empty/sys/class/block" "$w/mounts-empty/proc/self"
: >"$w/mounts-empty/proc/self/mountinfo"
check switch-dry-run 0 '^switchctl: request 1: a -> b written to the mailbox at ' \
        "$sc" --mailbox-file "$mb" switch @default --dry-run --sys-root "$w/mounts-empty"
check request-pending 0 '"request":\{"slot":"a","target":"b","seq":1,"csum_ok":true\}\}$' \
        "$sc" --mailbox-file "$mb" status --json
# The switcher answers (simulated): result-seq 1, status target-failed.
check set-result 0 '' "$sc" --mailbox-file "$mb" --test-set-result a 1 4 "slot 'b': kernel did not start"
check status-result 0 "^last request: +#1: target-failed: slot 'b': kernel did not start$" \
        "$sc" --mailbox-file "$mb" status
check switch-next 0 '^switchctl: request 2: a -> b written' \
        "$sc" --mailbox-file "$mb" switch @next --dry-run --sys-root "$w/mounts-empty"
check switch-next-wraps 0 '^switchctl: request 1: c -> a written' \
        "$sc" --mailbox-file "$mb" --slot c switch @next --dry-run --sys-root "$w/mounts-empty"
# One switch at a time: while another process holds the switch lock (an
# flock on the mailbox, as a switchctl or daemon mid-switch does), a second
# switch is refused and writes nothing.
if command -v flock >/dev/null; then
        before=$(md5sum <"$mb")
        flock "$mb" sleep 2 &
        lockpid=$!
        sleep 0.5
        check switch-in-progress 1 '^switchctl: another switch is already in progress in this slot; not starting a second one$' \
                "$sc" --mailbox-file "$mb" switch b --dry-run --sys-root "$w/mounts-empty"
        [ "$(md5sum <"$mb")" = "$before" ] && t_pass switchctl/in-progress-wrote-nothing ||
                t_fail switchctl/in-progress-wrote-nothing "the mailbox changed"
        # The lock dies with its holder (sleep, not flock, holds it).
        wait "$lockpid" 2>/dev/null || true
else
        t_fail switchctl/switch-in-progress "flock (util-linux) is missing"
fi
check mounts-unreadable 1 '^switchctl: cannot list /nonexistent/sys/class/block: No such file or directory; refusing to switch' \
        "$sc" --mailbox-file "$mb" switch b --dry-run --sys-root /nonexistent

# Damaged mailboxes.
head -c 16384 /dev/urandom >"$w/garbage"
check garbage 1 "^switchctl: mailbox at [^ ]*/garbage is not a switcher mailbox \(no device tree magic" \
        "$sc" --mailbox-file "$w/garbage" status
# Root "version" = 2, patched in place by walking the structure block.
python3 - "$mb" "$w/mb-v2" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
off_struct, off_strings = struct.unpack_from(">II", b, 8)
p = off_struct + 8  # root FDT_BEGIN_NODE and its empty, padded name
while True:
    tag, = struct.unpack_from(">I", b, p)
    if tag != 3:
        raise SystemExit("no root property 'version'")
    ln, nameoff = struct.unpack_from(">II", b, p + 4)
    name = b[off_strings + nameoff:].split(b"\0")[0]
    if name == b"version":
        struct.pack_into(">I", b, p + 12, 2)
        break
    p += 12 + (ln + 3) // 4 * 4
open(sys.argv[2], "wb").write(b)
PY
check wrong-version 1 "^switchctl: mailbox at [^ ]*/mb-v2 is damaged or of another version \(expected version 1\); not using it$" \
        "$sc" --mailbox-file "$w/mb-v2" list
head -c 4000 "$mb" >"$w/mb-short"
check truncated 1 "^switchctl: mailbox file [^ ]*/mb-short is 4000 bytes, shorter than the mailbox it holds \(16384 bytes\)$" \
        "$sc" --mailbox-file "$w/mb-short" status
check missing-file 1 '^switchctl: cannot open mailbox file /nonexistent/mb: No such file or directory$' \
        "$sc" --mailbox-file /nonexistent/mb status

# The shipped switchctl has no test hooks: each is an unknown option, and no
# help text mentions them.  It still reads the mailbox like the test build.
"$sc" --make-test-mailbox "$w/p.conf" "$w/mb-s" --current a
check shipped-status 0 '^running slot: +a$' "$shipped" --mailbox-file "$w/mb-s" status
check shipped-no-make-test-mailbox 2 "^switchctl: unknown option '--make-test-mailbox' \(see switchctl --help\)$" \
        "$shipped" --make-test-mailbox "$w/p.conf" "$w/mb-s2"
[ ! -e "$w/mb-s2" ] && t_pass switchctl/shipped-wrote-no-mailbox ||
        t_fail switchctl/shipped-wrote-no-mailbox "$w/mb-s2 was written"
check shipped-no-test-set-result 2 "^switchctl: unknown option '--test-set-result' \(see switchctl --help\)$" \
        "$shipped" --mailbox-file "$w/mb-s" --test-set-result a 1 4 x
for hook in --test-bad-csum --test-unchecked "--test-hold 1"; do
        opt=${hook%% *}
        # shellcheck disable=SC2086 # --test-hold takes its value as a second word
        check "shipped-no-${opt#--}" 1 "^switchctl: switch: unknown option '$opt' \(see switchctl switch --help\)$" \
                "$shipped" --mailbox-file "$w/mb-s" switch b --dry-run --sys-root "$w/mounts-empty" $hook
done
check shipped-request-none 0 '"request":null\}$' "$shipped" --mailbox-file "$w/mb-s" status --json
help=$({ "$shipped" --help; "$shipped" switch --help; "$shipped" status --help; "$shipped" list --help
        "$shipped" set-default --help; } 2>&1)
if grep -qiE 'test|hook' <<<"$help"; then
        t_fail switchctl/shipped-help-no-hooks "the shipped help mentions: $(grep -iE 'test|hook' <<<"$help" | head -n 3)"
else
        t_pass switchctl/shipped-help-no-hooks
fi
# ... which the test build's help does name, so the grep above can see them.
check test-help-hooks 0 '^  --make-test-mailbox CONF OUT' "$sc" --help
check test-help-switch-hooks 0 '--test-bad-csum corrupts' "$sc" switch --help

# The hotkey daemon, fed recorded events: ctrl+alt+2 down, autorepeat, up.
if command -v python3 >/dev/null; then
        "$sc" --make-test-mailbox "$w/p.conf" "$w/mb-d" --current a
        python3 - "$w" <<'PY'
import struct, sys
ev = lambda code, val: struct.pack("llHHi", 0, 0, 1, code, val)
CTRL, ALT, SHIFT, K1, K2 = 29, 56, 42, 2, 3
w = sys.argv[1]
open(w + "/ev-combo", "wb").write(ev(CTRL, 1) + ev(ALT, 1) + ev(K2, 1) + ev(K2, 2) + ev(K2, 0) + ev(ALT, 0) + ev(CTRL, 0))
open(w + "/ev-held", "wb").write(ev(CTRL, 1) + ev(ALT, 1) + ev(K2, 1))
open(w + "/ev-extra-mod", "wb").write(ev(CTRL, 1) + ev(ALT, 1) + ev(SHIFT, 1) + ev(K2, 1) + ev(K2, 0) + ev(SHIFT, 0) + ev(ALT, 0) + ev(CTRL, 0))
open(w + "/ev-self", "wb").write(ev(CTRL, 1) + ev(ALT, 1) + ev(K1, 1) + ev(K1, 0) + ev(ALT, 0) + ev(CTRL, 0))
PY
        check daemon-combo 0 '^switcher-agent: hotkey ctrl\+alt\+2 released: switching to b$' \
                "$sa" --once --dry-run --events "$w/ev-combo" --mailbox-file "$w/mb-d" --sys-root "$w/mounts-empty"
        check daemon-request 0 '"request":\{"slot":"a","target":"b","seq":1,"csum_ok":true\}\}$' \
                "$sc" --mailbox-file "$w/mb-d" status --json
        "$sc" --make-test-mailbox "$w/p.conf" "$w/mb-d" --current a
        check daemon-waits-release 1 '^switcher-agent: hotkey ctrl\+alt\+2 still held at the end of ' \
                "$sa" --once --dry-run --events "$w/ev-held" --mailbox-file "$w/mb-d" --sys-root "$w/mounts-empty"
        check daemon-extra-mod 1 '^switcher-agent: running as slot .a.' \
                "$sa" --once --dry-run --events "$w/ev-extra-mod" --mailbox-file "$w/mb-d" --sys-root "$w/mounts-empty"
        check daemon-self 1 "^switcher-agent: hotkey ctrl\+alt\+1: slot 'a' is already running$" \
                "$sa" --once --dry-run --events "$w/ev-self" --mailbox-file "$w/mb-d" --sys-root "$w/mounts-empty"
        check daemon-nothing-written 0 '"request":null\}$' "$sc" --mailbox-file "$w/mb-d" status --json
fi

# The GPT reader on a disk image from mkdisk.sh (fixed GUIDs, see README).
if command -v sgdisk >/dev/null && command -v mkfs.vfat >/dev/null && command -v mke2fs >/dev/null; then
        mkdir -p "$w/esp"
        "$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" label=slot-a,size=8M label=Ünïcode-b,size=8M,fs=raw >/dev/null
        check gpt-esp 0 '^1 c12a7328-f81f-11d2-ba4b-00a0c93ec93b 53575054-0000-4000-8000-000000000001 ESP \(ESP\)$' \
                "$sc" --gpt-entry "$w/disk.img" 1
        check gpt-slot-a 0 '^2 0fc63daf-8483-4772-8e79-3d69d8477de4 53575054-0000-4000-8000-000000000002 slot-a$' \
                "$sc" --gpt-entry "$w/disk.img" 2
        check gpt-utf8-name 0 '^3 [0-9a-f-]{36} 53575054-0000-4000-8000-000000000003 Ünïcode-b$' \
                "$sc" --gpt-entry "$w/disk.img" 3
        check gpt-out-of-range 1 'partition 200 is not in the GPT \(128 entries\)$' "$sc" --gpt-entry "$w/disk.img" 200
        # One flipped byte in the entry array: CRC mismatch.
        cp "$w/disk.img" "$w/disk-bad.img"
        printf 'X' | dd of="$w/disk-bad.img" bs=1 seek=$((1024 + 128 + 56)) conv=notrunc status=none
        check gpt-bad-crc 1 'GPT entry array CRC is 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}$' \
                "$sc" --gpt-entry "$w/disk-bad.img" 2
        head -c 1M /dev/zero >"$w/nogpt.img"
        check gpt-none 1 'no GPT \(LBA 1 has no "EFI PART" signature\)$' "$sc" --gpt-entry "$w/nogpt.img" 1
else
        t_fail switchctl/gpt "sgdisk, mkfs.vfat or mke2fs missing (make deps)"
fi
t_summary
