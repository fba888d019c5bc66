#!/usr/bin/env bash
# make image: modulus/Dockerfile built by buildah, without a daemon, for linux/amd64 and linux/arm64 into one
# manifest list in the machine's container storage, saved as an OCI archive, with each platform's compressed size.
#
#   IMAGE            the manifest list's name (default localhost/modulus:dev)
#   PLATFORMS        default "amd64 arm64"
#   SDK_IMAGE        the build stage's base (default: the local stand-in for mcr.microsoft.com/dotnet/sdk:10.0)
#   RUNTIME_IMAGE    the final stage's base; "<arch>" in it is replaced per platform (default: the local
#                    stand-ins for mcr.microsoft.com/dotnet/runtime-deps:10.0)
#   ARCHIVE          default artifacts/modulus-image.oci.tar
#
# The build stage restores from NuGet: it runs with the host's network (--network host) and the host's CA bundle
# (mounted over the SDK image's for the build only: machines behind a TLS-intercepting proxy trust its CA there),
# and the host's NuGet package folder is mounted at the build stage's, so a machine downloads each package once.
source "$(dirname "$0")/lib.sh"

# What the image is made of (the label io.modulus.sources): the build context's sources, the Dockerfile, and the
# recipes of the local base images. `make image-current` builds only when it changed.
sources_hash() {
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard -- core modulus dev-builder Directory.Build.props Directory.Packages.props global.json .dockerignore .ci/images \
    | xargs -0 sha256sum 2>/dev/null | grep -v -e '/bin/' -e '/obj/' | sha256sum | cut -c1-16)
}
if [ "${1:-}" = --sources ]; then
  sources_hash
  exit 0
fi

image=${IMAGE:-localhost/modulus:dev}
platforms=${PLATFORMS:-amd64 arm64}
archive=${ARCHIVE:-$repo/artifacts/modulus-image.oci.tar}

# The archive's index, each platform's manifest and config (the OCI layout inside the tar).
blob() { tar -xOf "$archive" "blobs/${1/://}"; }
archive_index() {
  local index
  index=$(tar -xOf "$archive" index.json)
  while [ "$(echo "$index" | jq -r '.manifests[0].mediaType')" = application/vnd.oci.image.index.v1+json ]; do
    index=$(blob "$(echo "$index" | jq -r '.manifests[0].digest')")
  done
  echo "$index"
}

# --archive-current: exit 0 when the archive holds every platform of PLATFORMS, each built from these sources
# (make bench rebuilds it otherwise).
if [ "${1:-}" = --archive-current ]; then
  [ -f "$archive" ] || exit 1
  index=$(archive_index) sources=$(sources_hash)
  for arch in $platforms; do
    digest=$(echo "$index" | jq -r --arg a "$arch" '.manifests[] | select(.platform.architecture == $a) | .digest')
    [ -n "$digest" ] || exit 1
    [ "$(blob "$(blob "$digest" | jq -r .config.digest)" | jq -r '.config.Labels["io.modulus.sources"] // empty')" = "$sources" ] || exit 1
  done
  exit 0
fi

nuget=${NUGET_PACKAGES:-$HOME/.nuget/packages}
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

if [ -z "${SDK_IMAGE:-}" ] || [ -z "${RUNTIME_IMAGE:-}" ]; then
  bash "$repo/.ci/images/bases.sh" sdk
  for arch in $platforms; do bash "$repo/.ci/images/bases.sh" "runtime-$arch"; done
fi
sdk_image=${SDK_IMAGE:-localhost/modulus-ci/dotnet-sdk:10.0}
runtime_image=${RUNTIME_IMAGE:-localhost/modulus-ci/runtime-deps:10.0-<arch>}

mkdir -p "$nuget" "$(dirname "$archive")" "$repo/artifacts"
# A manifest list collects what is added to it: start from an empty one, and drop the images the old one listed.
if podman manifest exists "$image" 2>/dev/null; then
  old=$(podman manifest inspect "$image" | jq -r '.manifests[].digest')
  podman manifest rm "$image" >/dev/null
  for digest in $old; do podman rmi --force "${image%:*}@$digest" >/dev/null 2>&1 || true; done
fi
podman image exists "$image" && podman rmi --force "$image" >/dev/null
build_arch=$(podman info --format '{{.Host.Arch}}')
sources=$(sources_hash)
for arch in $platforms; do
  started=$SECONDS
  runtime=${runtime_image//<arch>/$arch}
  say "building $image for linux/$arch (FROM $sdk_image for linux/$build_arch, then $runtime)"
  # buildah 1.28 defines no BUILDPLATFORM (so it is passed), and after a stage FROM --platform=... it looks the next
  # stage's base up by name for that stage's platform, not the target's: by its ID it finds it.
  if podman image exists "$runtime"; then
    runtime=$(podman image inspect --format '{{.Id}}' "$runtime")
  fi
  buildah bud --network host --volume "$nuget:/root/.nuget/packages" --volume "$ca_bundle:/etc/ssl/certs/ca-certificates.crt:ro" --platform "linux/$arch" \
    --build-arg "BUILDPLATFORM=linux/$build_arch" --build-arg "SDK_IMAGE=$sdk_image" --build-arg "RUNTIME_IMAGE=$runtime" \
    --label org.opencontainers.image.source=https://github.com/gardenlinux/modulus --label "io.modulus.sources=$sources" \
    --manifest "$image" -f "$repo/modulus/Dockerfile" "$repo" > "$repo/artifacts/image-build-$arch.log" 2>&1 \
    || { tail -40 "$repo/artifacts/image-build-$arch.log" >&2; say "building linux/$arch failed; the whole log: artifacts/image-build-$arch.log"; exit 1; }
  say "built linux/$arch in $((SECONDS - started)) s"
done

rm -f "$archive"
buildah manifest push --quiet --all "$image" "oci-archive:$archive:$image" >/dev/null

# Sizes from the archive itself: the index, each platform's manifest, the sum of its (compressed) layers.
index=$(archive_index)
echo "$image: an OCI index of $(echo "$index" | jq -r '[.manifests[].platform | "\(.os)/\(.architecture)"] | join(", ")'), $(du -h "$archive" | cut -f1) in ${archive#"$repo"/}"
for arch in $platforms; do
  digest=$(echo "$index" | jq -r --arg a "$arch" '.manifests[] | select(.platform.architecture == $a) | .digest')
  [ -n "$digest" ] || { say "the archive has no linux/$arch image"; exit 1; }
  manifest=$(blob "$digest")
  actual=$(blob "$(echo "$manifest" | jq -r .config.digest)" | jq -r .architecture)
  [ "$actual" = "$arch" ] || { say "the archive's linux/$arch entry is an image for $actual"; exit 1; }
  awk -v a="$arch" -v b="$(echo "$manifest" | jq '[.layers[].size] | add')" -v n="$(echo "$manifest" | jq '.layers | length')" \
    'BEGIN { printf "  linux/%-6s %6.1f MiB compressed (%d layers, %d bytes)\n", a, b / 1048576, n, b }'
done
