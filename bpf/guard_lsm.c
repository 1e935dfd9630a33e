/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guard: the lsm_guard loader -- probe whether BPF LSM is active, install (or
 * reuse) the pinned LSM links, report and remove them.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "guard-internal.h"
#include "lsm_guard/lsm_guard.h"

#define LSM_MNTNS_PIN "lsm_container_mntns"

/* One pinned link per program; a hook bit is active when all its links are. */
struct lsm_prog_desc {
        const char *pin;
        enum guard_hook hook;
        size_t prog_off; /* offset of the bpf_program * in the skeleton's progs */
};

#define LSM_PROG(name, h) { "lsm_" #name, h, offsetof(struct lsm_guard, progs.lsm_guard_##name) }
static const struct lsm_prog_desc lsm_progs[] = {
        LSM_PROG(unix_connect, GUARD_HOOK_LSM_UNIX_INODE),
        LSM_PROG(unix_send, GUARD_HOOK_LSM_UNIX_INODE),
        LSM_PROG(exec, GUARD_HOOK_LSM_EXEC),
        LSM_PROG(ptrace, GUARD_HOOK_LSM_PTRACE),
        LSM_PROG(proc_open, GUARD_HOOK_LSM_PROC_MEM),
        LSM_PROG(vsock, GUARD_HOOK_LSM_VSOCK),
};

static struct bpf_program *lsm_prog_of(struct lsm_guard *skel, const struct lsm_prog_desc *d)
{
        return *(struct bpf_program **)((char *)skel + d->prog_off);
}

/* Read a small securityfs file, newline stripped; "" if absent. */
static void lsm_read_line(const char *path, char *buf, size_t len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        buf[0] = '\0';
        if (fd < 0)
                return;
        n = read(fd, buf, len - 1);
        if (n <= 0) {
                buf[0] = '\0';
                return;
        }
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
}

static bool lsm_list_has_bpf(const char *list)
{
        for (const char *p = list; *p;) {
                size_t n = strcspn(p, ",");

                if (n == 3 && strncmp(p, "bpf", 3) == 0)
                        return true;
                p += n;
                if (*p == ',')
                        p++;
        }
        return false;
}

int guard_lsm_probe(char *reason, size_t len)
{
        _cleanup_(guard_libbpf_quiet_end) struct guard_libbpf_quiet quiet;
        char lsm[256], lockdown[128], log[512] = "", why[256];
        _cleanup_btf_ struct btf *btf = NULL;
        const struct bpf_insn insns[] = {
                { .code = 0xb7 /* BPF_ALU64|BPF_MOV|BPF_K */, .dst_reg = 0, .imm = 0 },
                { .code = 0x95 /* BPF_JMP|BPF_EXIT */ },
        };
        _cleanup_close_ int fd = -1;
        int id, r;

        guard_libbpf_quiet_begin(&quiet);
        if (!reason || len == 0)
                return -EINVAL;
        lsm_read_line("/sys/kernel/security/lsm", lsm, sizeof(lsm));
        lsm_read_line("/sys/kernel/security/lockdown", lockdown, sizeof(lockdown));
        if (lsm[0] && !lsm_list_has_bpf(lsm)) {
                snprintf(reason, len, "\"bpf\" is not in /sys/kernel/security/lsm (%s)", lsm);
                return -EOPNOTSUPP;
        }

        btf = btf__load_vmlinux_btf();
        if (!btf) {
                r = -errno;
                snprintf(reason, len, "no kernel BTF: %s", strerror(-r));
                return -EOPNOTSUPP;
        }
        id = btf__find_by_name_kind(btf, "bpf_lsm_socket_create", BTF_KIND_FUNC);
        if (id < 0) {
                snprintf(reason, len, "kernel BTF has no bpf_lsm_socket_create (CONFIG_BPF_LSM off)");
                return -EOPNOTSUPP;
        }

        /* The kernel's own answer: load the smallest LSM program there is. */
        LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_LSM_MAC,
                    .attach_btf_id = (uint32_t)id, .log_buf = log, .log_size = sizeof(log),
                    .log_level = 1);
        fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "ccgate_probe", "GPL", insns, ELEMENTSOF(insns),
                           &opts);
        if (fd >= 0)
                return 0;
        r = -errno;
        log[strcspn(log, "\n")] = '\0';
        snprintf(why, sizeof(why), "%s%s%s", log[0] ? "; verifier: " : "", log,
                 lsm[0] ? "" : "; securityfs not mounted, LSM list unknown");
        snprintf(reason, len, "loading a BPF_PROG_TYPE_LSM program fails with %s (errno %d)%s%s%s%s%s",
                 strerror(-r), -r, lsm[0] ? "; lsm=" : "", lsm, lockdown[0] ? "; lockdown=" : "",
                 lockdown, why);
        return r == -EPERM ? -EPERM : -EOPNOTSUPP;
}

/* Whether the link pinned at `pin` is an attached LSM link. */
static bool lsm_pin_active(const char *pin)
{
        struct bpf_link_info info = {};
        uint32_t len = sizeof(info);
        _cleanup_close_ int fd = bpf_obj_get(pin);

        if (fd < 0)
                return false;
        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                return false;
        return info.type == BPF_LINK_TYPE_TRACING &&
               info.tracing.attach_type == BPF_LSM_MAC;
}

static int lsm_rodata_build(const struct guard_config *cfg, struct lsm_guard__rodata *ro,
                            unsigned *hooks)
{
        struct stat st;
        uint64_t id;
        int r;

        memset(ro, 0, sizeof(*ro));
        if (!cfg->ccgate_cgroup)
                return -EINVAL;
        r = guard_cgroup_id(cfg->ccgate_cgroup, &id);
        if (r < 0)
                return r;
        ro->ccgate_cgroup_id = id;
        if (cfg->agent_cgroup) {
                r = guard_cgroup_id(cfg->agent_cgroup, &id);
                if (r < 0)
                        return r;
                ro->agent_cgroup_id = id;
        }
        if (cfg->containers_cgroup) {
                r = guard_cgroup_id(cfg->containers_cgroup, &id);
                if (r < 0)
                        return r;
                ro->containers_cgroup_id = id;
        }
        if (stat("/proc/self/ns/mnt", &st) == 0)
                ro->host_mntns = (uint32_t)st.st_ino;

        /* The inode check needs a pathname socket that exists now. */
        if (cfg->agent_socket && cfg->agent_socket[0] == '/' && stat(cfg->agent_socket, &st) == 0 &&
            S_ISSOCK(st.st_mode)) {
                ro->agent_sock_ino = st.st_ino;
                ro->agent_sock_dev = (uint32_t)((major(st.st_dev) << 20) | minor(st.st_dev));
        } else {
                *hooks &= ~GUARD_HOOK_BIT(GUARD_HOOK_LSM_UNIX_INODE);
        }
        /* Without the containers' cgroup there is nothing to protect. */
        if (!ro->containers_cgroup_id)
                *hooks &= ~(GUARD_HOOK_BIT(GUARD_HOOK_LSM_EXEC) | GUARD_HOOK_BIT(GUARD_HOOK_LSM_PTRACE) |
                            GUARD_HOOK_BIT(GUARD_HOOK_LSM_PROC_MEM));
        return 0;
}

/* The configuration behind the first active pinned LSM link, if any. */
static int lsm_pinned_rodata(const char *pin_dir, struct lsm_guard__rodata *ro)
{
        char pin[PATH_MAX], name[16];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(lsm_progs); i++) {
                _cleanup_close_ int fd = -1;

                r = guard_pin_path(pin_dir, lsm_progs[i].pin, pin, sizeof(pin));
                if (r < 0)
                        return r;
                if (!lsm_pin_active(pin))
                        continue;
                fd = bpf_obj_get(pin);
                if (fd < 0)
                        continue;
                return guard_link_prog_rodata(fd, ro, sizeof(*ro), name);
        }
        return -ENOENT;
}

int guard_lsm_status(const char *pin_dir, struct guard_status *st, bool why)
{
        unsigned seen = 0, missing = 0;
        char pin[PATH_MAX];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(lsm_progs); i++) {
                r = guard_pin_path(pin_dir, lsm_progs[i].pin, pin, sizeof(pin));
                if (r < 0)
                        return r;
                if (lsm_pin_active(pin))
                        seen |= GUARD_HOOK_BIT(lsm_progs[i].hook);
                else
                        missing |= GUARD_HOOK_BIT(lsm_progs[i].hook);
        }
        st->active |= seen & ~missing;
        if (why && !(st->active & GUARD_HOOKS_LSM))
                st->lsm_error = guard_lsm_probe(st->lsm_reason, sizeof(st->lsm_reason));
        return 0;
}

int guard_lsm_install(const struct guard_config *cfg, const char *pin_dir, struct guard_status *ret)
{
        _cleanup_(guard_libbpf_quiet_end) struct guard_libbpf_quiet quiet;
        _cleanup_lsm_guard_ struct lsm_guard *skel = NULL;
        struct lsm_guard__rodata want, have;
        char pin[PATH_MAX], tmp[PATH_MAX], reason[sizeof(ret->lsm_reason)];
        unsigned hooks, installed = 0;
        bool reuse;
        int r;

        guard_libbpf_quiet_begin(&quiet);
        if (!cfg || !ret)
                return -EINVAL;
        hooks = (cfg->hooks ? cfg->hooks : GUARD_HOOKS_ALL) & GUARD_HOOKS_LSM;
        r = guard_lsm_probe(reason, sizeof(reason));
        if (r < 0) {
                ret->lsm_error = r;
                snprintf(ret->lsm_reason, sizeof(ret->lsm_reason), "%s", reason);
                return -EOPNOTSUPP;
        }
        r = lsm_rodata_build(cfg, &want, &hooks);
        if (r < 0)
                return r;
        r = guard_pin_dir_prepare(pin_dir);
        if (r < 0)
                return r;

        /* Reuse when exactly the wanted links are pinned, with this very
         * configuration; a hook no longer wanted must go (below). */
        reuse = lsm_pinned_rodata(pin_dir, &have) == 0 && memcmp(&have, &want, sizeof(want)) == 0;
        for (size_t i = 0; reuse && i < ELEMENTSOF(lsm_progs); i++) {
                r = guard_pin_path(pin_dir, lsm_progs[i].pin, pin, sizeof(pin));
                if (r < 0)
                        return r;
                reuse = lsm_pin_active(pin) == !!(hooks & GUARD_HOOK_BIT(lsm_progs[i].hook));
        }
        if (reuse) {
                ret->active |= hooks;
                return 1;
        }

        skel = lsm_guard__open();
        if (!skel)
                return -errno;
        *skel->rodata = want;
        for (size_t i = 0; i < ELEMENTSOF(lsm_progs); i++)
                if (!(hooks & GUARD_HOOK_BIT(lsm_progs[i].hook)))
                        (void)bpf_program__set_autoload(lsm_prog_of(skel, &lsm_progs[i]), false);
        /* The recorded container mount namespaces survive a reload. */
        r = guard_pin_path(pin_dir, LSM_MNTNS_PIN, pin, sizeof(pin));
        if (r < 0)
                return r;
        r = bpf_map__set_pin_path(skel->maps.container_mntns, pin);
        if (r < 0)
                return r;
        r = lsm_guard__load(skel);
        if (r < 0) {
                ret->lsm_error = r;
                snprintf(ret->lsm_reason, sizeof(ret->lsm_reason), "%s",
                         guard_libbpf_last_warning());
                return r;
        }

        for (size_t i = 0; i < ELEMENTSOF(lsm_progs); i++) {
                struct bpf_link *link;
                _cleanup_close_ int old = -1;

                if (!(hooks & GUARD_HOOK_BIT(lsm_progs[i].hook)))
                        continue;
                r = guard_pin_path(pin_dir, lsm_progs[i].pin, pin, sizeof(pin));
                if (r < 0)
                        return r;
                r = guard_pin_path(pin_dir, "lsm_new", tmp, sizeof(tmp));
                if (r < 0)
                        return r;
                link = bpf_program__attach_lsm(lsm_prog_of(skel, &lsm_progs[i]));
                if (!link)
                        return -errno;
                (void)unlink(tmp);
                r = bpf_link__pin(link, tmp);
                if (r < 0) {
                        (void)bpf_link__destroy(link);
                        return r;
                }
                /* New link attached and pinned before the old one goes: no gap. */
                old = bpf_obj_get(pin);
                if (rename(tmp, pin) < 0) {
                        r = -errno;
                        (void)bpf_link__unpin(link);
                        (void)bpf_link__destroy(link);
                        return r;
                }
                if (old >= 0)
                        (void)bpf_link_detach(old);
                /* Closes our descriptor and nothing more: the pin holds the link now.
                 * (bpf_link__disconnect() here would leak the descriptor, and the
                 * link would outlive guard_remove() for as long as we run.) */
                (void)bpf_link__destroy(link);
                installed |= GUARD_HOOK_BIT(lsm_progs[i].hook);
        }
        /* Hooks no longer wanted (or no longer configurable) must not stay attached
         * with an old configuration. */
        for (size_t i = 0; i < ELEMENTSOF(lsm_progs); i++) {
                _cleanup_close_ int fd = -1;

                if (installed & GUARD_HOOK_BIT(lsm_progs[i].hook))
                        continue;
                r = guard_pin_path(pin_dir, lsm_progs[i].pin, pin, sizeof(pin));
                if (r < 0)
                        return r;
                fd = bpf_obj_get(pin);
                if (fd < 0)
                        continue;
                (void)bpf_link_detach(fd);
                (void)unlink(pin);
        }
        ret->active |= installed;
        return 0;
}

int guard_lsm_remove(const char *pin_dir)
{
        char pin[PATH_MAX];
        int r, removed = 0;

        for (size_t i = 0; i < ELEMENTSOF(lsm_progs); i++) {
                _cleanup_close_ int fd = -1;

                r = guard_pin_path(pin_dir, lsm_progs[i].pin, pin, sizeof(pin));
                if (r < 0)
                        return r;
                fd = bpf_obj_get(pin);
                if (fd < 0) {
                        if (errno == ENOENT)
                                continue;
                        return -errno;
                }
                /* Tracing links may not support BPF_LINK_DETACH; dropping the last
                 * reference (the pin, then this fd) detaches them. */
                (void)bpf_link_detach(fd);
                if (unlink(pin) < 0 && errno != ENOENT)
                        return -errno;
                removed = 1;
        }
        r = guard_pin_path(pin_dir, LSM_MNTNS_PIN, pin, sizeof(pin));
        if (r < 0)
                return r;
        if (unlink(pin) < 0 && errno != ENOENT)
                return -errno;
        return removed;
}
