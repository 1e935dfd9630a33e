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
        unsigned small_run; /* resets in a row whose request fitted in keep */
};

/* Resets in a row that fit in keep before pages beyond keep are given back. */
#define ARENA_RELEASE_AFTER 16u

/* Reserve cap bytes of address space; keep is how much may stay resident
 * between requests. Returns 0 or -errno. */
int arena_init(struct arena *a, size_t cap, size_t keep);

/* Unmap; a is zeroed and may be re-initialised. Safe on a zeroed arena. */
void arena_done(struct arena *a);

/* Forget every allocation. Pages beyond `keep` stay resident while large
 * requests keep coming (a stream of 1 MiB writes does not fault its pages in
 * afresh each time) and go back once ARENA_RELEASE_AFTER requests in a row
 * fitted in keep, so a burst of large requests does not pin its memory for good. */
void arena_reset(struct arena *a);
