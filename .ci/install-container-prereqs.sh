#!/bin/sh
# Installs what building and running the images needs without a daemon (make image, make compiler-pod, the
# tests that run containers), on Debian 12, and nothing that is already there. Idempotent; needs root (or sudo)
# only when something is missing. The tools read .ci/containers.conf through CONTAINERS_CONF (the Makefile sets it).
set -eu

sudo_cmd=
[ "$(id -u)" = 0 ] || sudo_cmd=sudo

# buildah builds modulus/Dockerfile; podman runs the chart's pods (kube play) and needs catatonit for the pod's
# infra container; skopeo inspects and copies images and archives; umoci unpacks OCI layouts; debootstrap makes
# the Debian roots that stand in for the base images no registry can give us here.
packages="buildah podman skopeo umoci runc catatonit netavark debootstrap jq"
missing=
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install-container-prereqs: installing Debian packages:$missing"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

conf="$(cd "$(dirname "$0")" && pwd)/containers.conf"
if [ "${CONTAINERS_CONF:-}" != "$conf" ]; then
  echo "install-container-prereqs: note: CONTAINERS_CONF is '${CONTAINERS_CONF:-}', not $conf; run podman and buildah with CONTAINERS_CONF=$conf (the Makefile does)" >&2
fi
echo "install-container-prereqs: ready ($(buildah --version | cut -d' ' -f1-3), $(podman --version), $(runc --version | head -1))"
