/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guard: the parts that need no libbpf, built with or without BPF: finding the
 * cgroup v2 hierarchy, cgroup ids, moving ccgate into its own cgroup, and the
 * names of hooks and match modes.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cleanup.h"
#include "guard.h"

static const char *const guard_hook_table[_GUARD_HOOK_MAX] = {
        [GUARD_HOOK_CONNECT_UNIX] = "connect_unix",
        [GUARD_HOOK_LSM_UNIX_INODE] = "lsm_unix_inode",
        [GUARD_HOOK_LSM_EXEC] = "lsm_exec",
        [GUARD_HOOK_LSM_PTRACE] = "lsm_ptrace",
        [GUARD_HOOK_LSM_PROC_MEM] = "lsm_proc_mem",
        [GUARD_HOOK_LSM_VSOCK] = "lsm_vsock",
};

static const char *const guard_match_table[_GUARD_MATCH_MAX] = {
        [GUARD_MATCH_NAME] = "name",
        [GUARD_MATCH_PATH] = "path",
};

const char *guard_hook_name(enum guard_hook h)
{
        if (h < 0 || h >= _GUARD_HOOK_MAX)
                return NULL;
        return guard_hook_table[h];
}

const char *guard_match_name(enum guard_match m)
{
        if (m < 0 || m >= _GUARD_MATCH_MAX)
                return NULL;
        return guard_match_table[m];
}

enum guard_match guard_match_from_name(const char *s)
{
        if (!s)
                return _GUARD_MATCH_INVALID;
        for (int i = 0; i < _GUARD_MATCH_MAX; i++)
                if (strcmp(s, guard_match_table[i]) == 0)
                        return (enum guard_match)i;
        return _GUARD_MATCH_INVALID;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void guard_unescape_octal(char *s)
{
        char *w = s;

        for (char *r = s; *r; r++) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 3;
                } else {
                        *w++ = *r;
                }
        }
        *w = '\0';
}

int guard_cgroup2_root(char *ret_path, size_t len)
{
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        FILE *f;
        int r = -ENOENT;

        f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return -errno;
        while (getline(&line, &cap, f) > 0) {
                /* id parent maj:min root mountpoint opts [optional...] - fstype src opts */
                char *sep = strstr(line, " - ");
                char *save = NULL, *mnt = NULL, *tok;
                int field = 0;

                if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
                        continue;
                *sep = '\0';
                for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
                        if (++field == 5) {
                                mnt = tok;
                                break;
                        }
                if (!mnt)
                        continue;
                guard_unescape_octal(mnt);
                if (strlen(mnt) >= len) {
                        r = -ENAMETOOLONG;
                        break;
                }
                memcpy(ret_path, mnt, strlen(mnt) + 1);
                r = 0;
                break;
        }
        fclose(f);
        return r;
}

int guard_cgroup_id(const char *path, uint64_t *ret)
{
        struct {
                struct file_handle fh;
                uint64_t id;
        } h = { .fh.handle_bytes = sizeof(uint64_t) };
        int mnt_id;
        struct stat st;

        if (!path || !ret)
                return -EINVAL;
        /* The kernfs file handle of a cgroup2 directory is its 64-bit id, the value
         * bpf_get_current_cgroup_id() returns; st_ino is the same on 64-bit. */
        if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt_id, 0) == 0 &&
            h.fh.handle_bytes == sizeof(uint64_t)) {
                memcpy(ret, h.fh.f_handle, sizeof(uint64_t));
                return 0;
        }
        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        *ret = (uint64_t)st.st_ino;
        return 0;
}

/* Whether the calling process is in the cgroup v2 directory at path already:
 * /proc/self/cgroup's "0::" path under the cgroup2 mount, compared by id. */
static bool guard_cgroup_is_self(const char *path)
{
        char mnt[4096], self[8192], line[4096];
        uint64_t want, have;
        bool found = false;
        FILE *f;

        if (guard_cgroup_id(path, &want) < 0 || guard_cgroup2_root(mnt, sizeof(mnt)) < 0)
                return false;
        f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "0::/", 4) != 0)
                        continue;
                line[strcspn(line, "\n")] = '\0';
                found = snprintf(self, sizeof(self), "%s%s", mnt, strcmp(line + 3, "/") ? line + 3 : "") <
                        (int)sizeof(self);
                break;
        }
        fclose(f);
        return found && guard_cgroup_id(self, &have) == 0 && have == want;
}

int guard_cgroup_enter(const char *cgroup_root, const char *name, char *ret_path, size_t len)
{
        char root[4096], path[4096], procs[4096 + 16];
        _cleanup_close_ int fd = -1;
        int n;

        if (!name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
            strcmp(name, "..") == 0 || !ret_path)
                return -EINVAL;
        if (cgroup_root) {
                if (strlen(cgroup_root) >= sizeof(root))
                        return -ENAMETOOLONG;
                strcpy(root, cgroup_root);
        } else {
                int r = guard_cgroup2_root(root, sizeof(root));
                if (r < 0)
                        return r;
        }
        n = snprintf(path, sizeof(path), "%s/%s", root, name);
        if (n < 0 || (size_t)n >= sizeof(path) || (size_t)n >= len)
                return -ENAMETOOLONG;
        /* Already there (systemd put the service in it): nothing to write, so a
         * read-only cgroup mount (ProtectControlGroups=yes) is no obstacle. */
        if (guard_cgroup_is_self(path)) {
                memcpy(ret_path, path, (size_t)n + 1);
                return 0;
        }
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return -errno;
        snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
        fd = open(procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* "0" moves the writing process (its whole thread group). */
        if (write(fd, "0", 1) != 1)
                return errno ? -errno : -EIO;
        memcpy(ret_path, path, (size_t)n + 1);
        return 0;
}
