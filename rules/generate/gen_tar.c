/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounded reader of the tars image tools write (POSIX ustar, with pax and GNU
 * long names): an index of the regular members, read on demand with pread, so that
 * image layers never need to be read at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen_images.h"

#define TAR_BLOCK 512u
#define TAR_MEMBERS_MAX 65536u
#define TAR_NAME_MAX 4096u

struct tar_member {
        char *name;
        off_t offset;
        uint64_t size;
};

struct gen_tar {
        int fd;
        struct tar_member *m;
        size_t n, cap;
};

void gen_tar_close(struct gen_tar *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->n; i++)
                free(t->m[i].name);
        free(t->m);
        safe_close(t->fd);
        free(t);
}

static int fail(char *why, size_t why_len, const char *msg)
{
        snprintf(why, why_len, "%s", msg);
        return -EBADMSG;
}

/* An octal field, or GNU base-256 when the top bit of the first byte is set. */
static int field_number(const unsigned char *f, size_t len, uint64_t *ret)
{
        uint64_t v = 0;
        size_t i = 0;

        if (f[0] & 0x80) {
                for (i = 1; i < len; i++) {
                        if (v >> 56)
                                return -EOVERFLOW;
                        v = v << 8 | f[i];
                }
                *ret = v;
                return 0;
        }
        while (i < len && f[i] == ' ')
                i++;
        for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
                if (v >> 60)
                        return -EOVERFLOW;
                v = v * 8 + (uint64_t)(f[i] - '0');
        }
        for (; i < len; i++)
                if (f[i] != ' ' && f[i] != '\0')
                        return -EINVAL;
        *ret = v;
        return 0;
}

static bool checksum_ok(const unsigned char *h)
{
        uint64_t want;
        unsigned sum = 0;

        if (field_number(h + 148, 8, &want) < 0)
                return false;
        for (unsigned i = 0; i < TAR_BLOCK; i++)
                sum += (i >= 148 && i < 156) ? ' ' : h[i];
        return sum == want;
}

static int read_exact(int fd, off_t off, void *buf, size_t len)
{
        size_t done = 0;

        while (done < len) {
                ssize_t k = pread(fd, (char *)buf + done, len - done, off + (off_t)done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EBADMSG;
                done += (size_t)k;
        }
        return 0;
}

/* The "path" record of a pax extended header, if any. */
static char *pax_path(const char *data, size_t len)
{
        size_t i = 0;

        while (i < len) {
                char *end;
                unsigned long rl = strtoul(data + i, &end, 10);
                const char *kv = end + 1;
                if (end == data + i || *end != ' ' || rl == 0 || rl > len - i)
                        return NULL;
                if ((size_t)(data + i + rl - kv) > 5 && strncmp(kv, "path=", 5) == 0)
                        return strndup(kv + 5, (size_t)(data + i + rl - kv) - 6);
                i += rl;
        }
        return NULL;
}

static int add_member(struct gen_tar *t, char *name, off_t off, uint64_t size)
{
        if (t->n == t->cap) {
                size_t ncap = t->cap ? t->cap * 2 : 64;
                struct tar_member *nm;
                if (ncap > TAR_MEMBERS_MAX)
                        return -E2BIG;
                nm = realloc(t->m, ncap * sizeof(*nm));
                if (!nm)
                        return -ENOMEM;
                t->m = nm;
                t->cap = ncap;
        }
        /* "./blobs/x" and "blobs/x" are the same member. */
        if (strncmp(name, "./", 2) == 0)
                memmove(name, name + 2, strlen(name + 2) + 1);
        t->m[t->n++] = (struct tar_member){ .name = name, .offset = off, .size = size };
        return 0;
}

int gen_tar_open(const char *path, struct gen_tar **ret, char *why, size_t why_len)
{
        _cleanup_(gen_tar_closep) struct gen_tar *t = calloc(1, sizeof(*t));
        _cleanup_free_ char *long_name = NULL;
        struct stat st;
        off_t off = 0;
        int r;

        if (!t)
                return -ENOMEM;
        t->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (t->fd < 0) {
                snprintf(why, why_len, "%s", strerror(errno));
                return -errno;
        }
        if (fstat(t->fd, &st) < 0)
                return -errno;
        for (;;) {
                unsigned char h[TAR_BLOCK];
                uint64_t size;
                char name[256 + 2];
                char type;

                if (off + (off_t)TAR_BLOCK > st.st_size)
                        return fail(why, why_len, "truncated tar (no end-of-archive blocks)");
                r = read_exact(t->fd, off, h, TAR_BLOCK);
                if (r < 0)
                        return r;
                off += TAR_BLOCK;
                if (h[0] == '\0') /* the first zero block ends the archive */
                        break;
                if (!checksum_ok(h))
                        return fail(why, why_len, "a tar header's checksum is wrong");
                if (field_number(h + 124, 12, &size) < 0 || size > (uint64_t)st.st_size)
                        return fail(why, why_len, "a tar member's size is invalid");
                type = (char)h[156];
                if ((type == 'x' || type == 'L') && size > TAR_NAME_MAX * 4)
                        return fail(why, why_len, "a tar long name is too long");
                if (type == 'x' || type == 'L') {
                        _cleanup_free_ char *data = malloc(size + 1);
                        if (!data)
                                return -ENOMEM;
                        r = read_exact(t->fd, off, data, size);
                        if (r < 0)
                                return r;
                        data[size] = '\0';
                        free(long_name);
                        long_name = type == 'L' ? strndup(data, size) : pax_path(data, size);
                } else if (type == '0' || type == '\0') {
                        char *n;
                        if (long_name) {
                                n = TAKE_PTR(long_name);
                        } else {
                                /* ustar: prefix "/" name, each NUL-padded */
                                size_t pl = strnlen((const char *)h + 345, 155);
                                size_t nl = strnlen((const char *)h, 100);
                                if (memcmp(h + 257, "ustar", 5) == 0 && pl)
                                        snprintf(name, sizeof(name), "%.*s/%.*s", (int)pl,
                                                 (const char *)h + 345, (int)nl, (const char *)h);
                                else
                                        snprintf(name, sizeof(name), "%.*s", (int)nl,
                                                 (const char *)h);
                                n = strdup(name);
                        }
                        if (!n)
                                return -ENOMEM;
                        r = add_member(t, n, off, size);
                        if (r < 0) {
                                free(n);
                                return r == -E2BIG ? fail(why, why_len, "too many tar members")
                                                   : r;
                        }
                } else {
                        /* Directories, links and the rest are not image blobs. */
                        free(long_name);
                        long_name = NULL;
                }
                off += (off_t)((size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK);
        }
        *ret = TAKE_PTR(t);
        return 0;
}

static const struct tar_member *find(const struct gen_tar *t, const char *name)
{
        /* A later member of the same name replaces an earlier one, as tar extracts. */
        for (size_t i = t->n; i > 0; i--)
                if (strcmp(t->m[i - 1].name, name) == 0)
                        return &t->m[i - 1];
        return NULL;
}

bool gen_tar_has(const struct gen_tar *t, const char *name)
{
        return find(t, name) != NULL;
}

int gen_tar_read(const struct gen_tar *t, const char *name, size_t max, char **ret,
                 size_t *ret_len)
{
        const struct tar_member *m = find(t, name);
        char *buf;
        int r;

        if (!m)
                return -ENOENT;
        if (m->size > max)
                return -EFBIG;
        buf = malloc(m->size + 1);
        if (!buf)
                return -ENOMEM;
        r = read_exact(t->fd, m->offset, buf, m->size);
        if (r < 0) {
                free(buf);
                return r;
        }
        buf[m->size] = '\0';
        *ret = buf;
        *ret_len = m->size;
        return 0;
}
