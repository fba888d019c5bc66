#!/bin/sh
# The node kernels the VM tests boot (tests/vm/boot.sh, the QemuVm fixture), under .tools/ of the checkout. Each
# is shaped like a Garden Linux node: in-tree modules as .ko.xz with depmod's index. Cached and idempotent: a step
# runs only where its result is missing, and a fresh machine gets all of it. Run by .ci/install-prereqs.sh after it
# has unpacked Debian 12's kernel into .tools/vm.
#
#   .tools/vm         Debian 12's 6.1, the kernel of the installed headers. Its in-tree modules are recompressed to
#                     .ko.xz and re-indexed: the kernel cannot decompress them (no CONFIG_MODULE_DECOMPRESS), like
#                     Garden Linux 1592 and 1877.
#   .tools/vm-trixie  Debian trixie's 6.12 (linux-image-amd64), whose modules are .ko.xz already and which
#                     decompresses them itself (CONFIG_MODULE_DECOMPRESS=y, /sys/module/compression says xz), like 2150.
#   .tools/vm-arm64   trixie's arm64 kernel (linux-image-arm64) for qemu-system-aarch64, with sysroot/: an arm64
#                     busybox and the arm64 libraries the self-contained linux-arm64 modulus loads.
#
# Each directory holds kernel.env (RELEASE, ARCH) and vmlinuz-<release>. trixie's packages come through a private
# apt state under .tools/apt-trixie, so the machine's own apt sources stay as they are.
set -eu

tools="$(cd "$(dirname "$0")/.." && pwd)/.tools"

# Debian 12's 6.1: the in-tree modules as .ko.xz. The kernel's own module install compresses with
# `xz --check=crc32 --lzma2=dict=1MiB` (scripts/Makefile.modinst); preset 0 gives the same container, check and
# filter for a seventh of the time (the decoder cannot tell presets apart).
release=$(basename "$(dirname "$(dirname "$(dirname "$(ls -d /usr/src/linux-headers-*/include/generated/utsrelease.h)")")")" | sed 's/^linux-headers-//')
tree="$tools/vm/lib/modules/$release"
[ -f "$tree/modules.dep" ] || { echo "install-vm-kernels: $tree/modules.dep is missing; run .ci/install-prereqs.sh" >&2; exit 1; }
if [ ! -f "$tree/.modules-xz" ]; then
  echo "install-vm-kernels: recompressing $release's in-tree modules to .ko.xz (Garden Linux's layout) and re-indexing"
  find "$tree" -name '*.ko' -type f -print0 | xargs -0 -r -P "$(nproc)" -n 32 xz -f --check=crc32 --lzma2=preset=0,dict=1MiB
  /sbin/depmod -b "$tools/vm" "$release"
  touch "$tree/.modules-xz"
fi
printf 'RELEASE=%s\nARCH=x86_64\n' "$release" > "$tools/vm/kernel.env"

# trixie through its own apt state: sources, lists and downloads under .tools/apt-trixie.
apt_dir="$tools/apt-trixie"
trixie_apt() { # apt-get|apt-cache ARGUMENTS...
  tool=$1
  shift
  "$tool" -q -o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o Dir::State::status=/dev/null \
    -o APT::Architecture=amd64 -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false -o Debug::NoLocking=1 "$@"
}
trixie_ready=
trixie_update() {
  [ -z "$trixie_ready" ] || return 0
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  # the mirror the machine's own apt sources name
  mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
  [ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)*\([^ ]*\/debian\)\/* .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  echo "deb [arch=amd64,arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" > "$apt_dir/sources.list"
  trixie_apt apt-get update >/dev/null
  trixie_ready=1
}
# The versioned package behind a metapackage, e.g. linux-image-amd64 -> linux-image-6.12.117+deb13-amd64.
trixie_depends() {
  trixie_apt apt-cache show "$1" 2>/dev/null | sed -n 's/^Depends: \([^ ,]*\).*/\1/p' | head -n 1
}
# Downloads PACKAGE... and unpacks each into DIR.
trixie_unpack() { # (sh has no local variables: these names are its own)
  unpack_into=$1
  shift
  debs=$(mktemp -d)
  (cd "$debs" && trixie_apt apt-get download "$@" >/dev/null 2>&1) || { echo "install-vm-kernels: could not download $* from trixie" >&2; exit 1; }
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$unpack_into"; done
  rm -rf "$debs"
}
# A kernel package unpacked into DIR (vmlinuz-<release>, lib/modules/<release> with depmod's index, kernel.env).
trixie_kernel() { # DIR METAPACKAGE DEBIAN-ARCH UNAME-ARCH
  dir=$1 meta=$2 debarch=$3 arch=$4
  [ ! -f "$dir/kernel.env" ] || return 0
  trixie_update
  image=$(trixie_depends "$meta:$debarch")
  [ -n "$image" ] || { echo "install-vm-kernels: trixie has no $meta" >&2; exit 1; }
  kernel_release=${image#linux-image-}
  echo "install-vm-kernels: fetching $image (trixie) into $dir"
  rm -rf "$dir" && mkdir -p "$dir/unpacked"
  trixie_unpack "$dir/unpacked" "$image:$debarch"
  mv "$dir/unpacked/boot/vmlinuz-$kernel_release" "$dir/vmlinuz-$kernel_release"
  mkdir -p "$dir/lib/modules"
  mv "$dir/unpacked/usr/lib/modules/$kernel_release" "$dir/lib/modules/$kernel_release"
  rm -rf "$dir/unpacked"
  /sbin/depmod -b "$dir" "$kernel_release"
  printf 'RELEASE=%s\nARCH=%s\n' "$kernel_release" "$arch" > "$dir/kernel.env"
}

trixie_kernel "$tools/vm-trixie" linux-image-amd64 amd64 x86_64
trixie_kernel "$tools/vm-arm64" linux-image-arm64 arm64 aarch64

# arm64 userland for the initramfs: busybox, and what the self-contained modulus links against or loads (libc, libm,
# libstdc++, libgcc_s; OpenSSL for SHA-256, and the zlib and zstd its libcrypto links against).
sysroot="$tools/vm-arm64/sysroot"
if [ ! -x "$sysroot/bin/busybox" ]; then
  echo "install-vm-kernels: fetching arm64 busybox and libraries (trixie) into $sysroot"
  trixie_update
  rm -rf "$sysroot" && mkdir -p "$sysroot"
  trixie_unpack "$sysroot" busybox-static:arm64 libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 libssl3t64:arm64 zlib1g:arm64 libzstd1:arm64
  mkdir -p "$sysroot/bin" && cp "$sysroot/usr/bin/busybox" "$sysroot/bin/busybox"
fi

for k in vm vm-trixie vm-arm64; do
  . "$tools/$k/kernel.env"
  printf 'install-vm-kernels: %-9s %s (%s), %s\n' "$k" "$RELEASE" "$ARCH" \
    "$(grep -c 'ko\.xz:' "$tools/$k/lib/modules/$RELEASE/modules.dep") .ko.xz modules indexed"
done
