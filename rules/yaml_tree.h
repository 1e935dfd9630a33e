/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small YAML document tree built from libyaml's event API, keeping every
 * node's 1-based position so that policy errors can name file:line:column.
 * Deliberately narrow: one document, block/flow mappings and sequences with
 * scalar keys, no anchors, aliases or explicit tags, bounded depth and size.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

struct policy_error;

enum ynode_type {
        YNODE_SCALAR,
        YNODE_MAP,
        YNODE_SEQ,
        _YNODE_TYPE_MAX,
        _YNODE_TYPE_INVALID = -22,
};

struct ynode {
        enum ynode_type type;
        unsigned line;   /* 1-based */
        unsigned column; /* 1-based */
        bool plain;      /* scalar written without quotes or block style */
        char *value;     /* scalar: NUL-terminated */
        size_t len;      /* scalar: bytes before the NUL (may contain NULs) */
        /* map: keys[i] -> items[i]; seq: items[i]. n entries. */
        struct ynode **keys;
        struct ynode **items;
        size_t n;
        size_t cap; /* allocated entries of keys/items */
        struct pool *pool; /* the root's: the memory of the whole tree */
};

/* Limits on what a policy document may expand to. */
#define YTREE_DEPTH_MAX 32u
#define YTREE_NODES_MAX (1u << 20)

/*
 * Parse buf into a tree. Returns 0 and *ret, or -EINVAL with *err filled
 * (-ENOMEM on allocation failure, also with *err filled).
 */
int ytree_parse(const char *name, const uint8_t *buf, size_t len, struct ynode **ret,
                struct policy_error *err);

/* Free a tree (its root from ytree_parse: a node inside it is freed with it); NULL is fine. Returns NULL. */
struct ynode *ytree_free(struct ynode *n);
DEFINE_PTR_CLEANUP(struct ynode, ytree_free)

/* The value for key in map, or NULL. */
const struct ynode *ytree_get(const struct ynode *map, const char *key);

/* "a mapping", "a sequence", "a string": for error messages. */
const char *ytree_type_name(const struct ynode *n);
