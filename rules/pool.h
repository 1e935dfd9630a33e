/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiled policy's memory: everything it owns is carved out of a pool and
 * released at once by pool_done(), so the compiler needs no per-object
 * destructors and a loaded policy is a few large allocations.
 */
#pragma once

#include <stddef.h>

struct pool_chunk;

struct pool {
        struct pool_chunk *head;
        size_t used; /* bytes used in head */
        size_t size; /* usable bytes in head */
};

/* Zeroed, 16-byte aligned memory owned by the pool; NULL on ENOMEM or overflow. */
void *pool_alloc(struct pool *pool, size_t size);

/* Zeroed array of n elements of size bytes; NULL on ENOMEM or overflow. */
void *pool_alloc_array(struct pool *pool, size_t n, size_t size);

/* Copy of s[0..len) with a NUL; NULL on ENOMEM. */
char *pool_strndup(struct pool *pool, const char *s, size_t len);

/* Release everything; the pool is empty (and reusable) afterwards. */
void pool_done(struct pool *pool);
