/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * agent_guard: deny connect(2) to the kata agent's unix socket to every task
 * outside ccgate's cgroup. What is matched and what cannot be: agent_guard.h.
 *
 * Return 1 lets the connect proceed, 0 makes it fail with EPERM.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "agent_guard/agent_guard.h"

#define ALLOW 1
#define DENY 0

/* kfuncs (6.2+); vmlinux.h from older bpftool does not declare them. */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* Load-time configuration, frozen by libbpf (.rodata); the loader reads it back
 * from the pinned program to tell whether a pinned guard matches its config. */
const volatile __u64 allowed_cgroup_id = 0;
const volatile __u32 match_flags = 0;
const volatile __u32 agent_path_len = 0; /* bytes of sun_path that name it */
const volatile __u32 agent_name_off = 0; /* start of its last component */
const volatile char agent_path[AGENT_GUARD_BUF] = {};

/* Per-CPU copy of the caller's sun_path: keeps 128 bytes off the 512-byte stack. */
struct {
        __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, char[AGENT_GUARD_BUF]);
} scratch SEC(".maps");

static __always_inline bool path_equal(const char *p, __u32 len)
{
        if (len != agent_path_len)
                return false;
        for (__u32 i = 0; i < AGENT_GUARD_SUN_PATH_MAX; i++) {
                if (i >= len)
                        break;
                if (p[i] != agent_path[i])
                        return false;
        }
        return true;
}

/* Does the path end in "/<name>" (or is it "<name>", relative)? Compared from the
 * end so the verifier sees one loop of a load-time constant length. */
static __always_inline bool name_equal(const char *p, __u32 len)
{
        __u32 name_len = agent_path_len - agent_name_off, base;

        if (name_len == 0 || name_len > AGENT_GUARD_SUN_PATH_MAX || len < name_len)
                return false;
        base = len - name_len;
        if (base > 0 && p[(base - 1) & (AGENT_GUARD_BUF - 1)] != '/')
                return false;
        for (__u32 j = 0; j < AGENT_GUARD_SUN_PATH_MAX; j++) {
                if (j >= name_len)
                        break;
                if (p[(base + j) & (AGENT_GUARD_BUF - 1)] !=
                    agent_path[(agent_name_off + j) & (AGENT_GUARD_BUF - 1)])
                        return false;
        }
        return true;
}

SEC("cgroup/connect_unix")
int agent_guard_connect(struct bpf_sock_addr *ctx)
{
        struct bpf_sock_addr_kern *sa = bpf_cast_to_kern_ctx(ctx);
        struct sockaddr_un *un;
        __u32 key = 0, addrlen, len;
        char *p;

        /* An unconfigured guard refuses; the loader never loads one. */
        if (allowed_cgroup_id == 0 || agent_path_len == 0 ||
            agent_path_len > AGENT_GUARD_SUN_PATH_MAX)
                return DENY;
        if (bpf_get_current_cgroup_id() == allowed_cgroup_id)
                return ALLOW;

        addrlen = sa->uaddrlen;
        /* The kernel validated 2 < addrlen <= sizeof(sockaddr_un) already; anything
         * else here is unexpected and refused. */
        if (addrlen <= offsetof(struct sockaddr_un, sun_path) ||
            addrlen > sizeof(struct sockaddr_un))
                return DENY;
        len = addrlen - offsetof(struct sockaddr_un, sun_path);

        p = bpf_map_lookup_elem(&scratch, &key);
        if (!p)
                return DENY;

        /* PTR_TO_BTF_ID loads need constant offsets: copy with an unrolled loop. The
         * address lives in a sockaddr_storage, so all 108 bytes are readable; bytes
         * beyond len are ignored below. */
        un = bpf_rdonly_cast(sa->uaddr, bpf_core_type_id_kernel(struct sockaddr_un));
#pragma unroll
        for (int i = 0; i < AGENT_GUARD_SUN_PATH_MAX; i++)
                p[i] = un->sun_path[i];

        if (p[0] != '\0') {
                /* Pathname socket: the kernel uses the bytes before the first NUL. */
                for (__u32 i = 0; i < AGENT_GUARD_SUN_PATH_MAX; i++) {
                        if (i >= len)
                                break;
                        if (p[i] == '\0') {
                                len = i;
                                break;
                        }
                }
                if ((match_flags & AGENT_GUARD_MATCH_NAME) && agent_path[0] != '\0' &&
                    name_equal(p, len))
                        return DENY;
        }
        /* Abstract names (leading NUL) are compared with their exact length. */
        if ((match_flags & (AGENT_GUARD_MATCH_PATH | AGENT_GUARD_MATCH_NAME)) &&
            path_equal(p, len))
                return DENY;
        return ALLOW;
}

char _license[] SEC("license") = "GPL";
