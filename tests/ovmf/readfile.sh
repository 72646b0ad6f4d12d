#!/bin/bash
# readfile.sh DISK LABEL PATH    print PATH from the ext4 partition named LABEL
# readfile.sh --fsck DISK LABEL  run `e2fsck -fn` on it (status 0 when clean)
# Neither needs root: the partition is copied out with dd and read by debugfs.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"
sw_need_cmd sgdisk debugfs e2fsck dd
if [ "${1:-}" = --fsck ]; then
        [ $# -eq 3 ] || sw_die "usage: $0 --fsck DISK LABEL"
        disk_fsck "$2" "$3"
        echo "readfile: e2fsck -fn of '$3' in $2: clean"
        exit 0
fi
[ $# -eq 3 ] || sw_die "usage: $0 DISK LABEL PATH | $0 --fsck DISK LABEL"
disk_readfile "$1" "$2" "$3"
