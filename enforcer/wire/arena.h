/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bump allocator for decoding one request at a time. Its address space is
 * reserved once (MAP_NORESERVE: pages cost memory only when touched), so the
 * request path never calls malloc, and the reservation is the hard bound on
 * what one hostile payload can expand to. Single-threaded by design.
 */
#pragma once

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

struct arena {
        ProtobufCAllocator allocator; /* hand &arena->allocator to protobuf-c */
        unsigned char *base;
        size_t cap;        /* reserved bytes */
        size_t used;       /* bytes handed out since the last reset */
        size_t high_water; /* most bytes touched since memory was last returned */
        size_t keep;       /* bytes worth keeping resident across resets */
};

/* Reserve cap bytes of address space; keep is how much may stay resident
 * between requests. Returns 0 or -errno. */
int arena_init(struct arena *a, size_t cap, size_t keep);

/* Unmap; a is zeroed and may be re-initialised. Safe on a zeroed arena. */
void arena_done(struct arena *a);

/* Forget every allocation; give back pages beyond `keep` that the last request
 * touched, so one large request does not pin its memory for good. */
void arena_reset(struct arena *a);
