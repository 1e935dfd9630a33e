/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a whole file with a hard bound (fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

static int read_fd_bounded(int fd, size_t max, uint8_t **ret, size_t *ret_len);

int read_file_bounded(const char *path, size_t max, uint8_t **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -1;

        if (!path || strcmp(path, "-") != 0)
                return read_file_bounded_at(AT_FDCWD, path, max, ret, ret_len);
        fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        return read_fd_bounded(fd, max, ret, ret_len);
}

int read_file_bounded_at(int dirfd, const char *path, size_t max, uint8_t **ret,
                         size_t *ret_len)
{
        _cleanup_close_ int fd = -1;

        if (!path)
                return -EINVAL;
        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return read_fd_bounded(fd, max, ret, ret_len);
}

static int read_fd_bounded(int fd, size_t max, uint8_t **ret, size_t *ret_len)
{
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len = 0, cap = 0;
        struct stat st;

        if (!ret || !ret_len || max == SIZE_MAX)
                return -EINVAL;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;

        /* One byte beyond max tells "exactly max" from "too large". */
        for (;;) {
                ssize_t k;

                if (len == cap) {
                        size_t ncap = cap ? cap * 2 : 64 * 1024;
                        uint8_t *nbuf;

                        if (cap > max)
                                return -EFBIG;
                        if (ncap > max + 1)
                                ncap = max + 1;
                        nbuf = realloc(buf, ncap);
                        if (!nbuf)
                                return -ENOMEM;
                        buf = nbuf;
                        cap = ncap;
                }
                k = read(fd, buf + len, cap - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t)k;
                if (len > max)
                        return -EFBIG;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}
