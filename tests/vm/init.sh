#!/bin/sh
# The test guest's PID 1 (busybox sh; tests/vm/vm.py builds the initramfs).
# Mounts what ccgate and the tests need, loads the vsock modules, then runs
# each line of /ccgate/tests.list as a child, bounded by its timeout, and
# reports on the second serial port (/dev/ttyS1) -- the kernel's console is
# the first -- in lines vm.py reads:
#   VM-UP <uptime s>            init started
#   VM-FACT <key> <value>       what the guest kernel offers
#   VM-BEGIN <name> <uptime s>  a test starts; its output follows
#   VM-END <name> <status> <uptime s>
#   VM-DONE                     every test has run; the guest powers off
export PATH=/bin:/ccgate/bin
# The host's ASAN_OPTIONS/UBSAN_OPTIONS, when the binaries are sanitized.
. /ccgate/env

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
exec 3>/dev/ttyS1 </dev/null
mount -t tmpfs -o mode=1777 tmp /tmp
mount -t tmpfs -o mode=0755 run /run
mount -t securityfs securityfs /sys/kernel/security
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t bpf -o mode=0700 bpf /sys/fs/bpf
echo "VM-UP $(cut -d' ' -f1 /proc/uptime)" >&3

while read -r mod; do
        insmod "$mod" || echo "VM-FACT insmod-failed $mod" >&3
done </lib/modules/load.list

fact() { echo "VM-FACT $1 $2" >&3; }
fact kernel "$(uname -r)"
fact lsm "$(cat /sys/kernel/security/lsm)"
fact lockdown "$(cat /sys/kernel/security/lockdown 2>/dev/null || echo absent)"
fact btf "$(stat -c %s /sys/kernel/btf/vmlinux 2>/dev/null || echo absent)"
fact modules "$(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
fact cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
fact sanitizer-options "${ASAN_OPTIONS:-(no ASAN_OPTIONS)} ${UBSAN_OPTIONS:-}"

while read -r name timeout cmd; do
        case "$name" in ''|'#'*) continue ;; esac
        echo "VM-BEGIN $name $(cut -d' ' -f1 /proc/uptime)" >&3
        # shellcheck disable=SC2086 # the command line is split as written
        (cd /tmp && exec timeout -s KILL "$timeout" $cmd) >&3 2>&1
        echo "VM-END $name $? $(cut -d' ' -f1 /proc/uptime)" >&3
done </ccgate/tests.list

echo "VM-DONE" >&3
sync
poweroff -f
