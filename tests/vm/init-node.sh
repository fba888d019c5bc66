#!/bin/busybox sh
# /init of the node-kernel VM tests (GardenLinuxKernelsVmIntegrationTests): installs the stand-in driver 999.1.2,
# whose nvidia-drm needs the in-tree drm (.ko.xz), into trixie's 6.12 or the arm64 kernel, without naming a Garden
# Linux version (install reads /etc/os-release), then shows what is loaded and what status says.
. /vm-setup.sh
start=$(cut -d' ' -f1 /proc/uptime)
# The VM has no NVIDIA PCI function: --skip-gpu-check lets the stand-in driver load anyway.
/opt/modulus/modulus install --driver-version 999.1.2 --module-type open --store file:///store --cache-dir /var/cache/modulus --skip-gpu-check
echo "MODULUS-VM: install exit=$? after $(awk -v s="$start" '{ printf "%.1f", $1 - s }' /proc/uptime) s"
echo "MODULUS-VM: modules [$(cut -d' ' -f1 /proc/modules | tr '\n' ' ')]"
echo "MODULUS-VM: version $(cat /sys/module/nvidia/version 2>/dev/null)"
echo "MODULUS-VM: nodes $(ls /dev | grep nvidia | tr '\n' ' ')"
/opt/modulus/modulus status --cache-dir /var/cache/modulus; echo "MODULUS-VM: status exit=$?"
echo "MODULUS-VM: done"
poweroff -f
