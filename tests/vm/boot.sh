#!/bin/sh
# Boots a node kernel under QEMU (TCG) with an initramfs made of ROOT, and prints the serial console. A kernel panic
# also exits 0: read the markers. VM_KERNEL names the kernel, a directory under .tools/ that
# .ci/install-vm-kernels.sh prepares (kernel.env, vmlinuz-<release>):
#   vm         Debian 12's 6.1, in-tree modules recompressed to .ko.xz, no in-kernel decompression (the default)
#   vm-trixie  Debian trixie's 6.12, .ko.xz modules the kernel decompresses itself
#   vm-arm64   trixie's arm64 6.12 under qemu-system-aarch64 (-M virt -cpu max), with an arm64 userland
# usage: [VM_KERNEL=vm-trixie] boot.sh ROOT WORKDIR [MEMORY_MIB] [EXTRA KERNEL ARGUMENTS]
set -eu
root=$1
work=$2
memory=${3:-1536}
extra=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
dir="$here/../../.tools/${VM_KERNEL:-vm}"
[ -f "$dir/kernel.env" ] || { echo "boot.sh: $dir/kernel.env is missing; run make prereqs" >&2; exit 1; }
. "$dir/kernel.env"
kernel="$dir/vmlinuz-$RELEASE"
[ -f "$kernel" ] || { echo "boot.sh: $kernel is missing; run make prereqs" >&2; exit 1; }
case $ARCH in
  x86_64)
    sh "$here/build-initramfs.sh" "$root" "$work/initramfs.cpio"
    # One vCPU: with two, x86 TCG (multi-threaded) lets a vCPU run a stale translation of code the kernel is
    # text-patching with int3 on the other, and the guest oopses ("Oops: int3") seconds into boot, before any test
    # code runs. Seen once in six CI runs with trixie's 6.12; one vCPU cannot race itself.
    qemu=qemu-system-x86_64 machine="-accel tcg" console=ttyS0 cpus=1 ;;
  aarch64)
    sh "$here/build-initramfs.sh" "$root" "$work/initramfs.cpio" "$dir/sysroot"
    # pauth-impdef: QEMU's own pointer-authentication algorithm, far cheaper to emulate than the architected one
    qemu=qemu-system-aarch64 machine="-M virt -cpu max,pauth-impdef=on -accel tcg" console=ttyAMA0 cpus=2 ;;
  *) echo "boot.sh: $dir/kernel.env names ARCH=$ARCH; x86_64 or aarch64" >&2; exit 1 ;;
esac
# $machine holds several words on purpose
# shellcheck disable=SC2086
exec "$qemu" $machine -m "$memory" -smp "$cpus" -kernel "$kernel" -initrd "$work/initramfs.cpio" \
  -append "console=$console panic=-1 quiet${extra:+ $extra}" -nographic -no-reboot -monitor none
