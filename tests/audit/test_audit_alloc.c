/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_append() does not allocate: once the log is open, appending records of
 * every sample kind, through size-based rotations and with both fsync modes,
 * calls no malloc at all. The binary interposes malloc and friends to count
 * calls, which sanitizers do as well: under them it is skipped (exit 77).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_count.h"
#include "audit.h"
#include "sample.h"


static void rm_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        (void)unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        (void)rmdir(dir);
}

/* Returns the number of allocations seen over n appends after a warm-up, or -1. */
static long run(const char *dir, enum audit_sync sync, uint64_t rotate, size_t n,
                uint64_t *ret_head)
{
        char path[300], hash[AUDIT_HASH_HEX + 1];
        struct audit_options o;
        struct audit_log *log = NULL;
        long allocs = -1;
        int r;

        snprintf(path, sizeof(path), "%s/audit.log", dir);
        o = sample_options(path, rotate);
        o.sync = sync;
        o.sync_interval_ms = 1;
        r = audit_open(&o, &log);
        if (r < 0) {
                fprintf(stderr, "audit_open: %s\n", strerror(-r));
                return -1;
        }
        /* Warm-up: libc's first time conversion reads the zone once, and so on. */
        for (size_t i = 0; i < 2 * sample_count(); i++)
                if (sample_append(log, i) < 0)
                        goto out;
        alloc_count_start();
        for (size_t i = 0; i < n; i++) {
                r = sample_append(log, i);
                if (r < 0) {
                        (void)alloc_count_stop();
                        fprintf(stderr, "audit_append %zu: %s\n", i, strerror(-r));
                        goto out;
                }
        }
        allocs = (long)alloc_count_stop();
        audit_head(log, ret_head, hash);
out:
        audit_close(log);
        return allocs;
}

int main(void)
{
        static const struct {
                const char *name;
                enum audit_sync sync;
                uint64_t rotate;
        } cases[] = {
                { "fsync every record", AUDIT_SYNC_EVERY, 0 },
                { "fsync every 1 ms, rotating every 8 KiB", AUDIT_SYNC_INTERVAL, 8192 },
                { "fsync every record, rotating every 2 KiB", AUDIT_SYNC_EVERY, 2048 },
        };
        const char *base = getenv("TMPDIR");
        char dir[256];
        int failures = 0;

        if (!alloc_count_available()) {
                printf("SKIPPED: the sanitizer's allocator cannot be interposed to count calls\n");
                return 77;
        }
        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                uint64_t head = 0;
                long allocs;

                snprintf(dir, sizeof(dir), "%s/audit-alloc-XXXXXX", base && *base ? base : "/tmp");
                if (!mkdtemp(dir)) {
                        perror("mkdtemp");
                        return 1;
                }
                allocs = run(dir, cases[c].sync, cases[c].rotate, 400, &head);
                rm_dir(dir);
                if (allocs != 0)
                        failures++;
                printf("%s %s: %ld allocations over 400 records (head seq %llu)\n",
                       allocs == 0 ? "ok  " : "FAIL", cases[c].name, allocs,
                       (unsigned long long)head);
        }
        return failures ? 1 : 0;
}
