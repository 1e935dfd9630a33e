/* SPDX-License-Identifier: Apache-2.0 */
/* Socket addresses (unix:, vsock:): parsing, printing, listening and connecting. */
#include "addr.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"

static int parse_u32(const char *s, uint32_t *ret)
{
        char *end;
        unsigned long long v;

        if (!*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0' || v > UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t)v;
        return 0;
}

static int parse_unix(const char *path, struct sock_address *ret)
{
        struct sockaddr_un *un = (struct sockaddr_un *)&ret->sa;
        size_t n = strlen(path);

        if (n == 0 || n >= sizeof(un->sun_path))
                return -EINVAL;
        if (path[0] != '/' && path[0] != '@')
                return -EINVAL; /* relative paths depend on the cwd: refuse */

        memset(ret, 0, sizeof(*ret));
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, path, n);
        if (path[0] == '@')
                un->sun_path[0] = '\0'; /* abstract namespace, not NUL-terminated */
        ret->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
        ret->family = AF_UNIX;
        return 0;
}

static int parse_vsock(const char *s, struct sock_address *ret)
{
        struct sockaddr_vm *vm = (struct sockaddr_vm *)&ret->sa;
        const char *colon = strchr(s, ':');
        uint32_t cid = VMADDR_CID_ANY, port;
        char cidbuf[16];

        if (colon) {
                size_t n = (size_t)(colon - s);

                if (n == 0 || n >= sizeof(cidbuf))
                        return -EINVAL;
                memcpy(cidbuf, s, n);
                cidbuf[n] = '\0';
                if (parse_u32(cidbuf, &cid) < 0)
                        return -EINVAL;
                s = colon + 1;
        }
        if (parse_u32(s, &port) < 0)
                return -EINVAL;

        memset(ret, 0, sizeof(*ret));
        vm->svm_family = AF_VSOCK;
        vm->svm_cid = cid;
        vm->svm_port = port;
        ret->len = sizeof(*vm);
        ret->family = AF_VSOCK;
        return 0;
}

int addr_parse(const char *s, struct sock_address *ret)
{
        struct sock_address a;
        int r;

        if (strncmp(s, "unix:", 5) == 0)
                r = parse_unix(s + 5, &a);
        else if (strncmp(s, "vsock:", 6) == 0)
                r = parse_vsock(s + 6, &a);
        else
                r = -EINVAL;
        if (r < 0)
                return r;
        *ret = a;
        return 0;
}

const char *addr_to_string(const struct sock_address *a, char *buf, size_t len)
{
        if (a->family == AF_UNIX) {
                const struct sockaddr_un *un = (const struct sockaddr_un *)&a->sa;
                size_t n = a->len - offsetof(struct sockaddr_un, sun_path);

                if (n > 0 && un->sun_path[0] == '\0')
                        snprintf(buf, len, "unix:@%.*s", (int)(n - 1), un->sun_path + 1);
                else
                        snprintf(buf, len, "unix:%s", un->sun_path);
        } else {
                const struct sockaddr_vm *vm = (const struct sockaddr_vm *)&a->sa;

                if (vm->svm_cid == VMADDR_CID_ANY)
                        snprintf(buf, len, "vsock:%" PRIu32, (uint32_t)vm->svm_port);
                else
                        snprintf(buf, len, "vsock:%" PRIu32 ":%" PRIu32, (uint32_t)vm->svm_cid,
                                 (uint32_t)vm->svm_port);
        }
        return buf;
}

/* A unix path that exists: replace it only when it is a socket nobody serves. */
static int unix_path_reclaim(const struct sock_address *a)
{
        const struct sockaddr_un *un = (const struct sockaddr_un *)&a->sa;
        struct stat st;
        bool in_progress;
        int fd;

        if (un->sun_path[0] == '\0')
                return 0; /* abstract: nothing on disk */
        if (lstat(un->sun_path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode))
                return -EEXIST;

        fd = addr_connect(a, &in_progress);
        if (fd >= 0) {
                safe_close(fd);
                return -EADDRINUSE;
        }
        if (unlink(un->sun_path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int addr_listen(const struct sock_address *a, int backlog)
{
        _cleanup_close_ int fd = -1;
        int r;

        if (a->family == AF_UNIX) {
                r = unix_path_reclaim(a);
                if (r < 0)
                        return r;
        }

        fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0)
                return -errno;
        if (listen(fd, backlog) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int addr_connect(const struct sock_address *a, bool *ret_in_progress)
{
        _cleanup_close_ int fd = -1;

        fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *)&a->sa, a->len) < 0) {
                /* A full unix backlog answers EAGAIN; vsock answers EINPROGRESS. */
                if (errno != EINPROGRESS)
                        return -errno;
                *ret_in_progress = true;
                return TAKE_FD(fd);
        }
        *ret_in_progress = false;
        return TAKE_FD(fd);
}
