/* SPDX-License-Identifier: Apache-2.0 */
/* Dropping capabilities and installing the serving loop's seccomp allowlist. */
#include "sandbox.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "cleanup.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifndef SANDBOX_SANITIZER
#define SANDBOX_SANITIZER 0
#endif

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* Bounding-set entries beyond the highest the kernel knows make PR_CAPBSET_DROP fail. */
#define SANDBOX_CAP_PROBE_MAX 64

int sandbox_drop_capabilities(void)
{
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
        bool have_setpcap;

        if (syscall(SYS_capget, &hdr, data) < 0)
                return -errno;
        have_setpcap = data[CAP_TO_INDEX(CAP_SETPCAP)].effective & CAP_TO_MASK(CAP_SETPCAP);

        if (have_setpcap)
                for (int cap = 0; cap < SANDBOX_CAP_PROBE_MAX; cap++)
                        if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0) {
                                if (errno == EINVAL)
                                        break; /* past the last capability */
                                return -errno;
                        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;

        hdr = (struct __user_cap_header_struct){ .version = _LINUX_CAPABILITY_VERSION_3 };
        for (size_t i = 0; i < ELEMENTSOF(data); i++)
                data[i] = (struct __user_cap_data_struct){ 0 };
        if (syscall(SYS_capset, &hdr, data) < 0)
                return -errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

bool sandbox_seccomp_supported(void)
{
        return !SANDBOX_SANITIZER;
}

/* What the serving loop, the audit log (with rotation) and libc/OpenSSL call. */
static const char *const sandbox_allowed[] = {
        /* the event loop and sockets */
        "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl", "accept4", "connect",
        "recvfrom", "sendto", "recvmsg", "sendmsg", "getsockopt", "shutdown", "close",
        "read", "write", "readv", "writev", "timerfd_settime", "timerfd_gettime",
        "epoll_create1", "timerfd_create", /* proxy_run sets its loop up after the filter */
        /* the audit log: append, sync, cut, rotate */
        "openat", "newfstatat", "fstat", "statx", "lseek", "pread64", "ftruncate", "fsync",
        "fdatasync", "flock", "renameat", "renameat2", "getdents64", "fcntl",
        /* runtime measurement: the agent's answer, the TPM's, an RTMR write */
        "poll", "ppoll", "pwrite64",
        /* memory, time, signals, exit */
        "brk", "mmap", "munmap", "mremap", "madvise", "mprotect", "clock_gettime",
        "clock_getres", "gettimeofday", "getrandom", "futex", "rt_sigreturn", "rt_sigprocmask",
        "getpid", "gettid", "exit", "exit_group", "restart_syscall",
};

int sandbox_seccomp(void)
{
        scmp_filter_ctx ctx;
        int r;

        if (SANDBOX_SANITIZER)
                return -EOPNOTSUPP;
        ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
        if (!ctx)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(sandbox_allowed); i++) {
                int nr = seccomp_syscall_resolve_name(sandbox_allowed[i]);

                if (nr == __NR_SCMP_ERROR)
                        continue; /* not a system call on this architecture */
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
                if (r < 0)
                        goto out;
        }
        /* New sockets only toward the agent: unix or vsock, nothing that routes. */
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                             SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
        if (r >= 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                                     SCMP_A0(SCMP_CMP_EQ, AF_VSOCK));
        if (r >= 0)
                r = seccomp_load(ctx);
out:
        seccomp_release(ctx);
        return r < 0 ? r : 0;
}
