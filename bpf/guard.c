/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guard: the agent_guard loader (connect_unix), pinning, status and removal, and
 * guard_install() which also drives the LSM hooks (guard_lsm.c).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "agent_guard/agent_guard.h"
#include "guard-internal.h"

#define AGENT_GUARD_PIN "agent_guard"
#define BPFFS_DEFAULT "/sys/fs/bpf"

_Static_assert(AGENT_GUARD_ATTACH_TYPE == 49, "BPF_CGROUP_UNIX_CONNECT");
_Static_assert(sizeof(((struct guard_status *)0)->agent_socket) >= AGENT_GUARD_SUN_PATH_MAX + 2,
               "status holds any sun_path plus '@' and NUL");

/* ---- libbpf output ----------------------------------------------------------- */

static char guard_last_warning[512];

static int guard_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
        size_t n;

        if (level == LIBBPF_DEBUG)
                return 0;
        (void)vsnprintf(guard_last_warning, sizeof(guard_last_warning), fmt, ap);
        n = strlen(guard_last_warning);
        while (n > 0 && guard_last_warning[n - 1] == '\n')
                guard_last_warning[--n] = '\0';
        return 0;
}

void guard_libbpf_quiet_begin(struct guard_libbpf_quiet *q)
{
        guard_last_warning[0] = '\0';
        q->saved = libbpf_set_print(guard_libbpf_print);
}

void guard_libbpf_quiet_end(struct guard_libbpf_quiet *q)
{
        libbpf_set_print(q->saved);
}

const char *guard_libbpf_last_warning(void)
{
        return guard_last_warning;
}

/* ---- pins -------------------------------------------------------------------- */

int guard_pin_path(const char *pin_dir, const char *name, char *buf, size_t len)
{
        int n = snprintf(buf, len, "%s/%s", pin_dir ? pin_dir : GUARD_PIN_DIR, name);

        if (n < 0 || (size_t)n >= len)
                return -ENAMETOOLONG;
        return 0;
}

static bool guard_is_bpffs(const char *path)
{
        struct statfs sfs;

        return statfs(path, &sfs) == 0 && (unsigned long)sfs.f_type == (unsigned long)BPF_FS_MAGIC;
}

int guard_pin_dir_prepare(const char *pin_dir)
{
        char parent[PATH_MAX];
        char *slash;

        if (!pin_dir)
                pin_dir = GUARD_PIN_DIR;
        if (pin_dir[0] != '/' || strlen(pin_dir) >= sizeof(parent))
                return -EINVAL;
        if (guard_is_bpffs(pin_dir))
                return 0;
        strcpy(parent, pin_dir);
        slash = strrchr(parent, '/');
        if (slash == parent)
                return -EINVAL; /* a pin directory is never "/" or "/x" */
        *slash = '\0';
        if (!guard_is_bpffs(parent)) {
                /* Only the conventional mount point is mounted on the caller's behalf. */
                if (strcmp(parent, BPFFS_DEFAULT) != 0)
                        return -ENOTDIR;
                if (mount("bpf", BPFFS_DEFAULT, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          "mode=0700") < 0)
                        return -errno;
        }
        if (mkdir(pin_dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        return guard_is_bpffs(pin_dir) ? 0 : -ENOTDIR;
}

int guard_link_prog_rodata(int link_fd, void *buf, size_t len, char ret_prog_name[16])
{
        struct bpf_link_info link = {};
        struct bpf_prog_info prog = {};
        uint32_t ids[16], n, info_len;
        _cleanup_close_ int prog_fd = -1;
        uint8_t value[1024];

        info_len = sizeof(link);
        if (bpf_obj_get_info_by_fd(link_fd, &link, &info_len) < 0)
                return -errno;
        prog_fd = bpf_prog_get_fd_by_id(link.prog_id);
        if (prog_fd < 0)
                return -errno;
        info_len = sizeof(prog);
        prog.nr_map_ids = ELEMENTSOF(ids);
        prog.map_ids = (uint64_t)(uintptr_t)ids;
        if (bpf_obj_get_info_by_fd(prog_fd, &prog, &info_len) < 0)
                return -errno;
        n = prog.nr_map_ids < ELEMENTSOF(ids) ? prog.nr_map_ids : ELEMENTSOF(ids);
        for (uint32_t i = 0; i < n; i++) {
                struct bpf_map_info map = {};
                _cleanup_close_ int map_fd = -1;
                uint32_t key = 0, map_len = sizeof(map);
                size_t nl;

                map_fd = bpf_map_get_fd_by_id(ids[i]);
                if (map_fd < 0)
                        continue;
                if (bpf_obj_get_info_by_fd(map_fd, &map, &map_len) < 0)
                        continue;
                nl = strnlen(map.name, sizeof(map.name));
                if (nl < 7 || strcmp(map.name + nl - 7, ".rodata") != 0)
                        continue;
                /* The section may be shorter than the skeleton's struct (tail padding);
                 * a longer one belongs to a program of another build. */
                if (map.value_size > len || map.value_size > sizeof(value))
                        return -EBADMSG;
                if (bpf_map_lookup_elem(map_fd, &key, value) < 0)
                        return -errno;
                memset(buf, 0, len);
                memcpy(buf, value, map.value_size);
                memcpy(ret_prog_name, prog.name, 16);
                ret_prog_name[15] = '\0';
                return 0;
        }
        return -ENOENT;
}

bool guard_kernel_has_enum_value(const char *name)
{
        _cleanup_btf_ struct btf *btf = btf__load_vmlinux_btf();
        uint32_t n;

        if (!btf)
                return false;
        n = btf__type_cnt(btf);
        for (uint32_t id = 1; id < n; id++) {
                const struct btf_type *t = btf__type_by_id(btf, id);
                const struct btf_enum *e;

                if (!btf_is_enum(t))
                        continue;
                e = btf_enum(t);
                for (uint16_t i = 0; i < btf_vlen(t); i++)
                        if (strcmp(btf__name_by_offset(btf, e[i].name_off), name) == 0)
                                return true;
        }
        return false;
}

/* ---- agent_guard ------------------------------------------------------------- */

static int agent_guard_rodata_build(const struct guard_config *cfg, uint64_t cgid,
                                    struct agent_guard__rodata *ro)
{
        const char *s = cfg->agent_socket;
        size_t n;

        memset(ro, 0, sizeof(*ro));
        if (!s || !*s)
                return -EINVAL;
        if (cfg->match < 0 || cfg->match >= _GUARD_MATCH_MAX)
                return -EINVAL;
        if (s[0] == '@') {
                /* Abstract: a NUL then the name; exact length, no aliases. */
                n = strlen(s + 1);
                if (n == 0 || n + 1 > AGENT_GUARD_SUN_PATH_MAX)
                        return -ENAMETOOLONG;
                memcpy((char *)ro->agent_path + 1, s + 1, n);
                ro->agent_path_len = (uint32_t)(n + 1);
                ro->agent_name_off = 0;
        } else {
                const char *last;

                /* Relative paths depend on the caller's cwd: refuse to guess. */
                if (s[0] != '/')
                        return -EINVAL;
                n = strlen(s);
                if (n >= AGENT_GUARD_SUN_PATH_MAX) /* the kernel needs room for NUL */
                        return -ENAMETOOLONG;
                last = strrchr(s, '/');
                if (last[1] == '\0')
                        return -EINVAL;
                memcpy((char *)ro->agent_path, s, n);
                ro->agent_path_len = (uint32_t)n;
                ro->agent_name_off = (uint32_t)(last + 1 - s);
        }
        ro->allowed_cgroup_id = cgid;
        ro->match_flags = cfg->match == GUARD_MATCH_NAME ? AGENT_GUARD_MATCH_ALL
                                                          : AGENT_GUARD_MATCH_PATH;
        return 0;
}

static void agent_guard_status_fill(const struct agent_guard__rodata *ro, uint64_t scope_id,
                                    struct guard_status *st)
{
        size_t n = ro->agent_path_len < AGENT_GUARD_SUN_PATH_MAX ? ro->agent_path_len
                                                                 : AGENT_GUARD_SUN_PATH_MAX;

        st->active |= GUARD_HOOK_BIT(GUARD_HOOK_CONNECT_UNIX);
        st->ccgate_cgroup_id = ro->allowed_cgroup_id;
        st->scope_cgroup_id = scope_id;
        st->match = (ro->match_flags & AGENT_GUARD_MATCH_NAME) ? GUARD_MATCH_NAME : GUARD_MATCH_PATH;
        if (n > 0 && ro->agent_path[0] == '\0') {
                st->agent_socket[0] = '@';
                memcpy(st->agent_socket + 1, (const char *)ro->agent_path + 1, n - 1);
                st->agent_socket[n] = '\0';
        } else {
                memcpy(st->agent_socket, (const char *)ro->agent_path, n);
                st->agent_socket[n] = '\0';
        }
}

/*
 * The pinned agent_guard link, if any: its attach target and configuration.
 * Returns the link fd (>= 0), or -errno (-ENOENT: nothing pinned).
 */
static int agent_guard_pinned(const char *pin, struct agent_guard__rodata *ro, uint64_t *ret_scope)
{
        struct bpf_link_info info = {};
        uint32_t len = sizeof(info);
        _cleanup_close_ int fd = -1;
        char name[16];
        int r;

        fd = bpf_obj_get(pin);
        if (fd < 0)
                return -errno;
        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                return -errno;
        if (info.type != BPF_LINK_TYPE_CGROUP ||
            info.cgroup.attach_type != (enum bpf_attach_type)AGENT_GUARD_ATTACH_TYPE)
                return -EBADMSG;
        /* Our kind of link, but a program whose configuration cannot be read (another
         * ccgate build): report an all-zero configuration, which never matches, so
         * that install replaces the program. */
        r = guard_link_prog_rodata(fd, ro, sizeof(*ro), name);
        if (r == -EBADMSG || r == -ENOENT || (r == 0 && strncmp(name, "agent_guard_con", 16) != 0))
                memset(ro, 0, sizeof(*ro));
        else if (r < 0)
                return r;
        *ret_scope = info.cgroup.cgroup_id; /* 0 once the cgroup is gone: detached */
        return TAKE_FD(fd);
}

static int guard_agent_install_cfg(const struct guard_config *cfg, const char *pin_dir,
                                   struct guard_status *st)
{
        _cleanup_(guard_libbpf_quiet_end) struct guard_libbpf_quiet quiet;
        _cleanup_agent_guard_ struct agent_guard *skel = NULL;
        _cleanup_close_ int scope_fd = -1, old_fd = -1, link_fd = -1;
        struct agent_guard__rodata want, have;
        char scope[PATH_MAX], pin[PATH_MAX], tmp[PATH_MAX];
        uint64_t cgid, scope_id, old_scope = 0;
        int r;

        guard_libbpf_quiet_begin(&quiet);
        if (!cfg || !cfg->ccgate_cgroup)
                return -EINVAL;
        r = guard_cgroup_id(cfg->ccgate_cgroup, &cgid);
        if (r < 0)
                return r;
        r = agent_guard_rodata_build(cfg, cgid, &want);
        if (r < 0)
                return r;
        if (cfg->scope_cgroup) {
                if (strlen(cfg->scope_cgroup) >= sizeof(scope))
                        return -ENAMETOOLONG;
                strcpy(scope, cfg->scope_cgroup);
        } else {
                r = guard_cgroup2_root(scope, sizeof(scope));
                if (r < 0)
                        return r;
        }
        r = guard_cgroup_id(scope, &scope_id);
        if (r < 0)
                return r;
        scope_fd = open(scope, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (scope_fd < 0)
                return -errno;

        r = guard_pin_dir_prepare(pin_dir);
        if (r < 0)
                return r;
        r = guard_pin_path(pin_dir, AGENT_GUARD_PIN, pin, sizeof(pin));
        if (r < 0)
                return r;

        old_fd = agent_guard_pinned(pin, &have, &old_scope);
        if (old_fd >= 0 && old_scope == scope_id && memcmp(&have, &want, sizeof(want)) == 0) {
                agent_guard_status_fill(&want, scope_id, st);
                return 1; /* reused as it was */
        }
        if (old_fd < 0 && old_fd != -ENOENT)
                return old_fd; /* something else is pinned there: do not clobber it */

        if (!guard_kernel_has_enum_value("BPF_CGROUP_UNIX_CONNECT"))
                return -EOPNOTSUPP; /* kernel < 6.7 */

        skel = agent_guard__open();
        if (!skel)
                return -errno;
        *skel->rodata = want;
        /* libbpf 1.1 knows neither the section name nor the attach type. */
        r = bpf_program__set_type(skel->progs.agent_guard_connect, BPF_PROG_TYPE_CGROUP_SOCK_ADDR);
        if (r < 0)
                return r;
        r = bpf_program__set_expected_attach_type(skel->progs.agent_guard_connect,
                                                  (enum bpf_attach_type)AGENT_GUARD_ATTACH_TYPE);
        if (r < 0)
                return r;
        r = agent_guard__load(skel);
        if (r < 0)
                return r;

        if (old_fd >= 0 && old_scope == scope_id) {
                /* Same hook, new configuration: swap the program atomically. */
                if (bpf_link_update(old_fd, bpf_program__fd(skel->progs.agent_guard_connect),
                                    NULL) < 0)
                        return -errno;
                agent_guard_status_fill(&want, scope_id, st);
                return 0;
        }

        link_fd = bpf_link_create(bpf_program__fd(skel->progs.agent_guard_connect), scope_fd,
                                  (enum bpf_attach_type)AGENT_GUARD_ATTACH_TYPE, NULL);
        if (link_fd < 0)
                return -errno;
        /* Pin under a temporary name and rename over the old pin: the new hook is
         * attached before the old one goes, so there is no gap. (bpffs refuses names
         * with a dot.) */
        r = guard_pin_path(pin_dir, AGENT_GUARD_PIN "_new", tmp, sizeof(tmp));
        if (r < 0)
                return r;
        (void)unlink(tmp);
        if (bpf_obj_pin(link_fd, tmp) < 0) {
                r = -errno;
                (void)bpf_link_detach(link_fd);
                return r;
        }
        if (rename(tmp, pin) < 0) {
                r = -errno;
                (void)unlink(tmp);
                (void)bpf_link_detach(link_fd);
                return r;
        }
        if (old_fd >= 0)
                (void)bpf_link_detach(old_fd); /* attached elsewhere, or defunct */
        agent_guard_status_fill(&want, scope_id, st);
        return 0;
}

static int agent_guard_status(const char *pin_dir, struct guard_status *st)
{
        struct agent_guard__rodata ro;
        char pin[PATH_MAX];
        uint64_t scope = 0;
        _cleanup_close_ int fd = -1;
        int r;

        r = guard_pin_path(pin_dir, AGENT_GUARD_PIN, pin, sizeof(pin));
        if (r < 0)
                return r;
        fd = agent_guard_pinned(pin, &ro, &scope);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return fd;
        /* scope 0: its cgroup is gone, the link is defunct; an all-zero
         * configuration: not a program of this build. */
        if (scope != 0 && ro.agent_path_len != 0)
                agent_guard_status_fill(&ro, scope, st);
        return 0;
}

static int agent_guard_remove(const char *pin_dir)
{
        char pin[PATH_MAX];
        _cleanup_close_ int fd = -1;
        struct bpf_link_info info = {};
        uint32_t len = sizeof(info);
        int r;

        r = guard_pin_path(pin_dir, AGENT_GUARD_PIN, pin, sizeof(pin));
        if (r < 0)
                return r;
        fd = bpf_obj_get(pin);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
                return -errno;
        if (info.type != BPF_LINK_TYPE_CGROUP)
                return -EBADMSG;
        /* A defunct link (cgroup gone) is already detached. */
        if (bpf_link_detach(fd) < 0 && info.cgroup.cgroup_id != 0)
                return -errno;
        if (unlink(pin) < 0 && errno != ENOENT)
                return -errno;
        return 1;
}

/* ---- public API -------------------------------------------------------------- */

int guard_agent_install(const char *agent_socket, const char *ccgate_cgroup, const char *pin_dir,
                        struct guard_status *ret)
{
        struct guard_config cfg = {
                .agent_socket = agent_socket,
                .ccgate_cgroup = ccgate_cgroup,
                .match = GUARD_MATCH_NAME,
                .hooks = GUARD_HOOK_BIT(GUARD_HOOK_CONNECT_UNIX),
        };

        return guard_install(&cfg, pin_dir, ret);
}

int guard_install(const struct guard_config *cfg, const char *pin_dir, struct guard_status *ret)
{
        struct guard_status st = {};
        bool reused = true;
        unsigned hooks;
        int r;

        if (!cfg || !ret)
                return -EINVAL;
        hooks = cfg->hooks ? cfg->hooks : GUARD_HOOKS_ALL;
        if (hooks & ~GUARD_HOOKS_ALL)
                return -EINVAL;
        if (hooks & GUARD_HOOK_BIT(GUARD_HOOK_CONNECT_UNIX)) {
                r = guard_agent_install_cfg(cfg, pin_dir, &st);
                if (r < 0)
                        return r;
                reused = reused && r == 1;
        }
        if (hooks & GUARD_HOOKS_LSM) {
                struct guard_config lsm = *cfg;

                lsm.hooks = hooks & GUARD_HOOKS_LSM;
                r = guard_lsm_install(&lsm, pin_dir, &st);
                if (r < 0 && r != -EOPNOTSUPP)
                        return r;
                if (r == -EOPNOTSUPP && st.lsm_error == 0)
                        st.lsm_error = r;
                reused = reused && r != 0;
        }
        *ret = st;
        return reused ? 1 : 0;
}

static int guard_status_why(const char *pin_dir, struct guard_status *ret, bool why)
{
        struct guard_status st = {};
        int r;

        if (!ret)
                return -EINVAL;
        r = agent_guard_status(pin_dir, &st);
        if (r < 0)
                return r;
        r = guard_lsm_status(pin_dir, &st, why);
        if (r < 0)
                return r;
        *ret = st;
        return 0;
}

int guard_status(const char *pin_dir, struct guard_status *ret)
{
        return guard_status_why(pin_dir, ret, true);
}

int guard_status_active(const char *pin_dir, struct guard_status *ret)
{
        return guard_status_why(pin_dir, ret, false);
}

int guard_remove(const char *pin_dir)
{
        int r, k;

        if (pin_dir && pin_dir[0] != '/')
                return -EINVAL;
        r = agent_guard_remove(pin_dir);
        k = guard_lsm_remove(pin_dir);
        if (r < 0)
                return r;
        if (k < 0)
                return k;
        /* Leave the directory if something else lives in it. */
        if (rmdir(pin_dir ? pin_dir : GUARD_PIN_DIR) < 0 && errno != ENOENT && errno != ENOTEMPTY)
                return -errno;
        return 0;
}
