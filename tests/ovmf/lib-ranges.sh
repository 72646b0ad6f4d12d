# shellcheck shell=bash
# Memory ranges and addresses (sourced by lib.sh): the RAM a guest reports and
# the ranges the switcher planned, read from the serial log and compared.
#
#   hexnum 0xABC | ABC                  -> decimal
#   guest_ram FILE|-                    "GUEST: iomem-ram" lines as START-END
#   plan_ranges LOG KIND                the switcher's "plan:   KIND 0xS-0xE" lines as S-E
#   ranges_norm                         START-END lines -> sorted, merged decimal "START END"
#   ranges_inside INNER OUTER           every inner range lies in the outer ones
#   ranges_equal A B                    both cover the same addresses
#   check_ram_inside_active NAME LOG SLOT DIR   NAME/ram-inside-active
#   check_rsdp_copy NAME LOG SLOT       NAME/rsdp-is-slot-copy

# hexnum 0xABC / ABC -> decimal, for comparing addresses printed in any case.
hexnum() {
        local v=${1#0x}
        v=${v#0X}
        printf '%d\n' "0x$v"
}

# guest_ram TEXT_FILE_OR_-: the "GUEST: iomem-ram START-END" ranges as
# "START-END" lines (hex as the kernel prints it).
guest_ram() {
        sed -n 's/^GUEST: iomem-ram \([0-9a-fA-F]*-[0-9a-fA-F]*\).*/\1/p' "${1:--}"
}

# plan_ranges LOG KIND: the switcher's "plan:   KIND   0xS-0xE ..." lines as
# "S-E" (inclusive end, 0x prefixes kept).  KIND is e.g. active.
plan_ranges() {
        tr -d '\r' <"$1" |
                sed -n "s/^plan: *$2 *\(0x[0-9a-fA-F]*-0x[0-9a-fA-F]*\).*/\1/p"
}

# ranges_norm: read "START-END" lines (hex, 0x optional, inclusive end) on
# stdin; print them as decimal "START END", sorted, with overlapping and
# touching ranges merged.  The kernel splits one RAM range around setup_data
# and similar; merging makes two maps comparable.
ranges_norm() {
        local line a b
        while IFS= read -r line; do
                [ -n "$line" ] || continue
                a=${line%%-*}
                b=${line#*-}
                a=${a#0x} a=${a#0X} b=${b#0x} b=${b#0X}
                echo "$((16#$a)) $((16#$b))"
        done | sort -n -k1,1 | {
                local s=-1 e=-1 x y
                while read -r x y; do
                        if [ "$s" -ge 0 ] && [ "$x" -le $((e + 1)) ]; then
                                [ "$y" -gt "$e" ] && e=$y
                                continue
                        fi
                        [ "$s" -lt 0 ] || echo "$s $e"
                        s=$x e=$y
                done
                [ "$s" -lt 0 ] || echo "$s $e"
        }
}

# ranges_inside INNER OUTER: both files of "START-END" lines.  Status 0 when
# every inner range lies inside the union of the outer ones; otherwise print
# each inner range that does not (as hex) and return 1.
ranges_inside() {
        local outer bad=0 x y s e ok
        outer=$(ranges_norm <"$2")
        while read -r x y; do
                ok=0
                while read -r s e; do
                        [ -n "$s" ] || continue
                        if [ "$x" -ge "$s" ] && [ "$y" -le "$e" ]; then
                                ok=1
                                break
                        fi
                done <<<"$outer"
                if [ "$ok" = 0 ]; then
                        printf 'outside: %#x-%#x\n' "$x" "$y"
                        bad=1
                fi
        done < <(ranges_norm <"$1")
        return "$bad"
}

# ranges_equal A B: status 0 when the two files of "START-END" lines cover
# exactly the same addresses (after merging).
ranges_equal() {
        [ "$(ranges_norm <"$1")" = "$(ranges_norm <"$2")" ]
}

# check_ram_inside_active NAME LOG SLOT DIR: the check NAME/ram-inside-active:
# every usable RAM range slot SLOT's guest reports lies inside the active
# region the switcher planned.  Leaves DIR/guest-ram and DIR/plan-active for
# further checks.
check_ram_inside_active() {
        local name=$1 log=$2 slot=$3 dir=$4 out
        guest_section "$log" "$slot" | guest_ram - >"$dir/guest-ram"
        plan_ranges "$log" active >"$dir/plan-active"
        if [ ! -s "$dir/guest-ram" ] || [ ! -s "$dir/plan-active" ]; then
                t_fail "$name/ram-inside-active" "no guest RAM lines or no plan lines in the log"
        elif out=$(ranges_inside "$dir/guest-ram" "$dir/plan-active"); then
                t_pass "$name/ram-inside-active"
        else
                t_fail "$name/ram-inside-active" "$out"
        fi
}

# check_rsdp_copy NAME LOG SLOT: the check NAME/rsdp-is-slot-copy: the RSDP
# the guest's kernel used is the copy the switcher made for slot SLOT, not
# the firmware's.
check_rsdp_copy() {
        local copy seen
        copy=$(log_value "$2" "^switcher: slot $3: RSDP copy at " | sed 's/.*RSDP copy at \(0x[0-9a-fA-F]*\).*/\1/')
        seen=$(log_value "$2" '^GUEST: rsdp ' | sed 's/^GUEST: rsdp //')
        if [ -n "$copy" ] && [ -n "$seen" ] && [ "$(hexnum "$copy")" = "$(hexnum "$seen")" ]; then
                t_pass "$1/rsdp-is-slot-copy"
        else
                t_fail "$1/rsdp-is-slot-copy" "switcher copy '$copy', guest saw '$seen'"
        fi
}
