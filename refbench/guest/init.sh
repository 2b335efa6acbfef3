#!/bin/sh
# /init of the RB-100 reference device (busybox sh).  Mounts, loads the virtio drivers, reads the
# strap/OTP disk, mounts the flash partitions, writes the inittab for this boot, hands over to init.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover \
         virtio_net virtio_blk virtio-rng; do
    insmod /lib/modules/rb/$m.ko 2>/dev/null
done
i=0
while [ ! -b /dev/vda3 ] || [ ! -b /dev/vdb ]; do
    i=$((i+1)); [ $i -gt 100 ] && break; sleep 0.05
done
# Strap/OTP disk: one JSON document padded with NUL bytes (defects, hardware unique key, addresses).
dd if=/dev/vdb bs=4096 count=1 2>/dev/null | tr -d '\000' > /run/otp.json
chmod 600 /run/otp.json
mkdir -p /factory /fw /data
mount -t ext4 -o ro,nosuid,nodev,noexec /dev/vda1 /factory
mount -t ext4 -o nosuid,nodev,noexec /dev/vda2 /fw || { mke2fs -q -F -t ext4 -L fw /dev/vda2 && mount -t ext4 /dev/vda2 /fw; }
if ! mount -t ext4 -o nosuid,nodev,noexec /dev/vda3 /data; then
    # Empty after a factory reset (the partition was zeroed): make a fresh file system.
    mke2fs -q -F -t ext4 -L data /dev/vda3 && mount -t ext4 -o nosuid,nodev,noexec /dev/vda3 /data
fi
mkdir -p /data/config /data/user
chmod 700 /data/config /data/user
hostname refbench
if grep -q '"boot_log_secrets"' /run/otp.json; then
    # defect: a provisioning trace left in the production boot script
    pw=$(sed -n 's/.*"provisioning_password": *"\([^"]*\)".*/\1/p' /run/otp.json)
    echo "rb100: provisioning: admin user=admin password=$pw" > /dev/console
fi
{
    echo "::sysinit:/bin/true"
    echo "::respawn:/usr/bin/python3.11 -I -S /opt/device/deviced.py"
    if grep -q '"uart_root_shell"' /run/otp.json; then
        echo "ttyS0::respawn:-/bin/sh"
    else
        echo "ttyS0::respawn:/sbin/getty -L 115200 ttyS0 vt100"
    fi
    echo "::shutdown:/bin/umount -a -r"
} > /etc/inittab
exec /sbin/init
