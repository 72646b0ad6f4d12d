#!/bin/busybox sh
# shellcheck shell=dash
# /init of the test guests (busybox-static initramfs built by mkinitramfs.sh).
#
# Kernel command line (all optional):
#   switcher.slot=ID   the slot id the switcher gave us (printed, written to disk)
#   sw.test=ROLE       boot | s3 | shell   (default: boot)
#   sw.part=LABEL      GPT partition name of this guest's ext4 partition
#   sw.s3.count=N      role s3: suspend/resume cycles (default 1)
#   sw.watchdog=SECS   power off with "GUEST: FAIL watchdog" after SECS (default 300;
#                      0 disables; role shell never arms it)
#   sw.verbose=1       keep kernel messages on the console after init starts
#
# Every line meant for the test harness starts with "GUEST: ".  Every failure
# prints "GUEST: FAIL <what>" and powers off: the guest never hangs on purpose.
# Extra roles: a file /roles/ROLE.sh in the initramfs is sourced for role ROLE
# (it can use say/fail/finish and the variables below).

/bin/busybox mkdir -p /proc /sys /dev /mnt /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
# The kernel may have found no /dev/console in the initramfs; take the console now.
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin

say() {
        echo "GUEST: $*"
}

# finish: flush and power off.  With QEMU's -no-reboot the ACPI S5 ends QEMU.
finish() {
        sync
        poweroff -f
        # Only reached if the power-off syscall failed: try the sysrq path, then
        # stop here rather than return into the script.
        echo o >/proc/sysrq-trigger 2>/dev/null
        while :; do sleep 60; done
}

fail() {
        say "FAIL $*"
        finish
}

# start_writer: a writer that appends one numbered line a second to
# /mnt/count.txt (the slot's partition, mounted by the role) and prints it as
# "GUEST: tick slot=ID pid=PID n=N up=SECONDS"; it stops after
# /tmp/stop appears.  Its PID goes to $wpid.
start_writer() {
        cat >/tmp/writer.sh <<WRITER_END
n=0
while :; do
        n=\$((n + 1))
        echo "slot=$slot pid=\$\$ n=\$n" >>/mnt/count.txt
        sync
        echo "GUEST: tick slot=$slot pid=\$\$ n=\$n up=\$(cut -d' ' -f1 /proc/uptime)"
        [ -e /tmp/stop ] && break
        sleep 1
done
echo "GUEST: writer stopped slot=$slot n=\$n"
WRITER_END
        sh /tmp/writer.sh &
        wpid=$!
}

# finish_if_off ID: after this slot was resumed without asking for it: when
# slot ID is now off (empty in the mailbox), its power-off went through the
# switcher's tboot entry, which goes on in the slot that ran before it,
# this one, rather than ending the machine.  Then this slot powers off too.
finish_if_off() {
        if [ "$(mb_slot "$1" state)" = empty ]; then
                say "the machine came back: '$1' is off; powering off"
                finish
        fi
}

# mb_slot ID FIELD: slot ID's FIELD in the mailbox (switchctl list --json),
# e.g. switches (how often it was switched to) or state.
mb_slot() {
        switchctl list --json 2>/dev/null | tr '{' '\n' | grep "\"id\":\"$1\"" |
                sed -n "s/.*\"$2\":\"*\([^,\"}]*\).*/\1/p"
}

slot=none role=boot part='' s3count=1 watchdog=300 verbose=0
# The command line is one line of words.
# shellcheck disable=SC2013
for w in $(cat /proc/cmdline); do
        case $w in
        switcher.slot=*) slot=${w#*=} ;;
        sw.test=*) role=${w#*=} ;;
        sw.part=*) part=${w#*=} ;;
        sw.s3.count=*) s3count=${w#*=} ;;
        sw.watchdog=*) watchdog=${w#*=} ;;
        sw.verbose=*) verbose=${w#*=} ;;
        esac
done

say "up slot=$slot arch=$(uname -m)"

# Keep the kernel's chatter from splitting our marker lines, unless asked.
[ "$verbose" = 1 ] || dmesg -n 4

if [ "$role" != shell ] && [ "$watchdog" != 0 ]; then
        (sleep "$watchdog" && fail "watchdog: role $role still running after ${watchdog}s") &
fi

# Modules in dependency order, as computed by mkinitramfs.sh.
if [ -f /lib/modules/load.list ]; then
        while read -r m; do
                [ -n "$m" ] || continue
                insmod "/lib/modules/$m.ko" || fail "insmod $m"
        done </lib/modules/load.list
fi

# report_basics: what the switcher gave this guest: RAM map, RSDP, command line.
report_basics() {
        grep 'System RAM' /proc/iomem | while read -r range _; do
                say "iomem-ram $range"
        done
        rsdp=$(dmesg | grep 'ACPI: RSDP' | head -n1)
        [ -n "$rsdp" ] || fail "no 'ACPI: RSDP' line in dmesg"
        # shellcheck disable=SC2086 # split into words on purpose
        set -- $rsdp
        # "... ACPI: RSDP 0x00000000BFB7E014 000024 (v02 BOCHS )": the address
        # is the word after RSDP.
        addr=
        while [ $# -gt 0 ]; do
                if [ "$1" = RSDP ]; then
                        addr=$2
                        break
                fi
                shift
        done
        [ -n "$addr" ] || fail "cannot parse RSDP line: $rsdp"
        say "rsdp $addr"
        say "cmdline $(cat /proc/cmdline)"
}

# find_part LABEL: print /dev/NAME of the partition whose GPT name is LABEL.
# Disk probing is asynchronous; wait up to 20 s for it.
find_part() {
        i=0
        while [ $i -lt 100 ]; do
                for u in /sys/class/block/*/uevent; do
                        [ -f "$u" ] || continue
                        if grep -qx "PARTNAME=$1" "$u"; then
                                dev=$(sed -n 's/^DEVNAME=//p' "$u")
                                echo "/dev/$dev"
                                return 0
                        fi
                done
                sleep 0.2
                i=$((i + 1))
        done
        return 1
}

# write_boot_record: append "slot=ID boot=N" to /sw-test.txt on our partition,
# N counting this slot's earlier lines plus one.
write_boot_record() {
        [ -n "$part" ] || fail "no sw.part=LABEL on the command line"
        dev=$(find_part "$part") || fail "no partition labelled '$part' (PARTNAME) appeared"
        mount -t ext4 "$dev" /mnt || fail "mount -t ext4 $dev (label $part)"
        n=1
        if [ -f /mnt/sw-test.txt ]; then
                n=$(($(grep -c "^slot=$slot " /mnt/sw-test.txt) + 1))
        fi
        echo "slot=$slot boot=$n" >>/mnt/sw-test.txt || fail "append to $dev:/sw-test.txt"
        sync
        umount /mnt || fail "umount $dev"
        say "wrote file slot=$slot boot=$n dev=$dev"
}

# --- for the lab-bank roles (lab, labboot, labsave, lab386) ---

# cmdline_word KEY: the value of KEY=VALUE on the kernel command line, or
# nothing.
cmdline_word() {
        # shellcheck disable=SC2013 # the command line is one line of words
        for w in $(cat /proc/cmdline); do
                case $w in
                "$1"=*) echo "${w#*=}" ;;
                esac
        done
}

# state_of FILE: present or absent.
state_of() {
        if [ -e "$1" ]; then echo present; else echo absent; fi
}

# run_marked PREFIX NAME CMD...: runs CMD, then prints its status as
# "GUEST: PREFIX NAME rc N" and every line it printed as
# "GUEST: PREFIX NAME: LINE".
run_marked() {
        rm_prefix=$1 rm_name=$2
        shift 2
        rm_out=$("$@" 2>&1)
        rm_rc=$?
        say "$rm_prefix $rm_name rc $rm_rc"
        echo "$rm_out" | sed "s/^/GUEST: $rm_prefix $rm_name: /"
}

# lab_start PREFIX: the lab image every lab-bank role starts from: this
# slot's partition mounted on /mnt, /mnt/marker written, and a writer
# (start_writer) counting; then "GUEST: PREFIX up writer=PID".
lab_start() {
        dev=$(find_part "$part") || fail "no partition labelled '$part'"
        mount -t ext4 "$dev" /mnt || fail "mount -t ext4 $dev"
        echo "the lab image" >/mnt/marker
        sync
        start_writer
        sleep 3
        say "$1 up writer=$wpid"
}

# writer_state: "writer=PID alive|dead" of the writer lab_start started.
writer_state() {
        echo "writer=$wpid $(kill -0 "$wpid" 2>/dev/null && echo alive || echo dead)"
}

# lab_stop: stops the writer, unmounts /mnt and powers off.
lab_stop() {
        touch /tmp/stop
        wait "$wpid"
        umount /mnt || fail "umount /mnt"
        finish
}

# s3_cycle I: arm the RTC 3 s ahead and suspend to RAM; on return check that a
# process started before the suspend is still alive.
s3_cycle() {
        [ -e /sys/class/rtc/rtc0/wakealarm ] || fail "no /sys/class/rtc/rtc0/wakealarm"
        grep -q deep /sys/power/mem_sleep || fail "mem_sleep has no 'deep': $(cat /sys/power/mem_sleep)"
        echo deep >/sys/power/mem_sleep
        sleep 1000 &
        pid=$!
        echo 0 >/sys/class/rtc/rtc0/wakealarm
        echo +3 >/sys/class/rtc/rtc0/wakealarm
        say "suspending n=$1"
        if ! echo mem >/sys/power/state; then
                dmesg | tail -n 20 | sed 's/^/GUEST: dmesg /'
                fail "echo mem > /sys/power/state (n=$1)"
        fi
        kill -0 "$pid" 2>/dev/null || fail "process $pid gone after resume n=$1"
        kill "$pid"
        dmesg | grep -E 'ACPI: PM: (Preparing|Waking)|ACPI: Waking|Restarting tasks' |
                tail -n 3 | sed 's/^/GUEST: dmesg /'
        say "resumed n=$1"
}

case $role in
boot)
        report_basics
        write_boot_record
        say "done"
        finish
        ;;
s3)
        report_basics
        i=1
        while [ "$i" -le "$s3count" ]; do
                s3_cycle "$i"
                i=$((i + 1))
        done
        [ -z "$part" ] || write_boot_record
        say "done"
        finish
        ;;
shell)
        say "shell"
        while :; do
                setsid cttyhack sh -l
                say "shell exited; starting another (poweroff -f to stop)"
        done
        ;;
*)
        if [ -f "/roles/$role.sh" ]; then
                # shellcheck disable=SC1090 # supplied at initramfs build time
                . "/roles/$role.sh"
                say "done"
                finish
        fi
        fail "unknown role '$role'"
        ;;
esac
