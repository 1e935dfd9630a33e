/* SPDX-License-Identifier: Apache-2.0 */
/*
 * residency_trim(): read-only file pages go back, and nothing written is lost:
 * not a private file mapping's copied-on-write page (the RELRO case), not
 * anonymous memory made read-only, not a writable global.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "residency.h"

#define PAGES 16u

static char global_data[3 * 4096] = { 1 };

/* Rss of the mapping that starts at p, in KiB, from /proc/self/smaps. */
static long rss_of(const void *p)
{
        char line[4352], want[32];
        FILE *f = fopen("/proc/self/smaps", "re");
        bool in = false;
        long kib = -1;

        assert_non_null(f);
        snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)p);
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, want, strlen(want)) == 0)
                        in = true;
                else if (in && sscanf(line, "Rss: %ld kB", &kib) == 1)
                        break;
        }
        fclose(f);
        return kib;
}

/* A file of PAGES pages, page i filled with 'a' + i. */
static int make_file(size_t page)
{
        char path[] = "/tmp/ccgate-residency-XXXXXX";
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        unlink(path);
        for (unsigned i = 0; i < PAGES; i++) {
                char *buf = malloc(page);

                assert_non_null(buf);
                memset(buf, 'a' + (int)i, page);
                assert_int_equal(write(fd, buf, page), (ssize_t)page);
                free(buf);
        }
        return fd;
}

static unsigned touch(const volatile char *p, size_t page)
{
        unsigned sum = 0;

        for (unsigned i = 0; i < PAGES; i++)
                sum += (unsigned char)p[i * page];
        return sum;
}

static void test_trim(void **state)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE), kib = 0;
        int fd = make_file(page);
        char *ro, *cow, *anon;
        unsigned sum;

        (void)state;
        /* Read-only and clean: its pages go. */
        ro = mmap(NULL, PAGES * page, PROT_READ, MAP_PRIVATE, fd, 0);
        assert_true(ro != MAP_FAILED);
        sum = touch(ro, page);
        assert_true(rss_of(ro) > 0);
        /* Written, then read-only, like RELRO: its copied page must stay. */
        cow = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        assert_true(cow != MAP_FAILED);
        cow[3 * page + 5] = 'Z';
        assert_int_equal(mprotect(cow, PAGES * page, PROT_READ), 0);
        /* Anonymous, then read-only. */
        anon = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(anon != MAP_FAILED);
        memset(anon, 'q', page);
        assert_int_equal(mprotect(anon, page, PROT_READ), 0);
        global_data[4096 + 7] = 42;

        assert_int_equal(residency_trim(&kib), 0);
        assert_int_equal(rss_of(ro), 0);
        assert_true(kib >= PAGES * page / 1024);
        /* What comes back is the file's bytes. */
        assert_int_equal(touch(ro, page), sum);
        assert_int_equal(ro[2 * page], 'c');
        assert_int_equal(cow[3 * page + 5], 'Z');
        assert_int_equal(cow[3 * page + 4], 'd');
        for (size_t i = 0; i < page; i++)
                assert_int_equal(anon[i], 'q');
        assert_int_equal(global_data[4096 + 7], 42);
        assert_int_equal(global_data[0], 1);

        /* Twice is fine, and NULL is allowed. */
        assert_int_equal(residency_trim(NULL), 0);
        assert_int_equal(cow[3 * page + 5], 'Z');
        munmap(ro, PAGES * page);
        munmap(cow, PAGES * page);
        munmap(anon, page);
        close(fd);
}

int main(void)
{
        const struct CMUnitTest tests[] = { cmocka_unit_test(test_trim) };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
