/* SPDX-License-Identifier: Apache-2.0 */
/* The compiled policy's memory pool. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#define POOL_CHUNK_SIZE (16u * 1024u)
#define POOL_ALIGN 16u

struct pool_chunk {
        struct pool_chunk *next;
        _Alignas(POOL_ALIGN) unsigned char data[];
};

static struct pool_chunk *chunk_new(size_t size)
{
        struct pool_chunk *c;

        if (size > SIZE_MAX - sizeof(*c))
                return NULL;
        c = calloc(1, sizeof(*c) + size);
        return c;
}

void *pool_alloc(struct pool *pool, size_t size)
{
        struct pool_chunk *c;
        size_t rounded;

        if (size > SIZE_MAX - POOL_ALIGN)
                return NULL;
        rounded = (size + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1);
        if (rounded == 0)
                rounded = POOL_ALIGN;

        if (pool->head && pool->size - pool->used >= rounded) {
                void *m = pool->head->data + pool->used;
                pool->used += rounded;
                return m;
        }
        if (rounded > POOL_CHUNK_SIZE / 4) {
                /* Large: a chunk of its own, behind the current one so its space is kept. */
                c = chunk_new(rounded);
                if (!c)
                        return NULL;
                if (pool->head) {
                        c->next = pool->head->next;
                        pool->head->next = c;
                } else {
                        c->next = NULL;
                        pool->head = c;
                        pool->used = pool->size = rounded;
                }
                return c->data;
        }
        c = chunk_new(POOL_CHUNK_SIZE);
        if (!c)
                return NULL;
        c->next = pool->head;
        pool->head = c;
        pool->size = POOL_CHUNK_SIZE;
        pool->used = rounded;
        return c->data;
}

void *pool_alloc_array(struct pool *pool, size_t n, size_t size)
{
        if (size && n > SIZE_MAX / size)
                return NULL;
        return pool_alloc(pool, n * size);
}

char *pool_strndup(struct pool *pool, const char *s, size_t len)
{
        char *d;

        if (len == SIZE_MAX)
                return NULL;
        d = pool_alloc(pool, len + 1);
        if (!d)
                return NULL;
        memcpy(d, s, len);
        d[len] = '\0';
        return d;
}

void pool_done(struct pool *pool)
{
        struct pool_chunk *c = pool->head;

        while (c) {
                struct pool_chunk *next = c->next;
                free(c);
                c = next;
        }
        *pool = (struct pool){ 0 };
}
