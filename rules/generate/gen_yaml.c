/* SPDX-License-Identifier: Apache-2.0 */
/* Multi-document Kubernetes YAML into position-keeping trees, and typed reads of them. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "cleanup.h"
#include "gen_yaml.h"
#include "policy_error.h"

DEFINE_PTR_CLEANUP(yaml_parser_t, yaml_parser_delete)

struct builder {
        struct pool *pool;
        const char *name;
        struct policy_error *err;
        struct gnode *stack[GYAML_DEPTH_MAX];
        struct gnode *pending_key[GYAML_DEPTH_MAX]; /* a map's key waiting for its value */
        size_t depth;
        size_t n_nodes;
        struct gnode **docs;
        size_t n_docs, cap_docs;
};

static unsigned mark(size_t v)
{
        return v >= UINT_MAX ? UINT_MAX : (unsigned)v + 1;
}

static int nomem(struct builder *b)
{
        return policy_error_errno(b->err, -ENOMEM, b->name, 0, 0, "out of memory");
}

static int at_error(struct builder *b, const yaml_mark_t *m, const char *what)
{
        return policy_error_set(b->err, b->name, mark(m->line), mark(m->column), "%s", what);
}

/* Grow a pool array of pointers to hold one more. */
static int grow(struct pool *pool, struct gnode ***arr, size_t n, size_t *cap)
{
        struct gnode **na;
        size_t ncap;

        if (n < *cap)
                return 0;
        ncap = *cap ? *cap * 2 : 4;
        na = pool_alloc_array(pool, ncap, sizeof(*na));
        if (!na)
                return -ENOMEM;
        if (n)
                memcpy(na, *arr, n * sizeof(*na));
        *arr = na;
        *cap = ncap;
        return 0;
}

/* Room for one more entry in a collection (keys beside items for a mapping). */
static int grow_node(struct pool *pool, struct gnode *c)
{
        size_t key_cap = c->cap;

        if (c->n < c->cap)
                return 0;
        if (c->type == GNODE_MAP && grow(pool, &c->keys, c->n, &key_cap) < 0)
                return -ENOMEM;
        return grow(pool, &c->items, c->n, &c->cap);
}

static struct gnode *node_new(struct builder *b, enum gnode_type t, const yaml_mark_t *m)
{
        struct gnode *n;

        if (++b->n_nodes > GYAML_NODES_MAX)
                return NULL;
        n = pool_alloc(b->pool, sizeof(*n));
        if (!n)
                return NULL;
        n->type = t;
        n->file = b->name;
        n->line = mark(m->line);
        n->column = mark(m->column);
        return n;
}

static bool tag_ok(const yaml_char_t *tag)
{
        static const char *const core[] = {
                "tag:yaml.org,2002:str", "tag:yaml.org,2002:int",   "tag:yaml.org,2002:bool",
                "tag:yaml.org,2002:null", "tag:yaml.org,2002:float", "tag:yaml.org,2002:map",
                "tag:yaml.org,2002:seq",
        };

        if (!tag)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(core); i++)
                if (strcmp((const char *)tag, core[i]) == 0)
                        return true;
        return false;
}

static const struct gnode *map_find(const struct gnode *map, const char *key, size_t len)
{
        for (size_t i = 0; i < map->n; i++)
                if (map->keys[i]->len == len && memcmp(map->keys[i]->value, key, len) == 0)
                        return map->keys[i];
        return NULL;
}

/* Attach a finished node to the open collection, or make it a document root. */
static int attach(struct builder *b, struct gnode *child)
{
        struct gnode *parent;
        const struct gnode *prev;

        if (b->depth == 0) {
                if (child->type == GNODE_NULL)
                        return 0;
                if (grow(b->pool, &b->docs, b->n_docs, &b->cap_docs) < 0)
                        return nomem(b);
                b->docs[b->n_docs++] = child;
                return 0;
        }
        parent = b->stack[b->depth - 1];
        if (parent->type == GNODE_MAP && !b->pending_key[b->depth - 1]) {
                if (child->type != GNODE_SCALAR)
                        return policy_error_set(b->err, b->name, child->line, child->column,
                                                "expected a plain key");
                prev = map_find(parent, child->value, child->len);
                if (prev)
                        return policy_error_set(b->err, b->name, child->line, child->column,
                                                "duplicate key \"%s\" (first at line %u)",
                                                child->value, prev->line);
                b->pending_key[b->depth - 1] = child;
                return 0;
        }
        if (grow_node(b->pool, parent) < 0)
                return nomem(b);
        if (parent->type == GNODE_MAP) {
                parent->keys[parent->n] = b->pending_key[b->depth - 1];
                b->pending_key[b->depth - 1] = NULL;
        }
        parent->items[parent->n++] = child;
        return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *e)
{
        const char *v = (const char *)e->data.scalar.value;
        size_t len = e->data.scalar.length;
        bool plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !e->data.scalar.tag;
        bool null = plain && (len == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
                              strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0);
        struct gnode *n = node_new(b, null ? GNODE_NULL : GNODE_SCALAR, &e->start_mark);

        if (!n)
                return nomem(b);
        n->plain = plain;
        n->value = pool_strndup(b->pool, v, len);
        n->len = len;
        if (!n->value)
                return nomem(b);
        /* A key may be "null"-looking text; keep it a scalar there. */
        if (null && b->depth > 0 && b->stack[b->depth - 1]->type == GNODE_MAP &&
            !b->pending_key[b->depth - 1])
                n->type = GNODE_SCALAR;
        return attach(b, n);
}

static int on_event(struct builder *b, const yaml_event_t *e)
{
        struct gnode *n;

        switch (e->type) {
        case YAML_ALIAS_EVENT:
                return at_error(b, &e->start_mark, "YAML aliases are not supported; write the "
                                                   "value out");
        case YAML_SCALAR_EVENT:
                if (e->data.scalar.anchor)
                        return at_error(b, &e->start_mark, "YAML anchors are not supported");
                if (!tag_ok(e->data.scalar.tag))
                        return at_error(b, &e->start_mark, "only the core YAML tags are supported");
                return on_scalar(b, e);
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
                bool seq = e->type == YAML_SEQUENCE_START_EVENT;
                const yaml_char_t *anchor = seq ? e->data.sequence_start.anchor
                                                : e->data.mapping_start.anchor;
                const yaml_char_t *tag = seq ? e->data.sequence_start.tag
                                             : e->data.mapping_start.tag;
                if (anchor)
                        return at_error(b, &e->start_mark, "YAML anchors are not supported");
                if (!tag_ok(tag))
                        return at_error(b, &e->start_mark, "only the core YAML tags are supported");
                if (b->depth >= GYAML_DEPTH_MAX)
                        return at_error(b, &e->start_mark, "nested too deeply");
                n = node_new(b, seq ? GNODE_SEQ : GNODE_MAP, &e->start_mark);
                if (!n)
                        return nomem(b);
                b->pending_key[b->depth] = NULL;
                b->stack[b->depth++] = n;
                return 0;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                n = b->stack[--b->depth];
                if (n->type == GNODE_MAP && n->keys) {
                        /* "<<" merge keys are a YAML 1.1 extension kubectl does not apply. */
                        const struct gnode *k = map_find(n, "<<", 2);
                        if (k && k->plain)
                                return policy_error_set(b->err, b->name, k->line, k->column,
                                                        "YAML merge keys are not supported");
                }
                return attach(b, n);
        default:
                return 0;
        }
}

int gyaml_parse_stream(struct pool *pool, const char *name, const char *buf, size_t len,
                       struct gnode ***ret_docs, size_t *ret_n, struct policy_error *err)
{
        _cleanup_(yaml_parser_deletep) yaml_parser_t *parser = NULL;
        yaml_parser_t p;
        struct builder b = { .pool = pool, .name = name, .err = err };
        int r = 0;

        if (!yaml_parser_initialize(&p))
                return policy_error_errno(err, -ENOMEM, name, 0, 0, "out of memory");
        parser = &p;
        yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
        for (;;) {
                yaml_event_t e;
                bool done;

                if (!yaml_parser_parse(&p, &e))
                        return policy_error_set(err, name, mark(p.problem_mark.line),
                                                mark(p.problem_mark.column), "%s",
                                                p.problem ? p.problem : "not valid YAML");
                done = e.type == YAML_STREAM_END_EVENT;
                r = on_event(&b, &e);
                yaml_event_delete(&e);
                if (r < 0)
                        return r;
                if (done)
                        break;
        }
        *ret_docs = b.docs;
        *ret_n = b.n_docs;
        return 0;
}

const struct gnode *gnode_key(const struct gnode *map, const char *key)
{
        if (!map || map->type != GNODE_MAP)
                return NULL;
        return map_find(map, key, strlen(key));
}

const struct gnode *gnode_get(const struct gnode *map, const char *key)
{
        size_t len = strlen(key);

        if (!map || map->type != GNODE_MAP)
                return NULL;
        for (size_t i = 0; i < map->n; i++)
                if (map->keys[i]->len == len && memcmp(map->keys[i]->value, key, len) == 0)
                        return map->items[i]->type == GNODE_NULL ? NULL : map->items[i];
        return NULL;
}

int gnode_error(struct policy_error *err, const struct gnode *n, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (!n)
                return policy_error_set(err, "", 0, 0, "%s", msg);
        return policy_error_set(err, n->file, n->line, n->column, "%s", msg);
}

static const char *type_name(const struct gnode *n)
{
        switch (n->type) {
        case GNODE_MAP: return "a mapping";
        case GNODE_SEQ: return "a list";
        case GNODE_NULL: return "null";
        default: return gnode_is_typed(n) ? "a number or boolean" : "a string";
        }
}

static size_t span(const char *v, const char *set)
{
        return strspn(v, set);
}

/* go-yaml v2's int: decimal (with _), 0x hex, 0b binary, 0 octal. */
static bool is_int(const char *v)
{
        if (*v == '-' || *v == '+')
                v++;
        if (v[0] == '0' && (v[1] == 'x' || v[1] == 'b')) {
                const char *set = v[1] == 'x' ? "0123456789abcdefABCDEF_" : "01_";
                return v[2] && span(v + 2, set) == strlen(v + 2);
        }
        return span(v, "0123456789") > 0 && span(v, "0123456789_") == strlen(v);
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_float(const char *v)
{
        size_t d;

        if (*v == '-' || *v == '+')
                v++;
        if (*v == '.') {
                d = span(++v, "0123456789");
                if (!d)
                        return false;
                v += d;
        } else {
                d = span(v, "0123456789");
                if (!d)
                        return false;
                v += d;
                if (*v == '.')
                        v += 1 + span(v + 1, "0123456789");
        }
        if (*v == 'e' || *v == 'E') {
                v++;
                if (*v == '-' || *v == '+')
                        v++;
                d = span(v, "0123456789");
                if (!d)
                        return false;
                v += d;
        }
        return *v == '\0';
}

/* A plain scalar go-yaml v2 (sigs.k8s.io/yaml, kubectl) reads as a bool or number. */
bool gnode_is_typed(const struct gnode *n)
{
        static const char *const words[] = { "true", "false", "yes", "no", "on", "off", "y", "n",
                                             ".inf", "-.inf", "+.inf", ".nan" };

        if (n->type != GNODE_SCALAR || !n->plain)
                return false;
        for (size_t k = 0; k < ELEMENTSOF(words); k++)
                if (strcasecmp(n->value, words[k]) == 0)
                        return true;
        return is_int(n->value) || is_float(n->value);
}

int gnode_str(struct policy_error *err, const struct gnode *n, const char *what,
              const char **ret)
{
        if (n->type != GNODE_SCALAR || gnode_is_typed(n))
                return gnode_error(err, n, "%s: expected a string, found %s%s", what,
                                   type_name(n),
                                   n->type == GNODE_SCALAR ? " (quote it)" : "");
        if (strlen(n->value) != n->len)
                return gnode_error(err, n, "%s: a NUL byte in a string", what);
        *ret = n->value;
        return 0;
}

int gnode_bool(struct policy_error *err, const struct gnode *n, const char *what, bool *ret)
{
        static const char *const yes[] = { "true", "yes", "on", "y" };
        static const char *const no[] = { "false", "no", "off", "n" };

        if (n->type == GNODE_SCALAR && n->plain) {
                for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                        if (strcasecmp(n->value, yes[i]) == 0) {
                                *ret = true;
                                return 0;
                        }
                        if (strcasecmp(n->value, no[i]) == 0) {
                                *ret = false;
                                return 0;
                        }
                }
        }
        return gnode_error(err, n, "%s: expected true or false, found %s", what, type_name(n));
}

int gnode_int(struct policy_error *err, const struct gnode *n, const char *what, int64_t min,
              int64_t max, int64_t *ret)
{
        const char *v = n->value;
        int64_t x = 0;
        bool neg = false;
        size_t i = 0;

        if (n->type != GNODE_SCALAR || !n->plain)
                return gnode_error(err, n, "%s: expected an integer, found %s", what,
                                   type_name(n));
        if (v[0] == '-' || v[0] == '+')
                neg = v[i++] == '-';
        if (!v[i])
                return gnode_error(err, n, "%s: expected an integer", what);
        for (; v[i]; i++) {
                if (v[i] < '0' || v[i] > '9')
                        return gnode_error(err, n, "%s: expected a decimal integer, found \"%s\"",
                                           what, v);
                if (x > (INT64_MAX - (v[i] - '0')) / 10)
                        return gnode_error(err, n, "%s: %s is out of range", what, v);
                x = x * 10 + (v[i] - '0');
        }
        if (neg)
                x = -x;
        if (x < min || x > max)
                return gnode_error(err, n, "%s: %" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]",
                                   what, x, min, max);
        *ret = x;
        return 0;
}

int gnode_map(struct policy_error *err, const struct gnode *n, const char *what)
{
        return n->type == GNODE_MAP ? 0
                                    : gnode_error(err, n, "%s: expected a mapping, found %s",
                                                  what, type_name(n));
}

int gnode_seq(struct policy_error *err, const struct gnode *n, const char *what)
{
        return n->type == GNODE_SEQ ? 0
                                    : gnode_error(err, n, "%s: expected a list, found %s", what,
                                                  type_name(n));
}

int gnode_check_keys(struct policy_error *err, const struct gnode *map, const char *what,
                     const struct gkey *keys)
{
        int r = gnode_map(err, map, what);

        if (r < 0)
                return r;
        for (size_t i = 0; i < map->n; i++) {
                const struct gnode *k = map->keys[i];
                const struct gkey *hit = NULL;

                for (const struct gkey *g = keys; g->key && !hit; g++)
                        if (strcmp(g->key, k->value) == 0)
                                hit = g;
                if (!hit)
                        return gnode_error(err, k,
                                           "%s.%s: unknown field; the generator refuses what it "
                                           "does not know, as it may change what the runtime sends",
                                           what, k->value);
                if (hit->action == GKEY_REFUSED && map->items[i]->type != GNODE_NULL)
                        return gnode_error(err, k, "%s.%s: %s", what, k->value, hit->why);
        }
        return 0;
}
