/* SPDX-License-Identifier: Apache-2.0 */
#include "alloc_count.h"

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define ALLOC_COUNT_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ALLOC_COUNT_UNDER_ASAN 1
#endif
#endif

static bool counting;
static unsigned long n_allocs;

#ifndef ALLOC_COUNT_UNDER_ASAN
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);

void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);

void *malloc(size_t size)
{
        n_allocs += counting;
        return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
        n_allocs += counting;
        return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
        n_allocs += counting;
        return __libc_realloc(p, size);
}
#endif

bool alloc_count_available(void)
{
#ifdef ALLOC_COUNT_UNDER_ASAN
        return false;
#else
        return true;
#endif
}

void alloc_count_start(void)
{
        n_allocs = 0;
        counting = true;
}

unsigned long alloc_count_stop(void)
{
        counting = false;
        return n_allocs;
}
