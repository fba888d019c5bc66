#!/bin/sh
# Turns ROOT into an initramfs for the VM test: adds a static busybox, vm-setup.sh (sourced by each /init), the shared libraries that ROOT's programs
# link against plus the OpenSSL libraries .NET loads at run time (SHA-256), and writes an uncompressed newc cpio.
# usage: build-initramfs.sh ROOT OUT.cpio
set -eu
root=$1
out=$2
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/etc" "$root/run"
cp /bin/busybox "$root/bin/busybox"
cp "$(dirname "$0")/vm-setup.sh" "$root/vm-setup.sh"

libs=$(find "$root" -type f -perm -u+x | while read -r program; do
  ldd "$program" 2>/dev/null | awk '/=>/ { print $3 } /^[[:space:]]*\/lib/ { print $1 }'
done | sort -u)
for name in libssl.so.3 libcrypto.so.3; do
  libs="$libs $(ldconfig -p | awk -v n="$name" '$1 == n && /x86-64/ { print $NF; exit }')"
done
for lib in $libs; do
  [ -f "$lib" ] || continue
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
# the loader is looked up under /lib64 on x86_64
mkdir -p "$root/lib64"
[ -e "$root/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"

(cd "$root" && find . | cpio -o -H newc --quiet) > "$out"
