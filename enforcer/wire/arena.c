/* SPDX-License-Identifier: Apache-2.0 */
/* The decode arena: a bump allocator over reserved address space. */
#include "arena.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define ARENA_ALIGN 16u

static void *arena_alloc(void *data, size_t size)
{
        struct arena *a = data;
        size_t off = (a->used + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);

        /* off <= cap always holds; compare by subtraction to avoid overflow. */
        if (off > a->cap || size > a->cap - off)
                return NULL;
        a->used = off + size;
        if (a->used > a->high_water)
                a->high_water = a->used;
        return a->base + off;
}

static void arena_free(void *data, void *ptr)
{
        /* Everything is released at once by arena_reset(). */
        (void)data;
        (void)ptr;
}

int arena_init(struct arena *a, size_t cap, size_t keep)
{
        void *p;

        if (cap == 0 || keep > cap)
                return -EINVAL;
        p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
        if (p == MAP_FAILED)
                return -errno;

        *a = (struct arena){
                .allocator = { .alloc = arena_alloc, .free = arena_free, .allocator_data = a },
                .base = p,
                .cap = cap,
                .keep = keep,
        };
        return 0;
}

void arena_done(struct arena *a)
{
        if (a->base)
                munmap(a->base, a->cap);
        memset(a, 0, sizeof(*a));
}

void arena_reset(struct arena *a)
{
        const size_t page = 4096;
        size_t from = (a->keep + page - 1) & ~(page - 1);
        bool large = a->used > a->keep;

        a->used = 0;
        if (a->high_water <= a->keep)
                return;
        if (large) {
                a->small_run = 0;
                return;
        }
        if (++a->small_run < ARENA_RELEASE_AFTER)
                return;
        if (from < a->high_water)
                (void)madvise(a->base + from, a->high_water - from, MADV_DONTNEED);
        a->high_water = a->keep;
        a->small_run = 0;
}
