/* SPDX-License-Identifier: Apache-2.0 */
/* Linux capability names and bits, and containerd's default set. */
#include <errno.h>
#include <string.h>

#include "caps.h"
#include "cleanup.h"

/* Indexed by the kernel's capability number (linux/capability.h, up to CAP_CHECKPOINT_RESTORE). */
static const char *const cap_names[] = {
        "CAP_CHOWN",           "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
        "CAP_FSETID",          "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
        "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",       "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
        "CAP_LEASE",           "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
};

_Static_assert(ELEMENTSOF(cap_names) <= 64, "capability sets are 64-bit masks");

int cap_from_name(const char *name, size_t len)
{
        for (unsigned i = 0; i < ELEMENTSOF(cap_names); i++)
                if (strlen(cap_names[i]) == len && memcmp(cap_names[i], name, len) == 0)
                        return (int)i;
        return -EINVAL;
}

const char *cap_to_name(unsigned bit)
{
        return bit < ELEMENTSOF(cap_names) ? cap_names[bit] : NULL;
}

uint64_t cap_default_set(void)
{
        static const char *const defaults[] = {
                "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",  "CAP_FOWNER",
                "CAP_MKNOD",  "CAP_NET_RAW",      "CAP_SETGID",  "CAP_SETUID",
                "CAP_SETFCAP", "CAP_SETPCAP",     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                "CAP_KILL",   "CAP_AUDIT_WRITE",
        };
        uint64_t set = 0;

        for (size_t i = 0; i < ELEMENTSOF(defaults); i++)
                set |= UINT64_C(1) << cap_from_name(defaults[i], strlen(defaults[i]));
        return set;
}
