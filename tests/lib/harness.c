/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cleanup.h"

#define MAX_CHILDREN 64

static pid_t children[MAX_CHILDREN];
static bool atexit_registered;

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int harness_tmpdir(const char *prefix, char **ret)
{
        const char *base = getenv("TMPDIR");
        char *dir;

        if (!base || !*base)
                base = "/tmp";
        if (asprintf(&dir, "%s/%s-XXXXXX", base, prefix) < 0)
                return -ENOMEM;
        if (!mkdtemp(dir)) {
                int r = -errno;

                free(dir);
                return r;
        }
        *ret = dir;
        return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (type == FTW_DP)
                return rmdir(path) < 0 ? -1 : 0;
        return unlink(path) < 0 ? -1 : 0;
}

int harness_rm_rf(const char *dir)
{
        if (!dir)
                return 0;
        if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
                return errno ? -errno : -EIO;
        return 0;
}

static void unregister_child(pid_t pid)
{
        for (size_t i = 0; i < MAX_CHILDREN; i++)
                if (children[i] == pid)
                        children[i] = 0;
}

void harness_kill_all(void)
{
        for (size_t i = 0; i < MAX_CHILDREN; i++) {
                pid_t pid = children[i];

                if (pid <= 0)
                        continue;
                (void)kill(pid, SIGKILL);
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                children[i] = 0;
        }
}

int harness_spawn(char *const argv[], const char *log_path, pid_t *ret_pid)
{
        return harness_spawn_at(NULL, argv, log_path, ret_pid);
}

int harness_spawn_at(const char *cwd, char *const argv[], const char *log_path, pid_t *ret_pid)
{
        pid_t parent = getpid(), pid;
        size_t slot;

        for (slot = 0; slot < MAX_CHILDREN; slot++)
                if (children[slot] == 0)
                        break;
        if (slot == MAX_CHILDREN)
                return -EMFILE;
        if (!atexit_registered) {
                if (atexit(harness_kill_all) != 0)
                        return -ENOMEM;
                atexit_registered = true;
        }

        /* Buffered output must not be written twice, by us and by the child. */
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int fd;

                /* Die with the test, whatever way it dies; then check that it has
                 * not already died between fork() and prctl(). */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(127);
                fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
                        _exit(127);
                if (log_path) {
                        fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
                        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
                                _exit(127);
                }
                if (cwd && chdir(cwd) < 0)
                        _exit(127);
                execv(argv[0], argv);
                fprintf(stderr, "exec %s: %m\n", argv[0]);
                _exit(127);
        }
        children[slot] = pid;
        *ret_pid = pid;
        return 0;
}

bool harness_alive(pid_t pid)
{
        siginfo_t si = { 0 };

        if (pid <= 0)
                return false;
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
                return false;
        return si.si_pid == 0;
}

static int pidfd_open_compat(pid_t pid)
{
#ifdef SYS_pidfd_open
        return (int)syscall(SYS_pidfd_open, pid, 0);
#else
        (void)pid;
        errno = ENOSYS;
        return -1;
#endif
}

static int try_connect(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        return 0;
}

/* Watch the directory holding path for entries being created or written. */
static int watch_dir_of(const char *path)
{
        _cleanup_free_ char *copy = strdup(path);
        _cleanup_close_ int fd = -1;

        if (!copy)
                return -ENOMEM;
        fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (inotify_add_watch(fd, dirname(copy), IN_CREATE | IN_MODIFY | IN_MOVED_TO) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static void drain(int fd)
{
        char buf[4096];

        while (read(fd, buf, sizeof(buf)) > 0)
                ;
}

int harness_wait_listening(const char *path, pid_t pid, int timeout_ms)
{
        _cleanup_close_ int ifd = -1, pfd = -1;
        int64_t deadline = now_ms() + timeout_ms;

        ifd = watch_dir_of(path);
        if (ifd < 0)
                return ifd;
        if (pid > 0)
                pfd = pidfd_open_compat(pid); /* without it, harness_alive() below still tells */

        for (;;) {
                struct pollfd p[2] = {
                        { .fd = ifd, .events = POLLIN },
                        { .fd = pfd, .events = POLLIN },
                };
                int64_t left;
                int r;

                r = try_connect(path);
                if (r == 0)
                        return 0;
                if (pid > 0 && !harness_alive(pid))
                        return -ECHILD;
                left = deadline - now_ms();
                if (left <= 0)
                        return -ETIMEDOUT;
                /* The socket appears at bind() but refuses until listen(), and no
                 * event marks that step: while it exists, look again every 10 ms. */
                if (r == -ECONNREFUSED && left > 10)
                        left = 10;
                if (pfd < 0 && left > 50)
                        left = 50;
                (void)poll(p, pfd >= 0 ? 2 : 1, (int)left);
                drain(ifd);
        }
}

/* Reap *pid, unregister it and clear it. Returns the wait status or -errno. */
static int reap(pid_t *pid)
{
        int status, r = 0;

        while (waitpid(*pid, &status, 0) < 0) {
                if (errno != EINTR) {
                        r = -errno;
                        break;
                }
        }
        unregister_child(*pid);
        *pid = 0;
        return r < 0 ? r : status;
}

int harness_wait_exit(pid_t *pid, int timeout_ms)
{
        _cleanup_close_ int pfd = -1;
        int64_t deadline = now_ms() + timeout_ms;

        if (*pid <= 0)
                return -ECHILD;
        pfd = pidfd_open_compat(*pid);
        while (harness_alive(*pid)) {
                struct pollfd p = { .fd = pfd, .events = POLLIN };
                int64_t left = deadline - now_ms();

                if (left <= 0) {
                        (void)kill(*pid, SIGKILL);
                        (void)reap(pid);
                        return -ETIMEDOUT;
                }
                /* Without a pidfd there is nothing to sleep on: look every 50 ms. */
                (void)poll(pfd >= 0 ? &p : NULL, pfd >= 0 ? 1 : 0,
                           (int)(pfd >= 0 || left < 50 ? left : 50));
        }
        return reap(pid);
}

int harness_stop(pid_t *pid, int sig)
{
        _cleanup_close_ int pfd = -1;

        if (*pid <= 0)
                return 0;
        pfd = pidfd_open_compat(*pid);
        (void)kill(*pid, sig);
        if (pfd >= 0) {
                struct pollfd p = { .fd = pfd, .events = POLLIN };

                if (poll(&p, 1, HARNESS_WAIT_MS) == 0)
                        (void)kill(*pid, SIGKILL);
        }
        return reap(pid);
}

void harness_sha256_hex(const void *buf, size_t len, char out[65])
{
        unsigned char md[32];
        unsigned int n = 0;

        if (EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) != 1 || n != sizeof(md))
                memset(md, 0, sizeof(md));
        for (size_t i = 0; i < sizeof(md); i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
}

ssize_t harness_read_file(const char *path, char **ret)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n;

                if (cap - len < 4096) {
                        char *nbuf;

                        cap = cap ? cap * 2 : 65536;
                        nbuf = realloc(buf, cap + 1);
                        if (!nbuf)
                                return -ENOMEM;
                        buf = nbuf;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (!buf && !(buf = malloc(1)))
                return -ENOMEM;
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        return (ssize_t)len;
}

long harness_record_count(const char *record, const char *path_method, const char *sha)
{
        _cleanup_free_ char *text = NULL;
        ssize_t n;
        long count = 0;
        char *save = NULL;

        n = harness_read_file(record, &text);
        if (n == -ENOENT)
                return 0;
        if (n < 0)
                return n;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f1 = strchr(line, ' '), *f2;

                if (!f1)
                        continue;
                f1++;
                f2 = strchr(f1, ' ');
                if (!f2)
                        continue;
                *f2++ = '\0';
                if (strcmp(f1, path_method) == 0 && (!sha || strcmp(f2, sha) == 0))
                        count++;
        }
        return count;
}

long harness_record_lines(const char *record)
{
        _cleanup_free_ char *text = NULL;
        ssize_t n;
        long count = 0;

        n = harness_read_file(record, &text);
        if (n == -ENOENT)
                return 0;
        if (n < 0)
                return n;
        for (ssize_t i = 0; i < n; i++)
                count += text[i] == '\n';
        return count;
}

int harness_record_wait(const char *record, long n, int timeout_ms)
{
        _cleanup_close_ int ifd = -1;
        int64_t deadline = now_ms() + timeout_ms;

        /* Watch first, then look: a line written in between still wakes the poll. */
        ifd = watch_dir_of(record);
        if (ifd < 0)
                return ifd;
        for (;;) {
                struct pollfd p = { .fd = ifd, .events = POLLIN };
                long have = harness_record_lines(record);
                int64_t left;

                if (have < 0)
                        return (int)have;
                if (have >= n)
                        return 0;
                left = deadline - now_ms();
                if (left <= 0)
                        return -ETIMEDOUT;
                (void)poll(&p, 1, (int)left);
                drain(ifd);
        }
}
