# Sourced by every /init in tests/vm (build-initramfs.sh puts it at /vm-setup.sh): busybox applets, the kernel's
# filesystems, Garden Linux's os-release, text logs, the "booted" marker.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# /etc/os-release as Garden Linux writes it (features/base/exec.config: rel-1877's keys, and from 2150 on, whose
# versions have three parts, also GARDENLINUX_FEATURES_*). There is no VERSION_ID. A stand-in for a node image:
# cname, features and commit are made up in Garden Linux's shape (GARDENLINUX_VERSION defaults to 1877.3).
gl_version=${GARDENLINUX_VERSION:-1877.3}
case $(uname -m) in aarch64) gl_arch=arm64 ;; *) gl_arch=amd64 ;; esac
gl_cname="aws-gardener_prod-$gl_arch-$gl_version-a1b2c3d4"
cat > /etc/os-release <<OS
ID=gardenlinux
ID_LIKE=debian
NAME="Garden Linux"
PRETTY_NAME="Garden Linux $gl_version"
IMAGE_VERSION=$gl_version
VARIANT_ID=${gl_cname%-*}
HOME_URL="https://gardenlinux.io"
SUPPORT_URL="https://github.com/gardenlinux/gardenlinux"
BUG_REPORT_URL="https://github.com/gardenlinux/gardenlinux/issues"
GARDENLINUX_CNAME=$gl_cname
GARDENLINUX_PLATFORM=aws
GARDENLINUX_FEATURES=log,sap,ssh,_boot,_nopkg,_prod,_slim,base,server,cloud,aws,gardener
OS
case $gl_version in *.*.*) cat >> /etc/os-release <<OS
GARDENLINUX_FEATURES_PLATFORMS=aws
GARDENLINUX_FEATURES_ELEMENTS=log,sap,ssh,base,server,cloud,gardener
GARDENLINUX_FEATURES_FLAGS=_boot,_nopkg,_prod,_slim
OS
esac
cat >> /etc/os-release <<OS
GARDENLINUX_VERSION=$gl_version
GARDENLINUX_COMMIT_ID=a1b2c3d4
GARDENLINUX_COMMIT_ID_LONG=a1b2c3d4e5f60718293a4b5c6d7e8f9012345678
OS
export MODULUS_LOG_FORMAT=text HOME=/tmp
echo "MODULUS-VM: booted $(uname -r)"
echo "MODULUS-VM: os-release $(grep -c . /etc/os-release) lines, $(grep -c '^VERSION_ID=' /etc/os-release) VERSION_ID, kernel decompresses [$(cat /sys/module/compression 2>/dev/null)]"
