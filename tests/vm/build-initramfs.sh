#!/bin/sh
# Turns ROOT into an initramfs for the VM test: adds a static busybox, vm-setup.sh (sourced by each /init), the shared libraries that ROOT's programs
# link against plus the OpenSSL libraries .NET loads at run time (SHA-256), and writes an uncompressed newc cpio.
# With SYSROOT (a foreign architecture's userland, .tools/vm-arm64/sysroot), busybox and the libraries come from
# there, found by the programs' DT_NEEDED entries (readelf), since ldd cannot run them; else from this machine.
# usage: build-initramfs.sh ROOT OUT.cpio [SYSROOT]
set -eu
root=$1
out=$2
sysroot=${3:-}
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/etc" "$root/run"
cp "$(dirname "$0")/vm-setup.sh" "$root/vm-setup.sh"

if [ -z "$sysroot" ]; then
  cp /bin/busybox "$root/bin/busybox"
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
else
  cp "$sysroot/bin/busybox" "$root/bin/busybox"
  libdir=$(cd "$sysroot" && ls -d usr/lib/*-linux-gnu | head -n 1)
  needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
  # breadth-first over DT_NEEDED, starting from ROOT's programs and the libraries .NET opens itself
  todo="libssl.so.3 libcrypto.so.3 $(find "$root" -type f -perm -u+x | while read -r program; do needed "$program"; done | sort -u)"
  done_libs=
  while [ -n "$(echo $todo)" ]; do
    next=
    for name in $todo; do
      case " $done_libs " in *" $name "*) continue ;; esac
      done_libs="$done_libs $name"
      [ -f "$sysroot/$libdir/$name" ] || { echo "build-initramfs: $name is not in $sysroot/$libdir" >&2; exit 1; }
      mkdir -p "$root/$libdir"
      cp -L "$sysroot/$libdir/$name" "$root/$libdir/$name"
      next="$next $(needed "$sysroot/$libdir/$name")"
    done
    todo=$next
  done
  # the program interpreter (PT_INTERP) is looked up under /lib
  interp=$(find "$root" -type f -perm -u+x -exec readelf -l {} \; 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p' | sort -u)
  for loader in $interp; do
    mkdir -p "$root$(dirname "$loader")"
    cp -L "$sysroot/$libdir/$(basename "$loader")" "$root$loader"
  done
fi

(cd "$root" && find . | cpio -o -H newc --quiet) > "$out"
