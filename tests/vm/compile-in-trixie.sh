#!/bin/sh
# Where the trixie VM tests' builds come from (6.12 headers, gcc-14): runs the self-contained
# `modulus compile --local-builder ARGUMENTS...` (make vm-modulus: .cache/vm/modulus, dev-builder beside it) inside a
# Debian trixie root that has the headers of the kernels to build for (linux-headers-<release>, which names gcc-14;
# for arm64 linux-headers-<release>-arm64 and gcc-14-aarch64-linux-gnu too) and build-essential. Each PATH is mounted
# at the same place, so the artifact lands in the caller's cache and store; nothing else of the host is visible and
# there is no network.
#
# The root, by default the kmodbuild stand-in (tests/containers/kmodbuild-standin, built and cached if missing; its
# arm64-cross variant for --arch arm64), or:
#   MODULUS_TRIXIE_IMAGE  an image podman can run (a name in its storage, or oci-archive:PATH)
#   MODULUS_TRIXIE_ROOT   a directory holding such a root (podman run --rootfs)
#
# usage: compile-in-trixie.sh PATH... -- COMPILE-ARGUMENTS...
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
# podman on these hosts needs runc and lower rlimits (DEVELOPERS.md): the repository's containers.conf unless one is set.
export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/.ci/containers.conf}"
modulus="$repo/.cache/vm/modulus"
[ -x "$modulus/modulus" ] && [ -x "$modulus/dev-builder" ] || {
  echo "compile-in-trixie: $modulus/modulus and dev-builder beside it are missing; run make vm-modulus" >&2; exit 1; }

mounts="-v $modulus:/opt/modulus:ro"
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  mkdir -p "$1"
  mounts="$mounts -v $1:$1"
  shift
done
[ "${1:-}" = -- ] || { echo "usage: compile-in-trixie.sh PATH... -- COMPILE-ARGUMENTS..." >&2; exit 2; }
shift

if [ -n "${MODULUS_TRIXIE_IMAGE:-}" ]; then
  from=$MODULUS_TRIXIE_IMAGE
elif [ -n "${MODULUS_TRIXIE_ROOT:-}" ]; then
  [ -d "$MODULUS_TRIXIE_ROOT/usr/src" ] || { echo "compile-in-trixie: MODULUS_TRIXIE_ROOT=$MODULUS_TRIXIE_ROOT holds no /usr/src (kernel headers)" >&2; exit 1; }
  from="--rootfs $MODULUS_TRIXIE_ROOT"
else
  case " $* " in *" --arch arm64 "*) variant=arm64-cross ;; *) variant=amd64 ;; esac
  from=$(bash "$repo/tests/containers/kmodbuild-standin/build.sh" "$variant" | tail -1)
fi

# shellcheck disable=SC2086
podman run --rm --network none -e MODULUS_LOG_FORMAT=text $mounts $from /opt/modulus/modulus compile --local-builder "$@"
