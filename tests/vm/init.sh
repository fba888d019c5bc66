#!/bin/busybox sh
# /init of the VM test (tests/Modulus.Tests/Install/InstallVmIntegrationTests.cs): installs, re-installs, tries an
# upgrade while a device node is held open, upgrades, and prints MODULUS-VM markers on the serial console.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
echo 'GARDENLINUX_VERSION=1877.3' > /etc/os-release
export MODULUS_LOG_FORMAT=text HOME=/tmp
echo "MODULUS-VM: booted $(uname -r)"
m() { /opt/modulus/modulus "$@" --store file:///store --cache-dir /var/cache/modulus --module-type open; }
m install --driver-version 999.1.2; echo "MODULUS-VM: install-1 exit=$?"
echo "MODULUS-VM: modules $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
echo "MODULUS-VM: nodes $(ls /dev | grep nvidia | tr '\n' ' ')"
echo "MODULUS-VM: version $(cat /sys/module/nvidia/version)"
m install --driver-version 999.1.2; echo "MODULUS-VM: install-2 exit=$?"
exec 3</dev/nvidiactl
m install --driver-version 999.2.0; echo "MODULUS-VM: upgrade-held exit=$?"
exec 3<&-
m install --driver-version 999.2.0; echo "MODULUS-VM: upgrade exit=$?"
echo "MODULUS-VM: version $(cat /sys/module/nvidia/version)"
/opt/modulus/modulus status --cache-dir /var/cache/modulus; echo "MODULUS-VM: status exit=$?"
echo "MODULUS-VM: done"
poweroff -f
