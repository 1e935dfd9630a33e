/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf_test.h"
#include "cleanup.h"
#include "guard.h"

#ifndef BPF_MISSING
#define BPF_MISSING ""
#endif

static void (*bpf_test_cleanups[8])(void);
static unsigned bpf_test_ncleanups;
static int bpf_test_nchecks;
static pid_t bpf_test_main_pid;

static void bpf_test_run_cleanups(void)
{
        if (getpid() != bpf_test_main_pid)
                return;
        while (bpf_test_ncleanups > 0)
                bpf_test_cleanups[--bpf_test_ncleanups]();
}

void bpf_test_atexit(void (*fn)(void))
{
        if (bpf_test_ncleanups == 0 && bpf_test_main_pid == 0) {
                bpf_test_main_pid = getpid();
                atexit(bpf_test_run_cleanups);
        }
        if (bpf_test_ncleanups < ELEMENTSOF(bpf_test_cleanups))
                bpf_test_cleanups[bpf_test_ncleanups++] = fn;
}

void bpf_test_skip(const char *fmt, ...)
{
        va_list ap;

        printf("SKIPPED: ");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
        exit(BPF_TEST_SKIP);
}

void bpf_test_fail(const char *fmt, ...)
{
        va_list ap;

        printf("FAIL: ");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
        exit(1);
}

void bpf_test_ok(const char *fmt, ...)
{
        va_list ap;

        printf("ok %d - ", ++bpf_test_nchecks);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
}

int bpf_test_checks(void)
{
        return bpf_test_nchecks;
}

void bpf_test_require_basics(char *root_out, size_t len)
{
        int r;

        if (!HAVE_BPF)
                bpf_test_skip("ccgate was built without BPF (missing: %s)", BPF_MISSING);
        if (geteuid() != 0)
                bpf_test_skip("needs root to load BPF programs and create cgroups (euid %u)",
                              (unsigned)geteuid());
        r = guard_cgroup2_root(root_out, len);
        if (r < 0)
                bpf_test_skip("no cgroup2 mount in /proc/self/mountinfo: %s", strerror(-r));
}

void bpf_test_cgroup_make(const char *path)
{
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                bpf_test_skip("cannot create cgroup %s: %m", path);
}

void bpf_test_cgroup_rmdir(const char *path)
{
        (void)rmdir(path);
}

int bpf_test_in_cgroup(const char *scope, const char *name, int (*fn)(void *arg), void *arg)
{
        pid_t pid;
        int status;

        fflush(stdout);
        pid = fork();
        if (pid < 0)
                bpf_test_fail("fork: %m");
        if (pid == 0) {
                char path[4096];
                int r = guard_cgroup_enter(scope, name, path, sizeof(path));

                if (r < 0) {
                        fprintf(stderr, "guard_cgroup_enter(%s, %s): %s\n", scope, name, strerror(-r));
                        _exit(254);
                }
                _exit(fn(arg));
        }
        if (waitpid(pid, &status, 0) < 0)
                bpf_test_fail("waitpid: %m");
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static socklen_t bpf_test_sockaddr(const char *path, struct sockaddr_un *sa)
{
        size_t n = strlen(path);

        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        if (path[0] == '@') {
                if (n > sizeof(sa->sun_path))
                        bpf_test_fail("abstract name too long: %s", path);
                memcpy(sa->sun_path + 1, path + 1, n - 1);
                return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
        }
        if (n >= sizeof(sa->sun_path))
                bpf_test_fail("socket path too long: %s", path);
        memcpy(sa->sun_path, path, n);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

int bpf_test_listen_unix(const char *path)
{
        struct sockaddr_un sa;
        socklen_t len = bpf_test_sockaddr(path, &sa);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                bpf_test_fail("socket: %m");
        if (bind(fd, (struct sockaddr *)&sa, len) < 0)
                bpf_test_fail("bind %s: %m", path);
        if (listen(fd, 128) < 0)
                bpf_test_fail("listen %s: %m", path);
        return fd;
}

int bpf_test_connect_unix(const char *path)
{
        struct sockaddr_un sa;
        socklen_t len = bpf_test_sockaddr(path, &sa);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return errno;
        if (connect(fd, (struct sockaddr *)&sa, len) < 0)
                return errno;
        return 0;
}
