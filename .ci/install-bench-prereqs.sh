#!/bin/sh
# What `make bench` needs beyond `make test`'s prerequisites: the peers it is measured against.
set -eu
sudo_cmd=
[ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
missing=
for p in pigz zstd time hyperfine curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
command -v aws >/dev/null 2>&1 || missing="$missing awscli"
if [ -n "$missing" ]; then
  echo "install-bench-prereqs: installing Debian packages:$missing"
  $sudo_cmd apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
