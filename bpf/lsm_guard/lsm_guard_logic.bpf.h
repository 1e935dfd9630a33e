/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lsm_guard: the hook bodies, BPF side. Included by lsm_guard.bpf.c (the LSM
 * programs) and by tests/bpf/lsm_verify.bpf.c, which wraps the same bodies in
 * kprobe programs so the verifier checks them on kernels without BPF LSM.
 * Every kernel object is reached through bpf_rdonly_cast(), so a body works the
 * same whether its arguments come as trusted LSM arguments or as raw kprobe
 * registers. Semantics: lsm_guard.h.
 */
#pragma once

#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "lsm_guard/lsm_guard.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define RDONLY(ptr, type) ((type *)bpf_rdonly_cast((void *)(ptr), bpf_core_type_id_kernel(type)))

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* Kernels before 6.14 keep short dentry names in d_iname. */
struct dentry___old {
        unsigned char d_iname[32];
} __attribute__((preserve_access_index));

const volatile __u64 ccgate_cgroup_id = 0;
const volatile __u64 agent_cgroup_id = 0;
const volatile __u64 containers_cgroup_id = 0;
const volatile __u64 agent_sock_ino = 0;
const volatile __u32 agent_sock_dev = 0; /* kernel encoding: major << 20 | minor */
const volatile __u32 host_mntns = 0;     /* never recorded as a container's */

/* Mount namespaces in which container tasks have exec'd. */
struct {
        __uint(type, BPF_MAP_TYPE_LRU_HASH);
        __uint(max_entries, LSM_GUARD_MNTNS_MAX);
        __type(key, __u32);
        __type(value, __u8);
} container_mntns SEC(".maps");

static __always_inline struct cgroup *task_cgroup(struct task_struct *task)
{
        struct task_struct *t = RDONLY(task, struct task_struct);

        return RDONLY(t->cgroups->dfl_cgrp, struct cgroup);
}

static __always_inline __u64 cgroup_id(struct cgroup *cg)
{
        return cg ? cg->kn->id : 0;
}

static __always_inline bool cgroup_in_containers(struct cgroup *cg)
{
        if (containers_cgroup_id == 0)
                return false;
        for (int i = 0; i < LSM_GUARD_CGROUP_DEPTH; i++) {
                if (!cg)
                        return false;
                if (cg->kn->id == containers_cgroup_id)
                        return true;
                /* self is the first member: a css of a cgroup is the cgroup. */
                cg = RDONLY(cg->self.parent, struct cgroup);
        }
        /* Deeper than we look: treat as a container task (refuse the unexpected). */
        return true;
}

static __always_inline bool current_is(__u64 id)
{
        return id != 0 && bpf_get_current_cgroup_id() == id;
}

/* May the current task touch `target`? Only the agent, or the target's own
 * container, when target is a container task. */
static __always_inline int container_access(struct task_struct *target)
{
        struct cgroup *cg = task_cgroup(target);
        __u64 id = cgroup_id(cg);

        /* ccgate and the agent themselves: only from their own cgroup (stealing
         * ccgate's agent connection with pidfd_getfd, or injecting code into either,
         * would bypass every other hook). */
        if (id != 0 && (id == ccgate_cgroup_id || id == agent_cgroup_id))
                return bpf_get_current_cgroup_id() == id ? 0 : -LSM_GUARD_EPERM;
        if (!cgroup_in_containers(cg))
                return 0;
        if (current_is(agent_cgroup_id))
                return 0;
        if (bpf_get_current_cgroup_id() == id)
                return 0;
        return -LSM_GUARD_EPERM;
}

static __always_inline bool is_agent_socket(struct sock *sk)
{
        struct unix_sock *u = RDONLY(sk, struct unix_sock);
        struct inode *inode;

        if (!u)
                return false;
        inode = u->path.dentry->d_inode;
        if (!inode)
                return false; /* abstract or unbound: agent_guard's business */
        return inode->i_ino == agent_sock_ino && inode->i_sb->s_dev == agent_sock_dev;
}

static __always_inline int lsm_guard_unix_connect_body(struct sock *other)
{
        if (agent_sock_ino == 0 || current_is(ccgate_cgroup_id))
                return 0;
        return is_agent_socket(other) ? -LSM_GUARD_EPERM : 0;
}

static __always_inline int lsm_guard_unix_send_body(struct socket *other)
{
        struct socket *o = RDONLY(other, struct socket);

        if (agent_sock_ino == 0 || current_is(ccgate_cgroup_id))
                return 0;
        return o && is_agent_socket(o->sk) ? -LSM_GUARD_EPERM : 0;
}

static __always_inline int lsm_guard_exec_body(void)
{
        struct task_struct *cur = bpf_get_current_task_btf();
        struct task_struct *t = RDONLY(cur, struct task_struct);
        __u32 mntns = t->nsproxy->mnt_ns->ns.inum;
        __u8 one = 1;

        if (mntns == 0 || mntns == host_mntns)
                return 0;
        if (cgroup_in_containers(task_cgroup(cur))) {
                (void)bpf_map_update_elem(&container_mntns, &mntns, &one, BPF_ANY);
                return 0;
        }
        if (current_is(agent_cgroup_id))
                return 0;
        /* Outside the containers' cgroups yet inside a container's mount namespace:
         * someone entered it (setns) and wants to run something there. */
        return bpf_map_lookup_elem(&container_mntns, &mntns) ? -LSM_GUARD_EPERM : 0;
}

static __always_inline bool name_is(const unsigned char *s, const char *want, int n)
{
#pragma unroll
        for (int i = 0; i < 8; i++) {
                if (i > n)
                        break;
                if (s[i] != (unsigned char)want[i])
                        return false;
        }
        return true;
}

static __always_inline int lsm_guard_proc_open_body(struct file *file)
{
        struct file *f = RDONLY(file, struct file);
        struct inode *inode;
        struct dentry *d;
        struct proc_inode *pi;
        struct pid *pid;
        struct hlist_node *node;
        unsigned char name[8] = {};
        __u32 len;

        if (!f)
                return 0;
        inode = f->f_inode;
        if (!inode || inode->i_sb->s_magic != PROC_SUPER_MAGIC)
                return 0;
        d = f->f_path.dentry;
        if (!d)
                return 0;
        len = d->d_name.len;
        if (len != 3 && len != 7)
                return 0;
        /* "mem" and "environ" are short names: stored inline in the dentry. */
        if (bpf_core_field_exists(struct dentry, d_shortname)) {
#pragma unroll
                for (int i = 0; i < 8; i++)
                        name[i] = d->d_shortname.string[i];
        } else {
                struct dentry___old *o = (void *)d;
#pragma unroll
                for (int i = 0; i < 8; i++)
                        name[i] = o->d_iname[i];
        }
        if (!(len == 3 && name_is(name, "mem", 3)) && !(len == 7 && name_is(name, "environ", 7)))
                return 0;

        /* The task behind /proc/<pid>/...: PROC_I(inode)->pid, its first task. */
        pi = RDONLY((unsigned long)inode - bpf_core_field_offset(struct proc_inode, vfs_inode),
                    struct proc_inode);
        pid = pi->pid;
        if (!pid)
                return 0;
        node = RDONLY(pid, struct pid)->tasks[PIDTYPE_PID].first;
        if (!node)
                return 0;
        return container_access(
                RDONLY((unsigned long)node - bpf_core_field_offset(struct task_struct, pid_links),
                       struct task_struct));
}

static __always_inline int lsm_guard_vsock_body(int family, int kern)
{
        if (family != LSM_GUARD_AF_VSOCK || kern)
                return 0;
        return current_is(ccgate_cgroup_id) ? 0 : -LSM_GUARD_EPERM;
}
