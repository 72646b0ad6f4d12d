#!/bin/sh
# Installs the Debian packages the project needs, or says exactly how to.
#   deps.sh install   as root: apt-get install what is missing; else print the line and fail
#   deps.sh check     only check the packages the build itself needs
#   deps.sh unit      the host unit tests' packages (make unit): as root install
#                     the missing ones, else print the line and fail
set -eu

BUILD_PKGS="gcc make binutils nasm gnu-efi libfdt-dev libcmocka-dev gnulib autoconf automake libext2fs-dev"
# The unit tests compile the core with gcc and link cmocka and libfdt.
UNIT_PKGS="gcc make libcmocka-dev libfdt-dev"
# groff-base and lintian: t-agent-deb renders the manual pages and lints the .debs.
# mmdebstrap, arch-test: t-distro builds its Debian roots with them (tests/ovmf/mkrootfs.sh).
# qemu-user-static: runs the i386 root's programs on a kernel without IA32
# emulation (mkrootfs.sh registers it with binfmt_misc when it must).
TEST_PKGS="gcc-multilib qemu-system-x86 ovmf efibootmgr swtpm mtools gdisk dosfstools e2fsprogs tar busybox-static cpio kmod zstd xz-utils clang libclang-rt-14-dev groff-base lintian mmdebstrap arch-test qemu-user-static"

mode=${1:-install}
case $mode in
check) want=$BUILD_PKGS ;;
install) want="$BUILD_PKGS $TEST_PKGS" ;;
unit) want=$UNIT_PKGS ;;
*) echo "usage: $0 install|check|unit" >&2; exit 2 ;;
esac

missing=
for p in $want; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
                missing="$missing $p"
        fi
done
[ -z "$missing" ] && exit 0

if [ "$mode" != check ] && [ "$(id -u)" = 0 ]; then
        echo "deps: installing:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        # shellcheck disable=SC2086
        apt-get install -y -q --no-install-recommends $missing
        exit 0
fi
echo "deps: missing Debian packages:$missing" >&2
echo "deps: run as root:  apt-get install -y$missing" >&2
exit 1
