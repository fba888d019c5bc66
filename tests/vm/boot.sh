#!/bin/sh
# Boots Debian's kernel of the installed headers (.tools/vm, from .ci/install-prereqs.sh) under QEMU (TCG) with an
# initramfs made of ROOT, and prints the serial console. A kernel panic also exits 0: read the markers.
# usage: boot.sh ROOT WORKDIR [MEMORY_MIB] [EXTRA KERNEL ARGUMENTS]
set -eu
root=$1
work=$2
memory=${3:-1536}
extra=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
release=$(basename "$(dirname "$(dirname "$(dirname "$(ls -d /usr/src/linux-headers-*/include/generated/utsrelease.h)")")")" | sed 's/^linux-headers-//')
kernel="$here/../../.tools/vm/vmlinuz-$release"
[ -f "$kernel" ] || { echo "boot.sh: $kernel is missing; run make prereqs" >&2; exit 1; }
sh "$here/build-initramfs.sh" "$root" "$work/initramfs.cpio"
exec qemu-system-x86_64 -accel tcg -m "$memory" -smp 2 -kernel "$kernel" -initrd "$work/initramfs.cpio" \
  -append "console=ttyS0 panic=-1 quiet${extra:+ $extra}" -nographic -no-reboot -monitor none
