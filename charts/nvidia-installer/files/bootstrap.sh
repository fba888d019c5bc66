#!/bin/sh
# dev-builder bootstrap: the command the stock Garden Linux kmodbuild image runs in the `dev` container.
# It waits for modulus to place the self-contained dev-builder into the shared cmd dir, unpacks it and
# execs `dev-builder serve`. POSIX sh only: the kmodbuild image is not ours to change.
#
# Environment:
#   MODULUS_CMD_DIR            shared cmd dir (default /cmd)
#   MODULUS_OUT_DIR            shared build output dir (default /out)
#   MODULUS_BOOTSTRAP_TIMEOUT  seconds to wait for the payload (default 600)
#   MODULUS_BOOTSTRAP_DIR      where to unpack (default: a new dir below ${TMPDIR:-/tmp})
# Extra arguments are passed on to `dev-builder serve`.
set -eu

cmd_dir=${MODULUS_CMD_DIR:-/cmd}
out_dir=${MODULUS_OUT_DIR:-/out}
timeout=${MODULUS_BOOTSTRAP_TIMEOUT:-600}
payload="$cmd_dir/dev-builder.tar.gz"

case $timeout in
  ''|*[!0-9]*) echo "bootstrap: MODULUS_BOOTSTRAP_TIMEOUT must be a number of seconds, not '$timeout'" >&2; exit 2 ;;
esac

echo "bootstrap: waiting up to ${timeout}s for $payload"
waited=0
# modulus renames the payload into place, so its presence means it is complete.
while [ ! -f "$payload" ]; do
  if [ "$waited" -ge "$timeout" ]; then
    echo "bootstrap: no $payload after ${timeout}s; is the modulus container running and sharing $cmd_dir?" >&2
    exit 1
  fi
  sleep 1
  waited=$((waited + 1))
done

dir=${MODULUS_BOOTSTRAP_DIR:-}
if [ -z "$dir" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/dev-builder.XXXXXX")
fi
mkdir -p "$dir"
tar -xzf "$payload" -C "$dir"
if [ ! -x "$dir/dev-builder" ]; then
  echo "bootstrap: $payload holds no executable dev-builder at its top level" >&2
  exit 1
fi

echo "bootstrap: starting $dir/dev-builder serve --cmd-dir $cmd_dir --out-dir $out_dir $*"
exec "$dir/dev-builder" serve --cmd-dir "$cmd_dir" --out-dir "$out_dir" "$@"
