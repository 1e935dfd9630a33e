/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lsm_guard: BPF LSM hooks that keep everything but the agent away from container
 * processes (and from ccgate and the agent themselves), everything but ccgate
 * away from the agent socket's inode and from AF_VSOCK. Semantics and limits:
 * lsm_guard.h; the bodies: lsm_guard_logic.bpf.h. Each hook passes an earlier
 * non-zero verdict on unchanged.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lsm_guard/lsm_guard_logic.bpf.h"

SEC("lsm/unix_stream_connect")
int BPF_PROG(lsm_guard_unix_connect, struct sock *sock, struct sock *other, struct sock *newsk,
             int ret)
{
        return ret ? ret : lsm_guard_unix_connect_body(other);
}

SEC("lsm/unix_may_send")
int BPF_PROG(lsm_guard_unix_send, struct socket *sock, struct socket *other, int ret)
{
        return ret ? ret : lsm_guard_unix_send_body(other);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(lsm_guard_exec, struct linux_binprm *bprm, int ret)
{
        return ret ? ret : lsm_guard_exec_body();
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(lsm_guard_ptrace, struct task_struct *child, unsigned int mode, int ret)
{
        return ret ? ret : container_access(child);
}

SEC("lsm/file_open")
int BPF_PROG(lsm_guard_proc_open, struct file *file, int ret)
{
        return ret ? ret : lsm_guard_proc_open_body(file);
}

SEC("lsm/socket_create")
int BPF_PROG(lsm_guard_vsock, int family, int type, int protocol, int kern, int ret)
{
        return ret ? ret : lsm_guard_vsock_body(family, kern);
}

char _license[] SEC("license") = "GPL";
