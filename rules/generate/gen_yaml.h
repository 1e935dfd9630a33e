/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes YAML as the generator reads it: every document of a stream as a tree
 * whose nodes keep their file:line:column, and typed reads that fail the way
 * kubectl's strict decoding would, naming the position. Nodes live in a pool.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pool.h"

struct policy_error;

enum gnode_type {
        GNODE_NULL, /* null, ~ or nothing: reads as absent */
        GNODE_SCALAR,
        GNODE_MAP,
        GNODE_SEQ,
        _GNODE_TYPE_MAX,
        _GNODE_TYPE_INVALID = -22,
};

struct gnode {
        enum gnode_type type;
        const char *file;
        unsigned line, column; /* 1-based */
        bool plain;            /* a scalar without quotes or block style */
        const char *value;     /* scalar: NUL-terminated */
        size_t len;
        struct gnode **keys; /* map: keys[i] -> items[i] */
        struct gnode **items;
        size_t n, cap;
};

#define GYAML_DEPTH_MAX 64u
#define GYAML_NODES_MAX (1u << 20)

/* Parse every document of buf; *ret_docs is a pool array of *ret_n roots (empty
 * documents are left out). */
int gyaml_parse_stream(struct pool *pool, const char *name, const char *buf, size_t len,
                       struct gnode ***ret_docs, size_t *ret_n, struct policy_error *err);

/* The value of key in map; NULL when map is not a mapping, the key is missing or
 * its value is null. */
const struct gnode *gnode_get(const struct gnode *map, const char *key);
/* The key node of key in map (for positions), or NULL. */
const struct gnode *gnode_key(const struct gnode *map, const char *key);

/* Errors at a node: returns -EINVAL (first error kept). */
int gnode_error(struct policy_error *err, const struct gnode *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* What the typed reads expect; what names the field in messages ("spec.hostname"). */
int gnode_str(struct policy_error *err, const struct gnode *n, const char *what,
              const char **ret);
int gnode_bool(struct policy_error *err, const struct gnode *n, const char *what, bool *ret);
int gnode_int(struct policy_error *err, const struct gnode *n, const char *what, int64_t min,
              int64_t max, int64_t *ret);
int gnode_map(struct policy_error *err, const struct gnode *n, const char *what);
int gnode_seq(struct policy_error *err, const struct gnode *n, const char *what);
/* A plain scalar YAML 1.1 tools read as a number, bool or null. */
bool gnode_is_typed(const struct gnode *n);

/*
 * What the generator does with each key of an object: handled by the code that
 * reads it, ignored (it does not reach the guest), or refused (the generator cannot
 * express it). A key not in the table is refused too: a field the generator does not
 * know may change what the runtime sends.
 */
enum gkey_action {
        GKEY_HANDLED,
        GKEY_IGNORED,
        GKEY_REFUSED,
        _GKEY_ACTION_MAX,
        _GKEY_ACTION_INVALID = -22,
};

struct gkey {
        const char *key;
        enum gkey_action action;
        const char *why; /* for REFUSED: the error text; for IGNORED: why it is safe */
};

/* Check every key of map against keys (terminated by a NULL key); what names the
 * object in errors ("spec.containers[0]"). */
int gnode_check_keys(struct policy_error *err, const struct gnode *map, const char *what,
                     const struct gkey *keys);
