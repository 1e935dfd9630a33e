/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the daemon gives up once it is set up: every capability (and the right
 * to regain any, no_new_privs), and every system call the serving loop does
 * not make (a seccomp filter, libseccomp; anything else kills the process).
 * Called after the listener, the audit log, the TEE report, the hooks and the
 * cgroup are dealt with, right before serving.
 */
#pragma once

#include <stdbool.h>

/*
 * Drop all capabilities (effective, permitted, inheritable, ambient and, with
 * CAP_SETPCAP, the bounding set) and set no_new_privs. Returns 0 or -errno.
 */
int sandbox_drop_capabilities(void);

/*
 * Install the serving loop's seccomp allowlist. Sockets may only be AF_UNIX or
 * AF_VSOCK. Returns 0, -EOPNOTSUPP in sanitizer builds (their runtimes make
 * calls the filter would kill; the caller says so), or -errno.
 */
int sandbox_seccomp(void);

/* Whether this build can install the filter (not a sanitizer build). */
bool sandbox_seccomp_supported(void);
