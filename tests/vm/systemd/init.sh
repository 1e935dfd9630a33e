#!/bin/sh
# PID 1 of the systemd guest, for a moment (tests/vm/systemd_image.py): load the
# vsock modules, copy the initramfs into a tmpfs (systemd wants a real root
# file system under it for its namespaces) and switch_root to systemd, which
# takes its unit (systemd.unit=vm-test.target) from the kernel command line.
export PATH=/bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
echo "VM-UP $(cut -d' ' -f1 /proc/uptime)" >/dev/ttyS1
while read -r mod; do
        insmod "$mod" || echo "VM-FACT insmod-failed $mod" >/dev/ttyS1
done </lib/modules/load.list
mkdir -p /newroot
mount -t tmpfs -o mode=0755 root /newroot
for d in /*; do
        case "$d" in /proc|/sys|/dev|/newroot|/init) ;; *) cp -a "$d" /newroot/ ;; esac
done
mkdir -p /newroot/proc /newroot/sys /newroot/dev /newroot/run /newroot/tmp
echo "VM-FACT systemd $(/newroot/usr/bin/systemctl --version | head -1)" >/dev/ttyS1
umount /proc
umount /dev
exec switch_root /newroot /lib/systemd/systemd
