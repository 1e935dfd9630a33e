/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lsm_guard: BPF LSM programs, for kernels where BPF LSM is active ("bpf" in
 * /sys/kernel/security/lsm and BPF_PROG_TYPE_LSM loadable). Shared by the BPF
 * program and its loader (bpf/guard_lsm.c).
 *
 * Identities (load-time configuration, frozen .rodata):
 *   ccgate      tasks whose cgroup v2 id is ccgate_cgroup_id
 *   agent       tasks whose cgroup v2 id is agent_cgroup_id
 *   container   tasks in containers_cgroup_id or any cgroup below it (the kata agent
 *               puts every container there); "same container" = same leaf cgroup
 *
 * Hooks (each returns an earlier non-zero verdict unchanged):
 *   unix_stream_connect, unix_may_send
 *        connects/sends to the socket whose bound inode is (agent_sock_dev,
 *        agent_sock_ino) only from ccgate. This is agent_guard by inode: symlinks,
 *        hard links and bind mounts of the socket name the same inode.
 *   bprm_check_security
 *        a container task's exec records its mount namespace; an exec by a task
 *        outside the containers' cgroups (and not the agent) inside one of those
 *        mount namespaces is refused. Entering one by /proc/<pid>/ns or by pidfd
 *        asks ptrace_may_access() first, which ptrace_access_check refuses; this
 *        hook is for namespace descriptors had without that check (a bind-mounted
 *        ns file, a descriptor inherited or passed). Tested hook by hook inside a
 *        guest (tests/bpf/test_lsm_guard.c, run by tests/vm).
 *   ptrace_access_check
 *        a container task may be accessed only by the agent or by a task of the
 *        same container; ccgate and the agent only from their own cgroup (else
 *        pidfd_getfd() on ccgate steals its agent connection). ptrace_may_access()
 *        is the kernel's single check for ptrace attach,
 *        /proc/<pid>/{mem,environ,ns/<x>,root,cwd,fd,maps}, process_vm_readv/writev
 *        and pidfd_getfd, so all of those are covered. Side effect: tools outside
 *        those cgroups see less of them in /proc (e.g. ps cannot read wchan).
 *   file_open
 *        /proc/<pid>/mem and /proc/<pid>/environ (also .../task/<tid>/...) of a
 *        container task, the same rule; belt and braces for the above.
 *   socket_create
 *        AF_VSOCK sockets by user space only from ccgate.
 *
 * Not covered (documented, left to the deployment): a task that is root in the
 * guest's initial cgroup namespace can write itself into a container's
 * cgroup.procs and then count as a container task; container tasks themselves
 * are confined by their own cgroup namespace and cannot.
 */
#pragma once

#define LSM_GUARD_AF_VSOCK 40
#define LSM_GUARD_EPERM 1
/* Deepest cgroup nesting walked when asking "is this cgroup below containers?" */
#define LSM_GUARD_CGROUP_DEPTH 32
/* Distinct container mount namespaces remembered (LRU). */
#define LSM_GUARD_MNTNS_MAX 4096
