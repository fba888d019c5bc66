#!/bin/busybox sh
# /init of make bench's install row (tests/benchmarks/Bench/VmInstall.cs). ROUNDS times, first the limit: busybox
# insmod of the very files install loads (the in-tree drm and what it needs, as .ko.xz from the node's tree, then the
# artifact's modules in the manifest's order), then `modulus install` of that artifact from the file:// store into
# an empty cache; after each, everything is unloaded and the cache removed. /bench.env gives ROUNDS, DRIVER_VERSION
# and INSMOD (the paths in load order). Times are the kernel's monotonic clock in nanoseconds (/proc/timer_list).
. /vm-setup.sh
. /bench.env
now() { sed -n 's/^now at \([0-9]*\) nsecs$/\1/p;/^now at/q' /proc/timer_list; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
unload_all() { # at most five passes; the last one says what could not go
  for pass in 1 2 3 4 5; do
    [ -n "$(cat /proc/modules)" ] || return 0  # (proc files have no size: -s is always false)
    for m in $(cut -d' ' -f1 /proc/modules); do
      if [ "$pass" = 5 ]; then rmmod "$m"; else rmmod "$m" 2>/dev/null; fi
    done
  done
  echo "MODULUS-VM: still loaded: $(cut -d' ' -f1,3,4 /proc/modules | tr '\n' ' ')"
}
round=1
while [ "$round" -le "$ROUNDS" ]; do
  start=$(now)
  limit_exit=0
  for ko in $INSMOD; do insmod "$ko" || limit_exit=$?; done
  middle=$(now)
  limit_loaded=$(wc -l < /proc/modules)
  unload_all
  begin=$(now)
  /opt/modulus/modulus install --driver-version "$DRIVER_VERSION" --module-type open --store file:///store --cache-dir /var/cache/modulus --skip-gpu-check >/tmp/install.log 2>&1
  install_exit=$?
  end=$(now)
  install_loaded=$(wc -l < /proc/modules)
  echo "MODULUS-VM: round $round limit $(seconds "$start" "$middle") s ($limit_loaded modules, exit=$limit_exit) install $(seconds "$begin" "$end") s ($install_loaded modules, exit=$install_exit)"
  [ "$install_exit" = 0 ] || cat /tmp/install.log
  unload_all
  rm -rf /var/cache/modulus
  round=$((round + 1))
done
echo "MODULUS-VM: done"
poweroff -f
