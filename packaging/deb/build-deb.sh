#!/bin/bash
# build-deb.sh BUILD [ARCH...]
#
# Builds the guest agent's Debian packages from binaries already built in
# BUILD (make agent, make agent32), without debhelper:
#   BUILD/deb/switcher-agent_VERSION_amd64.deb  from BUILD/guest-agent/
#   BUILD/deb/switcher-agent_VERSION_i386.deb   from BUILD/guest-agent/i386/
# ARCH is amd64 and/or i386 (default: both).  Prints the path of each .deb.
#
# VERSION is the top entry of packaging/deb/changelog; its upstream part must
# be the switcher's own version (SWITCHER_VERSION in efi/sw-efi.h), so the
# package and the switcher it talks to never carry different numbers.  The
# build is reproducible: every time stamp is the changelog entry's date
# (SOURCE_DATE_EPOCH overrides it), every file is root-owned
# (dpkg-deb --root-owner-group), and the order is dpkg-deb's own.
#
# Environment: DEB_MAINTAINER overrides the Maintainer field.
set -eu
# shellcheck source=tests/ovmf/lib.sh
. "$(dirname "$0")/../../tests/ovmf/lib.sh"

[ $# -ge 1 ] || sw_die "usage: $0 BUILD [amd64|i386...]"
build=$(cd "$1" && pwd)
shift
arches=${*:-amd64 i386}
pkg=switcher-agent
src=$SW_TOP/packaging/deb
out=$build/deb
sw_need_cmd dpkg-deb dpkg-query strip gzip md5sum

# --- the version: changelog, checked against the switcher's -----------------
version=$(sed -n "1s/^$pkg (\([^)]*\)) .*/\1/p" "$src/changelog")
[ -n "$version" ] || sw_die "$src/changelog:1: not a '$pkg (VERSION) ...' entry"
upstream=$(sed -n 's/^#define SWITCHER_VERSION "\(.*\)"$/\1/p' "$SW_TOP/efi/sw-efi.h")
[ -n "$upstream" ] || sw_die "$SW_TOP/efi/sw-efi.h: no '#define SWITCHER_VERSION \"...\"' line"
if [ "${version%-*}" != "$upstream" ]; then
        sw_die "$src/changelog:1: version $version, but efi/sw-efi.h says SWITCHER_VERSION $upstream: add a changelog entry for $upstream-1"
fi
stamp=$(sed -n 's/^ -- .*>  \(.*\)$/\1/p' "$src/changelog" | head -n 1)
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
        SOURCE_DATE_EPOCH=$(date -d "$stamp" +%s 2>/dev/null) ||
                sw_die "$src/changelog: the first trailer line's date '$stamp' does not parse"
fi
export SOURCE_DATE_EPOCH
maintainer=${DEB_MAINTAINER:-$(sed -n 's/^ -- \(.*>\)  .*$/\1/p' "$src/changelog" | head -n 1)}

# srcpkg_of PKG: "SOURCE (= VERSION)" of an installed package, for Built-Using.
srcpkg_of() {
        dpkg-query -W -f='${source:Package} (= ${source:Version})' "$1" 2>/dev/null
}

# srcpkg_of_deb DEB: the same from a .deb file (the fetched i386 libfdt-dev):
# its Source field, "NAME" or "NAME (VERSION)" for a binary-only rebuild.
srcpkg_of_deb() {
        local s v
        s=$(dpkg-deb -f "$1" Source)
        v=$(dpkg-deb -f "$1" Version)
        [ -n "$s" ] || s=$(dpkg-deb -f "$1" Package)
        case $s in
        *"("*) v=${s#*(}; v=${v%)*}; s=${s%% *} ;;
        esac
        echo "$s (= $v)"
}

# i386_deb_srcpkg PKG: "SOURCE (= VERSION)" of the newest fetched
# PKG_*_i386.deb in the cache (fetch-i386-static.sh stores them), or nothing.
i386_deb_srcpkg() {
        local deb
        deb=$(find "$build/cache/debs" -maxdepth 1 -name "$1_*_i386.deb" 2>/dev/null | sort -V | tail -n 1)
        [ -z "$deb" ] || srcpkg_of_deb "$deb"
}

# built_using ARCH: what the static binaries contain from other source
# packages: the C library, libfdt, and libext2fs with libcom_err (both from
# e2fsprogs) for the lab bank.  Debian policy asks for Built-Using when code
# of another package is linked in statically.
built_using() {
        local libc fdt e2fs
        case $1 in
        amd64)
                libc=$(srcpkg_of libc6-dev)
                fdt=$(srcpkg_of libfdt-dev)
                e2fs=$(srcpkg_of libext2fs-dev)
                ;;
        i386)
                libc=$(srcpkg_of libc6-dev-i386)
                fdt=$(i386_deb_srcpkg libfdt-dev)
                e2fs=$(i386_deb_srcpkg libext2fs-dev)
                ;;
        esac
        [ -n "$libc" ] || sw_die "Built-Using for $1: the static C library's package is not installed (libc6-dev, libc6-dev-i386 for i386)"
        [ -n "$fdt" ] || sw_die "Built-Using for $1: no libfdt-dev package found (installed, or in $build/cache/debs for i386)"
        [ -n "$e2fs" ] || sw_die "Built-Using for $1: no libext2fs-dev package found (installed, or in $build/cache/debs for i386)"
        echo "$fdt, $e2fs, $libc"
}

# The unit as the package installs it: the binary from /usr/sbin, the manual
# pages as its documentation.  Its install comment is for a hand install and
# is replaced.  Checked afterwards, so a changed unit cannot slip through with
# the old paths.
make_unit() {
        {
                echo "# switcher-agent.service, as the $pkg package installs it"
                echo "# (from guest-agent/switcher-agent.service): watches the keyboards for"
                echo "# the slot hotkeys and switches through the switcher."
                sed -e '1,/^\[Unit\]/{/^#/d}' \
                        -e 's|/usr/local/sbin/|/usr/sbin/|g' \
                        -e 's|^Documentation=.*|Documentation=man:switcher-agent(8) man:switchctl(8)|' \
                        "$SW_TOP/guest-agent/switcher-agent.service"
        } >"$1"
        grep -q '^ExecStart=/usr/sbin/switcher-agent ' "$1" ||
                sw_die "guest-agent/switcher-agent.service: no ExecStart=/usr/local/sbin/switcher-agent line to point at /usr/sbin"
        if grep -q '/usr/local' "$1"; then
                sw_die "guest-agent/switcher-agent.service: still names /usr/local after the rewrite: $(grep -n /usr/local "$1" | head -n 1)"
        fi
}

# one_deb ARCH: stage the tree and build the package for ARCH.
one_deb() {
        local arch=$1 bindir stage deb size b
        case $arch in
        amd64) bindir=$build/guest-agent ;;
        i386) bindir=$build/guest-agent/i386 ;;
        *) sw_die "unknown architecture '$arch' (amd64 or i386)" ;;
        esac
        for b in switchctl switcher-agent; do
                [ -x "$bindir/$b" ] || sw_die "$bindir/$b is missing: run make $([ "$arch" = i386 ] && echo agent32 || echo agent)"
        done
        stage=$out/stage-$arch
        deb=$out/${pkg}_${version}_$arch.deb
        rm -rf "$stage"
        (
                umask 022
                mkdir -p "$stage/DEBIAN" "$stage/usr/sbin" "$stage/lib/systemd/system" \
                        "$stage/lib/systemd/system-preset" "$stage/usr/share/initramfs-tools/hooks" \
                        "$stage/usr/share/man/man8" "$stage/usr/share/doc/$pkg" \
                        "$stage/usr/share/lintian/overrides"
                for b in switchctl switcher-agent; do
                        install -m 0755 "$bindir/$b" "$stage/usr/sbin/$b"
                        # As dh_strip does for executables: no symbols, no
                        # compiler notes (the tests run the unstripped build).
                        strip --remove-section=.comment --remove-section=.note "$stage/usr/sbin/$b"
                done
                make_unit "$stage/lib/systemd/system/$pkg.service"
                install -m 0644 "$src/$pkg.preset" "$stage/lib/systemd/system-preset/90-$pkg.preset"
                install -m 0755 "$SW_TOP/guest-agent/initramfs-hook" "$stage/usr/share/initramfs-tools/hooks/$pkg"
                for b in switchctl switcher-agent; do
                        gzip -9n <"$SW_TOP/guest-agent/man/$b.8" >"$stage/usr/share/man/man8/$b.8.gz"
                done
                install -m 0644 "$src/copyright" "$stage/usr/share/doc/$pkg/copyright"
                gzip -9n <"$src/changelog" >"$stage/usr/share/doc/$pkg/changelog.Debian.gz"
                install -m 0644 "$src/lintian-overrides" "$stage/usr/share/lintian/overrides/$pkg"
                install -m 0755 "$src/postinst" "$src/prerm" "$src/postrm" "$stage/DEBIAN/"
                install -m 0644 "$src/triggers" "$stage/DEBIAN/triggers"
                # Installed-Size as dpkg-gencontrol counts it: each file's
                # size in KiB rounded up, one KiB for every other entry.
                size=$(find "$stage" -mindepth 1 -path "$stage/DEBIAN" -prune -o \
                        \( -type f -printf '%s\n' -o -printf '1024\n' \) |
                        awk '{ k += int(($1 + 1023) / 1024) } END { print k }')
                sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
                        -e "s|@INSTALLED_SIZE@|$size|" -e "s|@BUILT_USING@|$(built_using "$arch")|" \
                        "$src/control.in" >"$stage/DEBIAN/control"
                if grep -q '@[A-Z_]*@' "$stage/DEBIAN/control"; then
                        sw_die "$src/control.in: a placeholder was left unfilled: $(grep '@[A-Z_]*@' "$stage/DEBIAN/control")"
                fi
                (cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort |
                        xargs md5sum) >"$stage/DEBIAN/md5sums"
                chmod 0644 "$stage/DEBIAN/md5sums"
                find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
                # Built under another name and renamed: a reader of $deb
                # (a root build installing it) never sees half a package.
                dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb.tmp" >/dev/null
                mv "$deb.tmp" "$deb"
        )
        rm -rf "$stage"
        echo "$deb"
}

mkdir -p "$out"
# One run at a time per build folder: make test runs t-agent-deb while
# run-all's background build of t-distro's roots (distro-roots.sh) may run
# this script too.
exec 7>"$out/.lock"
flock 7
for a in $arches; do
        one_deb "$a"
done
