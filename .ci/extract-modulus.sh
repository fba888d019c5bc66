#!/usr/bin/env bash
# Copies the native modulus out of the image `make image` built (the platform ARCH's instance of its manifest list)
# to DEST/modulus, and dev-builder from the image's payload beside it: the same `dotnet publish` as
# `make vm-modulus`, so CI publishes them once.
# usage: extract-modulus.sh ARCH DEST   (IMAGE: default localhost/modulus:dev)
source "$(dirname "$0")/images/lib.sh"
arch=$1 dest=$2
image=${IMAGE:-localhost/modulus:dev}
# podman 4.3 does not pick a local manifest list's instance by --arch (it takes the host's and warns): the
# instance is named by its digest.
digest=$(podman manifest inspect "$image" | jq -r --arg a "$arch" '.manifests[] | select(.platform.os == "linux" and .platform.architecture == $a) | .digest')
[ -n "$digest" ] || { say "$image lists no linux/$arch image (make image builds both)"; exit 1; }
instance="${image%:*}@$digest"
actual=$(podman image inspect --format '{{.Architecture}}' "$instance")
[ "$actual" = "$arch" ] || { say "$image's linux/$arch entry $digest is an image for $actual"; exit 1; }
ctr=$(podman create --quiet --pull never "$instance")
trap 'podman rm --force "$ctr" >/dev/null' EXIT
mkdir -p "$dest"
rm -f "$dest/modulus" "$dest/dev-builder" "$dest/dev-builder.tar.gz"
podman cp "$ctr:/opt/modulus/modulus" "$dest/modulus"
podman cp "$ctr:/opt/modulus/dev-builder.tar.gz" "$dest/dev-builder.tar.gz"
tar -xzf "$dest/dev-builder.tar.gz" -C "$dest" dev-builder
rm "$dest/dev-builder.tar.gz"
say "copied modulus and dev-builder ($arch) from $image to $dest"
