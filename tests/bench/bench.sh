#!/bin/bash
# bench.sh BUILD: `make bench`.  One table of figures from one run, as ratios
# within that run: the machine is shared and noisy, so only comparisons made
# at the same time mean anything.  The runs, all QEMU + OVMF (TCG), -m 4G,
# a TPM 2.0 (swtpm; SW_BENCH_TPM=0 for none, see below), one disk whose ESP
# holds the switcher and eight slots, four per hand-off path:
#
#   S3 path (handoff s3: RTC alarm, firmware S3 resume)
#     a, b   swap slots in the 256 MiB active region
#     c, d   in-place slots of 256 MiB
#   tboot path (handoff auto: the switcher's tboot entry, no firmware)
#     e, f   swap slots in the same active region
#     g, h   in-place slots of 256 MiB
#
#   0. the copy loops: the stock kernel, started through QEMU's -kernel,
#      times the swap's copy loop (sw_copy_fast, linked in from the
#      switcher's own trampoline object) against rep movsb, rep movsq and
#      glibc's memcpy, all at the active region's size, in one VM
#      (tests/bench/memcpy-bench.c, role tests/bench/role-copy.sh).
#      SW_BENCH_ONLY=copy runs this part alone and prints its rows.
#   0b. the lab bank (issue 14): two tboot swap slots, lab (256 MiB, its
#      128 MiB ext4 partition filled to 64 MiB used) and ctl, whose "bank"
#      partition keeps the snapshot.  In ctl, SW_BENCH_SNAP_ROUNDS times
#      (default 3), each on a cold page cache: `switchctl snapshot save`
#      of lab, dd of as many bytes from /dev/zero into a file on the bank
#      (conv=fsync), `switchctl snapshot restore` of lab, and dd of that
#      file to /dev/null (role tests/ovmf/roles/snapbench.sh).  The last
#      snapshot is then inspected on the host (mkslot snapshot inspect),
#      which also gives its RAM and file system parts' sizes.
#      SW_BENCH_ONLY=snapshot runs this part alone and prints its rows.
#   1. prepare: the kernel boots once through QEMU's -kernel and writes a
#      Boot0100 load option (the slot's kernel on the ESP, through its EFI
#      stub, with initrd= and the command line) and BootNext into the
#      variable store; that store is kept for the direct boots.
#   2. one untimed boot through the switcher, whose variable store the timed
#      ones start from (OVMF's first boot on an empty store costs ~1 s more);
#      then SW_BENCH_BOOTS times (default 5), alternating: power-on -> userspace
#      marker of the kernel started straight by OVMF (EFI stub), and of the
#      same kernel started through the switcher (a plain reboot of the
#      machine into slot a, timeout 0).
#   3. the switch run: slot a boots, prints glibc's memcpy rate, then the
#      host presses the hotkeys.  S3 path: a -> b (b's cold boot),
#      SW_BENCH_ROUNDS (default 8) round trips b -> a -> b (swap resumes),
#      b -> c (c's cold boot), c -> d (d's cold boot, from one in-place slot
#      to another), SW_BENCH_ROUNDS round trips d -> c -> d (in-place
#      resumes).  Then d -> e (e's cold boot, still the S3 path: the
#      requester's path is the switch's), and the tboot path: e -> f (f's
#      cold boot), round trips f -> e -> f, f -> g, g -> h (cold boots),
#      round trips h -> g -> h, then f resumed and round trips g -> f -> g
#      (the lazy save: f still owns the active region, so only the low
#      memory moves; recorded as lazy-ID).
#   4. the scale runs: for each size in SW_BENCH_SCALE (MiB, default
#      "1024 2048"; empty for none), a short machine of its own (-m three
#      times the size plus 1 GiB) with two tboot swap slots in an active
#      region of that size: a boots, a -> b cold, SW_BENCH_SCALE_ROUNDS
#      (default 2) round trips.  Only the switcher's own lines are kept
#      (scale.txt); the 256 MiB point is the switch run's e <-> f.
#   5. when the machine has a TPM: the tboot slots e-h once more on the
#      machine without one (SW_BENCH_NOTPM=0 skips it): e boots, e -> f,
#      SW_BENCH_NOTPM_ROUNDS (default 3) round trips f -> e -> f, f -> g,
#      g -> h, round trips h -> g -> h.  Its records are in notpm/, its
#      table printed after the main one.
#
# The serial log is timestamped on the host as it arrives, QEMU's QMP events
# (SUSPEND, WAKEUP) are recorded, and tests/bench/table.sh turns all of it
# into the table.  Everything lands in BUILD/bench/.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/../ovmf/lib.sh"

top=$SW_TOP
build=$(cd "${1:-build}" && pwd)
need_switcher "$build"
w=$build/bench
rm -rf "$w"
mkdir -p "$w"
rounds=${SW_BENCH_ROUNDS:-8}
scale_sizes=${SW_BENCH_SCALE-1024 2048}
scale_rounds=${SW_BENCH_SCALE_ROUNDS:-2}
notpm_rounds=${SW_BENCH_NOTPM_ROUNDS:-3}
for m in $scale_sizes; do
        case $m in
        "" | *[!0-9]*) sw_die "SW_BENCH_SCALE must list active-region sizes in MiB (e.g. \"1024 2048\"), not '$scale_sizes'" ;;
        esac
done
only=${SW_BENCH_ONLY:-}
case $only in
"" | copy | snapshot) ;;
*) sw_die "SW_BENCH_ONLY must be empty (the whole bench), 'copy' (the copy loops alone) or 'snapshot' (the lab bank alone), not '$only'" ;;
esac
# The swap slots' active region, in MiB: the config below and the copy loops'
# size, so the loops copy what one swap moves each way.
active_mib=256
boots=${SW_BENCH_BOOTS:-5}
# Eight slots: four swap stores and four in-place slots of 256 MiB each, the
# active region and every slot's recovery copy do not fit in 2 GiB.
mem=4G
sw_need_cmd "$QEMU" timeout tail python3 sgdisk
# The platform has a TPM 2.0 (swtpm), as most machines do.  Without one,
# QEMU reads the TPM's registers as zeros rather than the all-ones of an
# empty bus; OVMF then takes it for a TPM that is not ready yet and waits
# out two 750 ms timeouts (TPM 1.2, then 2.0) on every boot and every S3
# resume.  SW_BENCH_TPM=0 measures that platform instead.
case ${SW_BENCH_TPM:-1} in
1) export SW_QEMU_TPM=1 tpm=swtpm ;;
0) export SW_QEMU_TPM=0 tpm=none ;;
*) sw_die "SW_BENCH_TPM must be 1 (a TPM 2.0, swtpm) or 0 (no TPM), not '$SW_BENCH_TPM'" ;;
esac
sw_make "$build" "$w/make.log" bench-tools ||
        sw_die "building memcpy-bench failed (see $w/make.log)"
cp "$build/bench-bin/memcpy-bench" "$w/"
sw_guest amd64 "$build" || sw_die "could not fetch the guest kernel (see above)"

# --- 0b. the lab bank ----------------------------------------------------------
# snap_run: the lab bank's run in $w/snap (see 0b above); its figures go to
# $w/snapshot.txt, which table.sh turns into rows.  A failed run leaves the
# lines it got (table.sh prints "?" for the rest) and returns 1.
snap_run() {
        local s=$w/snap rounds=${SW_BENCH_SNAP_ROUNDS:-3} rc=0 SW_INITRD=${SW_INITRD:-}
        case $rounds in
        "" | *[!0-9]* | 0) sw_die "SW_BENCH_SNAP_ROUNDS must be a count of rounds (e.g. 3), not '$rounds'" ;;
        esac
        rm -rf "$s"
        mkdir -p "$s"
        : >"$w/snapshot.txt"
        sw_agent_initrd "$build" "$s" snapbench || sw_die "could not build the lab bank's guest (see above)"
        local opts="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=snapbench sw.snap.rounds=$rounds"
        cat >"$s/partitions.conf" <<CONF
timeout 0
default lab
active-size ${active_mib}M

slot lab
title Lab
linux /slots/lab/vmlinuz
initrd /slots/lab/initrd.img
options $opts sw.part=slot-lab sw.first=1 sw.snap.fs=64
partition PARTLABEL=slot-lab

slot ctl
title Control
linux /slots/ctl/vmlinuz
initrd /slots/ctl/initrd.img
options $opts sw.part=slot-ctl
partition PARTLABEL=slot-ctl
CONF
        sw_esp "$s/esp" "$build" "$s/partitions.conf"
        sw_esp_slot "$s/esp" lab
        sw_esp_slot "$s/esp" ctl
        # The bank holds the snapshot (at most the 256 MiB store and the
        # used blocks), a save's temporary file beside the previous one, and
        # dd's file of the same size.
        "$SW_OVMF_DIR/mkdisk.sh" "$s/disk.img" "$s/esp" label=slot-lab,size=128M label=slot-ctl,size=16M \
                label=bank,size=1G >/dev/null
        echo "bench: the lab bank, $rounds rounds of snapshot save and restore of a $active_mib MiB slot against dd..."
        run_qemu snap 2G $((600 + rounds * 300)) "$s/disk.img" "$s/serial.log" || rc=$?
        tr -d '\r' <"$s/serial.log" | sed -n 's/^GUEST: snap //p' >"$w/snapshot.txt"
        printf 'mem 2G\nslot-mib %s\n' "$active_mib" >>"$w/snapshot.txt"
        # The guest powers the machine off when done: QEMU exits 0.
        if [ "$rc" != 0 ] || ! grep -q '^done$' "$w/snapshot.txt"; then
                tr -d '\r' <"$s/serial.log" | tail -n 30
                sw_log "the lab bank's run did not finish (QEMU exit status $rc; see $s/serial.log)"
                return 1
        fi
        # The last snapshot, checked whole by the host's own reader, and its
        # parts' sizes: what the save read and the restore wrote.
        if disk_readfile "$s/disk.img" bank /lab.snap >"$s/lab.snap" &&
                "$build/mkslot" snapshot inspect --json "$s/lab.snap" >"$s/inspect.json" 2>"$s/inspect.log"; then
                python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
print("valid", "yes" if j["valid"] else "no")
for p in j["parts"]:
    print("part", p["type"], p["data_bytes"])
' "$s/inspect.json" >>"$w/snapshot.txt"
        else
                echo "valid no" >>"$w/snapshot.txt"
                sw_log "the lab bank's snapshot did not verify on the host (see $s/inspect.log)"
                return 1
        fi
        rm -f "$s/lab.snap"
}
if [ "$only" = snapshot ]; then
        rc=0
        snap_run || rc=$?
        "$top/tests/bench/table.sh" "$w"
        exit "$rc"
fi

# --- 0. the copy loops -------------------------------------------------------
# Their own initramfs (the test one plus the binary and the role), started
# by -kernel on a blank disk: no switcher is involved, only the same machine.
mkdir -p "$w/copy/bin" "$w/copy/roles"
cp "$w/memcpy-bench" "$w/copy/bin/"
cp "$top/tests/bench/role-copy.sh" "$w/copy/roles/copy.sh"
SW_INITRD_EXTRA=$w/copy "$SW_OVMF_DIR/mkinitramfs.sh" amd64 "$build/cache" "$w/copy-initrd.gz" >"$w/copy-initrd.log" 2>&1 ||
        sw_die "mkinitramfs for the copy loops failed (see $w/copy-initrd.log)"
truncate -s 1M "$w/copy-disk.img"
echo "bench: timing the copy loops at $active_mib MiB (one -kernel boot)..."
rc=0
run_qemu copy "$mem" 300 "$w/copy-disk.img" "$w/copy-serial.log" \
        -kernel "$SW_KERNEL" -initrd "$w/copy-initrd.gz" \
        -append "console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=copy sw.copy.mib=$active_mib" || rc=$?
# The guest powers off when done: QEMU exits 0.
[ "$rc" = 0 ] || sw_die "the copy-loop run: QEMU exit status $rc (see $w/copy-serial.log)"
expect_line "$w/copy-serial.log" '^GUEST: done$' || sw_die "the copy-loop run did not finish"
tr -d '\r' <"$w/copy-serial.log" | sed -n 's/^GUEST: copy //p' >"$w/copy.txt"
if [ "$only" = copy ]; then
        "$top/tests/bench/table.sh" "$w"
        exit 0
fi

if ! SW_EXTRA_BIN=$w/memcpy-bench sw_agent_initrd "$build" "$w" bench; then
        sw_die "could not build the guest with the agent (see above)"
fi

# The same command line for the slot and for the direct boot, except what the
# switcher appends (switcher.slot, switcher.mailbox).
cmdline="console=ttyS0,115200 panic=-1 sw.watchdog=0 sw.test=bench"
# slot_conf ID N MODE HANDOFF [OPTIONS...]: one slot's block, hotkey ctrl+alt+N;
# MODE swap or in-place (256 MiB), HANDOFF s3 or auto.
slot_conf() {
        local id=$1 n=$2 mode=$3 handoff=$4
        shift 4
        printf '\nslot %s\ntitle Bench %s\nlinux /slots/%s/vmlinuz\ninitrd /slots/%s/initrd.img\n' \
                "$id" "${id^^}" "$id" "$id"
        printf 'options %s\n' "$cmdline${*:+ $*}"
        [ "$mode" = swap ] || printf 'mode in-place\nmemory 256M\n'
        [ "$handoff" = auto ] || printf 'handoff %s\n' "$handoff"
        printf 'hotkey ctrl+alt+%s\n' "$n"
}
{
        printf 'timeout 0\ndefault a\nactive-size %sM\n' "$active_mib"
        slot_conf a 1 swap s3 sw.memcpy=1
        slot_conf b 2 swap s3
        slot_conf c 3 in-place s3
        slot_conf d 4 in-place s3
        slot_conf e 5 swap auto
        slot_conf f 6 swap auto
        slot_conf g 7 in-place auto
        slot_conf h 8 in-place auto
} >"$w/partitions.conf"
sw_esp "$w/esp" "$build" "$w/partitions.conf"
for s in a b c d e f g h; do
        sw_esp_slot "$w/esp" "$s"
done
# Eight slots' kernels and initramfs images (about 11 MiB each) do not fit
# in the default 64 MiB ESP.
SW_ESP_MIB=128 "$SW_OVMF_DIR/mkdisk.sh" "$w/disk.img" "$w/esp" >/dev/null

now_us() {
        echo "${EPOCHREALTIME/[.,]/}"
}

# stamp LOG OUT PID: in the background, copy LOG's lines to OUT as they
# arrive, each as "MICROSECONDS LINE" (host clock, \r dropped), until PID
# (the QEMU run) ends.  One python process stamps every line: a shell loop
# that forks per line falls behind a booting kernel's burst of messages (about
# 9 ms a line on a busy 2-core host), and its lag then passes for boot time.
stamp() {
        tail -n +1 -F --pid="$3" "$1" 2>/dev/null | python3 -c '
import sys, time
with open(sys.argv[1], "w", buffering=1) as out:
    for raw in sys.stdin.buffer:
        t = time.time_ns() // 1000
        out.write("%d %s\n" % (t, raw.decode("utf-8", "replace").rstrip("\r\n")))
' "$2" &
}

# stamped_at FILE REGEX [N]: the host time (us) of the Nth line of the stamped
# FILE matching REGEX (default the first); waits up to 5 s for it.
stamped_at() {
        local i t
        for i in $(seq 1 50); do
                t=$(awk -v re="$2" -v n="${3:-1}" '{ l = $0; sub(/^[0-9]+ /, "", l) }
                        l ~ re && ++k == n { print $1; exit }' "$1")
                [ -n "$t" ] && { echo "$t"; return 0; }
                sleep 0.1
        done
        return 1
}

# --- 1. the variable store for the direct boots ------------------------------
# An EFI_LOAD_OPTION in the byte form efivarfs takes (attributes first).
hexle() { # VALUE BYTES
        local v=$1 i
        for ((i = 0; i < $2; i++)); do
                printf '\\x%02x' $((v >> (8 * i) & 255))
        done
}
ucs2() { # TEXT: UCS-2 with the terminating NUL (ASCII text only)
        local s=$1 i
        for ((i = 0; i < ${#s}; i++)); do
                printf '\\x%02x\\x00' "'${s:i:1}"
        done
        printf '\\x00\\x00'
}
guid_bytes() { # 8-4-4-4-12 -> the mixed-endian binary form
        local g=${1//-/} i
        for i in 6 4 2 0 10 8 14 12; do printf '\\x%s' "${g:i:2}"; done
        for ((i = 16; i < 32; i += 2)); do printf '\\x%s' "${g:i:2}"; done
}
esp_first=$(sgdisk -i 1 "$w/disk.img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
esp_size=$(sgdisk -i 1 "$w/disk.img" | sed -n 's/^Partition size: \([0-9]*\) sectors.*/\1/p')
esp_guid=$(sgdisk -i 1 "$w/disk.img" | sed -n 's/^Partition unique GUID: //p')
kpath='\slots\a\vmlinuz'
fnode_len=$((4 + 2 * (${#kpath} + 1)))
dp="\\x04\\x01\\x2a\\x00$(hexle 1 4)$(hexle "$esp_first" 8)$(hexle "$esp_size" 8)$(guid_bytes "$esp_guid")\\x02\\x02"
dp+="\\x04\\x04$(hexle $fnode_len 2)$(ucs2 "$kpath")\\x7f\\xff\\x04\\x00"
mkdir -p "$w/prep/bench/efivars"
gv=8be4df61-93ca-11d2-aa0d-00e098032b8c
printf '%b' "$(hexle 7 4)$(hexle 1 4)$(hexle $((42 + fnode_len + 4)) 2)$(ucs2 'bench direct')$dp" \
        "$(ucs2 "initrd=\\slots\\a\\initrd.img $cmdline sw.bench=boot switcher.slot=a")" \
        >"$w/prep/bench/efivars/Boot0100-$gv"
printf '%b' "$(hexle 7 4)$(hexle 0x100 2)" >"$w/prep/bench/efivars/BootNext-$gv"
mkdir -p "$w/prep/roles"
cp "$SW_OVMF_DIR/roles/bench.sh" "$w/prep/roles/"
SW_INITRD_EXTRA=$w/prep SW_INITRD_MODULES=efivarfs \
        "$SW_OVMF_DIR/mkinitramfs.sh" amd64 "$build/cache" "$w/prep-initrd.gz" >"$w/prep.log" 2>&1 ||
        sw_die "mkinitramfs for the variable store failed (see $w/prep.log)"
echo "bench: writing the direct-boot variables (one -kernel boot)..."
run_qemu prep "$mem" 180 "$w/disk.img" "$w/prep-serial.log" \
        -kernel "$SW_KERNEL" -initrd "$w/prep-initrd.gz" \
        -append "$cmdline sw.bench=efivars switcher.slot=a" || true
expect_line "$w/prep-serial.log" '^GUEST: efivars written$' || sw_die "could not write the EFI variables"
cp "$w/prep.run/vars.fd" "$w/vars-direct.fd"

# --- 2. power-on -> userspace, direct and through the switcher ----------------
# boot_once NAME VARS [poweroff]: prints power-on -> "GUEST: up slot=a" in
# ms; poweroff when the guest turns the machine off by itself.
boot_once() {
        local name=$1 t0 t1 log=$w/$1.log
        t0=$(now_us)
        OVMF_VARS=$2 SW_QEMU_BG=1 run_qemu "$name" "$mem" 240 "$w/disk.img" "$log"
        stamp "$log" "$w/$name.ts" "$SW_QEMU_PID"
        if ! wait_for_marker "$log" '^GUEST: up slot=a ' 200; then
                qemu_stop "$SW_QEMU_PID" "$SW_QEMU_RUN_DIR"
                expect_line "$log" '^GUEST: up slot=a ' || true
                sw_die "$name: no userspace marker"
        fi
        t1=$(stamped_at "$w/$name.ts" '^GUEST: up slot=a ') || sw_die "$name: marker not in the stamped log"
        # A direct boot's guest powers the machine off once it is up
        # (sw.bench=boot).  Asking a QEMU that is already leaving to quit
        # races with its exit: the monitor helper is gone, and the write to
        # it kills this shell with SIGPIPE.  So let it leave first.
        if [ "${3:-}" = poweroff ]; then
                local i
                for i in $(seq 1 50); do
                        qemu_gone && break
                        sleep 0.2
                done
        fi
        qemu_stop "$SW_QEMU_PID" "$SW_QEMU_RUN_DIR"
        echo $(((t1 - t0) / 1000))
}
# Both boots start from a variable store the firmware has already set up: on
# its very first boot OVMF creates its boot options and other variables (about
# a second under TCG), which is not the switcher's cost.  The direct boots'
# store comes from the prepare step; the switcher's from one untimed boot.
echo "bench: one untimed boot through the switcher, for its variable store..."
boot_once warmup "$OVMF_VARS" >/dev/null
cp "$w/warmup.run/vars.fd" "$w/vars-switcher.fd"
printf 'mem %s\ntpm %s\n' "$mem" "$tpm" >"$w/boots.txt"
for i in $(seq 1 "$boots"); do
        echo "bench: boot $i of $boots: direct (EFI stub) and through the switcher..."
        ms=$(boot_once "direct$i" "$w/vars-direct.fd" poweroff)
        # BootNext failing would fall back to the disk's default loader:
        # the switcher.  A direct boot must not have been one.
        if tr -d '\r' <"$w/direct$i.log" | grep -q '^switcher'; then
                sw_die "direct$i: the firmware did not start Boot0100 (the switcher booted instead)"
        fi
        echo "direct $ms" >>"$w/boots.txt"
        ms=$(boot_once "switcher$i" "$w/vars-switcher.fd")
        echo "switcher $ms" >>"$w/boots.txt"
done

# --- 3. the switch run --------------------------------------------------------
echo "bench: the switch run, $rounds round trips per kind (swap, in place) and path (S3, tboot; several minutes under TCG)..."
# switch_run_start NAME DIR TIMEOUT: a switch run's QEMU in the background on
# DIR/disk.img, from the switcher's variable store: the serial log
# DIR/serial.log (stamped in DIR/serial.ts), the QMP events in DIR/qmp.txt,
# the hotkeys' times in DIR/presses.txt.  Sets log, presses, run and qpid
# for the functions below.
switch_run_start() {
        log=$2/serial.log presses=$2/presses.txt
        : >"$presses"
        t0=$(now_us)
        OVMF_VARS=$w/vars-switcher.fd SW_QEMU_BG=1 run_qemu "$1" "$mem" "$3" "$2/disk.img" "$log" \
                -qmp "unix:$2/qmp.sock,server=on,wait=off"
        qpid=$SW_QEMU_PID
        run=$SW_QEMU_RUN_DIR
        echo "poweron $t0" >>"$presses"
        stamp "$log" "$2/serial.ts" "$qpid"
        qmp_events "$2/qmp.sock" "$2/qmp.txt"
}
switch_run_start switch "$w" $((600 + rounds * 200))

# press KEYS NAME MARKER_RE N: the hotkey, then wait for the Nth marker.
# The press time goes to $presses; table.sh finds the marker after it.
press() {
        # The agent ignores hotkeys for 1 s after a switch (bouncing keys).
        sleep 1.5
        echo "$2 $(now_us)" >>"$presses"
        qemu_monitor "$run" "sendkey $1"
        wait_for_count "$log" "$3" "$4" 120
}
ok=1
wait_for_marker "$log" '^GUEST: ready slot=a' 240 || ok=0
resumed='^GUEST: agent-log .*resumed after'
nres=0
# cold TARGET KEYS / resume TARGET KEYS: one switch, waited for.
cold() {
        [ "$ok" = 1 ] || return 0
        press "$2" "cold-$1" "^GUEST: ready slot=$1" 1 || ok=0
}
resume() {
        [ "$ok" = 1 ] || return 0
        nres=$((nres + 1))
        press "$2" "resume-$1" "$resumed" "$nres" || ok=0
}
# lazy TARGET KEYS: a resume recorded as lazy-TARGET, a round trip between a
# swap slot whose RAM the active region still holds (lazy save) and an
# in-place slot; table.sh gives these their own row.
lazy() {
        [ "$ok" = 1 ] || return 0
        nres=$((nres + 1))
        press "$2" "lazy-$1" "$resumed" "$nres" || ok=0
}
# round_trips KIND ROUNDS X KEY_X Y KEY_Y [HOW]: ROUNDS round trips, X then Y
# resumed, each by HOW (resume, or lazy).
round_trips() {
        local r
        for r in $(seq 1 "$2"); do
                "${7:-resume}" "$3" "$4"
                "${7:-resume}" "$5" "$6"
                if [ "$ok" = 1 ]; then echo "bench: $1 round $r of $2 done"; fi
        done
}
cold b ctrl-alt-2
round_trips "S3 path, swap" "$rounds" a ctrl-alt-1 b ctrl-alt-2
cold c ctrl-alt-3
cold d ctrl-alt-4
round_trips "S3 path, in-place" "$rounds" c ctrl-alt-3 d ctrl-alt-4
cold e ctrl-alt-5
cold f ctrl-alt-6
round_trips "tboot path, swap" "$rounds" e ctrl-alt-5 f ctrl-alt-6
cold g ctrl-alt-7
cold h ctrl-alt-8
round_trips "tboot path, in-place" "$rounds" g ctrl-alt-7 h ctrl-alt-8
# The lazy save: f, the last swap slot that ran, still owns the active
# region, so f -> g -> f moves only the low memory each way.  The first
# resume of f (from h) is lazy too: the in-place rounds left the region alone.
lazy f ctrl-alt-6
round_trips "tboot path, lazy swap <-> in-place" "$rounds" g ctrl-alt-7 f ctrl-alt-6 lazy
sleep 1
qemu_stop "$qpid" "$run"
# run_failed LOG WHAT: status 0, after LOG's tail and what went wrong, when
# the run stopped early or logged a fault.
run_failed() {
        if [ "$ok" != 1 ]; then
                tr -d '\r' <"$1" | grep -v 'GUEST: tick' | tail -n 30
                sw_log "$2 stopped early (see $1)"
                return 0
        fi
        if tr -d '\r' <"$1" | grep -a -q 'EXCEPTION\|GUEST: FAIL'; then
                sw_log "$2 logged a fault: $(tr -d '\r' <"$1" | grep -a -m1 'EXCEPTION\|GUEST: FAIL')"
                return 0
        fi
        return 1
}
# A switch run that stopped early still shows what it measured up to then
# (the rows it did not reach print "?"), so that a long run is not lost to
# one late failure; make bench fails all the same.
if run_failed "$log" "the switch run"; then
        "$top/tests/bench/table.sh" "$w" || true
        sw_die "the switch run failed: the table above is partial"
fi

# --- 4. the scale runs ----------------------------------------------------------
# The switcher's part of a swap switch grows with the active region (save,
# restore and both checksums); these runs add points beyond the switch run's
# 256 MiB.  Their timing is the switcher's own (its "switcher total" lines),
# so no host stamps and no QMP are needed.
: >"$w/scale.txt"
for m in $scale_sizes; do
        sm=$((3 * m + 1024))M
        echo "bench: scale run, active region $m MiB (-m $sm, $scale_rounds round trips)..."
        sd=$w/scale-$m
        mkdir -p "$sd"
        {
                printf 'timeout 0\ndefault a\nactive-size %sM\n' "$m"
                slot_conf a 1 swap auto
                slot_conf b 2 swap auto
        } >"$sd/partitions.conf"
        sw_esp "$sd/esp" "$build" "$sd/partitions.conf"
        sw_esp_slot "$sd/esp" a
        sw_esp_slot "$sd/esp" b
        "$SW_OVMF_DIR/mkdisk.sh" "$sd/disk.img" "$sd/esp" >/dev/null
        log=$sd/serial.log presses=$sd/presses.txt nres=0 ok=1
        OVMF_VARS=$w/vars-switcher.fd SW_QEMU_BG=1 run_qemu scale "$sm" $((300 + scale_rounds * 120)) "$sd/disk.img" "$log"
        run=$SW_QEMU_RUN_DIR
        wait_for_marker "$log" '^GUEST: ready slot=a' 300 || ok=0
        cold b ctrl-alt-2
        round_trips "scale $m MiB" "$scale_rounds" a ctrl-alt-1 b ctrl-alt-2
        sleep 1
        qemu_stop "$SW_QEMU_PID" "$run"
        # A failed scale run costs only its own row ("?"), not the run's
        # other figures.
        if run_failed "$log" "the $m MiB scale run"; then
                echo "$m failed" >>"$w/scale.txt"
                continue
        fi
        tr -d '\r' <"$log" | grep -a '^switcher: ' | sed "s/^/$m /" >>"$w/scale.txt"
done
# A failed lab bank run costs only its own rows ("?").
snap_run || true
"$top/tests/bench/table.sh" "$w"

# --- 5. the tboot path without a TPM --------------------------------------------
# No firmware runs in a tboot-path switch, so its figures should not depend
# on the TPM that costs the S3 path 1.7 s per resume under OVMF (see
# docs/bench.md).  Measured, not assumed: a short run of the tboot slots
# alone (e-h, the same config otherwise) on the machine without one, whose
# own table follows the main one.  SW_BENCH_NOTPM=0 skips it; it is skipped
# too when the main run itself had no TPM.
if [ "${SW_BENCH_NOTPM:-1}" = 1 ] && [ "$tpm" = swtpm ]; then
        n=$w/notpm
        mkdir -p "$n"
        echo "bench: the tboot slots again without a TPM ($notpm_rounds round trips per kind)..."
        {
                printf 'timeout 0\ndefault e\nactive-size %sM\n' "$active_mib"
                slot_conf e 5 swap auto
                slot_conf f 6 swap auto
                slot_conf g 7 in-place auto
                slot_conf h 8 in-place auto
        } >"$n/partitions.conf"
        sw_esp "$n/esp" "$build" "$n/partitions.conf"
        for s in e f g h; do
                sw_esp_slot "$n/esp" "$s"
        done
        "$SW_OVMF_DIR/mkdisk.sh" "$n/disk.img" "$n/esp" >/dev/null
        printf 'mem %s\ntpm none\n' "$mem" >"$n/boots.txt"
        : >"$n/qmp.txt"
        nres=0 ok=1
        SW_QEMU_TPM=0 switch_run_start notpm "$n" $((400 + notpm_rounds * 80))
        wait_for_marker "$log" '^GUEST: ready slot=e' 240 || ok=0
        cold f ctrl-alt-6
        round_trips "no TPM, tboot path, swap" "$notpm_rounds" e ctrl-alt-5 f ctrl-alt-6
        cold g ctrl-alt-7
        cold h ctrl-alt-8
        round_trips "no TPM, tboot path, in-place" "$notpm_rounds" g ctrl-alt-7 h ctrl-alt-8
        sleep 1
        qemu_stop "$qpid" "$run"
        sleep 1
        if run_failed "$log" "the run without a TPM"; then
                sw_log "the run without a TPM failed; its table (below) is partial"
        fi
        "$top/tests/bench/table.sh" "$n" || true
fi
