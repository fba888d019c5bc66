#!/bin/sh
# Copies the kernel's module index (modules.dep, modules.builtin, ...) and the in-tree modules NAME... with
# everything they depend on, as modules.dep lists them, from a VM kernel's tree (.tools/<VM_KERNEL>, default vm)
# into ROOT/lib/modules/<release>: what `make demo` gives its VM (the tests do the same in QemuVm.AddInTreeModules).
# usage: [VM_KERNEL=vm-trixie] add-in-tree-modules.sh ROOT NAME...
set -eu
root=$1
shift
dir="$(cd "$(dirname "$0")/../.." && pwd)/.tools/${VM_KERNEL:-vm}"
. "$dir/kernel.env"
tree="$dir/lib/modules/$RELEASE"
target="$root/lib/modules/$RELEASE"
mkdir -p "$target"
for index in modules.dep modules.builtin modules.builtin.modinfo modules.order; do cp "$tree/$index" "$target/"; done
for name in "$@"; do
  # kernel/drivers/gpu/drm/drm_kms_helper.ko.xz: kernel/drivers/gpu/drm/drm.ko.xz  (names use - and _ alike)
  awk -F: -v n="$name" '{ m = $1; sub(/.*\//, "", m); sub(/\.ko(\.(xz|zst|gz))?$/, "", m); gsub(/-/, "_", m)
    if (m == n) { print $1; k = split($2, d, " "); for (i = 1; i <= k; i++) print d[i] } }' "$tree/modules.dep"
done | sort -u | while read -r file; do
  mkdir -p "$target/$(dirname "$file")"
  cp "$tree/$file" "$target/$file"
done
