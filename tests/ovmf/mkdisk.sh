#!/bin/bash
# mkdisk.sh OUT ESP_DIR [PART_SPEC...]
#
# Builds a GPT disk image without root and without loop mounts:
#   partition 1: the ESP (FAT32, label "ESP"), filled from ESP_DIR with mcopy
#   partition 2...: one per PART_SPEC, in order
# PART_SPEC is comma-separated key=value:
#   label=NAME    GPT partition name (required); also the ext4 volume label
#   size=N[M|G]   size in MiB (M, the default) or GiB (G)         (required)
#   dir=DIR       ext4 contents (mke2fs -d); empty file system if absent
#   uuid=UUID     GPT partition GUID (default: fixed, derived from the index)
#   fsuuid=UUID   ext4 UUID (default: fixed, derived from the index)
#   fs=ext4|raw   raw leaves the partition zeroed (default ext4)
# Environment: SW_ESP_MIB (default 64) sets the ESP size.
# All GUIDs are fixed so images (and the switcher's view of them) are the same
# on every run.  Partitions start at 1 MiB and are MiB-aligned.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -ge 2 ] || sw_die "usage: $0 OUT ESP_DIR [label=L,size=32M[,dir=D][,uuid=U][,fsuuid=U][,fs=ext4|raw]...]"
out=$1
esp_dir=$2
shift 2
sw_need_cmd sgdisk mkfs.vfat mcopy mke2fs dd truncate
[ -d "$esp_dir" ] || sw_die "ESP_DIR '$esp_dir' is not a directory"

esp_mib=${SW_ESP_MIB:-64}
[ "$esp_mib" -ge 64 ] 2>/dev/null || sw_die "SW_ESP_MIB must be at least 64 (got '$esp_mib')"

# Parse every spec before touching anything, so a typo costs nothing.
labels=() sizes=() dirs=() uuids=() fsuuids=() fss=()
idx=2
for spec in "$@"; do
        label='' size='' dir='' uuid='' fsuuid='' fs=ext4
        IFS=, read -r -a kvs <<<"$spec"
        for kv in "${kvs[@]}"; do
                case $kv in
                label=*) label=${kv#*=} ;;
                size=*) size=${kv#*=} ;;
                dir=*) dir=${kv#*=} ;;
                uuid=*) uuid=${kv#*=} ;;
                fsuuid=*) fsuuid=${kv#*=} ;;
                fs=*) fs=${kv#*=} ;;
                *) sw_die "partition spec '$spec': unknown item '$kv'" ;;
                esac
        done
        [ -n "$label" ] || sw_die "partition spec '$spec': no label="
        [ ${#label} -le 36 ] || sw_die "partition spec '$spec': GPT names hold at most 36 characters"
        [ -n "$size" ] || sw_die "partition spec '$spec': no size="
        if ! [[ $size =~ ^[0-9]+[MG]?$ ]]; then
                sw_die "partition spec '$spec': size must be N[M|G]"
        fi
        case $size in
        *G) mib=$((${size%G} * 1024)) ;;
        *) mib=${size%M} ;;
        esac
        if [ "$mib" -lt 2 ]; then
                sw_die "partition spec '$spec': size must be at least 2 MiB"
        fi
        case $fs in ext4 | raw) ;; *) sw_die "partition spec '$spec': fs must be ext4 or raw" ;; esac
        if [ -n "$dir" ] && [ ! -d "$dir" ]; then
                sw_die "partition spec '$spec': dir '$dir' is not a directory"
        fi
        [ -n "$uuid" ] || uuid=$(printf '53575054-0000-4000-8000-%012x' "$idx")
        [ -n "$fsuuid" ] || fsuuid=$(printf '53574653-0000-4000-8000-%012x' "$idx")
        labels+=("$label") sizes+=("$mib") dirs+=("$dir") uuids+=("$uuid")
        fsuuids+=("$fsuuid") fss+=("$fs")
        idx=$((idx + 1))
done

work=$(mktemp -d "${TMPDIR:-/tmp}/sw-disk.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Layout in MiB: 1 MiB for the protective MBR and primary GPT, the partitions,
# 1 MiB at the end for the backup GPT.
total=$((1 + esp_mib + 1))
for mib in "${sizes[@]}"; do
        total=$((total + mib))
done
rm -f "$out"
truncate -s "${total}M" "$out"

args=(-o -U 53574449-534b-4000-8000-000000000001
        -n "1:2048:+${esp_mib}M" -t 1:ef00 -c 1:ESP -u 1:53575054-0000-4000-8000-000000000001)
start=$((1 + esp_mib))
starts=()
for i in "${!labels[@]}"; do
        n=$((i + 2))
        starts+=("$start")
        args+=(-n "$n:$((start * 2048)):+${sizes[$i]}M" -t "$n:8300" -c "$n:${labels[$i]}"
                -u "$n:${uuids[$i]}")
        start=$((start + sizes[i]))
done
sgdisk "${args[@]}" "$out" >"$work/sgdisk.log" 2>&1 || {
        cat "$work/sgdisk.log" >&2
        sw_die "sgdisk failed on $out"
}

# The ESP: FAT32 image, files copied in with mtools, placed at 1 MiB.
mkfs.vfat -F 32 -n ESP -i 53575346 -C "$work/esp.img" $((esp_mib * 1024)) >/dev/null ||
        sw_die "mkfs.vfat failed"
shopt -s dotglob nullglob
entries=("$esp_dir"/*)
shopt -u dotglob nullglob
if [ ${#entries[@]} -gt 0 ]; then
        MTOOLS_SKIP_CHECK=1 mcopy -i "$work/esp.img" -s -Q "${entries[@]}" ::/ ||
                sw_die "mcopy of $esp_dir into the ESP failed"
fi
dd if="$work/esp.img" of="$out" bs=1M seek=1 conv=notrunc,sparse status=none

for i in "${!labels[@]}"; do
        [ "${fss[$i]}" = ext4 ] || continue
        img=$work/part$i.img
        src=${dirs[$i]}
        if [ -z "$src" ]; then
                src=$work/empty
                mkdir -p "$src"
        fi
        # An existing target keeps mke2fs from announcing "Creating regular file".
        truncate -s "${sizes[$i]}M" "$img"
        mke2fs -q -F -t ext4 -d "$src" -L "${labels[$i]:0:16}" -U "${fsuuids[$i]}" \
                -E root_owner=0:0 "$img" "${sizes[$i]}M" ||
                sw_die "mke2fs for partition '${labels[$i]}' failed"
        dd if="$img" of="$out" bs=1M seek="${starts[$i]}" conv=notrunc,sparse status=none
        rm -f "$img"
done

desc="ESP ${esp_mib}M"
for i in "${!labels[@]}"; do
        desc="$desc, ${labels[$i]} ${sizes[$i]}M ${fss[$i]}"
done
echo "mkdisk: $out: ${total} MiB GPT: $desc"
