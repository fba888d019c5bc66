#!/bin/busybox sh
# /init of the Secure Boot VM test (InstallVmIntegrationTests): the kernel boots with module.sig_enforce=1 and
# trusts only Debian's keys. Installs an unsigned stand-in, then one signed with a test key the kernel does not
# trust, and shows that neither loads and what modulus says.
. /vm-setup.sh
echo "MODULUS-VM: sig_enforce $(cat /sys/module/module/parameters/sig_enforce)"
m() { /opt/modulus/modulus install "$@" --store file:///store --cache-dir /var/cache/modulus --module-type open --skip-gpu-check; }
m --driver-version 999.1.2; echo "MODULUS-VM: unsigned exit=$?"
m --driver-version 999.2.0; echo "MODULUS-VM: untrusted exit=$?"
echo "MODULUS-VM: modules [$(cut -d' ' -f1 /proc/modules | tr '\n' ' ')]"
echo "MODULUS-VM: done"
poweroff -f
