#!/bin/bash
# t-agent-deb.sh BUILD
#
# The guest agent's Debian packages (packaging/deb/build-deb.sh, what
# `make agent-deb` runs), on the host, without QEMU: both .debs build, twice
# to the same bytes; each holds exactly the expected files with their modes
# and owners; the control fields; each binary's ELF machine and that it is
# static (so no Depends); the maintainer scripts parse; the md5sums match;
# the manual pages render without a warning; the unit runs the packaged
# binary.  The amd64 package is then installed into a scratch root by dpkg
# (maintainer scripts run chrootless, under DPKG_ROOT): the unit is enabled,
# a reinstall over itself works, an administrator's disable survives an
# upgrade, a remove masks the unit and a purge leaves nothing.  Lintian, when
# installed, must report no error and no warning that is not overridden.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/../ovmf/lib.sh"

build=$(cd "${1:-build}" && pwd)
w=$build/tools/agent-deb
rm -rf "$w"
mkdir -p "$w"
pkg=switcher-agent
unit=$pkg.service

for b in guest-agent/switchctl guest-agent/switcher-agent guest-agent/i386/switchctl guest-agent/i386/switcher-agent; do
        if [ ! -x "$build/$b" ]; then
                t_fail agent-deb/build "$build/$b is missing: run make agent agent32"
                t_summary
                exit 1
        fi
done

# --- the build, and a second one to the same bytes --------------------------
if ! "$SW_TOP/packaging/deb/build-deb.sh" "$build" >"$w/build.out" 2>&1; then
        t_fail agent-deb/build "build-deb.sh failed: $(tail -n 5 "$w/build.out")"
        t_summary
        exit 1
fi
version=$(sed -n "1s/^$pkg (\([^)]*\)) .*/\1/p" "$SW_TOP/packaging/deb/changelog")
debs=()
for arch in amd64 i386; do
        debs+=("$build/deb/${pkg}_${version}_$arch.deb")
done
if [ -f "${debs[0]}" ] && [ -f "${debs[1]}" ] && [ "$(cat "$w/build.out")" = "$(printf '%s\n' "${debs[@]}")" ]; then
        t_pass agent-deb/build
else
        t_fail agent-deb/build "wanted ${debs[*]}, build-deb.sh printed: $(cat "$w/build.out")"
        t_summary
        exit 1
fi
sha256sum "${debs[@]}" >"$w/sha1"
if "$SW_TOP/packaging/deb/build-deb.sh" "$build" >/dev/null 2>"$w/build2.err" && sha256sum -c --quiet "$w/sha1" >/dev/null 2>&1; then
        t_pass agent-deb/reproducible
else
        t_fail agent-deb/reproducible "a second build made other bytes: $(sha256sum "${debs[@]}" | tr '\n' ' ') $(head -c 300 "$w/build2.err")"
fi

# The upstream version is the switcher's own.
upstream=$(sed -n 's/^#define SWITCHER_VERSION "\(.*\)"$/\1/p' "$SW_TOP/efi/sw-efi.h")
if [ -n "$upstream" ] && [ "${version%-*}" = "$upstream" ]; then
        t_pass agent-deb/version
else
        t_fail agent-deb/version "package version '$version', SWITCHER_VERSION '$upstream'"
fi

# The exact contents, as "MODE OWNER PATH" (dpkg-deb -c without sizes and
# dates), the same for both architectures.
cat >"$w/want.list" <<EOF
drwxr-xr-x root/root ./
drwxr-xr-x root/root ./lib/
drwxr-xr-x root/root ./lib/systemd/
drwxr-xr-x root/root ./lib/systemd/system/
-rw-r--r-- root/root ./lib/systemd/system/$unit
drwxr-xr-x root/root ./lib/systemd/system-preset/
-rw-r--r-- root/root ./lib/systemd/system-preset/90-$pkg.preset
drwxr-xr-x root/root ./usr/
drwxr-xr-x root/root ./usr/sbin/
-rwxr-xr-x root/root ./usr/sbin/switchctl
-rwxr-xr-x root/root ./usr/sbin/switcher-agent
drwxr-xr-x root/root ./usr/share/
drwxr-xr-x root/root ./usr/share/doc/
drwxr-xr-x root/root ./usr/share/doc/$pkg/
-rw-r--r-- root/root ./usr/share/doc/$pkg/changelog.Debian.gz
-rw-r--r-- root/root ./usr/share/doc/$pkg/copyright
drwxr-xr-x root/root ./usr/share/initramfs-tools/
drwxr-xr-x root/root ./usr/share/initramfs-tools/hooks/
-rwxr-xr-x root/root ./usr/share/initramfs-tools/hooks/$pkg
drwxr-xr-x root/root ./usr/share/lintian/
drwxr-xr-x root/root ./usr/share/lintian/overrides/
-rw-r--r-- root/root ./usr/share/lintian/overrides/$pkg
drwxr-xr-x root/root ./usr/share/man/
drwxr-xr-x root/root ./usr/share/man/man8/
-rw-r--r-- root/root ./usr/share/man/man8/switchctl.8.gz
-rw-r--r-- root/root ./usr/share/man/man8/switcher-agent.8.gz
EOF

# field DEB NAME: one control field of DEB.
field() {
        dpkg-deb -f "$1" "$2"
}

# want_field NAME DEB FIELD REGEX: the field matches the extended regex.
want_field() {
        local v
        v=$(field "$2" "$3")
        if printf '%s\n' "$v" | grep -Eqx -- "$4"; then
                t_pass "$1"
        else
                t_fail "$1" "$3 is '$v', wanted /$4/"
        fi
}

for i in 0 1; do
        deb=${debs[$i]}
        arch=$(basename "$deb" .deb)
        arch=${arch##*_}
        n=agent-deb/$arch
        x=$w/root-$arch
        ctl=$w/control-$arch
        dpkg-deb -x "$deb" "$x"
        dpkg-deb -e "$deb" "$ctl"

        dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }' >"$w/got-$arch.list"
        if diff -u "$w/want.list" "$w/got-$arch.list" >"$w/list-$arch.diff"; then
                t_pass "$n/files"
        else
                t_fail "$n/files" "the file list differs: $(grep '^[-+][^-+]' "$w/list-$arch.diff" | head -n 6 | tr '\n' ' ')"
        fi

        # Control fields.
        want_field "$n/package" "$deb" Package "$pkg"
        want_field "$n/field-version" "$deb" Version "$(printf '%s' "$version" | sed 's/[.+]/\\&/g')"
        want_field "$n/architecture" "$deb" Architecture "$arch"
        want_field "$n/section" "$deb" Section admin
        want_field "$n/priority" "$deb" Priority optional
        want_field "$n/maintainer" "$deb" Maintainer '[^<>]+ <[^<>@ ]+@[^<> ]+>'
        want_field "$n/built-using" "$deb" Built-Using \
                'device-tree-compiler \(= [^)]+\), e2fsprogs \(= [^)]+\), glibc \(= [^)]+\)'
        desc=$(field "$deb" Description)
        if [ "$(printf '%s\n' "$desc" | head -n 1 | wc -c)" -le 81 ] && [ "$(printf '%s\n' "$desc" | wc -l)" -ge 3 ]; then
                t_pass "$n/description"
        else
                t_fail "$n/description" "wanted a synopsis of at most 80 characters and a long description: '$desc'"
        fi
        # Installed-Size as dpkg counts it: KiB per file rounded up, one per
        # other entry.
        want_size=$(find "$x" -mindepth 1 \( -type f -printf '%s\n' -o -printf '1024\n' \) |
                awk '{ k += int(($1 + 1023) / 1024) } END { print k }')
        want_field "$n/installed-size" "$deb" Installed-Size "$want_size"

        # The binaries: the package's architecture, static, so no Depends.
        case $arch in
        amd64) machine='Advanced Micro Devices X86-64' class=ELF64 ;;
        i386) machine='Intel 80386' class=ELF32 ;;
        esac
        for b in switchctl switcher-agent; do
                f=$x/usr/sbin/$b
                hdr=$(readelf -h "$f" 2>&1 || true)
                if printf '%s\n' "$hdr" | grep -Eq "^ +Machine: +$machine\$" &&
                        printf '%s\n' "$hdr" | grep -Eq "^ +Class: +$class\$"; then
                        t_pass "$n/$b-machine"
                else
                        t_fail "$n/$b-machine" "wanted $class $machine: $(printf '%s\n' "$hdr" | grep -E 'Class|Machine' | tr -s ' ' | tr '\n' ' ')"
                fi
                dyn=$(objdump -p "$f" 2>&1 | grep -E '^ +NEEDED|INTERP' || true)
                if [ -z "$dyn" ]; then
                        t_pass "$n/$b-static"
                else
                        t_fail "$n/$b-static" "links shared libraries, so the package needs a Depends: $dyn"
                fi
        done
        if [ -z "$(field "$deb" Depends)$(field "$deb" Pre-Depends)" ]; then
                t_pass "$n/no-depends"
        else
                t_fail "$n/no-depends" "static binaries need nothing, yet Depends: '$(field "$deb" Depends)'"
        fi

        # Maintainer scripts: present, executable, POSIX sh that parses.
        for s in postinst prerm postrm; do
                if [ ! -x "$ctl/$s" ]; then
                        t_fail "$n/$s" "missing or not executable in the control archive"
                elif [ "$(head -n 1 "$ctl/$s")" != "#!/bin/sh" ]; then
                        t_fail "$n/$s" "first line is '$(head -n 1 "$ctl/$s")', wanted #!/bin/sh"
                elif ! sh -n "$ctl/$s" 2>"$w/$s.err"; then
                        t_fail "$n/$s" "sh -n: $(head -c 300 "$w/$s.err")"
                else
                        t_pass "$n/$s"
                fi
        done
        if grep -qx 'activate-noawait update-initramfs' "$ctl/triggers" 2>/dev/null; then
                t_pass "$n/triggers"
        else
                t_fail "$n/triggers" "no 'activate-noawait update-initramfs' in the triggers file"
        fi
        if (cd "$x" && md5sum -c --quiet "$ctl/md5sums") >"$w/md5-$arch.out" 2>&1 &&
                [ "$(wc -l <"$ctl/md5sums")" = "$(grep -c '^-' "$w/want.list")" ]; then
                t_pass "$n/md5sums"
        else
                t_fail "$n/md5sums" "$(head -c 300 "$w/md5-$arch.out"), $(wc -l <"$ctl/md5sums") entries"
        fi

        # The unit runs the packaged binary, and is enabled by the preset.
        u=$x/lib/systemd/system/$unit
        if grep -qx 'ExecStart=/usr/sbin/switcher-agent --foreground' "$u" && ! grep -q /usr/local "$u" &&
                grep -qx 'WantedBy=multi-user.target' "$u" && grep -qx 'ConditionKernelCommandLine=switcher.mailbox' "$u"; then
                t_pass "$n/unit"
        else
                t_fail "$n/unit" "wanted ExecStart=/usr/sbin/switcher-agent --foreground, the mailbox condition, WantedBy=multi-user.target and no /usr/local: $(grep -E '^(ExecStart|WantedBy|Condition)' "$u" | tr '\n' ' ')"
        fi
        if grep -qx "enable $unit" "$x/lib/systemd/system-preset/90-$pkg.preset"; then
                t_pass "$n/preset"
        else
                t_fail "$n/preset" "no 'enable $unit' line"
        fi
        if sh -n "$x/usr/share/initramfs-tools/hooks/$pkg" 2>/dev/null &&
                [ "$("$x/usr/share/initramfs-tools/hooks/$pkg" prereqs)" = "" ]; then
                t_pass "$n/initramfs-hook"
        else
                t_fail "$n/initramfs-hook" "the hook does not parse or does not answer 'prereqs' with nothing"
        fi
done
x=$w/root-amd64

# --- manual pages: render without a warning, name their program -------------
if command -v groff >/dev/null 2>&1; then
        for b in switchctl switcher-agent; do
                gz=$x/usr/share/man/man8/$b.8.gz
                if ! zcat "$gz" | groff -man -Tutf8 -ww -P -cbou >"$w/$b.man" 2>"$w/$b.man.err"; then
                        t_fail "agent-deb/man-$b" "groff failed: $(head -c 300 "$w/$b.man.err")"
                elif [ -s "$w/$b.man.err" ]; then
                        t_fail "agent-deb/man-$b" "groff warned: $(head -c 300 "$w/$b.man.err")"
                elif ! grep -q "^ *$b - " "$w/$b.man" || ! grep -q 'SYNOPSIS' "$w/$b.man"; then
                        t_fail "agent-deb/man-$b" "no NAME line '$b - ...' or no SYNOPSIS in the rendered page"
                else
                        t_pass "agent-deb/man-$b"
                fi
        done
else
        t_fail agent-deb/man "groff is missing: apt-get install -y groff-base (or make deps as root)"
fi

# --- the amd64 binaries run -------------------------------------------------
if "$x/usr/sbin/switchctl" --help 2>&1 | grep -q '^usage: switchctl '; then
        t_pass agent-deb/amd64/switchctl-runs
else
        t_fail agent-deb/amd64/switchctl-runs "the packaged switchctl --help printed no usage line"
fi
if "$x/usr/sbin/switcher-agent" --help 2>&1 | grep -q '^usage: switcher-agent '; then
        t_pass agent-deb/amd64/switcher-agent-runs
else
        t_fail agent-deb/amd64/switcher-agent-runs "the packaged switcher-agent --help printed no usage line"
fi

# --- dpkg installs it into a scratch root -----------------------------------
# dpkg --root with chrootless scripts: they run on this host with DPKG_ROOT
# set, which deb-systemd-helper honours, so the enablement lands in the
# scratch root and nothing is started.  --force-not-root lets an ordinary
# user do it too (the files are then the user's, which nothing here checks).
r=$w/dpkg-root
wants=$r/etc/systemd/system/multi-user.target.wants/$unit
mask=$r/etc/systemd/system/$unit
# dpkg_r ARGS...: dpkg on the scratch root, its output in $w/dpkg.out.
dpkg_r() {
        dpkg --root="$r" --force-not-root --force-script-chrootless --log=/dev/null "$@" >>"$w/dpkg.out" 2>&1
}
# dpkg_check NAME WANT_STATUS: the package's dpkg status in the scratch root.
dpkg_check() {
        local st
        st=$(dpkg-query --admindir="$r/var/lib/dpkg" -W -f='${Status}' "$pkg" 2>/dev/null || true)
        if [ "$st" = "$2" ]; then
                t_pass "agent-deb/dpkg/$1"
        else
                t_fail "agent-deb/dpkg/$1" "status '$st', wanted '$2': $(tail -n 3 "$w/dpkg.out" | tr '\n' ' ')"
        fi
}
if ! command -v deb-systemd-helper >/dev/null 2>&1; then
        echo "NOTE: t-agent-deb: no deb-systemd-helper (init-system-helpers): the dpkg install is not tried"
else
        mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates" "$r/var/lib/dpkg/triggers"
        : >"$r/var/lib/dpkg/status"
        : >"$r/var/lib/dpkg/available"
        dpkg_r -i "${debs[0]}" || true
        dpkg_check install 'install ok installed'
        if [ "$(readlink "$wants" 2>/dev/null)" = "/lib/systemd/system/$unit" ]; then
                t_pass agent-deb/dpkg/enabled
        else
                t_fail agent-deb/dpkg/enabled "no $wants -> /lib/systemd/system/$unit after the install"
        fi
        if cmp -s "$r/usr/sbin/switcher-agent" "$x/usr/sbin/switcher-agent"; then
                t_pass agent-deb/dpkg/files
        else
                t_fail agent-deb/dpkg/files "$r/usr/sbin/switcher-agent is not the packaged binary"
        fi
        # Over itself: the upgrade path of every later version.
        dpkg_r -i "${debs[0]}" || true
        dpkg_check reinstall 'install ok installed'
        # An administrator's disable survives the next upgrade.  What
        # `systemctl disable` does in a root no systemd runs: the link goes.
        rm -f "$wants"
        dpkg_r -i "${debs[0]}" || true
        if [ ! -e "$wants" ] && [ ! -L "$wants" ]; then
                t_pass agent-deb/dpkg/disable-kept
        else
                t_fail agent-deb/dpkg/disable-kept "the upgrade enabled a unit the administrator had disabled"
        fi
        ln -s "/lib/systemd/system/$unit" "$wants"
        # A remove keeps the state but masks the unit that is gone.
        dpkg_r -r "$pkg" || true
        dpkg_check remove 'deinstall ok config-files'
        if [ "$(readlink "$mask" 2>/dev/null)" = /dev/null ] && [ ! -e "$r/usr/sbin/switcher-agent" ]; then
                t_pass agent-deb/dpkg/remove-masks
        else
                t_fail agent-deb/dpkg/remove-masks "wanted $mask -> /dev/null and no /usr/sbin/switcher-agent after the remove"
        fi
        # Installed again, it is unmasked and enabled as before.
        dpkg_r -i "${debs[0]}" || true
        if [ ! -L "$mask" ] && [ "$(readlink "$wants" 2>/dev/null)" = "/lib/systemd/system/$unit" ]; then
                t_pass agent-deb/dpkg/reinstall-unmasks
        else
                t_fail agent-deb/dpkg/reinstall-unmasks "after remove and install: mask $(readlink "$mask" 2>/dev/null || echo none), wants link $(readlink "$wants" 2>/dev/null || echo none)"
        fi
        # A purge leaves no trace of the unit.
        dpkg_r -P "$pkg" || true
        dpkg_check purge ''
        left=$(find "$r/etc" "$r/var/lib/systemd" -name "$unit*" 2>/dev/null)
        if [ -z "$left" ]; then
                t_pass agent-deb/dpkg/purge-clean
        else
                t_fail agent-deb/dpkg/purge-clean "left after the purge: $(echo "$left" | tr '\n' ' ')"
        fi
fi

# --- lintian ----------------------------------------------------------------
# Errors and warnings fail; every tag the package overrides is explained in
# packaging/deb/lintian-overrides and docs/agent-deb.md.
if command -v lintian >/dev/null 2>&1; then
        if lintian --fail-on error,warning -EvIL +pedantic "${debs[@]}" >"$w/lintian.out" 2>&1; then
                t_pass agent-deb/lintian
        else
                t_fail agent-deb/lintian "$(grep -E '^[EW]:' "$w/lintian.out" | head -n 8 | tr '\n' ' ')"
        fi
        # Informational and pedantic tags do not fail, but are shown.
        grep -E '^[IPX]:' "$w/lintian.out" | sed 's/^/NOTE: lintian: /' || true
else
        echo "NOTE: t-agent-deb: lintian is not installed: not run (apt-get install -y lintian, or make deps as root)"
fi

t_summary
