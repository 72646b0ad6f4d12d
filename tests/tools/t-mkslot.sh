#!/bin/bash
# t-mkslot.sh BUILD
#
# Host tests of BUILD/mkslot, the host front end to the switcher's own config
# parser and memory planner: help and usage errors (exit 2), `check` on the
# shipped partitions.conf and on broken ones (messages naming FILE:LINE on
# stderr, exit 1 on any error, even with slots left; warnings alone exit 0),
# `check --json` (usable kept apart from the exit status), `plan --memmap` on
# the OVMF 6 GiB memory map (slot stores above 4 GiB), `plan --json` (the
# same numbers as the text plan), and unreadable inputs (exit 1, path named).
# Every run's exit status is asserted.
# Then the provisioning verbs, each with its broken inputs: `image` (missing
# kernel or initrd, not a bzImage, output exists), `inspect` (hashes against
# sha256sum; truncated, flipped byte, not a slot image), `check --esp` on
# slot images, `disk` (contents read back from the image; exists, too small,
# partition too small, damaged image: nothing left behind) and `install`
# (with a stand-in efibootmgr on PATH).
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/../ovmf/lib.sh"

build=$(cd "${1:-build}" && pwd)
top=$SW_TOP
mk=$build/mkslot
w=$build/tools/mkslot
rm -rf "$w"
mkdir -p "$w"
fixtures=$top/tests/fixtures

if [ ! -x "$mk" ]; then
        t_fail mkslot/built "$mk is missing: build it first (make)"
        t_summary
        exit 1
fi

# mk NAME ARGS...: run mkslot; stdout in $w/NAME.out, stderr in $w/NAME.err,
# the exit status in $rc.  Never fails the script.
rc=0
mk() {
        local name=$1
        shift
        rc=0
        "$mk" "$@" >"$w/$name.out" 2>"$w/$name.err" || rc=$?
}

# show NAME: the command's output, for a failure message.
show() {
        {
                echo "--- stdout:"
                sed 's/^/    | /' "$w/$1.out"
                echo "--- stderr:"
                sed 's/^/    | /' "$w/$1.err"
        } >&2
}

# expect_rc TEST NAME WANT: t_pass when the last mk's status is WANT.
expect_rc() {
        if [ "$rc" = "$3" ]; then
                t_pass "$1"
        else
                show "$2"
                t_fail "$1" "exit status $rc, expected $3"
        fi
}

# expect_text TEST NAME out|err LINE: t_pass when LINE is a whole line of the
# command's stdout or stderr (fixed string).
expect_text() {
        if grep -Fxq -- "$4" "$w/$2.$3"; then
                t_pass "$1"
        else
                show "$2"
                t_fail "$1" "no $3 line '$4'"
        fi
}

# json_ok TEST NAME PYTHON_EXPR: the stdout of NAME is valid JSON and the
# Python expression (over the parsed value j) is true.
json_ok() {
        local err
        if err=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
if not eval("(" + sys.argv[2] + ")"):
    sys.exit("condition failed: " + sys.argv[2] + "\nJSON: " + json.dumps(j))
' "$w/$2.out" "$3" 2>&1); then
                t_pass "$1"
        else
                show "$2"
                t_fail "$1" "$err"
        fi
}

# --- help and usage ----------------------------------------------------------
mk help --help
expect_rc mkslot/help-exit help 0
if grep -q 'check' "$w/help.out" && grep -q 'plan' "$w/help.out" && grep -q -- '--memmap' "$w/help.out"; then
        t_pass mkslot/help-text
else
        show help
        t_fail mkslot/help-text "--help does not mention check, plan and --memmap on stdout"
fi
mk help-h -h
expect_rc mkslot/help-short help-h 0

mk noargs
expect_rc mkslot/no-args noargs 2
mk unknown frobnicate "$top/partitions.conf"
expect_rc mkslot/unknown-command unknown 2
expect_text mkslot/unknown-command-msg unknown err "mkslot: unknown command 'frobnicate' (try --help)"
mk badopt check --frob "$top/partitions.conf"
expect_rc mkslot/unknown-option badopt 2
mk twoconf check "$top/partitions.conf" "$top/partitions.conf"
expect_rc mkslot/two-confs twoconf 2
mk noconf check
expect_rc mkslot/no-conf noconf 2
mk nomemmap plan "$top/partitions.conf"
expect_rc mkslot/plan-without-memmap nomemmap 2
expect_text mkslot/plan-without-memmap-msg nomemmap err "mkslot plan: give one of --memory SIZE or --memmap FILE"

# --- check on the shipped partitions.conf -------------------------------------
mk shipped check "$top/partitions.conf"
expect_rc mkslot/check-shipped shipped 0
expect_text mkslot/check-shipped-summary shipped out \
        "$top/partitions.conf: 2 valid slot(s), 0 warning(s), 0 error(s); files not checked (use --esp DIR)"
if grep -Eq '^slot debian-a +swap +Debian 12 \(amd64\) A  \(default\)$' "$w/shipped.out" &&
        grep -Eq '^slot debian-b +swap +Debian 12 \(amd64\) B$' "$w/shipped.out"; then
        t_pass mkslot/check-shipped-slots
else
        show shipped
        t_fail mkslot/check-shipped-slots "slot lines for debian-a (default) and debian-b missing"
fi
if [ -s "$w/shipped.err" ]; then
        show shipped
        t_fail mkslot/check-shipped-quiet "messages on stderr for the shipped config"
else
        t_pass mkslot/check-shipped-quiet
fi

mk shipped-json check --json "$top/partitions.conf"
expect_rc mkslot/check-json-exit shipped-json 0
json_ok mkslot/check-json shipped-json \
        'j["usable"] and j["valid_slots"] == 2 and j["default"] == "debian-a" and j["errors"] == 0 and
         not j["files_checked"] and [s["id"] for s in j["slots"]] == ["debian-a", "debian-b"] and
         all(s["valid"] and s["mode"] == "swap" for s in j["slots"])'

# --- check --esp: files on the ESP ---------------------------------------------
esp=$w/esp
mkdir -p "$esp/slots/debian-a" "$esp/slots/debian-b"
# A stand-in kernel the header checks accept: the real amd64 setup header,
# padded (sparse) to the whole file's length (tests/fixtures/README.bzimage).
cp "$top/tests/fixtures/bzimage-amd64-head.bin" "$esp/slots/debian-a/vmlinuz"
truncate -s 8247232 "$esp/slots/debian-a/vmlinuz"
: >"$esp/slots/debian-a/initrd.img"
: >"$esp/slots/debian-b/initrd.img"
conf=$top/partitions.conf
line_b=$(grep -n '^linux /slots/debian-b/vmlinuz' "$conf" | cut -d: -f1)
mk esp-one check --esp "$esp" "$conf"
# One slot dropped, the other still bootable: still an error, exit 1.
expect_rc mkslot/esp-one-missing-exit esp-one 1
expect_text mkslot/esp-one-missing-msg esp-one err \
        "error: $conf:$line_b: slot 'debian-b': kernel '/slots/debian-b/vmlinuz' not found; slot dropped"
expect_text mkslot/esp-one-missing-summary esp-one out "$conf: 1 valid slot(s), 0 warning(s), 1 error(s)"

rm "$esp/slots/debian-a/vmlinuz"
line_a=$(grep -n '^linux /slots/debian-a/vmlinuz' "$conf" | cut -d: -f1)
mk esp-none check --esp "$esp" "$conf"
expect_rc mkslot/esp-none-exit esp-none 1
expect_text mkslot/esp-none-msg-a esp-none err \
        "error: $conf:$line_a: slot 'debian-a': kernel '/slots/debian-a/vmlinuz' not found; slot dropped"
expect_text mkslot/esp-none-msg-b esp-none err \
        "error: $conf:$line_b: slot 'debian-b': kernel '/slots/debian-b/vmlinuz' not found; slot dropped"
if grep -Eq "^error: $conf:[0-9]+: no valid slot left; nothing to boot\$" "$w/esp-none.err"; then
        t_pass mkslot/esp-none-says-nothing-to-boot
else
        show esp-none
        t_fail mkslot/esp-none-says-nothing-to-boot "no 'no valid slot left' message naming $conf:LINE"
fi
mk esp-none-json check --json --esp "$esp" "$conf"
expect_rc mkslot/esp-none-json-exit esp-none-json 1
json_ok mkslot/esp-none-json esp-none-json \
        'j["valid_slots"] == 0 and j["default"] is None and j["files_checked"] and
         not any(s["valid"] for s in j["slots"])'

# A missing initrd drops the slot too, naming the initrd line.
: >"$esp/slots/debian-a/vmlinuz"
rm "$esp/slots/debian-a/initrd.img"
line_ai=$(grep -n '^initrd /slots/debian-a/initrd.img' "$conf" | cut -d: -f1)
mk esp-initrd check --esp "$esp" "$conf"
expect_rc mkslot/esp-initrd-exit esp-initrd 1
expect_text mkslot/esp-initrd-msg esp-initrd err \
        "error: $conf:$line_ai: slot 'debian-a': initrd '/slots/debian-a/initrd.img' not found; slot dropped"

# --- check on a config full of mistakes ----------------------------------------
bad=$w/bad.conf
cat >"$bad" <<'CONF'
timeout 0
default good
active-size 160M
colour blue

slot good
title Good slot
linux /slots/good/vmlinuz
partition PARTLABEL=slot-good

slot badsize
linux /slots/good/vmlinuz
memory 12X

slot good
linux /slots/good/vmlinuz

slot badpart
linux /slots/good/vmlinuz
partition FOO=bar
CONF
mk bad check "$bad"
expect_rc mkslot/bad-exit bad 1
expect_text mkslot/bad-unknown-key bad err "warning: $bad:4: unknown key 'colour', ignored"
expect_text mkslot/bad-size bad err "error: $bad:13: slot 'badsize': memory '12X' is not a size like 128M or 1G; slot dropped"
expect_text mkslot/bad-duplicate bad err "error: $bad:15: slot 'good': id already used by the slot at line 6; slot dropped"
expect_text mkslot/bad-partition bad err \
        "error: $bad:20: slot 'badpart': invalid partition 'FOO=bar' (PARTUUID=<uuid> or PARTLABEL=<label of at most 36 characters>); slot dropped"
expect_text mkslot/bad-summary bad out "$bad: 1 valid slot(s), 1 warning(s), 3 error(s); files not checked (use --esp DIR)"
if grep -q "^slot " "$w/bad.err" || [ "$(grep -c '^slot ' "$w/bad.out")" != 1 ]; then
        show bad
        t_fail mkslot/bad-streams "expected exactly one slot line on stdout and only messages on stderr"
else
        t_pass mkslot/bad-streams
fi

# --json on the same file: exit 1 as well, and "usable" still says the
# switcher would boot the slot that is left.
mk bad-json check --json "$bad"
expect_rc mkslot/bad-json-exit bad-json 1
json_ok mkslot/bad-json bad-json \
        'j["usable"] and j["valid_slots"] == 1 and j["errors"] == 3 and j["warnings"] == 1'

# Warnings alone are not errors: the shipped config with an unknown key.
{
        echo "colour blue"
        cat "$top/partitions.conf"
} >"$w/warn.conf"
mk warn check "$w/warn.conf"
expect_rc mkslot/warnings-only-exit warn 0
expect_text mkslot/warnings-only-msg warn err "warning: $w/warn.conf:1: unknown key 'colour', ignored"
mk warn-json check --json "$w/warn.conf"
expect_rc mkslot/warnings-only-json-exit warn-json 0
json_ok mkslot/warnings-only-json warn-json 'j["usable"] and j["warnings"] == 1 and j["errors"] == 0'

# The fixture with one of each common mistake: every message on stderr names
# the file and a line.
mk fixture check "$fixtures/conf-errors.conf"
expect_rc mkslot/fixture-exit fixture 1
if [ -s "$w/fixture.err" ] &&
        ! grep -Ev "^(warning|error): $fixtures/conf-errors\.conf:[0-9]+: " "$w/fixture.err" >"$w/fixture.unnamed"; then
        t_pass mkslot/fixture-messages-name-file-line
else
        show fixture
        t_fail mkslot/fixture-messages-name-file-line "messages without FILE:LINE: $(cat "$w/fixture.unnamed" 2>/dev/null)"
fi

# An invalid active-size makes the whole file unusable.
printf 'active-size 12X\nslot a\nlinux /a\n' >"$w/badactive.conf"
mk badactive check "$w/badactive.conf"
expect_rc mkslot/bad-active-size-exit badactive 1
expect_text mkslot/bad-active-size-msg badactive err \
        "error: $w/badactive.conf:1: active-size '12X' is not a size like 256M or 1G; configuration unusable, every slot dropped"

# --- plan ----------------------------------------------------------------------
mm6=$fixtures/memmap-ovmf-6G.txt
mk plan6 plan --memmap "$mm6" "$conf"
expect_rc mkslot/plan-6G-exit plan6 0
expect_text mkslot/plan-6G-active plan6 out "plan: active region 256 MiB in 4 range(s)"
# Both 256 MiB and 128 MiB stores lie above 4 GiB (q35 has 2 GiB below 4 GiB,
# and the active region takes the bottom).
ok=1
for id in debian-a debian-b; do
        l=$(grep -E "^plan:   slot $id +store 0x" "$w/plan6.out" || true)
        base=$(sed -n 's/.* store \(0x[0-9a-f]*\)-.*/\1/p' <<<"$l")
        if [ -z "$base" ] || [ "$(hexnum "$base")" -lt $((1 << 32)) ]; then
                ok=0
                echo "slot $id: store line '$l' is not above 4 GiB" >&2
        fi
done
grep -Eq '^plan:   slot debian-a +store 0x[0-9a-f]+-0x[0-9a-f]+  256 MiB$' "$w/plan6.out" || ok=0
grep -Eq '^plan:   slot debian-b +store 0x[0-9a-f]+-0x[0-9a-f]+  128 MiB$' "$w/plan6.out" || ok=0
# The resident block stays below 4 GiB (wake code and ACPI copies need 32-bit addresses).
res=$(sed -n 's/^plan:   resident \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\).*/\2/p' "$w/plan6.out")
{ [ -n "$res" ] && [ "$(hexnum "$res")" -lt $((1 << 32)) ]; } || ok=0
if [ "$ok" = 1 ]; then
        t_pass mkslot/plan-6G-stores-above-4G
else
        show plan6
        t_fail mkslot/plan-6G-stores-above-4G "stores not 256/128 MiB above 4 GiB, or resident not below 4 GiB"
fi

mk plan6-json plan --json --memmap "$mm6" "$conf"
expect_rc mkslot/plan-json-exit plan6-json 0
json_ok mkslot/plan-json plan6-json \
        'j["missing"] == 0 and j["active_bytes"] == 256 << 20 and
         sum(r["size"] for r in j["active"]) == 256 << 20 and
         j["resident"]["base"] + j["resident"]["size"] <= 1 << 32 and
         [(s["id"], s["placed"], s["store_size"]) for s in j["slots"]] ==
         [("debian-a", True, 256 << 20), ("debian-b", True, 128 << 20)] and
         all(s["store_base"] >= 1 << 32 for s in j["slots"])'
# The JSON and the text plan are the same plan.
text_nums=$(sed -n 's/^plan:   \(active  \|slot [^ ]* *store\) *\(0x[0-9a-f]*\)-\(0x[0-9a-f]*\).*/\2 \3/p' "$w/plan6.out" |
        while read -r a b; do echo "$(hexnum "$a") $(($(hexnum "$b") + 1 - $(hexnum "$a")))"; done)
json_nums=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
for r in j["active"]: print(r["base"], r["size"])
for s in j["slots"]: print(s["store_base"], s["store_size"])
' "$w/plan6-json.out")
if [ -n "$text_nums" ] && [ "$text_nums" = "$json_nums" ]; then
        t_pass mkslot/plan-json-matches-text
else
        t_fail mkslot/plan-json-matches-text "text: [$text_nums] json: [$json_nums]"
fi

# A smaller machine: the 512 MiB map has room for the 256 MiB active region
# and debian-b's 128 MiB store, not for debian-a's 256 MiB one.  The planner
# leaves that slot out and says so; one placed slot still means exit 0.
mk plan512 plan --memmap "$fixtures/memmap-ovmf-512M.txt" "$conf"
expect_rc mkslot/plan-512M-exit plan512 0
expect_text mkslot/plan-512M-not-placed plan512 out "plan:   slot debian-a     not placed (no room)"
if grep -Eq '^plan:   slot debian-b +store 0x[0-9a-f]+-0x[0-9a-f]+  128 MiB$' "$w/plan512.out"; then
        t_pass mkslot/plan-512M-placed
else
        show plan512
        t_fail mkslot/plan-512M-placed "debian-b's 128 MiB store is not in the plan"
fi
if grep -Eq "^warning: slot 'debian-a': no room for its 256 MiB store \(largest free piece: [0-9.]+ [KMG]iB\); slot left out$" "$w/plan512.err"; then
        t_pass mkslot/plan-512M-warning
else
        show plan512
        t_fail mkslot/plan-512M-warning "no warning saying debian-a's store has no room"
fi

mk plan-noslot plan --memmap "$mm6" "$w/badactive.conf"
expect_rc mkslot/plan-no-valid-slot plan-noslot 1

# A broken memory map line names FILE:LINE.
printf '# a comment\nmemmap: 7 0x1000 zz 0xf\n' >"$w/badmm.txt"
mk badmm plan --memmap "$w/badmm.txt" "$conf"
expect_rc mkslot/plan-bad-memmap-exit badmm 1
if grep -Eq "^error: $w/badmm\.txt:2: bad PAGES 'zz'" "$w/badmm.err"; then
        t_pass mkslot/plan-bad-memmap-msg
else
        show badmm
        t_fail mkslot/plan-bad-memmap-msg "no 'error: $w/badmm.txt:2: bad PAGES' message"
fi

# --- unreadable inputs -------------------------------------------------------
mk noconffile check "$w/does-not-exist.conf"
expect_rc mkslot/missing-conf-exit noconffile 1
expect_text mkslot/missing-conf-msg noconffile err \
        "mkslot: cannot read $w/does-not-exist.conf: No such file or directory"
mkdir -p "$w/a-directory"
mk dirconf check "$w/a-directory"
expect_rc mkslot/dir-conf-exit dirconf 1
expect_text mkslot/dir-conf-msg dirconf err "mkslot: cannot read $w/a-directory: Is a directory"
mk nomm plan --memmap "$w/no-memmap.txt" "$conf"
expect_rc mkslot/missing-memmap-exit nomm 1
expect_text mkslot/missing-memmap-msg nomm err "mkslot: cannot read $w/no-memmap.txt: No such file or directory"
mk planconf plan --memmap "$mm6" "$w/does-not-exist.conf"
expect_rc mkslot/plan-missing-conf-exit planconf 1
expect_text mkslot/plan-missing-conf-msg planconf err \
        "mkslot: cannot read $w/does-not-exist.conf: No such file or directory"

# --- plan --memory: a plain machine --------------------------------------------
mk planmem plan --memory 2G "$conf"
expect_rc mkslot/plan-memory-exit planmem 0
expect_text mkslot/plan-memory-active planmem out "plan: active region 256 MiB in 2 range(s)"
mk planmem-bad plan --memory 12X "$conf"
expect_rc mkslot/plan-memory-bad-exit planmem-bad 2
expect_text mkslot/plan-memory-bad-msg planmem-bad err \
        "mkslot: plan: --memory '12X' is not a size of at least 64M, in whole pages"
mk planboth plan --memory 2G --memmap "$mm6" "$conf"
expect_rc mkslot/plan-memory-and-memmap planboth 2

# --- image and inspect -------------------------------------------------------
# A bzImage with Debian's real setup header and a zeroed body, as long as the
# real file: the header reader sees a complete stock kernel.
kern=$w/vmlinuz
cp "$fixtures/bzimage-amd64-head.bin" "$kern"
truncate -s 8247232 "$kern"
head -c 3000 /dev/urandom >"$w/initrd1"
printf 'second initrd' >"$w/initrd2"
mk image image -k "$kern" -i "$w/initrd1" -i "$w/initrd2" --cmdline "console=ttyS0 quiet" --title "Test A" -o "$w/a.slot"
expect_rc mkslot/image-exit image 0
expect_text mkslot/image-summary image out \
        "$w/a.slot: slot image, $(stat -c %s "$w/a.slot" 2>/dev/null || echo '?') bytes: kernel 6.1.0-56-amd64 (x86_64), 2 initrd(s), mode swap"
if ls "$w"/a.slot.* >/dev/null 2>&1; then
        t_fail mkslot/image-no-temp "temporary files left: $(ls "$w"/a.slot.*)"
else
        t_pass mkslot/image-no-temp
fi
mk inspect inspect "$w/a.slot"
expect_rc mkslot/inspect-exit inspect 0
expect_text mkslot/inspect-title inspect out "  title     Test A"
if grep -Eq "^  kernel +8247232 bytes  sha256 $(sha256sum "$kern" | cut -c1-64)  ok  \(Linux 6\.1\.0-56-amd64, boot protocol 2\.15\)$" "$w/inspect.out" &&
        grep -Eq "^  initrd-1 +3000 bytes  sha256 $(sha256sum "$w/initrd1" | cut -c1-64)  ok$" "$w/inspect.out" &&
        grep -Eq "^  initrd-2 +13 bytes  sha256 $(sha256sum "$w/initrd2" | cut -c1-64)  ok$" "$w/inspect.out"; then
        t_pass mkslot/inspect-hashes-are-sha256sum
else
        show inspect
        t_fail mkslot/inspect-hashes-are-sha256sum "blob lines do not carry sha256sum's digests"
fi
mk inspect-json inspect --json "$w/a.slot"
expect_rc mkslot/inspect-json-exit inspect-json 0
json_ok mkslot/inspect-json inspect-json \
        'j["title"] == "Test A" and j["arch"] == "x86_64" and j["mode"] == "swap" and
         j["kernel_release"] == "6.1.0-56-amd64" and j["kernel"]["size"] == 8247232 and j["kernel"]["ok"] and
         [i["size"] for i in j["initrds"]] == [3000, 13] and j["verified"]'
# The blobs are in the file as they were given.
off=$(grep -obUaP 'HdrS' "$w/a.slot" | head -n1 | cut -d: -f1)
if cmp -s <(tail -c +$((off - 0x202 + 1)) "$w/a.slot" | head -c 8247232) "$kern"; then
        t_pass mkslot/image-kernel-verbatim
else
        t_fail mkslot/image-kernel-verbatim "the kernel bytes in the image differ from the file"
fi

mk image-exists image -k "$kern" -o "$w/a.slot"
expect_rc mkslot/image-exists-exit image-exists 1
expect_text mkslot/image-exists-msg image-exists err "mkslot: $w/a.slot exists; not replaced (use --force)"
if cmp -s <("$mk" inspect --json "$w/a.slot") "$w/inspect-json.out"; then
        t_pass mkslot/image-exists-untouched
else
        t_fail mkslot/image-exists-untouched "the existing image changed"
fi
mk image-force image -k "$kern" --mode in-place -o "$w/a.slot" --force
expect_rc mkslot/image-force-exit image-force 0
mk inspect-forced inspect --json "$w/a.slot"
expect_rc mkslot/inspect-forced-exit inspect-forced 0
json_ok mkslot/image-force-replaced inspect-forced 'j["mode"] == "in-place" and j["initrds"] == [] and j["title"] == "6.1.0-56-amd64"'

mk image-nokernel image -k "$w/no-such-vmlinuz" -o "$w/nk.slot"
expect_rc mkslot/image-missing-kernel-exit image-nokernel 1
expect_text mkslot/image-missing-kernel-msg image-nokernel err \
        "mkslot: cannot read kernel $w/no-such-vmlinuz: No such file or directory"
mk image-notbz image -k "$fixtures/conf-good.conf" -o "$w/nb.slot"
expect_rc mkslot/image-not-bzimage-exit image-notbz 1
expect_text mkslot/image-not-bzimage-msg image-notbz err \
        "mkslot: image: $fixtures/conf-good.conf is not a usable x86 bzImage; nothing written"
mk image-noinitrd image -k "$kern" -i "$w/no-such-initrd" -o "$w/ni.slot"
expect_rc mkslot/image-missing-initrd-exit image-noinitrd 1
expect_text mkslot/image-missing-initrd-msg image-noinitrd err "mkslot: cannot read $w/no-such-initrd: No such file or directory"
mk image-noout image -k "$kern"
expect_rc mkslot/image-no-output image-noout 2
if ls "$w"/nk.slot* "$w"/nb.slot* "$w"/ni.slot* >/dev/null 2>&1; then
        t_fail mkslot/image-failures-write-nothing "files left: $(ls "$w"/nk.slot* "$w"/nb.slot* "$w"/ni.slot* 2>/dev/null)"
else
        t_pass mkslot/image-failures-write-nothing
fi

# Damaged images: truncated, a flipped kernel byte, not a slot image at all.
mk image-b image -k "$kern" -i "$w/initrd1" -o "$w/b.slot"
expect_rc mkslot/image-b-exit image-b 0
size=$(stat -c %s "$w/b.slot")
head -c $((size - 100)) "$w/b.slot" >"$w/trunc.slot"
mk inspect-trunc inspect "$w/trunc.slot"
expect_rc mkslot/inspect-truncated-exit inspect-trunc 1
expect_text mkslot/inspect-truncated-msg inspect-trunc err \
        "error: $w/trunc.slot: truncated: initrd-1 ends at byte $size, the file has $((size - 100))"
head -c 20 "$w/b.slot" >"$w/tiny.slot"
mk inspect-tiny inspect "$w/tiny.slot"
expect_rc mkslot/inspect-tiny-exit inspect-tiny 1
expect_text mkslot/inspect-tiny-msg inspect-tiny err "error: $w/tiny.slot: truncated: 20 bytes, less than a slot image header"
cp "$w/b.slot" "$w/flip.slot"
off=$(grep -obUaP 'HdrS' "$w/flip.slot" | head -n1 | cut -d: -f1)
printf '\x01' | dd of="$w/flip.slot" bs=1 seek=$((off + 0x1000)) conv=notrunc status=none
mk inspect-flip inspect "$w/flip.slot"
expect_rc mkslot/inspect-flipped-exit inspect-flip 1
expect_text mkslot/inspect-flipped-msg inspect-flip err "error: $w/flip.slot: kernel hash mismatch"
expect_text mkslot/inspect-flipped-verdict inspect-flip err "mkslot: $w/flip.slot: damaged: the switcher would refuse it"
if grep -Eq '^  kernel .*  MISMATCH  ' "$w/inspect-flip.out" && grep -Eq '^  initrd-1 .*  ok$' "$w/inspect-flip.out"; then
        t_pass mkslot/inspect-flipped-lines
else
        show inspect-flip
        t_fail mkslot/inspect-flipped-lines "expected kernel MISMATCH and initrd-1 ok"
fi
mk inspect-kern inspect "$kern"
expect_rc mkslot/inspect-not-slot-exit inspect-kern 1
expect_text mkslot/inspect-not-slot inspect-kern err "error: $kern: not a slot image (no device-tree header)"

# --- check --esp with slot images ----------------------------------------------
iesp=$w/iesp
mkdir -p "$iesp/slots"
cp "$w/b.slot" "$iesp/slots/good.slot"
cp "$w/flip.slot" "$iesp/slots/bad.slot"
cat >"$w/img.conf" <<'CONF'
slot good
image /slots/good.slot
options root=PARTLABEL=good
slot bad
image /slots/bad.slot
slot gone
image /slots/gone.slot
CONF
mk check-img check --esp "$iesp" "$w/img.conf"
# Two of three slots dropped: exit 1, the good one still listed.
expect_rc mkslot/check-images-exit check-img 1
expect_text mkslot/check-images-flipped check-img err "error: slot 'bad': /slots/bad.slot: kernel hash mismatch"
expect_text mkslot/check-images-refused check-img err \
        "error: $w/img.conf:5: slot 'bad': image '/slots/bad.slot' refused; slot dropped"
expect_text mkslot/check-images-missing check-img err \
        "error: $w/img.conf:7: slot 'gone': image '/slots/gone.slot' not found; slot dropped"
expect_text mkslot/check-images-good check-img out "slot good         swap     6.1.0-56-amd64  (default)"

# --- disk ----------------------------------------------------------------------
if [ -f "$build/switcher.efi" ] && command -v sgdisk >/dev/null && command -v mformat >/dev/null &&
        command -v mke2fs >/dev/null; then
        desp=$w/desp
        mkdir -p "$desp/slots" "$w/tree"
        cp "$w/b.slot" "$desp/slots/a.slot"
        echo "in the tree" >"$w/tree/file.txt"
        tar -cf "$w/tree.tar" -C "$w/tree" .
        printf 'timeout 0\nslot a\nimage /slots/a.slot\npartition PARTLABEL=part-a\nslot b\nimage /slots/a.slot\npartition PARTLABEL=part-b\n' >"$w/disk.conf"
        mk disk disk --files "$desp" --part part-a:8M:"$w/tree.tar" --part part-b:4M:"$w/tree" -o "$w/disk.img" "$w/disk.conf"
        expect_rc mkslot/disk-exit disk 0
        expect_text mkslot/disk-summary disk out \
                "$w/disk.img: 78 MiB GPT: ESP 64 MiB (3 files), part-a 8 MiB ext4, part-b 4 MiB ext4"
        if [ "$(disk_readfile "$w/disk.img" part-a /file.txt 2>/dev/null)" = "in the tree" ] &&
                [ "$(disk_readfile "$w/disk.img" part-b /file.txt 2>/dev/null)" = "in the tree" ]; then
                t_pass mkslot/disk-partitions-filled
        else
                t_fail mkslot/disk-partitions-filled "file.txt missing from part-a (tarball) or part-b (directory)"
        fi
        disk_extract "$w/disk.img" ESP "$w/esp.img"
        if MTOOLS_SKIP_CHECK=1 mcopy -i "$w/esp.img" ::/EFI/BOOT/BOOTX64.EFI "$w/boot.efi" &&
                cmp -s "$w/boot.efi" "$build/switcher.efi" &&
                MTOOLS_SKIP_CHECK=1 mcopy -i "$w/esp.img" ::/EFI/BOOT/partitions.conf - | cmp -s - "$w/disk.conf" &&
                MTOOLS_SKIP_CHECK=1 mcopy -i "$w/esp.img" ::/slots/a.slot - | cmp -s - "$w/b.slot"; then
                t_pass mkslot/disk-esp-files
        else
                t_fail mkslot/disk-esp-files "BOOTX64.EFI, partitions.conf or /slots/a.slot differ on the ESP"
        fi
        mk disk-json disk --json --files "$desp" -o "$w/disk2.img" "$w/disk.conf"
        expect_rc mkslot/disk-json-exit disk-json 0
        json_ok mkslot/disk-json disk-json \
                '[p["label"] for p in j["partitions"]] == ["part-a", "part-b"] and j["esp"]["start"] == 1 << 20 and
                 sorted(j["esp"]["files"]) == ["/EFI/BOOT/BOOTX64.EFI", "/EFI/BOOT/partitions.conf", "/slots/a.slot"] and
                 j["size"] == (1 + 64 + 64 + 64 + 1) << 20'

        mk disk-exists disk --files "$desp" -o "$w/disk.img" "$w/disk.conf"
        expect_rc mkslot/disk-exists-exit disk-exists 1
        expect_text mkslot/disk-exists-msg disk-exists err "mkslot: $w/disk.img exists; not replaced (use --force)"
        mk disk-small disk --files "$desp" --size 100M -o "$w/small.img" "$w/disk.conf"
        expect_rc mkslot/disk-too-small-exit disk-small 1
        expect_text mkslot/disk-too-small-msg disk-small err \
                "mkslot: disk: $w/small.img: 100 MiB is too small: this layout needs 194 MiB (ESP 64 MiB + 2 partition(s) + 2 MiB for the partition tables)"
        # Contents larger than the partition: mke2fs fails half-way through the work.
        head -c 6M /dev/urandom >"$w/tree/big.bin"
        mk disk-full disk --files "$desp" --part part-b:4M:"$w/tree" -o "$w/full.img" "$w/disk.conf"
        expect_rc mkslot/disk-part-too-small-exit disk-full 1
        expect_text mkslot/disk-part-too-small-msg disk-full err \
                "mkslot: disk: mke2fs failed for partition part-b (contents larger than 4 MiB?):"
        rm -f "$w/tree/big.bin"
        cp "$w/flip.slot" "$desp/slots/a.slot"
        mk disk-damaged disk --files "$desp" -o "$w/damaged.img" "$w/disk.conf"
        expect_rc mkslot/disk-damaged-image-exit disk-damaged 1
        expect_text mkslot/disk-damaged-image-msg disk-damaged err "error: slot 'a': /slots/a.slot: kernel hash mismatch"
        mk disk-badpart disk --files "$desp" --part nosuch:8M -o "$w/badpart.img" "$w/disk.conf"
        expect_rc mkslot/disk-unknown-part-exit disk-badpart 1
        if ls "$w"/small.img* "$w"/full.img* "$w"/damaged.img* "$w"/badpart.img* "$w"/disk.img.* >/dev/null 2>&1; then
                t_fail mkslot/disk-failures-write-nothing "left behind: $(ls -d "$w"/small.img* "$w"/full.img* "$w"/damaged.img* "$w"/badpart.img* "$w"/disk.img.* 2>/dev/null)"
        else
                t_pass mkslot/disk-failures-write-nothing
        fi
else
        t_fail mkslot/disk "needs $build/switcher.efi, sgdisk, mformat and mke2fs"
fi

# --- install ---------------------------------------------------------------------
tesp=$w/target-esp
mkdir -p "$tesp" "$w/fakebin"
cp "$w/b.slot" "$desp/slots/a.slot"
printf '#!/bin/sh\necho "$@" >"%s"\n' "$w/efibootmgr.args" >"$w/fakebin/efibootmgr"
chmod +x "$w/fakebin/efibootmgr"
rc=0
PATH=$w/fakebin:$PATH "$mk" install --esp "$tesp" --files "$desp" --efibootmgr --disk /dev/vdz --part 3 "$w/disk.conf" \
        >"$w/install.out" 2>"$w/install.err" || rc=$?
expect_rc mkslot/install-exit install 0
if cmp -s "$tesp/EFI/switcher/switcher.efi" "$build/switcher.efi" && cmp -s "$tesp/EFI/switcher/partitions.conf" "$w/disk.conf" &&
        cmp -s "$tesp/slots/a.slot" "$w/b.slot"; then
        t_pass mkslot/install-files
else
        t_fail mkslot/install-files "switcher.efi, partitions.conf or slots/a.slot not installed as given"
fi
if [ "$(cat "$w/efibootmgr.args" 2>/dev/null)" = '--create --disk /dev/vdz --part 3 --loader \EFI\switcher\switcher.efi --label Switcher' ]; then
        t_pass mkslot/install-efibootmgr
else
        t_fail mkslot/install-efibootmgr "efibootmgr got: $(cat "$w/efibootmgr.args" 2>/dev/null)"
fi
cp "$w/flip.slot" "$desp/slots/a.slot"
rm -rf "$tesp"
mkdir -p "$tesp"
mk install-bad install --esp "$tesp" --files "$desp" "$w/disk.conf"
expect_rc mkslot/install-damaged-exit install-bad 1
expect_text mkslot/install-damaged-msg install-bad err "mkslot: install: $w/disk.conf has errors (above); nothing installed"
if [ -z "$(ls -A "$tesp")" ]; then
        t_pass mkslot/install-damaged-nothing-copied
else
        t_fail mkslot/install-damaged-nothing-copied "files in the ESP: $(find "$tesp" -type f)"
fi
mk install-noesp install "$w/disk.conf"
expect_rc mkslot/install-no-esp install-noesp 2

# --- every verb has --help -------------------------------------------------------
for v in image inspect check plan disk install; do
        mk "help-$v" "$v" --help
        if [ "$rc" = 0 ] && grep -q "^Usage: mkslot $v " "$w/help-$v.out"; then
                t_pass "mkslot/help-$v"
        else
                show "help-$v"
                t_fail "mkslot/help-$v" "exit $rc or no 'Usage: mkslot $v' line"
        fi
done

t_summary
