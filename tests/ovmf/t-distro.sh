#!/bin/bash
# t-distro.sh BUILD
#
# Real Debian 12 systems in three slots, installed the way users install
# them, switched by hotkey under a write load (issue 16): a is an amd64 swap
# slot, b an amd64 in-place slot, c an i386 swap slot.  Each root is built by
# mkrootfs.sh (mmdebstrap: minbase, systemd, udev, Debian's kernel, the
# agent's .deb installed by apt; cached under BUILD/cache/rootfs) and put on
# its own partition by `mkslot disk` from the tarball; each slot boots
# Debian's kernel and initramfs from that root with root=PARTLABEL=slot-ID,
# and systemd starts the agent from the package's unit.  Three test
# services are added to the roots (tests/ovmf/distro/): sw-writer (a static
# program built here for each architecture), buffered writes with an fsync
# after every third record and each fsync'ed record on the console with its
# checksum, plus an 8 MiB buffered write always in flight; sw-state, the
# kernel, the agent's package and unit, and `systemctl is-system-running`;
# and in slot a only, sw-freezeblock, a write blocked on a frozen file
# system, which makes the kernel's freezer refuse a's first suspend.
#
# The hotkeys go a -> b -> c -> a, SW_DISTRO_ROUNDS times (default 5); b
# and c boot cold on their first visit.  The first hotkey is pressed in a as
# soon as its agent watches the keyboard, while systemd is still starting
# the rest of the system; the freezer refuses that suspend (twice: the
# agent tries once more), the agent gives the switch up, and the hotkey is
# pressed again once sw-freezeblock has let go.  Every later one waits for
# the slot's boot to be over.  After the last switch QEMU is ended from its
# monitor, a power cut for the running slot.
#
# Checked: every switch; per slot, the kernel (Debian's, of the root's
# architecture, root on its partition), the agent installed from the
# package and active under systemd, and the last `is-system-running`
# ("running"; "degraded" only with units that docs/real-guests.md
# explains); the freezer's refusal handled; at least 512 kB of dirty page
# cache in the slot at each switch; after each resume, the writer's next
# fsync'ed record within
# 2 s of the kernel restarting user space (both time stamps from the
# guest's own kernel log); after QEMU ended, on each partition after its
# journal is replayed, every record the writer reported as fsync'ed, with
# its checksum, the records numbered without a gap, and e2fsck -fn clean.
# Needs root: mmdebstrap builds the roots as root, and the tarballs' owners
# are only kept by a tar run as root.
#
# A first run may wait up to about 25 minutes for its roots (run-all.sh
# starts their build in the background when it starts):
# run-all: timeout 3600
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

sw_test_dir distro "${1:-build}"
sw_need_cmd mmdebstrap arch-test sgdisk mcopy mke2fs debugfs e2fsck cksum gcc flock
rounds=${SW_DISTRO_ROUNDS:-5}
# Units a slot may have failed, with the reason in docs/real-guests.md
# ("Degraded units"); none so far.
degraded_ok=${SW_DISTRO_DEGRADED_OK:-}
t_all=$(sw_now_ms)

# --- the agent's packages and the roots --------------------------------------------
# distro-roots.sh: this build's agent packages, and each root built or
# found cached.  run-all.sh may have started it in the background already;
# this call then waits for that build.
t0=$(sw_now_ms)
rc=0
"$SW_OVMF_DIR/distro-roots.sh" "$build" "$w/roots" 2>"$w/roots.err" || rc=$?
cat "$w/roots.log" 2>/dev/null || true
if [ "$rc" = 3 ]; then
        # The i386 root's packages run their scripts on this host: natively
        # (an x86-64 kernel with IA32 emulation) or through qemu-user and
        # binfmt_misc, which mkrootfs.sh registers when it can; and only root
        # can build a root.  A host that allows neither cannot build them;
        # that is the host, not the switcher.
        echo "t-distro: skipped: $(head -n 1 "$w/roots.err") (docs/real-guests.md)"
        echo "skip t-distro" >>"${SW_RESULTS:-/dev/null}"
        exit 0
elif [ "$rc" != 0 ]; then
        cat "$w/roots.err" >&2
        sw_prepare_failed distro "the Debian roots: $(tail -n 1 "$w/roots.err")"
fi
declare -A root
while read -r arch dir; do
        root[$arch]=$dir
done <"$w/roots"
echo "distro: roots ready after $(sw_since "$t0") s"

# --- the disk ---------------------------------------------------------------------
declare -A slot_arch=([a]=amd64 [b]=amd64 [c]=i386) slot_key=([a]=1 [b]=2 [c]=3)
# loglevel=7: the agent's and the kernel's information lines (suspend,
# resume, the freezer) on the console.  printk.devkmsg=on: the writer's
# records through /dev/kmsg are never rate-limited away.
common="console=ttyS0,115200 rw loglevel=7 printk.devkmsg=on panic=-1"
cat >"$w/partitions.conf" <<CONF
timeout 0
default a
active-size 320M

slot a
title Debian 12 amd64 (swap)
linux /slots/a/vmlinuz
initrd /slots/a/initrd.img
options $common root=PARTLABEL=slot-a sw.freezeblock
partition PARTLABEL=slot-a
hotkey ctrl+alt+1

slot b
title Debian 12 amd64 (in place)
linux /slots/b/vmlinuz
initrd /slots/b/initrd.img
options $common root=PARTLABEL=slot-b
partition PARTLABEL=slot-b
mode in-place
memory 320M
hotkey ctrl+alt+2

slot c
title Debian 12 i386 (swap)
linux /slots/c/vmlinuz
initrd /slots/c/initrd.img
options $common root=PARTLABEL=slot-c
partition PARTLABEL=slot-c
hotkey ctrl+alt+3
CONF

# The disk is cached in BUILD/cache/distro-disk/KEY.img, KEY a hash of what
# goes into it: the roots (their cache directories name their contents), the
# test services, mkslot and the configuration.  Making it unpacks three
# roots of 440 MiB and builds their file systems, about 3 minutes on 2 busy
# cores; a copy of the cached image costs seconds.  Each run boots a fresh
# copy, so the cache holds only disks no guest has written.  The switcher
# changes more often than the rest: it is not part of KEY, and a copy gets
# this build's switcher.efi written over the one on its ESP (partition 1).
#
# The writer is a program (tests/ovmf/distro/sw-writer.c), built static for
# each root's architecture here.
for arch in amd64 i386; do
        flags=(-static -O2 -Wall -Wextra)
        [ "$arch" = i386 ] && flags+=(-m32)
        gcc "${flags[@]}" -o "$w/sw-writer-$arch" "$SW_OVMF_DIR/distro/sw-writer.c" 2>"$w/writer-$arch.log" ||
                sw_prepare_failed distro "cannot build sw-writer for $arch: $(head -n 3 "$w/writer-$arch.log" | tr '\n' ' ')"
done
disk_key=$( {
        for arch in amd64 i386; do
                echo "${root[$arch]}"
                cat "${root[$arch]}/agent.sha" "$w/sw-writer-$arch"
        done
        cat "$SW_OVMF_DIR/distro/"*.service "$SW_OVMF_DIR/distro/sw-state" "$SW_OVMF_DIR/distro/sw-freezeblock" \
                "$build/mkslot" "$w/partitions.conf"
} | sha256sum | cut -c1-16)
disk_cache=$build/cache/distro-disk
t0=$(sw_now_ms)
if [ -s "$disk_cache/$disk_key.img" ]; then
        cp --sparse=always "$disk_cache/$disk_key.img" "$w/disk.img"
        esp_first=$(sgdisk -i 1 "$w/disk.img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
        if ! mcopy -o -i "$w/disk.img@@$((esp_first * 512))" "$build/switcher.efi" ::/EFI/BOOT/BOOTX64.EFI 2>"$w/disk.log"; then
                t_fail distro/disk "cannot write switcher.efi to the cached disk's ESP: $(head -n 2 "$w/disk.log" | tr '\n' ' ')"
                t_summary
                exit 1
        fi
        t_pass distro/disk
        echo "distro: disk copied from $disk_cache/$disk_key.img (made by mkslot disk from the same inputs)" \
                "in $(sw_since "$t0") s"
else
        # Each root's tarball gets the test's two services: appended to a
        # copy, so the root's cache stays as mkrootfs.sh made it.  Their
        # enablement links are the ones `systemctl enable` would make.
        rm -rf "$w/stage-"* "$w/files"
        declare -A tarball size
        for arch in amd64 i386; do
                stage=$w/stage-$arch
                mkdir -p "$stage/usr/local/sbin" "$stage/etc/systemd/system/multi-user.target.wants"
                members=()
                for f in sw-writer sw-state sw-freezeblock; do
                        if [ "$f" = sw-writer ]; then
                                install -m 755 "$w/sw-writer-$arch" "$stage/usr/local/sbin/$f"
                        else
                                install -m 755 "$SW_OVMF_DIR/distro/$f" "$stage/usr/local/sbin/$f"
                        fi
                        install -m 644 "$SW_OVMF_DIR/distro/$f.service" "$stage/etc/systemd/system/$f.service"
                        ln -s "/etc/systemd/system/$f.service" \
                                "$stage/etc/systemd/system/multi-user.target.wants/$f.service"
                        members+=("./usr/local/sbin/$f" "./etc/systemd/system/$f.service"
                                "./etc/systemd/system/multi-user.target.wants/$f.service")
                done
                tarball[$arch]=$w/root-$arch.tar
                cp "${root[$arch]}/rootfs.tar" "${tarball[$arch]}"
                tar -rf "${tarball[$arch]}" --owner=0 --group=0 --numeric-owner -C "$stage" "${members[@]}"
                # Room for the files, the journal and the writer: a quarter
                # more and 128 MiB.
                size[$arch]=$(($(stat -c %s "${tarball[$arch]}") * 5 / 4 / 1048576 + 128))
        done
        for s in a b c; do
                mkdir -p "$w/files/slots/$s"
                cp "${root[${slot_arch[$s]}]}/vmlinuz" "$w/files/slots/$s/vmlinuz"
                cp "${root[${slot_arch[$s]}]}/initrd.img" "$w/files/slots/$s/initrd.img"
        done
        if "$build/mkslot" disk --files "$w/files" --part "slot-a:${size[amd64]}M:${tarball[amd64]}" \
                --part "slot-b:${size[amd64]}M:${tarball[amd64]}" --part "slot-c:${size[i386]}M:${tarball[i386]}" \
                -o "$w/disk.img" "$w/partitions.conf" >"$w/disk.log" 2>&1; then
                t_pass distro/disk
                echo "distro: disk made by mkslot disk in $(sw_since "$t0") s ($(($(stat -c %s "$w/disk.img") >> 20)) MiB)"
        else
                t_fail distro/disk "$(tail -n 5 "$w/disk.log" | tr '\n' ' ')"
                t_summary
                exit 1
        fi
        rm -f "${tarball[@]}"
        rm -rf "$disk_cache"
        mkdir -p "$disk_cache"
        cp --sparse=always "$w/disk.img" "$disk_cache/.$disk_key.img"
        mv "$disk_cache/.$disk_key.img" "$disk_cache/$disk_key.img"
fi

# --- the hotkey tour ----------------------------------------------------------------
log=$w/serial.log
# marks REGEX: how many lines of the serial log match (ERE, anywhere in
# the line: kernel lines start with their time stamp).
marks() {
        log_count "$log" "$1"
}

# agent_ready SLOT: slot SLOT's agent (the last one that started) watches an
# input device.
agent_ready() {
        tr -d '\r' <"$log" | awk -v me="switcher-agent: running as slot '$1'" '
                index($0, me) { up = 1; ok = 0 }
                up && /switcher-agent: watching \/dev\/input\// { ok = 1 }
                END { exit !ok }'
}

# wait_until SECS COMMAND...: poll COMMAND every 0.3 s until it succeeds;
# status 1 after SECS or when QEMU has ended.
wait_until() {
        local end=$((SECONDS + $1))
        shift
        while [ "$SECONDS" -lt "$end" ]; do
                "$@" && return 0
                qemu_gone && return 1
                sleep 0.3
        done
        return 1
}

more_than() {
        [ "$(marks "$1")" -gt "$2" ]
}

# go KEY FROM TO: press the hotkey KEY in slot FROM until the switcher
# switches FROM -> TO.  An agent that gave the switch up (the freezer
# refused the suspend twice, or a wake-up event aborted it) said so; then
# the key is pressed again, up to 4 times in all.  Then wait for TO: a cold
# slot's agent watching the keyboard, a resumed slot's writer reporting a
# new record.  Prints the times; status 1 when TO did not come.
refusals=0
declare -A visited=([a]=1)
gave_up_re='switcher-agent: switch to [^ ]+ failed'
# switched_or_gave_up FROM TO SW FAILED: the switch FROM -> TO happened (its
# count passed SW), or the agent gave a switch up (its count passed FAILED).
switched_or_gave_up() {
        more_than "switcher: switch '$1' -> '$2':" "$3" || more_than "$gave_up_re" "$4"
}
go() {
        local key=$1 from=$2 to=$3 n=0 sw recs failed t0 t1
        sw=$(marks "switcher: switch '$from' -> '$to':")
        recs=$(marks "DISTRO: fsynced slot=$to ")
        t0=$(sw_now_ms)
        while :; do
                n=$((n + 1))
                [ "$n" -le 4 ] || return 1
                failed=$(marks "$gave_up_re")
                # The agent ignores a hotkey within 1 s of the last switch.
                sleep 1.5
                qemu_monitor "$SW_QEMU_RUN_DIR" "sendkey $key"
                if ! wait_until 240 switched_or_gave_up "$from" "$to" "$sw" "$failed"; then
                        echo "distro: $from -> $to: no switch within 240 s of press $n"
                        return 1
                fi
                more_than "switcher: switch '$from' -> '$to':" "$sw" && break
                refusals=$((refusals + 1))
                echo "distro: $from -> $to: the agent gave up on press $n: $(tr -d '\r' <"$log" |
                        grep -aE "$gave_up_re|suspend failed|Freezing .*(abort|fail)" | tail -n 3 | tr '\n' ' ')"
        done
        t1=$(sw_now_ms)
        echo "distro: $from -> $to: switched $(((t1 - t0) / 1000)) s after the first of $n press(es)"
        if [ -z "${visited[$to]:-}" ]; then
                visited[$to]=1
                wait_until 400 agent_ready "$to" || return 1
                echo "distro: slot $to booted (cold): agent up $(sw_since "$t1") s after the switch"
        else
                wait_until 60 more_than "DISTRO: fsynced slot=$to " "$recs" || return 1
                echo "distro: slot $to resumed: its writer's next record $(sw_since "$t1") s after the switch line (host time)"
        fi
}

# booted SLOT: its state service reported once (systemd finished starting).
booted() {
        [ "$(marks "DISTRO: state slot=$1 ")" -gt 0 ]
}

# The bound: three cold boots and, per round, two exchanges of 320 MiB
# between the swap slots, each up to 3 minutes on a busy host (measured).
SW_QEMU_BG=1 run_qemu distro 2G $((900 + rounds * 360)) "$w/disk.img" "$log"
t_qemu=$(sw_now_ms)
ok=1
if wait_until 400 agent_ready a; then
        echo "distro: slot a: agent up $(sw_since "$t_qemu") s after QEMU started;" \
                "systemd $(booted a && echo "had finished" || echo "was still starting units")"
else
        t_fail distro/boot-a "slot a's agent did not come up within 400 s"
        ok=0
fi
cur=a first=1
for r in $(seq 1 "$rounds"); do
        [ "$ok" = 1 ] || break
        for to in b c a; do
                # Only the first hotkey is pressed before the slot's boot is
                # over; the others wait for it (and so for its state line).
                if [ "$first" = 0 ] && ! wait_until 300 booted "$cur"; then
                        echo "distro: slot $cur: systemd did not finish starting within 300 s; switching anyway"
                fi
                first=0
                if ! go "ctrl-alt-${slot_key[$to]}" "$cur" "$to"; then
                        t_fail "distro/switch-$cur-$to" "round $r: no switch $cur -> $to, or $to did not come up (see $log)"
                        ok=0
                        break
                fi
                cur=$to
        done
done
if [ "$ok" = 1 ]; then
        t_pass distro/tour
        # A few more records from a, then the power cut.
        recs=$(marks "DISTRO: fsynced slot=a ")
        wait_until 30 more_than "DISTRO: fsynced slot=a " $((recs + 5)) || true
fi
# The freezer's refusal (sw-freezeblock in slot a): armed before a's agent
# started, the first hotkey's suspend refused by a's kernel, the agent
# giving that switch up, the trap released, and the switch made by a later
# press (the tour above).
if [ "$ok" = 1 ] && [ "$(marks 'DISTRO: freezeblock armed')" -gt 0 ] &&
        [ "$(marks 'Freezing of tasks failed')" -gt 0 ] && [ "$refusals" -gt 0 ] &&
        [ "$(marks 'DISTRO: freezeblock released after [0-9]+ freezer refusals: the write completed')" -gt 0 ]; then
        t_pass distro/freezer-refusal
else
        t_fail distro/freezer-refusal "armed $(marks 'DISTRO: freezeblock armed'), kernel refusals" \
                "$(marks 'Freezing of tasks failed'), switches given up $refusals, released" \
                "$(marks 'DISTRO: freezeblock released'), tour $([ "$ok" = 1 ] && echo done || echo "not done")"
fi
echo "distro: tour over after $(sw_since "$t_qemu") s of QEMU; $refusals switch(es) given up by the agent and pressed again;" \
        "the kernels logged $(marks 'Freezing .*(abort|fail)') freezer refusal(s)"
qemu_stop "$SW_QEMU_PID" "$SW_QEMU_RUN_DIR" distro/quit || true
no_fault distro "$log"
tr -d '\r' <"$log" >"$w/serial.txt"

# --- what each slot said --------------------------------------------------------------
# stamp TEXT: the kernel time stamp (seconds since that slot's kernel
# started, not counting the time it was switched out) of the first console
# line that is TEXT after its stamp.
stamp() {
        grep -aoE "\[ *[0-9]+\.[0-9]+\] $1" "$w/serial.txt" | head -n 1 | sed 's/^\[ *\([0-9.]*\)\].*/\1/'
}
for s in a b c; do
        echo "distro: slot $s boot (its kernel's clock): agent up at $(stamp "switcher-agent: running as slot '$s'") s," \
                "systemd done at $(stamp "DISTRO: state slot=$s ") s"
        arch=${slot_arch[$s]}
        machine=x86_64
        [ "$arch" = i386 ] && machine=i686
        version=$(cat "${root[$arch]}/version")
        t_check "distro/kernel-$s" "$log" \
                "DISTRO: kernel slot=$s release=${version//./\\.} machine=$machine root=/dev/sda[0-9]+$"
        t_check "distro/agent-$s" "$log" \
                "DISTRO: agent slot=$s package=[^ :]+:$arch unit=active exec=/usr/sbin/switcher-agent$"
        state=$(grep -aoE "DISTRO: state slot=$s .*" "$w/serial.txt" | tail -n 1 | cut -d' ' -f4-)
        bad=
        case $state in
        "running failed=none") ;;
        degraded\ failed=*)
                for u in $(echo "${state#degraded failed=}" | tr ',' ' '); do
                        case " $degraded_ok " in *" $u "*) ;; *) bad="$bad $u" ;; esac
                done
                ;;
        *) bad=" (state '${state:-never reported}')" ;;
        esac
        if [ -z "$bad" ]; then
                t_pass "distro/state-$s"
                echo "distro: slot $s: systemctl is-system-running: $state"
        else
                t_fail "distro/state-$s" "is-system-running: '$state'; not explained:$bad"
        fi
done

# After each resume: the target's kernel restarts user space ("Restarting
# tasks"), and its writer's next fsync'ed record follows within 2 s, both
# by the target's own kernel clock.  A cold visit has no resume.  Nor is a
# resume timed when the slot's writer had not reported a record before the
# slot was switched out: the first hotkey comes while the slot is still
# booting, and its writer starts when systemd gets to it after the resume;
# such a resume is listed as "untimed".
awk '
        function stamp(line) {
                if (match(line, /\[ *[0-9]+\.[0-9]+\]/))
                        return substr(line, RSTART + 1, RLENGTH - 2) + 0
                return -1
        }
        BEGIN { seen["a"] = 1 }
        /switcher: switch / && match($0, /switch .[a-c]. -> .[a-c].:/) {
                to = substr($0, RSTART + 15, 1)
                n++
                want = ""
                if ((to in seen) && (to in wrote))
                        { want = to; ref = -1 }
                else if (to in seen)
                        printf "%d %s untimed\n", n, to
                seen[to] = 1
                next
        }
        match($0, /DISTRO: fsynced slot=[a-c] /) { wrote[substr($0, RSTART + 21, 1)] = 1 }
        want != "" && ref < 0 && /Restarting tasks|PM: suspend exit/ { ref = stamp($0); next }
        want != "" && index($0, "DISTRO: fsynced slot=" want " ") {
                t = stamp($0)
                # -1: no line of the kernel said it resumed.
                printf "%d %s %d\n", n, want, ref < 0 ? -1 : t < ref ? 0 : int((t - ref) * 1000 + 0.5)
                want = ""
        }
' "$w/serial.txt" >"$w/resumes.txt"
want_resumes=$((rounds * 3 - 2))
while read -r n s ms; do
        if [ "$ms" = untimed ]; then
                echo "distro: switch $n into $s: not timed (its writer had not started before the slot was switched out)"
                continue
        elif [ "$ms" -lt 0 ]; then
                t_fail "distro/resume-$n-$s" "switch $n into $s: the kernel logged no resume (Restarting tasks) before the writer's record"
                continue
        elif [ "$ms" -le 2000 ]; then
                t_pass "distro/resume-$n-$s"
        else
                t_fail "distro/resume-$n-$s" "switch $n into $s: the writer's next record came $ms ms after user space restarted"
        fi
        echo "distro: switch $n into $s: writer's next record $ms ms after user space restarted"
done <"$w/resumes.txt"
if [ "$ok" = 1 ] && [ "$(wc -l <"$w/resumes.txt")" != "$want_resumes" ]; then
        t_fail distro/resumes "$(wc -l <"$w/resumes.txt") resumes seen, want $want_resumes"
fi

# Dirty page cache at each switch: the writer's bulk half rewrites an 8 MiB
# file without syncing it and reports the page cache's dirty kB once a
# second.  For each switch out of a slot whose writer was running, its last
# report before its agent started the switch ("hotkey ... released:
# switching to ..."; at most about a second before) is to show at least
# 512 kB dirty.  The agent and then the kernel's suspend write it back (both
# sync), and the records and e2fsck checks below say nothing was lost.
awk '
        BEGIN { cur = "a" }
        / switcher-agent: hotkey .* released: switching to / {
                at = (cur in kb) ? kb[cur] : "none"
                next
        }
        /switcher: switch / && match($0, /switch .[a-c]. -> .[a-c].:/) {
                from = substr($0, RSTART + 8, 1)
                n++
                printf "%d %s %s\n", n, from, at == "" ? "none" : at
                delete kb[from]
                at = ""
                cur = substr($0, RSTART + 15, 1)
                next
        }
        match($0, /DISTRO: dirty slot=[a-c] kB=[0-9]+/) {
                f = substr($0, RSTART, RLENGTH)
                split(f, p, /[ =]/)
                kb[p[4]] = p[6]
        }
' "$w/serial.txt" >"$w/dirty.txt"
dirty_ok=0 dirty_n=0
while read -r n s kb; do
        if [ "$kb" = none ]; then
                echo "distro: switch $n out of $s: its writer had not reported yet (still booting)"
                continue
        fi
        dirty_n=$((dirty_n + 1))
        if [ "$kb" -ge 512 ]; then
                dirty_ok=$((dirty_ok + 1))
        else
                echo "distro: switch $n out of $s: only $kb kB dirty at the writer's last report"
        fi
done <"$w/dirty.txt"
if [ "$dirty_n" -gt 0 ] && [ "$dirty_ok" = "$dirty_n" ]; then
        t_pass distro/dirty-at-switch
        echo "distro: $dirty_ok switches out of a slot with 512 kB or more of dirty page cache" \
                "($(awk '$3 != "none" { printf "%s%s", sep, $3; sep = "," }' "$w/dirty.txt") kB)"
else
        t_fail distro/dirty-at-switch "$dirty_ok of $dirty_n switches left a slot with at least 512 kB dirty (see $w/dirty.txt)"
fi

# --- the partitions after the power cut ---------------------------------------------------
for s in a b c; do
        img=$w/part-$s.img
        if ! disk_extract "$w/disk.img" "slot-$s" "$img"; then
                t_fail "distro/records-$s" "no partition slot-$s"
                continue
        fi
        # What a boot would do first: replay the journal.  Then the file, and
        # the file system check, read-only.
        e2fsck -y -E journal_only "$img" >"$w/replay-$s.log" 2>&1 || true
        debugfs -R "cat /var/lib/sw-writer/records" "$img" >"$w/records-$s.txt" 2>/dev/null || true
        grep -aoE "DISTRO: fsynced slot=$s seq=[0-9]+ sum=[0-9]+ /" "$w/serial.txt" |
                awk '{ sub("seq=", "", $4); sub("sum=", "", $5); print $4, $5 }' | sort -n -u >"$w/fsynced-$s.txt"
        # seq and checksum of every line of the file, in file order.
        while IFS= read -r line; do
                seqn=${line#*seq=}
                printf '%s %s\n' "${seqn%% *}" "$(printf '%s\n' "$line" | cksum | cut -d' ' -f1)"
        done <"$w/records-$s.txt" >"$w/ondisk-$s.txt"
        last=$(awk 'END { print $1 + 0 }' "$w/fsynced-$s.txt")
        err=$(awk -v last="$last" -v slot="$s" '
                NR == FNR { sum[$1] = $2; next }
                FNR == 1 { want = 1 }
                # Up to the last record reported as durable the file is exactly
                # the records in order; after it, whatever the power cut left.
                want > last + 0 { next }
                { if ($1 != want) { print "record " FNR " of the file has seq " $1 ", want " want; bad = 1; exit }
                  have[$1] = $2; want++ }
                END {
                        if (bad) exit 1
                        for (q in sum) {
                                if (!(q in have)) { print "fsynced record " q " is missing"; exit 1 }
                                if (have[q] != sum[q]) { print "record " q " has checksum " have[q] ", reported " sum[q]; exit 1 }
                        }
                }' "$w/fsynced-$s.txt" "$w/ondisk-$s.txt" 2>&1) || true
        nrep=$(wc -l <"$w/fsynced-$s.txt")
        if [ "$nrep" -gt 0 ] && [ -z "$err" ]; then
                t_pass "distro/records-$s"
                echo "distro: slot $s: all $nrep fsync'ed records on disk with their checksums" \
                        "(the file holds $(wc -l <"$w/ondisk-$s.txt"), the last fsync'ed is $last)"
        else
                t_fail "distro/records-$s" "${err:-the writer reported no durable record}"
        fi
        if e2fsck -fn "$img" >"$w/fsck-$s.log" 2>&1; then
                t_pass "distro/fsck-$s"
        else
                t_fail "distro/fsck-$s" "$(tail -n 5 "$w/fsck-$s.log" | tr '\n' ' ')"
        fi
        rm -f "$img"
done
echo "distro: done after $(sw_since "$t_all") s in all"
t_summary
