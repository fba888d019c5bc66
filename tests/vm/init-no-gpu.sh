#!/bin/busybox sh
# /init of the real-driver VM test (tests/Modulus.Tests/RealDriver/RealNvidiaDriverIntegrationTests.cs): installs
# NVIDIA's real 595.45.04 open modules into a kernel without an NVIDIA GPU, then shows what is left loaded, the
# firmware search path and what status says. MODULUS-VM markers on the serial console carry the results.
. /vm-setup.sh
echo "MODULUS-VM: firmware-before [$(cat /sys/module/firmware_class/parameters/path)]"
# --skip-gpu-check: load although the PCI scan finds no NVIDIA GPU, to see what the kernel says then.
/opt/modulus/modulus install --driver-version 595.45.04 --module-type open --store file:///store --cache-dir /var/cache/modulus --skip-gpu-check
echo "MODULUS-VM: install exit=$?"
echo "MODULUS-VM: modules [$(cut -d' ' -f1 /proc/modules | tr '\n' ' ')]"
echo "MODULUS-VM: firmware-after [$(cat /sys/module/firmware_class/parameters/path)]"
/opt/modulus/modulus status --cache-dir /var/cache/modulus; echo "MODULUS-VM: status exit=$?"
echo "MODULUS-VM: done"
poweroff -f
