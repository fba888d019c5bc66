#!/bin/busybox sh
# /init of `make demo`: installs the stand-in driver from the demo's file:// store into Debian's kernel and shows
# status. The demo reads the MODULUS-VM markers from the serial console.
. /demo.env
. /vm-setup.sh
start=$(cut -d' ' -f1 /proc/uptime)
# The VM has no NVIDIA PCI function: --skip-gpu-check lets the stand-in driver load anyway.
/opt/modulus/modulus install --driver-version "$DRIVER_VERSION" --module-type open --store file:///store --cache-dir /var/cache/modulus --skip-gpu-check
echo "MODULUS-VM: install exit=$? after $(awk -v s="$start" '{ printf "%.1f", $1 - s }' /proc/uptime) s"
echo "MODULUS-VM: modules $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
echo "MODULUS-VM: nodes $(ls /dev | grep nvidia | tr '\n' ' ')"
/opt/modulus/modulus status --cache-dir /var/cache/modulus; echo "MODULUS-VM: status exit=$?"
echo "MODULUS-VM: done"
poweroff -f
