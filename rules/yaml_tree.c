/* SPDX-License-Identifier: Apache-2.0 */
/* A positioned YAML document tree from libyaml events. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "policy_error.h"
#include "pool.h"
#include "yaml_tree.h"

DEFINE_PTR_CLEANUP(yaml_parser_t, yaml_parser_delete)

/* Up to this many keys, duplicates are caught as keys arrive (positions in order). */
#define MAP_LINEAR_CHECK_MAX 32u

struct level {
        struct ynode *node;
        struct ynode *key; /* map: the key waiting for its value */
};

struct builder {
        const char *name;
        struct policy_error *err;
        struct ynode *root;
        struct level stack[YTREE_DEPTH_MAX];
        size_t depth;
        size_t n_nodes;
        struct pool *pool; /* every node, value and array of the tree */
};

/* The tree lives in one pool, released with its root: no walk, no free() per node. */
struct ynode *ytree_free(struct ynode *n)
{
        struct pool *pool = n ? n->pool : NULL; /* n itself is in it */

        if (pool) {
                pool_done(pool);
                free(pool);
        }
        return NULL;
}

/* libyaml marks are 0-based. */
static unsigned mark_line(const yaml_mark_t *m)
{
        return m->line >= UINT_MAX ? UINT_MAX : (unsigned)m->line + 1;
}

static unsigned mark_column(const yaml_mark_t *m)
{
        return m->column >= UINT_MAX ? UINT_MAX : (unsigned)m->column + 1;
}

static int builder_error(struct builder *b, const yaml_mark_t *m, const char *what)
{
        return policy_error_set(b->err, b->name, mark_line(m), mark_column(m), "%s", what);
}

static int builder_nomem(struct builder *b)
{
        return policy_error_errno(b->err, -ENOMEM, b->name, 0, 0, "out of memory");
}

static const struct ynode *map_find(const struct ynode *map, const char *key, size_t len)
{
        for (size_t i = 0; i < map->n; i++) {
                const struct ynode *k = map->keys[i];
                if (k->len == len && memcmp(k->value, key, len) == 0)
                        return k;
        }
        return NULL;
}

static int append(struct builder *b, struct ynode *parent, struct ynode *key, struct ynode *child)
{
        if (parent->n == parent->cap) {
                size_t cap = parent->cap ? parent->cap * 2 : 4;
                struct ynode **items, **keys;

                /* Bounded by YTREE_NODES_MAX, so no overflow. The old arrays stay in
                 * the pool: doubling wastes at most what the tree holds. */
                items = pool_alloc_array(b->pool, cap, sizeof(*items));
                if (!items)
                        return builder_nomem(b);
                if (parent->n)
                        memcpy(items, parent->items, parent->n * sizeof(*items));
                parent->items = items;
                if (parent->type == YNODE_MAP) {
                        keys = pool_alloc_array(b->pool, cap, sizeof(*keys));
                        if (!keys)
                                return builder_nomem(b);
                        if (parent->n)
                                memcpy(keys, parent->keys, parent->n * sizeof(*keys));
                        parent->keys = keys;
                }
                parent->cap = cap;
        }
        if (key)
                parent->keys[parent->n] = key;
        parent->items[parent->n++] = child;
        return 0;
}

static int key_order(const void *a, const void *b)
{
        const struct ynode *x = *(const struct ynode *const *)a, *y = *(const struct ynode *const *)b;
        size_t n = x->len < y->len ? x->len : y->len;
        int c = memcmp(x->value, y->value, n);

        if (c)
                return c;
        if (x->len != y->len)
                return x->len < y->len ? -1 : 1;
        /* Equal keys in document order. */
        return x->line != y->line ? (x->line < y->line ? -1 : 1)
                                  : (x->column < y->column ? -1 : x->column > y->column);
}

/*
 * Large mappings are checked for duplicate keys once complete, by sorting: a
 * key-by-key scan would make loading quadratic. Reports the duplicate that
 * comes first in the document.
 */
static int check_duplicates(struct builder *b, const struct ynode *map)
{
        _cleanup_free_ struct ynode **sorted = NULL;
        const struct ynode *dup = NULL, *first = NULL;

        if (map->n <= MAP_LINEAR_CHECK_MAX)
                return 0;
        sorted = malloc(map->n * sizeof(*sorted));
        if (!sorted)
                return builder_nomem(b);
        memcpy(sorted, map->keys, map->n * sizeof(*sorted));
        qsort(sorted, map->n, sizeof(*sorted), key_order);
        for (size_t i = 1; i < map->n; i++) {
                const struct ynode *x = sorted[i - 1], *y = sorted[i];
                if (x->len != y->len || memcmp(x->value, y->value, x->len) != 0)
                        continue;
                if (!dup || y->line < dup->line || (y->line == dup->line && y->column < dup->column)) {
                        /* y's first occurrence is the earliest equal key before it. */
                        size_t j = i - 1;
                        while (j > 0 && sorted[j - 1]->len == y->len &&
                               memcmp(sorted[j - 1]->value, y->value, y->len) == 0)
                                j--;
                        dup = y;
                        first = sorted[j];
                }
        }
        if (!dup)
                return 0;
        return policy_error_set(b->err, b->name, dup->line, dup->column,
                                "duplicate key \"%s\" (first at line %u)", dup->value, first->line);
}

/* Attach child to the innermost open collection (or make it the root). Takes child. */
static int builder_attach(struct builder *b, struct ynode *child)
{
        struct level *l;
        const struct ynode *prev;
        int r;

        if (b->depth == 0) {
                b->root = child;
                return 0;
        }
        l = &b->stack[b->depth - 1];
        /* On failure nothing is freed here: the tree's pool holds every node. */
        if (l->node->type == YNODE_SEQ)
                return append(b, l->node, NULL, child);
        if (l->key) {
                r = append(b, l->node, l->key, child);
                if (r < 0)
                        return r;
                l->key = NULL;
                return 0;
        }
        if (child->type != YNODE_SCALAR) {
                r = policy_error_set(b->err, b->name, child->line, child->column,
                                     "expected a plain key, found %s", ytree_type_name(child));
                return r;
        }
        prev = l->node->n < MAP_LINEAR_CHECK_MAX ? map_find(l->node, child->value, child->len)
                                                 : NULL;
        if (prev) {
                r = policy_error_set(b->err, b->name, child->line, child->column,
                                     "duplicate key \"%s\" (first at line %u)", child->value,
                                     prev->line);
                return r;
        }
        l->key = child;
        return 0;
}

static int node_new(struct builder *b, enum ynode_type type, const yaml_mark_t *m,
                    struct ynode **ret)
{
        struct ynode *n;

        if (++b->n_nodes > YTREE_NODES_MAX)
                return builder_error(b, m, "the policy has too many YAML nodes");
        n = pool_alloc(b->pool, sizeof(*n));
        if (!n)
                return builder_nomem(b);
        n->type = type;
        n->line = mark_line(m);
        n->column = mark_column(m);
        *ret = n;
        return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *e)
{
        struct ynode *n = NULL;
        int r = node_new(b, YNODE_SCALAR, &e->start_mark, &n);

        if (r < 0)
                return r;
        n->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        n->len = e->data.scalar.length;
        if (n->len == SIZE_MAX)
                return builder_nomem(b);
        n->value = pool_alloc(b->pool, n->len + 1);
        if (!n->value)
                return builder_nomem(b);
        memcpy(n->value, e->data.scalar.value, n->len);
        n->value[n->len] = '\0';
        if (strlen(n->value) != n->len)
                return builder_error(b, &e->start_mark, "strings may not contain NUL characters");
        return builder_attach(b, n);
}

static int on_open(struct builder *b, const yaml_event_t *e, enum ynode_type type)
{
        struct ynode *n = NULL;
        int r;

        if (b->depth >= YTREE_DEPTH_MAX)
                return builder_error(b, &e->start_mark, "the policy is nested too deeply");
        r = node_new(b, type, &e->start_mark, &n);
        if (r < 0)
                return r;
        r = builder_attach(b, n);
        if (r < 0)
                return r;
        b->stack[b->depth++] = (struct level){ .node = n };
        return 0;
}

static int check_properties(struct builder *b, const yaml_event_t *e)
{
        const yaml_char_t *anchor = NULL, *tag = NULL;
        int implicit = 1;

        switch (e->type) {
        case YAML_SCALAR_EVENT:
                anchor = e->data.scalar.anchor;
                tag = e->data.scalar.tag;
                implicit = e->data.scalar.plain_implicit || e->data.scalar.quoted_implicit;
                break;
        case YAML_SEQUENCE_START_EVENT:
                anchor = e->data.sequence_start.anchor;
                tag = e->data.sequence_start.tag;
                implicit = e->data.sequence_start.implicit;
                break;
        case YAML_MAPPING_START_EVENT:
                anchor = e->data.mapping_start.anchor;
                tag = e->data.mapping_start.tag;
                implicit = e->data.mapping_start.implicit;
                break;
        default:
                return 0;
        }
        /* A policy must read the same to every tool: no references, no retyping. */
        if (anchor)
                return builder_error(b, &e->start_mark, "YAML anchors are not allowed in a policy");
        if (tag && !implicit)
                return builder_error(b, &e->start_mark, "YAML tags are not allowed in a policy");
        return 0;
}

static int on_event(struct builder *b, const yaml_event_t *e, bool *done)
{
        int r = check_properties(b, e);

        if (r < 0)
                return r;
        switch (e->type) {
        case YAML_SCALAR_EVENT:
                return on_scalar(b, e);
        case YAML_SEQUENCE_START_EVENT:
                return on_open(b, e, YNODE_SEQ);
        case YAML_MAPPING_START_EVENT:
                return on_open(b, e, YNODE_MAP);
        case YAML_SEQUENCE_END_EVENT:
                b->depth--;
                return 0;
        case YAML_MAPPING_END_EVENT:
                b->depth--;
                return check_duplicates(b, b->stack[b->depth].node);
        case YAML_ALIAS_EVENT:
                return builder_error(b, &e->start_mark, "YAML aliases are not allowed in a policy");
        case YAML_DOCUMENT_START_EVENT:
                if (b->root)
                        return builder_error(b, &e->start_mark,
                                             "a policy is one YAML document, found a second one");
                return 0;
        case YAML_STREAM_END_EVENT:
                *done = true;
                return 0;
        default:
                return 0;
        }
}

static int parser_error(struct builder *b, const yaml_parser_t *p)
{
        const yaml_mark_t *m = &p->problem_mark;

        if (p->error == YAML_MEMORY_ERROR)
                return builder_nomem(b);
        if (p->context)
                return policy_error_set(b->err, b->name, mark_line(m), mark_column(m),
                                        "invalid YAML: %s %s", p->problem ? p->problem : "error",
                                        p->context);
        return policy_error_set(b->err, b->name, mark_line(m), mark_column(m), "invalid YAML: %s",
                                p->problem ? p->problem : "error");
}

int ytree_parse(const char *name, const uint8_t *buf, size_t len, struct ynode **ret,
                struct policy_error *err)
{
        yaml_parser_t parser;
        _cleanup_(yaml_parser_deletep) yaml_parser_t *p = NULL;
        struct builder b = { .name = name, .err = err };
        bool done = false;
        int r = 0;

        b.pool = calloc(1, sizeof(*b.pool));
        if (!b.pool)
                return policy_error_errno(err, -ENOMEM, name, 0, 0, "out of memory");
        if (!yaml_parser_initialize(&parser)) {
                free(b.pool);
                return policy_error_errno(err, -ENOMEM, name, 0, 0, "out of memory");
        }
        p = &parser;
        yaml_parser_set_input_string(p, buf, len);
        yaml_parser_set_encoding(p, YAML_UTF8_ENCODING);

        while (!done) {
                yaml_event_t e;

                if (!yaml_parser_parse(p, &e)) {
                        r = parser_error(&b, p);
                        break;
                }
                r = on_event(&b, &e, &done);
                yaml_event_delete(&e);
                if (r < 0)
                        break;
        }
        if (r >= 0 && !b.root)
                r = policy_error_set(err, name, 1, 1,
                                     "the policy is empty: expected a mapping with \"version: 1\"");
        if (r < 0) {
                /* Partial trees included: they are all in the pool. */
                pool_done(b.pool);
                free(b.pool);
                return r;
        }
        b.root->pool = b.pool;
        *ret = b.root;
        return 0;
}

const struct ynode *ytree_get(const struct ynode *map, const char *key)
{
        size_t len = strlen(key);

        if (!map || map->type != YNODE_MAP)
                return NULL;
        for (size_t i = 0; i < map->n; i++)
                if (map->keys[i]->len == len && memcmp(map->keys[i]->value, key, len) == 0)
                        return map->items[i];
        return NULL;
}

const char *ytree_type_name(const struct ynode *n)
{
        switch (n->type) {
        case YNODE_SCALAR:
                return n->plain && (n->len == 0 || strcmp(n->value, "~") == 0 ||
                                    strcmp(n->value, "null") == 0)
                               ? "nothing (null)"
                               : "a scalar";
        case YNODE_MAP:
                return "a mapping";
        case YNODE_SEQ:
                return "a sequence";
        default:
                return "an unknown node";
        }
}
