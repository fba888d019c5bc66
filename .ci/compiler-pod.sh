#!/usr/bin/env bash
# make compiler-pod: the chart's compiler instance, rendered by `helm template` (charts/nvidia-installer/ci/compiler-values.yaml,
# the original compiler values, plus the overrides below and VALUES), run as a pod under podman (`podman kube play`
# of its pod template, .ci/compiler-pod/pod-from-chart.cjs). modulus places the payload into /cmd, the kmodbuild
# container runs the chart's bootstrap, they compile over the FIFOs, modulus publishes. Exits 0 only when the store
# holds a verified artifact for every kernel of the image (of ARCH, and of the chart's kernelFlavours).
#
#   KMODBUILD_IMAGE      the dev container's image: a name in this machine's container storage, or oci-archive:PATH
#                        (default: the kmodbuild stand-in, tests/containers/kmodbuild-standin, built if missing)
#   DRIVER_RUN           a .run on this machine, mounted into the dev container at /drivers/<name> (default: the
#                        stand-in made by tests/fixtures/make-fake-nvidia-run.sh DRIVER_VERSION)
#   DRIVER_VERSION       default: from DRIVER_RUN's name, else 999.1.2
#   GARDENLINUX_VERSION  default 1877.3
#   ARCH                 amd64 or arm64 (the chart's arch; arm64 with the arm64-cross stand-in); default amd64
#   STORE                a directory (or file:///dir) on this machine, mounted at /store; or s3://bucket/prefix with
#                        S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the pod then uses the host's network)
#                        (default .cache/compiler-pod/store)
#   VALUES               an extra values file, applied last (e.g. kernelFlavours, debug, buildMatrix)
#   DEBUG                true (default): modulus and dev as two main containers; false: dev as a native sidecar
#   MODULUS_IMAGE        default localhost/modulus:dev (make image)
#   COMPILE_TIMEOUT      seconds, default 3600
# Each run keeps its rendered YAML, the pod, the logs and the host cache under .cache/compiler-pod/run-<pod>/.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/.ci/containers.conf}"
say() { echo "compiler-pod: $*" >&2; }
die() { say "$*"; exit 1; }

gardenlinux=${GARDENLINUX_VERSION:-1877.3}
arch=${ARCH:-amd64}
debug=${DEBUG:-true}
modulus_image=${MODULUS_IMAGE:-localhost/modulus:dev}
timeout=${COMPILE_TIMEOUT:-3600}
store=${STORE:-$repo/.cache/compiler-pod/store}
helm="$repo/.tools/bin/helm"
[ -x "$helm" ] || die "$helm is missing: run sh .ci/install-prereqs.sh (make prereqs)"
case $arch in amd64|arm64) ;; *) die "ARCH must be amd64 or arm64, not '$arch'" ;; esac
case $debug in true|false) ;; *) die "DEBUG must be true or false, not '$debug'" ;; esac
podman image exists "$modulus_image" || die "no image $modulus_image in this machine's container storage: run make image first (or set MODULUS_IMAGE)"

# The kmodbuild image, in container storage (podman kube play runs names only).
kmodbuild=${KMODBUILD_IMAGE:-}
if [ -z "$kmodbuild" ]; then
  kmodbuild=$(bash "$repo/tests/containers/kmodbuild-standin/build.sh" "$([ "$arch" = arm64 ] && echo arm64-cross || echo amd64)" | tail -1)
elif [[ $kmodbuild == oci-archive:* ]]; then
  archive=${kmodbuild#oci-archive:}
  [ -f "$archive" ] || die "KMODBUILD_IMAGE=$kmodbuild: no such file $archive"
  kmodbuild=localhost/compiler-pod/kmodbuild:$(sha256sum "$archive" | cut -c1-12)
  podman image exists "$kmodbuild" || skopeo copy --quiet "oci-archive:$archive" "containers-storage:$kmodbuild" >/dev/null
  say "loaded $archive as $kmodbuild"
else
  podman image exists "$kmodbuild" || die "KMODBUILD_IMAGE=$kmodbuild is not in this machine's container storage (podman images); pull or load it, or pass oci-archive:PATH"
fi

# The driver package.
driver_version=${DRIVER_VERSION:-}
run=${DRIVER_RUN:-}
if [ -z "$run" ]; then
  driver_version=${driver_version:-999.1.2}
  runarch=$([ "$arch" = arm64 ] && echo aarch64 || echo x86_64)
  run=$(sh "$repo/tests/fixtures/make-fake-nvidia-run.sh" "$driver_version" "$repo/.cache/compiler-pod/drivers" "$runarch" | tail -1)
fi
run=$(readlink -f "$run")
[ -f "$run" ] || die "DRIVER_RUN=$run is not a file"
if [ -z "$driver_version" ]; then
  driver_version=$(basename "$run" | sed -n 's/^NVIDIA-Linux-[a-z0-9_]*-\([0-9][0-9.]*[0-9]\)\.run$/\1/p')
  [ -n "$driver_version" ] || die "cannot tell the driver version from $(basename "$run"); set DRIVER_VERSION"
fi

# The store: a host directory mounted at /store, or S3 through a podman secret shaped like the chart's bucket secret.
secret=
case $store in
  s3://*)
    : "${S3_ENDPOINT:?STORE=$store needs S3_ENDPOINT}" "${AWS_ACCESS_KEY_ID:?STORE=$store needs AWS_ACCESS_KEY_ID}" "${AWS_SECRET_ACCESS_KEY:?STORE=$store needs AWS_SECRET_ACCESS_KEY}"
    bucket=${store#s3://}; prefix=${bucket#*/}; bucket=${bucket%%/*}; [ "$prefix" != "$bucket" ] || prefix=
    secret=modulus-compiler-pod-store
    network=host ;;
  *)
    store=${store#file://}
    mkdir -p "$store"
    store=$(readlink -f "$store")
    network=none ;;
esac

# The values: the original compiler values, then what this machine provides, then VALUES.
name=modulus
rundir="$repo/.cache/compiler-pod/run-$name-compiler"
rm -rf "$rundir" && mkdir -p "$rundir/cache"
overrides="$rundir/overrides.yaml"
{
  echo "gardenlinuxVersion: \"$gardenlinux\""
  echo "arch: $arch"
  echo "debug: $debug"
  echo "hostCachePath: $rundir/cache"
  echo "image: { repository: \"${modulus_image%:*}\", tag: \"${modulus_image##*:}\", pullPolicy: Never }"
  echo "devImage:"
  echo "  repository: \"${kmodbuild%:*}\""
  echo "  tag: \"${kmodbuild##*:}\""
  echo "  pullPolicy: Never"
  echo "  extraVolumeMounts: [ { name: driver, mountPath: \"/drivers/$(basename "$run")\", readOnly: true } ]"
  echo "nvidiaInstaller:"
  echo "  driverVersion: \"$driver_version\""
  echo "  driverSource: \"file:///drivers/$(basename "$run")\""
  echo "extraVolumes:"
  echo "  - { name: driver, hostPath: { path: \"$run\", type: File } }"
  if [ -n "$secret" ]; then
    echo "driverBucketSecret: $secret"
    echo "s3: { endpoint: \"$S3_ENDPOINT\", region: \"${S3_REGION:-us-east-1}\", prefix: \"$prefix\" }"
  else
    echo "  - { name: store, hostPath: { path: \"$store\", type: Directory } }"
    echo "driverBucketSecret: \"\""
    echo "extraVolumeMounts: [ { name: store, mountPath: /store } ]"
    echo "extraEnv: [ { name: MODULUS_STORE, value: \"file:///store\" } ]"
  fi
} > "$overrides"
values=(-f "$repo/charts/nvidia-installer/ci/compiler-values.yaml" -f "$overrides")
[ -z "${VALUES:-}" ] || values+=(-f "$(readlink -f "$VALUES")")
"$helm" template "$name" "$repo/charts/nvidia-installer" --namespace kube-system "${values[@]}" > "$rundir/rendered.yaml"
NODE_PATH="$repo/.tools/node_modules" node "$repo/.ci/compiler-pod/pod-from-chart.cjs" "$rundir/rendered.yaml" > "$rundir/pod.yaml"
summary="$rundir/rendered.summary.json"
pod=$(jq -r .pod "$summary")
env_of() { jq -r --arg n "$1" '.env[$n] // empty' "$summary"; }

# What the store must hold afterwards: a verified artifact for every kernel of the image the chart asks for.
want_arch=$(env_of MODULUS_ARCH); want_flavours=$(env_of MODULUS_KERNEL_FLAVOURS)
want_gl=$(env_of MODULUS_GARDENLINUX_VERSION); want_driver=$(env_of MODULUS_DRIVER_VERSION)
kernels=$(podman run --rm --network none --entrypoint /bin/sh "$kmodbuild" -c '
  for u in /usr/src/linux-headers-*/include/generated/utsrelease.h; do
    [ -f "$u" ] || continue; d=${u%/include/generated/utsrelease.h}
    a=unknown; grep -q "^CONFIG_X86_64=y" "$d/.config" && a=amd64; grep -q "^CONFIG_ARM64=y" "$d/.config" && a=arm64
    echo "$(sed -n "s/.*UTS_RELEASE \"\(.*\)\".*/\1/p" "$u") $a"
  done' | awk -v a="$want_arch" -v f=",${want_flavours}," '
  $2 == a {
    k = $1; rest = k; sub(/-(amd64|arm64)$/, "", rest); fl = rest; sub(/.*-/, "", fl)
    if (fl == rest || fl !~ /^[a-z][a-z0-9]*$/) fl = "default"
    if (f == ",," || index(f, "," fl ",") || (fl == "default" && index(f, ",metal,"))) print k
  }')
[ -n "$kernels" ] || die "$kmodbuild has no headers of $want_arch kernels${want_flavours:+ of flavours $want_flavours} (/usr/src/linux-headers-*)"
say "$pod ($(jq -r .form "$summary") form: $(jq -r '.containers | join(", ")' "$summary")) builds nvidia $want_driver for Garden Linux $want_gl, $want_arch, kernels: $(echo $kernels)"
say "  modulus: $modulus_image  dev: $kmodbuild  driver: $run  store: ${secret:+s3 }$store"

if [ -n "$secret" ]; then
  podman secret rm "$secret" >/dev/null 2>&1 || true
  # podman 4.3 reads a secretKeyRef from a podman secret holding a JSON object of base64 values.
  jq -n --arg a "$AWS_ACCESS_KEY_ID" --arg s "$AWS_SECRET_ACCESS_KEY" --arg b "$bucket" \
    '{accessKeyId: ($a | @base64), secretAccessKey: ($s | @base64), bucket: ($b | @base64)}' | podman secret create "$secret" - >/dev/null
fi
podman pod rm --force "$pod" >/dev/null 2>&1 || true
# --build=false, from the run dir: podman 4.3 otherwise builds an image whose name matches a directory of the working
# directory that holds a Containerfile or Dockerfile (modulus/ of the repository for the image localhost/modulus:…).
(cd "$rundir" && podman kube play --build=false --network "$network" pod.yaml) > "$rundir/play.log" 2>&1 || { cat "$rundir/play.log" >&2; die "podman kube play failed"; }

state() { podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$1" 2>/dev/null || echo "gone 1"; }
logs() { podman logs "$pod-modulus" > "$rundir/modulus.log" 2>&1 || true; podman logs "$pod-dev" > "$rundir/dev.log" 2>&1 || true; }
started=$SECONDS
result=
while [ -z "$result" ]; do
  read -r status code <<< "$(state "$pod-modulus")"
  read -r dev_status dev_code <<< "$(state "$pod-dev")"
  if [ "$status" = exited ] || [ "$status" = gone ]; then
    result=$([ "$code" = 0 ] && echo ok || echo "modulus exited with $code")
  elif [ "$dev_status" = exited ] || [ "$dev_status" = gone ]; then
    result="the dev container exited with $dev_code"
  elif podman top "$pod-modulus" comm 2>/dev/null | grep -qx sleep && ! podman top "$pod-modulus" comm 2>/dev/null | grep -qx modulus; then
    result=ok # the DaemonSet's command: `modulus compile && exec ... sleep`: compile succeeded
  elif [ $((SECONDS - started)) -ge "$timeout" ]; then
    result="no result after ${timeout}s"
  else
    sleep 2
  fi
done
logs
podman pod rm --force "$pod" >/dev/null 2>&1 || true
[ -z "$secret" ] || podman secret rm "$secret" >/dev/null 2>&1 || true
if [ "$result" != ok ]; then
  say "modulus log (last 40 lines; all of it: $rundir/modulus.log):"; tail -40 "$rundir/modulus.log" >&2
  say "dev log (last 20 lines; all of it: $rundir/dev.log):"; tail -20 "$rundir/dev.log" >&2
  die "$result after $((SECONDS - started)) s"
fi
say "compiled in $((SECONDS - started)) s; logs in $rundir"

# Verify with the image's own modulus: every kernel's manifest is there, and every blob's hashes hold.
check=(podman run --rm)
if [ -n "$secret" ]; then
  check+=(--network host -e "AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID" -e "AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY" -e "MODULUS_S3_ENDPOINT=$S3_ENDPOINT" -e "MODULUS_S3_REGION=${S3_REGION:-us-east-1}" "$modulus_image")
  uri=$store
else
  check+=(--network none -v "$store:/store:ro" "$modulus_image")
  uri=file:///store
fi
listing=$("${check[@]}" list --store "$uri" --gardenlinux-version "$want_gl" --driver-version "$want_driver" --json)
missing=
for kernel in $kernels; do
  echo "$listing" | jq -e --arg k "$kernel" --arg a "$want_arch" '[.[] | select(.kernelRelease == $k and .arch == $a and .driver == "nvidia")] | length > 0' >/dev/null \
    || missing="$missing $kernel"
done
[ -z "$missing" ] || die "the store has no artifact of nvidia $want_driver for Garden Linux $want_gl, kernel(s)$missing"
"${check[@]}" verify --store "$uri" > "$rundir/verify.log" 2>&1 || { cat "$rundir/verify.log" >&2; die "modulus verify --store $uri failed"; }
say "the store ($store) holds a verified artifact for every kernel: $(echo $kernels)"
