/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the policy compiler: typed YAML reads with positions, rule ids. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "policy_error.h"

struct id_entry {
        const char *id;
        unsigned line;
};

struct id_set {
        struct id_entry *slots;
        size_t n, cap; /* cap is a power of two */
};

int load_error(struct load_ctx *c, const struct ynode *n, const char *fmt, ...)
{
        char msg[sizeof(((struct policy_error *)0)->message)];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return policy_error_set(c->err, c->file, n ? n->line : 0, n ? n->column : 0, "%s", msg);
}

int load_nomem(struct load_ctx *c)
{
        return policy_error_errno(c->err, -ENOMEM, c->file, 0, 0, "out of memory");
}

static size_t join_words(char *buf, size_t len, const char *const *words)
{
        size_t off = 0;

        buf[0] = '\0';
        for (size_t i = 0; words[i] && off < len; i++) {
                int k = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", words[i]);
                if (k < 0)
                        break;
                off += (size_t)k;
        }
        return off;
}

int load_check_map(struct load_ctx *c, const struct ynode *n, const char *what,
                   const char *const *allowed)
{
        char list[448]; /* a container's keys, within policy_error's 512 */

        if (n->type != YNODE_MAP)
                return load_error(c, n, "expected a mapping for %s, found %s", what,
                                  ytree_type_name(n));
        if (!allowed)
                return 0;
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *k = n->keys[i];
                bool ok = false;

                for (size_t j = 0; allowed[j] && !ok; j++)
                        ok = strcmp(k->value, allowed[j]) == 0;
                if (!ok) {
                        join_words(list, sizeof(list), allowed);
                        return load_error(c, k, "unknown key \"%s\" in %s; expected one of: %s",
                                          k->value, what, list);
                }
        }
        return 0;
}

int load_check_seq(struct load_ctx *c, const struct ynode *n, const char *what)
{
        if (n->type != YNODE_SEQ)
                return load_error(c, n, "expected a sequence for %s, found %s", what,
                                  ytree_type_name(n));
        return 0;
}

static bool is_one_of(const char *s, const char *const *words)
{
        for (size_t i = 0; words[i]; i++)
                if (strcmp(s, words[i]) == 0)
                        return true;
        return false;
}

static bool looks_numeric(const char *s)
{
        static const char *const special[] = { ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN",
                                               NULL };
        const char *p = s;

        if (*p == '+' || *p == '-')
                p++;
        if (is_one_of(p, special))
                return true;
        if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')))
                return false;
        return strspn(p, "0123456789abcdefABCDEFxXoO_.:+-") == strlen(p);
}

bool load_scalar_is_typed(const struct ynode *n)
{
        /* YAML 1.1 (what PyYAML and many editors use) reads these as non-strings. */
        static const char *const words[] = {
                "~",     "null", "Null",  "NULL", "true", "True", "TRUE", "false",
                "False", "FALSE", "yes",  "Yes",  "YES",  "no",   "No",   "NO",
                "on",    "On",    "ON",   "off",  "Off",  "OFF",  "y",    "Y",
                "n",     "N",     NULL,
        };

        if (n->type != YNODE_SCALAR || !n->plain)
                return false;
        return n->len == 0 || is_one_of(n->value, words) || looks_numeric(n->value);
}

int load_string(struct load_ctx *c, const struct ynode *n, const char *what, const char **ret)
{
        if (n->type != YNODE_SCALAR)
                return load_error(c, n, "expected a string for %s, found %s", what,
                                  ytree_type_name(n));
        if (load_scalar_is_typed(n))
                return load_error(c, n,
                                  "expected a string for %s, found %s; quote it to mean the "
                                  "string",
                                  what, n->len ? n->value : "nothing");
        if (ret) {
                char *s = pool_strndup(c->pool, n->value, n->len);
                if (!s)
                        return load_nomem(c);
                *ret = s;
        }
        return 0;
}

int load_bool(struct load_ctx *c, const struct ynode *n, const char *what, bool *ret)
{
        if (n->type == YNODE_SCALAR && n->plain && strcmp(n->value, "true") == 0) {
                *ret = true;
                return 0;
        }
        if (n->type == YNODE_SCALAR && n->plain && strcmp(n->value, "false") == 0) {
                *ret = false;
                return 0;
        }
        return load_error(c, n, "expected true or false for %s", what);
}

int load_uint(struct load_ctx *c, const struct ynode *n, const char *what, uint64_t max,
              uint64_t *ret)
{
        uint64_t v = 0;

        if (n->type != YNODE_SCALAR || !n->plain || n->len == 0 || n->len > 20 ||
            strspn(n->value, "0123456789") != n->len || (n->len > 1 && n->value[0] == '0'))
                return load_error(c, n, "expected a number for %s", what);
        for (size_t i = 0; i < n->len; i++) {
                unsigned d = (unsigned)(n->value[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return load_error(c, n, "%s is too large (at most %llu)", what,
                                          (unsigned long long)max);
                v = v * 10 + d;
        }
        if (v > max)
                return load_error(c, n, "%s is too large (at most %llu)", what,
                                  (unsigned long long)max);
        *ret = v;
        return 0;
}

int load_int(struct load_ctx *c, const struct ynode *n, const char *what, int64_t min,
             int64_t max, int64_t *ret)
{
        struct ynode abs;
        uint64_t v;
        bool neg;
        int r;

        if (n->type != YNODE_SCALAR || !n->plain)
                return load_error(c, n, "expected a number for %s", what);
        neg = n->len > 1 && n->value[0] == '-';
        abs = *n;
        if (neg) {
                abs.value++;
                abs.len--;
        }
        r = load_uint(c, &abs, what, UINT64_MAX, &v);
        if (r < 0)
                return r;
        if ((neg && (v == 0 || v > (uint64_t)-(min + 1) + 1)) || (!neg && v > (uint64_t)max) ||
            (neg ? -(int64_t)(v - 1) - 1 : (int64_t)v) < min)
                return load_error(c, n, "%s must be within [%lld, %lld]", what, (long long)min,
                                  (long long)max);
        *ret = neg ? -(int64_t)(v - 1) - 1 : (int64_t)v;
        return 0;
}

int load_enum(struct load_ctx *c, const struct ynode *n, const char *what,
              const char *const *words, unsigned *ret)
{
        char list[256];

        if (n->type == YNODE_SCALAR)
                for (unsigned i = 0; words[i]; i++)
                        if (strcmp(n->value, words[i]) == 0 && !(n->plain && n->len == 0)) {
                                *ret = i;
                                return 0;
                        }
        join_words(list, sizeof(list), words);
        if (n->type != YNODE_SCALAR || (n->plain && n->len == 0))
                return load_error(c, n, "expected one of %s for %s, found %s", list, what,
                                  ytree_type_name(n));
        return load_error(c, n, "invalid %s \"%s\"; expected one of: %s", what, n->value, list);
}

static size_t hash_str(const char *s)
{
        size_t h = 14695981039346656037ull & SIZE_MAX;

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * (1099511628211ull & SIZE_MAX);
        return h;
}

static int id_set_grow(struct id_set *set)
{
        size_t cap = set->cap ? set->cap * 2 : 64;
        struct id_entry *slots = calloc(cap, sizeof(*slots));

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < set->cap; i++) {
                size_t h;
                if (!set->slots[i].id)
                        continue;
                for (h = hash_str(set->slots[i].id) & (cap - 1); slots[h].id; h = (h + 1) & (cap - 1))
                        ;
                slots[h] = set->slots[i];
        }
        free(set->slots);
        set->slots = slots;
        set->cap = cap;
        return 0;
}

/* Insert id; returns the line of an earlier equal id (or 0 if there was none) via *clash. */
static int id_set_add(struct id_set *set, const char *id, unsigned line, bool *clash,
                      unsigned *clash_line)
{
        size_t h;

        if (set->n * 2 >= set->cap && id_set_grow(set) < 0)
                return -ENOMEM;
        for (h = hash_str(id) & (set->cap - 1); set->slots[h].id; h = (h + 1) & (set->cap - 1))
                if (strcmp(set->slots[h].id, id) == 0) {
                        *clash = true;
                        *clash_line = set->slots[h].line;
                        return 0;
                }
        set->slots[h] = (struct id_entry){ .id = id, .line = line };
        set->n++;
        *clash = false;
        return 0;
}

int load_register_id(struct load_ctx *c, const struct ynode *at, const char *id)
{
        unsigned line = 0;
        bool clash = false;

        if (!c->ids) {
                c->ids = calloc(1, sizeof(*c->ids));
                if (!c->ids)
                        return load_nomem(c);
        }
        if (id_set_add(c->ids, id, at ? at->line : 0, &clash, &line) < 0)
                return load_nomem(c);
        if (clash)
                return line ? load_error(c, at, "duplicate rule id \"%s\" (first at line %u)", id,
                                         line)
                            : load_error(c, at, "duplicate rule id \"%s\"", id);
        return 0;
}

int load_rule_id(struct load_ctx *c, const struct ynode *n, const char **ret)
{
        const char *id;
        int r;

        r = load_string(c, n, "\"id\"", &id);
        if (r < 0)
                return r;
        if (n->len == 0 || n->len > POLICY_RULE_ID_MAX ||
            !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z') ||
              (id[0] >= '0' && id[0] <= '9')) ||
            strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:/-") !=
                    n->len)
                return load_error(c, n,
                                  "invalid rule id \"%s\"; expected up to %u letters, digits and "
                                  "._:/- starting with a letter or digit",
                                  id, POLICY_RULE_ID_MAX);
        r = load_register_id(c, n, id);
        if (r < 0)
                return r;
        *ret = id;
        return 0;
}

int load_reason(struct load_ctx *c, const struct ynode *n, const char **ret)
{
        int r = load_string(c, n, "\"reason\"", NULL);

        if (r < 0)
                return r;
        if (n->len == 0 || n->len > POLICY_REASON_MAX)
                return load_error(c, n, "a reason must be 1 to %u characters", POLICY_REASON_MAX);
        for (size_t i = 0; i < n->len; i++)
                if ((unsigned char)n->value[i] < 0x20 || n->value[i] == 0x7f)
                        return load_error(c, n,
                                          "a reason must be one line of text without control "
                                          "characters");
        return load_string(c, n, "\"reason\"", ret);
}

char *load_printf(struct load_ctx *c, const char *fmt, ...)
{
        va_list ap;
        char *s;
        int k;

        va_start(ap, fmt);
        k = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (k < 0)
                return NULL;
        s = pool_alloc(c->pool, (size_t)k + 1);
        if (!s)
                return NULL;
        va_start(ap, fmt);
        vsnprintf(s, (size_t)k + 1, fmt, ap);
        va_end(ap);
        return s;
}

void load_ctx_done(struct load_ctx *c)
{
        if (c->ids) {
                free(c->ids->slots);
                free(c->ids);
                c->ids = NULL;
        }
}
