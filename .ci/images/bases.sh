#!/usr/bin/env bash
# Stand-ins, built here from Debian trixie, for the base images modulus/Dockerfile names by default and that no
# registry can give this machine:
#   localhost/modulus-ci/dotnet-sdk:10.0            for mcr.microsoft.com/dotnet/sdk:10.0 (the build stage;
#                                                   the machine's own .NET SDK on a debootstrap minbase root)
#   localhost/modulus-ci/runtime-deps:10.0-<arch>   for mcr.microsoft.com/dotnet/runtime-deps:10.0 (the final
#                                                   stage; amd64 and arm64)
#   localhost/modulus-ci/debian:trixie-minbase      the debootstrap minbase root both the SDK and the kmodbuild
#                                                   stand-in start from (Garden Linux's base is such a root too)
# The runtime roots are made of Debian's packages unpacked with dpkg-deb, never run, so the arm64 one needs no
# emulation: glibc, libstdc++, libgcc_s, libssl3, zlib and ca-certificates (what the self-contained .NET binary
# needs), tzdata, and dash and coreutils for the chart's `/bin/sh -c "modulus compile && ... sleep"`.
# usage: bases.sh [minbase|sdk|runtime-amd64|runtime-arm64|all]   (default all)
source "$(dirname "$0")/lib.sh"

suite=trixie
minbase=localhost/modulus-ci/debian:trixie-minbase
sdk=localhost/modulus-ci/dotnet-sdk:10.0
runtime=localhost/modulus-ci/runtime-deps:10.0
runtime_packages="base-files base-passwd dash coreutils libc6 libgcc-s1 libstdc++6 libssl3t64 zlib1g ca-certificates tzdata"

build_minbase() {
  local work
  work=$(mktemp -d /var/tmp/modulus-minbase.XXXXXX)
  debootstrap_root "$work/root" "$suite"
  tar -C "$work/root" -c . | podman import --quiet \
    --change 'CMD ["/bin/bash"]' --change "LABEL io.modulus.ci.recipe=$1" \
    --change 'LABEL org.opencontainers.image.description="Debian trixie, debootstrap --variant=minbase (Modulus CI)"' \
    - "$minbase" >/dev/null
  rm -rf "$work"
}

build_sdk() {
  local dotnet
  dotnet=$(dirname "$(readlink -f "$(command -v dotnet)")")
  [ -x "$dotnet/dotnet" ] && [ -d "$dotnet/sdk" ] || { say "no .NET SDK on this machine ($dotnet); install the .NET 10 SDK"; return 1; }
  buildah bud --quiet --network host --layers=false --build-arg "base=$minbase" --label "io.modulus.ci.recipe=$1" \
    -f "$repo/.ci/images/dotnet-sdk.Containerfile" -t "$sdk" "$dotnet" >/dev/null
}

# runtime_root ARCH DIR: Debian's packages for ARCH (and their dependencies) unpacked into DIR, configured by hand
# where their maintainer scripts would have run: /etc/passwd and /etc/group, the CA bundle.
runtime_root() {
  local arch=$1 dir=$2 apt
  apt=$(mktemp -d /var/tmp/modulus-apt.XXXXXX)
  mkdir -p "$apt/etc/apt.conf.d" "$apt/etc/preferences.d" "$apt/lists/partial" "$apt/archives/partial"
  touch "$apt/status"
  echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) $suite main" > "$apt/etc/sources.list"
  local opts=(-o "Dir::Etc=$apt/etc" -o "Dir::Etc::SourceList=$apt/etc/sources.list" -o "Dir::Etc::SourceParts=$apt/none"
    -o "Dir::State=$apt" -o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=$apt/status" -o "Dir::Cache=$apt"
    -o "Dir::Cache::Archives=$apt/archives" -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
    -o "APT::Install-Recommends=false" -o "Debug::NoLocking=true" -o "APT::Sandbox::User=root" -qq)
  apt-get "${opts[@]}" update
  # shellcheck disable=SC2086
  apt-get "${opts[@]}" install --download-only -y $runtime_packages >/dev/null
  rm -rf "$dir" && mkdir -p "$dir"
  local deb
  for deb in "$apt"/archives/*.deb; do
    [ "$(dpkg-deb -f "$deb" Architecture)" = all ] || [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] \
      || { say "$deb is not for $arch"; return 1; }
    dpkg-deb -x "$deb" "$dir"
  done
  say "runtime-deps $arch: $(ls "$apt"/archives/*.deb | sed 's|.*/||; s|_.*||' | tr '\n' ' ')"
  # base-passwd's postinst; ca-certificates' postinst (update-ca-certificates over the unpacked certificates).
  cp "$dir/usr/share/base-passwd/passwd.master" "$dir/etc/passwd"
  cp "$dir/usr/share/base-passwd/group.master" "$dir/etc/group"
  (cd "$dir/usr/share/ca-certificates" && find . -name '*.crt' | sed 's|^\./||' | sort) > "$dir/etc/ca-certificates.conf"
  mkdir -p "$dir/etc/ssl/certs"
  update-ca-certificates --certsconf "$dir/etc/ca-certificates.conf" --certsdir "$dir/usr/share/ca-certificates" \
    --localcertsdir "$dir/usr/local/share/ca-certificates" --etccertsdir "$dir/etc/ssl/certs" --hooksdir "$apt/none" >/dev/null
  [ -s "$dir/etc/ssl/certs/ca-certificates.crt" ] || { say "no CA bundle in the $arch root"; return 1; }
  [ -e "$dir/bin/sh" ] || ln -s dash "$dir/usr/bin/sh"
  # tzdata's postinst; and what Debian's slim images leave out (documentation, manual pages, translations).
  ln -sf /usr/share/zoneinfo/Etc/UTC "$dir/etc/localtime" && echo Etc/UTC > "$dir/etc/timezone"
  rm -rf "$dir/usr/share/man" "$dir/usr/share/info" "$dir/usr/share/locale"
  find "$dir/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  rm -rf "$apt"
}

build_runtime() {
  local arch=$1 recipe=$2 work
  work=$(mktemp -d /var/tmp/modulus-runtime.XXXXXX)
  runtime_root "$arch" "$work/root"
  tar -C "$work/root" -c . | podman import --quiet --arch "$arch" --os linux \
    --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL io.modulus.ci.recipe=$recipe" \
    --change 'LABEL org.opencontainers.image.description="Stand-in for mcr.microsoft.com/dotnet/runtime-deps:10.0: Debian trixie packages, unpacked (Modulus CI)"' \
    - "$runtime-$arch" >/dev/null
  rm -rf "$work"
}

self="$repo/.ci/images/bases.sh"
what=${1:-all}
minbase_recipe=$(recipe_hash "$self" "$repo/.ci/images/lib.sh")
case $what in minbase|sdk|all) ensure_image "$minbase" debian-trixie-minbase "$minbase_recipe" build_minbase "$minbase_recipe" ;; esac
case $what in sdk|all)
  sdk_recipe=$(recipe_hash "$self" "$repo/.ci/images/dotnet-sdk.Containerfile" <(echo "$minbase_recipe"; dotnet --version))
  ensure_image "$sdk" dotnet-sdk-10.0 "$sdk_recipe" build_sdk "$sdk_recipe" ;;
esac
for arch in amd64 arm64; do
  case $what in "runtime-$arch"|all)
    runtime_recipe=$(recipe_hash "$self" "$repo/.ci/images/lib.sh" <(echo "$arch"))
    ensure_image "$runtime-$arch" "runtime-deps-10.0-$arch" "$runtime_recipe" build_runtime "$arch" "$runtime_recipe" ;;
  esac
done
