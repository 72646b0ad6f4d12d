#!/bin/bash
# t-snapshot.sh BUILD
#
# Host tests of lab-bank snapshots (docs/snapshot-format.md) through
# BUILD/mkslot snapshot: a fake 1 MiB store (a third of its pages zero) and
# a real ext4 image made by mke2fs -d are saved, inspected (text and JSON:
# zero pages and free blocks left out), and restored onto fresh targets
# (store and image byte for byte the originals, e2fsck clean).  Then one
# byte flipped in the header, the RAM part, the FS part and the trailer,
# each refused with that part's name; a truncated file; a restore refused
# (the wrong slot, a damaged file, a partition too small) leaving both
# targets unchanged; a split snapshot read back and missing a piece; help
# and usage errors.  Every run's exit status is asserted.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/../ovmf/lib.sh"

build=$(cd "${1:-build}" && pwd)
mk=$build/mkslot
w=$build/tools/snapshot
rm -rf "$w"
mkdir -p "$w/tree"
BASE=0x40000000

if [ ! -x "$mk" ]; then
        t_fail snapshot/built "$mk is missing: build it first (make)"
        t_summary
        exit 1
fi
for tool in mke2fs e2fsck debugfs python3; do
        if ! command -v "$tool" >/dev/null; then
                t_fail snapshot/tools "$tool is missing (apt-get install -y e2fsprogs python3)"
                t_summary
                exit 1
        fi
done

# run NAME WANT ARGS...: runs mkslot (stdout, stderr in $w/NAME.out, .err)
# and passes snapshot/NAME when its exit status is WANT.
run() {
        local name=$1 want=$2 rc=0
        shift 2
        "$mk" "$@" >"$w/$name.out" 2>"$w/$name.err" || rc=$?
        if [ "$rc" = "$want" ]; then
                t_pass "snapshot/$name"
        else
                sed 's/^/    | /' "$w/$name.out" "$w/$name.err" >&2
                t_fail "snapshot/$name" "exit status $rc, expected $want"
        fi
}

# says NAME out|err TEXT: the run's stdout or stderr holds TEXT (fixed string).
says() {
        if grep -Fq -- "$3" "$w/$1.$2"; then
                t_pass "snapshot/$1-says"
        else
                sed 's/^/    | /' "$w/$1.$2" >&2
                t_fail "snapshot/$1-says" "no '$3' on $2"
        fi
}

# same TEST A B: t_pass when files A and B are byte for byte equal.
same() {
        if cmp -s "$2" "$3"; then
                t_pass "snapshot/$1"
        else
                t_fail "snapshot/$1" "$2 and $3 differ"
        fi
}

# flip FILE OFFSET: xor one byte of FILE with 0x10.
flip() {
        python3 -c '
import sys
f = open(sys.argv[1], "r+b"); o = int(sys.argv[2]); f.seek(o); b = f.read(1)
f.seek(o); f.write(bytes([b[0] ^ 0x10]))' "$1" "$2"
}

# jq_py NAME EXPR: prints EXPR (Python, over the JSON j of NAME's stdout).
jq_py() {
        python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$w/$1.out" "$2"
}

# --- inputs: a store with zero pages, an ext4 image with files ------------------
python3 -c '
import random, sys
r = random.Random(14)
with open(sys.argv[1], "wb") as f:
    for i in range(256):
        f.write(bytes(4096) if i % 3 == 1 else r.randbytes(4096))' "$w/store.bin"
echo "the lab image" >"$w/tree/marker"
head -c 200000 "$w/store.bin" >"$w/tree/data.bin"
truncate -s 8M "$w/fs.img"
if mke2fs -q -F -t ext4 -b 1024 -d "$w/tree" "$w/fs.img" >"$w/mke2fs.log" 2>&1; then
        t_pass snapshot/mke2fs
else
        sed 's/^/    | /' "$w/mke2fs.log" >&2
        t_fail snapshot/mke2fs "mke2fs -d failed"
        t_summary
        exit 1
fi
save_args=(--slot lab --kernel 6.1.0-28-amd64 --kernel-size 8247232 --partition PARTLABEL=lab
        --layout 0x1234abcd --config-hash 0x55aa --vector 0x9a000 --created 1790000000
        --mem "$w/store.bin" --mem-base "$BASE" --range "store:$BASE:1M" --fs "$w/fs.img")

# --- save and inspect ----------------------------------------------------------
run save 0 snapshot save "${save_args[@]}" -o "$w/lab.snap"
run save-exists 1 snapshot save "${save_args[@]}" -o "$w/lab.snap"
says save-exists err "exists; not replaced (use --force)"
run inspect 0 snapshot inspect "$w/lab.snap"
says inspect out "  slot        lab"
says inspect out "  kernel      6.1.0-28-amd64 (8247232 bytes)"
says inspect out "  trailer     sha256 "
run inspect-json 0 snapshot inspect --json "$w/lab.snap"
# 171 of the 256 pages are not zero; the FS part holds the used blocks only.
used=$(($(debugfs -R stats "$w/fs.img" 2>/dev/null | sed -n 's/^Block count: *//p') -
        $(debugfs -R stats "$w/fs.img" 2>/dev/null | sed -n 's/^Free blocks: *//p')))
if [ "$(jq_py inspect-json 'j["valid"], j["slot"], j["parts"][0]["data_bytes"], j["parts"][1]["data_bytes"]')" = \
     "(True, 'lab', $((171 * 4096)), $((used * 1024)))" ]; then
        t_pass snapshot/inspect-json-sizes
else
        t_fail snapshot/inspect-json-sizes "$(cat "$w/inspect-json.out") (expected $((used * 1024)) FS bytes)"
fi
ram=$(jq_py inspect-json 'j["parts"][0]["offset"]')
fs=$(jq_py inspect-json 'j["parts"][1]["offset"]')
size=$(stat -c %s "$w/lab.snap")

# --- restore onto fresh targets ---------------------------------------------------
truncate -s 1M "$w/store2.bin"
python3 -c 'import sys; open(sys.argv[1], "wb").write(b"\xaa" * (8 << 20))' "$w/fs2.img"
run restore 0 snapshot restore "$w/lab.snap" --slot lab --mem "$w/store2.bin" --mem-base $BASE --fs "$w/fs2.img"
same restore-store "$w/store2.bin" "$w/store.bin"
# Free blocks come back zero, as mke2fs left them in the original.
same restore-fs "$w/fs2.img" "$w/fs.img"
if e2fsck -fn "$w/fs2.img" >"$w/e2fsck.log" 2>&1 &&
   [ "$(debugfs -R 'cat /marker' "$w/fs2.img" 2>/dev/null)" = "the lab image" ]; then
        t_pass snapshot/restore-fs-clean
else
        t_fail snapshot/restore-fs-clean "e2fsck or the marker: $(tail -n 3 "$w/e2fsck.log")"
fi

# --- damage: each part named ---------------------------------------------------
# damaged NAME OFFSET TEXT: a copy with one byte flipped is refused with TEXT.
damaged() {
        cp "$w/lab.snap" "$w/$1.snap"
        flip "$w/$1.snap" "$2"
        run "$1" 1 snapshot inspect "$w/$1.snap"
        says "$1" err "$3"
}
damaged flip-header 100 "offset 480: header hash mismatch (the header is damaged)"
damaged flip-ram $((ram + 208 + 24 + 1000)) "part 1 (ram) hash mismatch (its data is damaged)"
damaged flip-fs $((fs + 208 + 24 + 5000)) "part 2 (fs) hash mismatch (its data is damaged)"
damaged flip-trailer $((size - 5)) "trailer hash mismatch (the parts do not belong to this header)"
run flip-fs-json 1 snapshot inspect --json "$w/flip-fs.snap"
if [ "$(jq_py flip-fs-json 'j["valid"], "part 2 (fs) hash mismatch" in j["error"], len(j["parts"])')" = \
     "(False, True, 1)" ]; then
        t_pass snapshot/flip-fs-json
else
        t_fail snapshot/flip-fs-json "$(cat "$w/flip-fs-json.out")"
fi
head -c $((size - 5000)) "$w/lab.snap" >"$w/short.snap"
run truncated 1 snapshot inspect "$w/short.snap"
says truncated err "truncated: the file ends inside part 2 (fs) extent 1"
run not-a-snapshot 1 snapshot inspect "$w/store.bin"
says not-a-snapshot err "offset 0: not a snapshot (magic is not 'SWSNAPv1')"

# --- refused restores leave both targets as they were ---------------------------
# Targets that differ from the snapshot's contents, so any write would show.
python3 -c 'import sys; open(sys.argv[1], "wb").write(b"\x55" * (1 << 20))' "$w/store3.bin"
python3 -c 'import sys; open(sys.argv[1], "wb").write(b"\xaa" * (8 << 20))' "$w/fs3.img"
cp "$w/store3.bin" "$w/store3.orig"
cp "$w/fs3.img" "$w/fs3.orig"
run restore-damaged 1 snapshot restore "$w/flip-fs.snap" --mem "$w/store3.bin" --mem-base $BASE --fs "$w/fs3.img"
says restore-damaged err "nothing written"
run restore-other-slot 1 snapshot restore "$w/lab.snap" --slot ctl --mem "$w/store3.bin" --mem-base $BASE --fs "$w/fs3.img"
says restore-other-slot err "is a snapshot of slot 'lab', not 'ctl'"
truncate -s 4M "$w/small.img"
run restore-too-small 1 snapshot restore "$w/lab.snap" --mem "$w/store3.bin" --mem-base $BASE --fs "$w/small.img"
says restore-too-small err "4194304 bytes, the snapshot's file system needs 8388608; nothing written"
same refused-untouched-store "$w/store3.bin" "$w/store3.orig"
same refused-untouched-fs "$w/fs3.img" "$w/fs3.orig"
if [ "$(stat -c %s "$w/small.img")" = 4194304 ] && cmp -s -n 4194304 "$w/small.img" /dev/zero; then
        t_pass snapshot/refused-untouched-small
else
        t_fail snapshot/refused-untouched-small "the too-small target was written"
fi

# --- split into pieces -----------------------------------------------------------
run save-split 0 snapshot save "${save_args[@]}" --split 1M -o "$w/split.snap"
if [ -f "$w/split.snap.000" ] && [ -f "$w/split.snap.002" ] && [ ! -e "$w/split.snap.003" ] &&
   [ "$(cat "$w"/split.snap.00? | cmp - "$w/lab.snap" && echo same)" = same ]; then
        t_pass snapshot/split-pieces
else
        t_fail snapshot/split-pieces "$(ls "$w"/split.snap*)"
fi
run inspect-split 0 snapshot inspect "$w/split.snap"
run save-split-exists 1 snapshot save "${save_args[@]}" --split 1M -o "$w/split.snap"
says save-split-exists err "split.snap.000 exists; not replaced (use --force)"
truncate -s 1M "$w/store4.bin"
run restore-split 0 snapshot restore "$w/split.snap" --mem "$w/store4.bin" --mem-base $BASE --fs "$w/fs3.img"
same restore-split-store "$w/store4.bin" "$w/store.bin"
rm "$w/split.snap.002"
run split-missing-piece 1 snapshot inspect "$w/split.snap"
says split-missing-piece err "truncated"

# --- help and usage --------------------------------------------------------------
run help 0 snapshot --help
says help out "inspect FILE [--json]"
run help-inspect 0 snapshot inspect --help
says help-inspect out "checks every structure and hash"
run no-sub 2 snapshot
run bad-sub 2 snapshot frob
says bad-sub err "unknown subcommand 'frob'"
run no-file 2 snapshot inspect
run bad-range 2 snapshot save --slot a --range heap:0:1M -o "$w/x.snap"
says bad-range err "kind 'heap' is not store, ram, low or dma32"
run range-below-base 2 snapshot save --slot a --mem-base 0x1000 --range store:0:1M -o "$w/x.snap"
says range-below-base err "--range 1 at 0x0 lies below --mem-base 0x1000"
run save-no-slot 2 snapshot save --range store:0:1M -o "$w/x.snap"
if [ -e "$w/x.snap" ]; then
        t_fail snapshot/nothing-left "x.snap was left behind"
else
        t_pass snapshot/nothing-left
fi

t_summary
