/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Counting heap allocations, for the tests and benchmarks that show a path
 * allocates nothing: malloc, calloc and realloc are interposed over glibc's
 * (__libc_malloc and friends) and counted between start and stop. Link with
 * alloc_count_dep (link_whole, so the interposers are always in). Under
 * AddressSanitizer, which owns malloc, nothing is interposed and
 * alloc_count_available() says so: the caller skips (exit 77), never passes.
 * Not thread-safe: count on one thread only.
 */
#pragma once

#include <stdbool.h>

/* Whether allocations can be counted in this build. */
bool alloc_count_available(void);

/* Start counting from zero. */
void alloc_count_start(void);

/* Stop counting; the number of allocations since alloc_count_start(). */
unsigned long alloc_count_stop(void);
