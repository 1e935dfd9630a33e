/* SPDX-License-Identifier: Apache-2.0 */
/* Giving back the pages start-up touched and serving does not need (residency.h). */
#include "residency.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "cleanup.h"

struct vma {
        uintptr_t start, end;
        bool droppable; /* private, not writable, file-backed */
        bool anonymous; /* holds a page of its own */
        size_t rss_kib;
};

static size_t drop(const struct vma *v)
{
        if (!v->droppable || v->anonymous || v->end <= v->start)
                return 0;
        if (madvise((void *)v->start, v->end - v->start, MADV_DONTNEED) < 0)
                return 0;
        return v->rss_kib;
}

/* "start-end perms offset dev inode [path]": a new mapping. */
static bool parse_header(const char *line, struct vma *v)
{
        char perms[5];
        uint64_t inode;

        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s %*x %*x:%*x %" SCNu64, &v->start, &v->end,
                   perms, &inode) != 4)
                return false;
        v->droppable = perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' && inode != 0;
        v->anonymous = false;
        v->rss_kib = 0;
        return true;
}

static void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

int residency_trim(size_t *ret_kib)
{
        _cleanup_(fclosep) FILE *f = fopen("/proc/self/smaps", "re");
        struct vma v = { 0 };
        char line[4352]; /* a header with a PATH_MAX path */
        bool line_start = true;
        size_t kib = 0, n;

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                bool whole = strchr(line, '\n') != NULL;
                struct vma next;

                /* Only the start of a line is a header or a field, never a cut-off path's rest. */
                if (line_start && parse_header(line, &next)) {
                        kib += drop(&v);
                        v = next;
                } else if (line_start && sscanf(line, "Anonymous: %zu kB", &n) == 1) {
                        v.anonymous = v.anonymous || n > 0;
                } else if (line_start && sscanf(line, "Rss: %zu kB", &n) == 1) {
                        v.rss_kib = n;
                }
                line_start = whole;
        }
        if (ferror(f))
                return -EIO;
        kib += drop(&v);
        (void)malloc_trim(0);
        if (ret_kib)
                *ret_kib = kib;
        return 0;
}
