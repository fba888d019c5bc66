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

# The recipe label is put on after the build, in a commit of its own: with --layers, buildah 1.28 takes a LABEL step
# (and --label) from its layer cache whatever the value, so a changed recipe whose steps were all cached left the
# image labelled with the old one.
build() { # TARGET NAME RECIPE
  local log="$tools/images/${2//[\/:]/_}.build.log" ctr
  mkdir -p "$tools/images"
  buildah bud --network host --layers --target "$1" --build-arg "base=$minbase" -f "$here/Containerfile" -t "$2" "$here" > "$log" 2>&1 \
    || { tail -30 "$log" >&2; say "building $2 failed; the whole log: $log"; return 1; }
  sed -n '/^Installed Kernel Headers:/,/^\[/p' "$log" | grep -v '^\[' >&2 || true
  ctr=$(buildah from --pull=never "$2" 2>> "$log") && buildah config --label "io.modulus.ci.recipe=$3" "$ctr" 2>> "$log" \
    && buildah commit --quiet --rm "$ctr" "$2" >> "$log" 2>&1 \
    || { say "labelling $2 with recipe $3 failed; the whole log: $log"; return 1; }
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
