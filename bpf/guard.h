/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guard: load, pin, inspect and remove ccgate's eBPF hooks (issue 6).
 *
 *   agent_guard  cgroup connect_unix (kernel >= 6.7): only ccgate's cgroup may
 *                connect to the agent's unix socket. What it matches: agent_guard.h.
 *   lsm_guard    BPF LSM (where the kernel has it active): exec into, ptrace of and
 *                /proc/<pid>/{mem,environ} of container processes only by the agent;
 *                AF_VSOCK sockets only by ccgate; unix connects to the agent socket's
 *                inode only by ccgate (closes agent_guard's path aliases).
 *
 * Everything is pinned under a bpffs directory (GUARD_PIN_DIR by default) as links,
 * so the hooks outlive the process that installed them: a ccgate restart leaves no
 * gap. Installing again with the same configuration reuses the pinned hooks; with a
 * different one, the program behind the pinned link is replaced atomically
 * (BPF_LINK_UPDATE). guard_remove() detaches and unpins.
 *
 * The daemon's whole use is one call at start:
 *
 *     struct guard_status st;
 *     r = guard_install(&(struct guard_config){ .agent_socket = ..., .ccgate_cgroup = ...,
 *                                               .hooks = GUARD_HOOKS_ALL }, NULL, &st);
 *
 * then st.active (bitmask of GUARD_HOOK_*) and guard_hook_name() for the log and the
 * audit genesis record, and st.lsm_reason when the LSM hooks are not there.
 *
 * All functions return >= 0 on success, -errno on failure, never log, and leave
 * their out-parameters untouched on failure. -EOPNOTSUPP: the hook type is not
 * available on this kernel (or ccgate was built without BPF).
 *
 * Caller identity is the cgroup v2 a task is in. A process that can write to
 * ccgate's cgroup.procs (root in ccgate's cgroup namespace) can join it; container
 * processes live in their own cgroup namespace and cannot name it.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#ifndef HAVE_BPF
#define HAVE_BPF 0
#endif

#define GUARD_PIN_DIR "/sys/fs/bpf/ccgate"

enum guard_hook {
        GUARD_HOOK_CONNECT_UNIX,    /* agent_guard: cgroup/connect_unix by path */
        GUARD_HOOK_LSM_UNIX_INODE,  /* lsm: unix_stream_connect/unix_may_send by inode */
        GUARD_HOOK_LSM_EXEC,        /* lsm: bprm_check_security */
        GUARD_HOOK_LSM_PTRACE,      /* lsm: ptrace_access_check (also covers /proc/<pid>/ns,root,cwd) */
        GUARD_HOOK_LSM_PROC_MEM,    /* lsm: file_open of /proc/<pid>/{mem,environ} */
        GUARD_HOOK_LSM_VSOCK,       /* lsm: socket_create AF_VSOCK */
        _GUARD_HOOK_MAX,
        _GUARD_HOOK_INVALID = -EINVAL,
};

#define GUARD_HOOK_BIT(h) (1u << (h))
#define GUARD_HOOKS_LSM                                                              \
        (GUARD_HOOK_BIT(GUARD_HOOK_LSM_UNIX_INODE) | GUARD_HOOK_BIT(GUARD_HOOK_LSM_EXEC) | \
         GUARD_HOOK_BIT(GUARD_HOOK_LSM_PTRACE) | GUARD_HOOK_BIT(GUARD_HOOK_LSM_PROC_MEM) | \
         GUARD_HOOK_BIT(GUARD_HOOK_LSM_VSOCK))
#define GUARD_HOOKS_ALL (GUARD_HOOK_BIT(GUARD_HOOK_CONNECT_UNIX) | GUARD_HOOKS_LSM)

/* How agent_guard recognises the agent socket; see agent_guard/agent_guard.h. */
enum guard_match {
        GUARD_MATCH_NAME,  /* last path component (default; catches directory aliases) */
        GUARD_MATCH_PATH,  /* the exact path only */
        _GUARD_MATCH_MAX,
        _GUARD_MATCH_INVALID = -EINVAL,
};

struct guard_config {
        /* The agent's socket: an absolute path, or "@name" for an abstract socket. */
        const char *agent_socket;
        /* ccgate's own cgroup v2 directory (see guard_cgroup_enter()). */
        const char *ccgate_cgroup;
        /* Where agent_guard is attached; NULL = the root of the cgroup v2 hierarchy
         * (every process). Tests use a subtree. */
        const char *scope_cgroup;
        enum guard_match match;
        /* LSM only: the agent's cgroup, and the cgroup under which all container
         * processes live. NULL = LSM hooks that need them are not installed. */
        const char *agent_cgroup;
        const char *containers_cgroup;
        /* GUARD_HOOK_BIT()s wanted; 0 = GUARD_HOOKS_ALL. */
        unsigned hooks;
};

struct guard_status {
        unsigned active;              /* GUARD_HOOK_BIT()s installed and attached */
        uint64_t ccgate_cgroup_id;    /* agent_guard's allowed cgroup (0 if none) */
        uint64_t scope_cgroup_id;     /* cgroup agent_guard is attached to */
        enum guard_match match;
        char agent_socket[110];       /* as configured ("@name" for abstract) */
        int lsm_error;                /* 0, or -errno why the LSM hooks are not active */
        char lsm_reason[256];         /* the kernel's reason, e.g. from /sys/kernel/security/lsm */
};

/* "connect_unix", "lsm_unix_inode", ...; NULL for an invalid value. */
const char *guard_hook_name(enum guard_hook h);
const char *guard_match_name(enum guard_match m);
enum guard_match guard_match_from_name(const char *s);

/*
 * Place the calling process in cgroup v2 "<cgroup_root>/<name>" (created if missing;
 * cgroup_root NULL = the cgroup2 mount point from /proc/self/mountinfo) and write
 * that directory to ret_path. When the process is in it already, nothing is
 * written (a read-only cgroup mount is fine then). Needs no BPF.
 */
int guard_cgroup_enter(const char *cgroup_root, const char *name, char *ret_path, size_t len);
/* The cgroup2 mount point, from /proc/self/mountinfo. */
int guard_cgroup2_root(char *ret_path, size_t len);
/* The id bpf_get_current_cgroup_id() reports for tasks in the cgroup at path. */
int guard_cgroup_id(const char *path, uint64_t *ret);

#if HAVE_BPF
/*
 * Install (or reuse) every hook in cfg->hooks under pin_dir (NULL = GUARD_PIN_DIR;
 * bpffs is mounted on /sys/fs/bpf if needed) and report what is active. The
 * connect_unix hook must succeed; LSM hooks that the kernel lacks are reported in
 * ret->lsm_error/lsm_reason and are not an error: the caller decides (policy
 * require_hooks) whether to serve without them. Returns 1 when every hook was
 * already pinned with this configuration and was left as it was, 0 when something
 * was loaded or replaced.
 */
int guard_install(const struct guard_config *cfg, const char *pin_dir, struct guard_status *ret);
/* Only the connect_unix hook: the agent's socket, ccgate's cgroup directory. */
int guard_agent_install(const char *agent_socket, const char *ccgate_cgroup,
                        const char *pin_dir, struct guard_status *ret);
/* Only the LSM hooks; -EOPNOTSUPP (and ret->lsm_reason) when BPF LSM is not active. */
int guard_lsm_install(const struct guard_config *cfg, const char *pin_dir,
                      struct guard_status *ret);
/* What is pinned under pin_dir and still attached (ret->active == 0: nothing);
 * when no LSM hook is active, ret->lsm_reason says why. */
int guard_status(const char *pin_dir, struct guard_status *ret);
/* guard_status() without the why: lsm_error and lsm_reason stay 0 and empty,
 * and the kernel's BTF is not read (that probe costs 6 MB of heap and, under
 * valgrind, seconds). For ccgate run, which reports only what is active. */
int guard_status_active(const char *pin_dir, struct guard_status *ret);
/* Detach and unpin everything under pin_dir; 0 if there was nothing. */
int guard_remove(const char *pin_dir);
/* 0 if BPF LSM programs can be loaded here, else -errno with the kernel's reason. */
int guard_lsm_probe(char *reason, size_t len);
#else
static inline int guard_install(const struct guard_config *cfg, const char *pin_dir,
                                struct guard_status *ret)
{
        (void)cfg, (void)pin_dir, (void)ret;
        return -EOPNOTSUPP;
}
static inline int guard_agent_install(const char *agent_socket, const char *ccgate_cgroup,
                                      const char *pin_dir, struct guard_status *ret)
{
        (void)agent_socket, (void)ccgate_cgroup, (void)pin_dir, (void)ret;
        return -EOPNOTSUPP;
}
static inline int guard_lsm_install(const struct guard_config *cfg, const char *pin_dir,
                                    struct guard_status *ret)
{
        (void)cfg, (void)pin_dir, (void)ret;
        return -EOPNOTSUPP;
}
static inline int guard_status(const char *pin_dir, struct guard_status *ret)
{
        (void)pin_dir, (void)ret;
        return -EOPNOTSUPP;
}
static inline int guard_status_active(const char *pin_dir, struct guard_status *ret)
{
        (void)pin_dir, (void)ret;
        return -EOPNOTSUPP;
}
static inline int guard_remove(const char *pin_dir)
{
        (void)pin_dir;
        return -EOPNOTSUPP;
}
static inline int guard_lsm_probe(char *reason, size_t len)
{
        (void)reason, (void)len;
        return -EOPNOTSUPP;
}
#endif
