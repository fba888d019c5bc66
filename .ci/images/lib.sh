# Shared by the image scripts (bash). Images are built once per machine: each carries the hash of its recipe in
# the label io.modulus.ci.recipe, and is saved as an OCI archive under .tools/images/ beside a .recipe file, so a
# machine that lost its container storage (or a fresh checkout with a copied .tools/) loads it instead of
# building it again. A changed recipe builds it again.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tools="$repo/.tools"
images="$tools/images"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/.ci/containers.conf}"

# The Debian mirror the machine's own apt sources name (the trixie suites are on the same mirror).
debian_mirror() {
  local uri
  uri=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 || true)
  [ -n "$uri" ] || uri=$(sed -n 's/^deb \(\[[^]]*\] \)\?\([^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null | grep -v security | head -1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

say() { echo "images: $*" >&2; }

# recipe_hash FILE... : what a cached image was built from.
recipe_hash() { cat "$@" | sha256sum | cut -c1-16; }

image_recipe() { podman image inspect --format '{{ index .Config.Labels "io.modulus.ci.recipe" }}' "$1" 2>/dev/null || true; }

# ensure_image NAME CACHE RECIPE BUILD_FUNCTION [ARGS...]: NAME in container storage built from RECIPE, loading
# .tools/images/CACHE.oci.tar when it matches, else calling BUILD_FUNCTION ARGS (which must tag NAME with the
# label io.modulus.ci.recipe=RECIPE) and saving the archive.
ensure_image() {
  local name=$1 cache=$images/$2.oci.tar recipe=$3
  shift 3
  if [ "$(image_recipe "$name")" = "$recipe" ]; then
    return 0
  fi
  if [ -f "$cache" ] && [ "$(cat "$cache.recipe" 2>/dev/null)" = "$recipe" ]; then
    say "loading $name from $cache"
    skopeo copy --quiet "oci-archive:$cache" "containers-storage:$name" >/dev/null
    [ "$(image_recipe "$name")" = "$recipe" ] && return 0
    say "$cache did not hold $name of recipe $recipe; building it again"
  fi
  local started=$SECONDS
  say "building $name (recipe $recipe)"
  "$@"
  [ "$(image_recipe "$name")" = "$recipe" ] || { say "building $name did not leave an image labelled with recipe $recipe"; return 1; }
  mkdir -p "$images"
  rm -f "$cache" "$cache.recipe"
  skopeo copy --quiet "containers-storage:$name" "oci-archive:$cache.tmp:$name" >/dev/null
  mv "$cache.tmp" "$cache"
  echo "$recipe" > "$cache.recipe"
  say "built $name in $((SECONDS - started)) s; cached as $cache ($(du -h "$cache" | cut -f1))"
}

# debootstrap_root DIR SUITE [EXTRA_PACKAGES]: a Debian minbase root for the machine's architecture.
debootstrap_root() {
  local dir=$1 suite=$2 include=${3:-}
  rm -rf "$dir" && mkdir -p "$dir"
  say "debootstrap --variant=minbase $suite ($(debian_mirror))${include:+ with $include}"
  debootstrap --variant=minbase ${include:+--include="$include"} "$suite" "$dir" "$(debian_mirror)" > "$dir.log" 2>&1 \
    || { tail -20 "$dir.log" >&2; say "debootstrap failed; its log: $dir.log"; return 1; }
  rm -rf "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"*_Packages
}
