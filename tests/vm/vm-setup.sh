# Sourced by every /init in tests/vm (build-initramfs.sh puts it at /vm-setup.sh): busybox applets, the kernel's
# filesystems, a Garden Linux os-release (GARDENLINUX_VERSION, default 1877.3), text logs, the "booted" marker.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
echo "GARDENLINUX_VERSION=${GARDENLINUX_VERSION:-1877.3}" > /etc/os-release
export MODULUS_LOG_FORMAT=text HOME=/tmp
echo "MODULUS-VM: booted $(uname -r)"
