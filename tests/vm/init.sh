#!/bin/busybox sh
# /init of the VM test (tests/Modulus.Tests/Install/InstallVmIntegrationTests.cs): installs, re-installs, tries an
# upgrade while a device node is held open, upgrades, asks for a version the store lacks (the driver stays),
# installs without --skip-gpu-check (nothing loads on this GPU-less VM), lets the third module fail (the first two
# are unloaded again), and prints MODULUS-VM markers on the serial console. nvidia-drm needs the in-tree drm, which
# the kernel (Debian 12's 6.1) cannot decompress: modulus loads its .ko.xz itself. No Garden Linux version is given:
# install reads it from /etc/os-release.
. /vm-setup.sh
# The VM has no NVIDIA PCI function: --skip-gpu-check lets the stand-in driver load anyway.
m() { /opt/modulus/modulus "$@" --store file:///store --cache-dir /var/cache/modulus --module-type open --skip-gpu-check; }
m install --driver-version 999.1.2; echo "MODULUS-VM: install-1 exit=$?"
echo "MODULUS-VM: modules $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
echo "MODULUS-VM: nodes $(ls /dev | grep nvidia | tr '\n' ' ')"
echo "MODULUS-VM: version $(cat /sys/module/nvidia/version)"
echo "MODULUS-VM: uvm_disable_hmm $(cat /sys/module/nvidia_uvm/parameters/uvm_disable_hmm)"
m install --driver-version 999.1.2; echo "MODULUS-VM: install-2 exit=$?"
exec 3</dev/nvidiactl
m install --driver-version 999.2.0; echo "MODULUS-VM: upgrade-held exit=$?"
exec 3<&-
m install --driver-version 999.2.0; echo "MODULUS-VM: upgrade exit=$?"
echo "MODULUS-VM: version $(cat /sys/module/nvidia/version)"
/opt/modulus/modulus status --cache-dir /var/cache/modulus; echo "MODULUS-VM: status exit=$?"
# A version the store does not have: the running driver stays.
m install --driver-version 999.3.0; echo "MODULUS-VM: not-in-store exit=$?"
echo "MODULUS-VM: version-after-missing $(cat /sys/module/nvidia/version)"
/opt/modulus/modulus status --cache-dir /var/cache/modulus >/dev/null; echo "MODULUS-VM: status-after-missing exit=$?"
# Without --skip-gpu-check this VM is what it is, a node without an NVIDIA GPU: nothing is loaded.
/opt/modulus/modulus install --driver-version 999.1.2 --store file:///store --cache-dir /var/cache/modulus --module-type open; echo "MODULUS-VM: no-gpu exit=$?"
echo "MODULUS-VM: version-after-no-gpu $(cat /sys/module/nvidia/version)"
# The third module fails to load: the first two, and the in-tree drm it loaded for nvidia-drm, are unloaded again.
rmmod nvidia_uvm nvidia_drm nvidia_modeset nvidia drm; echo "MODULUS-VM: rmmod exit=$?"
m install --driver-version 999.1.2 --module-parameters nvidia_drm.fail_init=1; echo "MODULUS-VM: third-fails exit=$?"
echo "MODULUS-VM: modules-after-failure [$(cut -d' ' -f1 /proc/modules | tr '\n' ' ')]"
echo "MODULUS-VM: done"
poweroff -f
