/* SPDX-License-Identifier: Apache-2.0 */
/* The TDX RTMR extender: a 48-byte write to the kernel's rtmrN:sha384 attribute (measure.h). */
#include "measure.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* TDX has RTMR[0..3]. */
#define RTMR_COUNT 4u

struct rtmr_ctx {
        int fd;
        unsigned index;
        char why[128];
};

static void rtmr_close(void *p)
{
        struct rtmr_ctx *r = p;

        if (!r)
                return;
        safe_close(r->fd);
        free(r);
}

/*
 * The attribute is binary: a write of exactly the register's size at offset 0
 * extends it (Documentation/ABI/testing/sysfs-devices-virtual-misc-tdx_guest).
 */
static int rtmr_extend(void *p, const struct measure_extend_args *a, const char **why)
{
        struct rtmr_ctx *r = p;
        ssize_t n = pwrite(r->fd, a->sha384, MEASURE_SHA384_LEN, 0);

        if (n == (ssize_t)MEASURE_SHA384_LEN)
                return 0;
        snprintf(r->why, sizeof(r->why), "writing rtmr%u:sha384: %s", r->index,
                 n < 0 ? strerror(errno) : "a short write");
        *why = r->why;
        return n < 0 ? -errno : -EIO;
}

int measure_rtmr_open(const char *dir, unsigned index, struct measure_extender *ret, char *why,
                      size_t why_len)
{
        _cleanup_close_ int dfd = -1, fd = -1;
        struct rtmr_ctx *r;
        char name[32];
        struct stat st;

        if (!dir || index >= RTMR_COUNT) {
                snprintf(why, why_len, "RTMR %u: TDX has RTMR 0 to %u", index, RTMR_COUNT - 1);
                return -EINVAL;
        }
        snprintf(name, sizeof(name), "rtmr%u:sha384", index);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                snprintf(why, why_len, "no TDX measurement registers at %s: %s", dir,
                         strerror(errno));
                return -errno;
        }
        fd = openat(dfd, name, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0) {
                snprintf(why, why_len, "%s/%s cannot be opened for writing: %s", dir, name,
                         strerror(errno));
                return -errno;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                snprintf(why, why_len, "%s/%s is not a register attribute", dir, name);
                return -EINVAL;
        }
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->fd = TAKE_FD(fd);
        r->index = index;
        *ret = (struct measure_extender){ .extend = rtmr_extend, .close = rtmr_close, .ctx = r };
        snprintf(ret->name, sizeof(ret->name), "rtmr:%u", index);
        return 0;
}
