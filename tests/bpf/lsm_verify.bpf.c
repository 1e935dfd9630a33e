/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lsm_guard hook bodies wrapped in kprobe programs. Never attached: the test
 * only loads them, so the verifier checks the very code the LSM programs run on
 * kernels where BPF LSM cannot be loaded (this CI machine).
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lsm_guard/lsm_guard_logic.bpf.h"

SEC("kprobe/security_unix_stream_connect")
int BPF_KPROBE(verify_unix_connect, struct sock *sock, struct sock *other)
{
        return lsm_guard_unix_connect_body(other);
}

SEC("kprobe/security_unix_may_send")
int BPF_KPROBE(verify_unix_send, struct socket *sock, struct socket *other)
{
        return lsm_guard_unix_send_body(other);
}

SEC("kprobe/security_bprm_check")
int BPF_KPROBE(verify_exec)
{
        return lsm_guard_exec_body();
}

SEC("kprobe/security_ptrace_access_check")
int BPF_KPROBE(verify_ptrace, struct task_struct *child)
{
        return container_access(child);
}

SEC("kprobe/security_file_open")
int BPF_KPROBE(verify_proc_open, struct file *file)
{
        return lsm_guard_proc_open_body(file);
}

SEC("kprobe/security_socket_create")
int BPF_KPROBE(verify_vsock, int family, int type, int protocol, int kern)
{
        return lsm_guard_vsock_body(family, kern);
}

char _license[] SEC("license") = "GPL";
