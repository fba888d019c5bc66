#!/usr/bin/env bash
# Builds the kmodbuild stand-ins (tests only) once per machine, cached under .tools/images/ (.ci/images/lib.sh):
#   localhost/kmodbuild-standin:amd64-trixie        Containerfile, target amd64, on the trixie minbase root
#   localhost/kmodbuild-standin:arm64-cross-trixie  Containerfile, target arm64-cross
#   localhost/kmodbuild-standin:amd64-three-trixie  Containerfile, target amd64-three (make bench only; not in all)
# Intermediate layers are kept (--layers), so the second shares the first one's package installation.
# usage: build.sh [amd64|arm64-cross|three|all]   (default all); prints the image names.
source "$(dirname "$0")/../../../.ci/images/lib.sh"
here="$repo/tests/containers/kmodbuild-standin"
amd64=localhost/kmodbuild-standin:amd64-trixie
cross=localhost/kmodbuild-standin:arm64-cross-trixie
three=localhost/kmodbuild-standin:amd64-three-trixie
minbase=localhost/modulus-ci/debian:trixie-minbase

build() { # TARGET NAME RECIPE
  local log="$tools/images/${2//[\/:]/_}.build.log"
  mkdir -p "$tools/images"
  buildah bud --network host --layers --target "$1" --build-arg "base=$minbase" --build-arg "recipe=$3" -f "$here/Containerfile" -t "$2" "$here" > "$log" 2>&1 \
    || { tail -30 "$log" >&2; say "building $2 failed; the whole log: $log"; return 1; }
  sed -n '/^Installed Kernel Headers:/,/^\[/p' "$log" | grep -v '^\[' >&2 || true
}

what=${1:-all}
bash "$repo/.ci/images/bases.sh" minbase
base_recipe=$(image_recipe "$minbase")
recipe=$(recipe_hash "$here/Containerfile" "$here/build.sh" <(echo "$base_recipe"))
case $what in amd64|arm64-cross|all) ensure_image "$amd64" kmodbuild-standin-amd64-trixie "$recipe" build amd64 "$amd64" "$recipe" ;; esac
case $what in amd64|all) echo "$amd64" ;; esac
case $what in three)
  ensure_image "$three" kmodbuild-standin-amd64-three-trixie "$recipe" build amd64-three "$three" "$recipe"
  echo "$three" ;;
esac
case $what in arm64-cross|all)
  ensure_image "$cross" kmodbuild-standin-arm64-cross-trixie "$recipe" build arm64-cross "$cross" "$recipe"
  echo "$cross" ;;
esac
