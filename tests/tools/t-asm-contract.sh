#!/bin/bash
# t-asm-contract.sh BUILD
#
# The C/asm contract (trampoline/trampoline.h, wake16.h, tboot-stub.h) fails the build
# when a number drifts, rather than a boot.  Each case assembles the real
# .asm files with nasm against the generated wake-defs.inc, once as built
# (must succeed) and once with one number changed (must fail with nasm's
# own error): an exception stub stride too small for a stub, a wake blob
# budget too small for the blob, a parameter block larger than the
# budget leaves room for, a tboot stub budget too small for the stub, and a
# tboot stub header shorter than its fields.  No QEMU.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/../ovmf/lib.sh"

build=$(cd "${1:-build}" && pwd)
defs=$build/gen/trampoline/wake-defs.inc
w=$build/tools/asm-contract
rm -rf "$w"
mkdir -p "$w"

if [ ! -f "$defs" ] || ! command -v nasm >/dev/null; then
        t_fail asm-contract/setup "no $defs or no nasm: run make first"
        t_summary
        exit 1
fi

# assemble NAME FORMAT ASM DEFINE VALUE: nasm with one %define changed
# (VALUE empty: as generated); the status is returned, the log kept.
assemble() {
        local name=$1 fmt=$2 asm=$3 def=$4 val=$5
        mkdir -p "$w/$name"
        if [ -n "$def" ]; then
                sed "s/^%define $def .*/%define $def $val/" "$defs" >"$w/$name/wake-defs.inc"
        else
                cp "$defs" "$w/$name/wake-defs.inc"
        fi
        # wake16.bin and tboot-stub.bin are what trampoline.asm embeds.
        cp "$build/gen/trampoline/wake16.bin" "$build/gen/trampoline/tboot-stub.bin" "$w/$name/" 2>/dev/null || true
        nasm -f "$fmt" -I"$w/$name/" -I"$SW_TOP/trampoline/" "$SW_TOP/trampoline/$asm" \
                -o "$w/$name/out" >"$w/$name/log" 2>&1
}

# expect NAME STATUS: STATUS 0 = must assemble; 1 = must fail with a
# negative TIMES count (the size checks' way of failing).
expect() {
        local name=$1 want=$2 rc=0
        shift 2
        assemble "$name" "$@" || rc=$?
        if [ "$want" = 0 ] && [ "$rc" = 0 ]; then
                t_pass "asm-contract/$name"
        elif [ "$want" = 1 ] && [ "$rc" != 0 ] && grep -q 'TIMES value .* is negative' "$w/$name/log"; then
                t_pass "asm-contract/$name"
        else
                t_fail "asm-contract/$name" "nasm exit $rc, wanted $([ "$want" = 0 ] && echo success || echo a size error)"
                sed 's/^/    | /' "$w/$name/log"
        fi
}

expect wake16-as-built 0 bin wake16.asm '' ''
expect trampoline-as-built 0 elf64 trampoline.asm '' ''
expect stub-stride-too-small 1 elf64 trampoline.asm SW_EXC_STUB_STRIDE 4
expect wake-budget-too-small 1 bin wake16.asm SW_WAKE_BUDGET 256
expect wake-params-too-big 1 bin wake16.asm WP_SIZE 2048
expect tboot-stub-as-built 0 bin tboot-stub.asm '' ''
expect tboot-stub-budget-too-small 1 bin tboot-stub.asm SW_TBOOT_STUB_BUDGET 128
expect tboot-header-moved 1 bin tboot-stub.asm SW_TBOOT_HDR_NMI 4
t_summary
