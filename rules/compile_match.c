/* SPDX-License-Identifier: Apache-2.0 */
/* Matchers, compile side: regexes (PCRE2, JIT, compiled once), exact values, one_of. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "match.h"

struct match_regex {
        struct match_regex *next;  /* all of them */
        struct match_regex *chain; /* same bucket */
        uint64_t hash;
        size_t len;
        char *pattern;
        pcre2_code *code;
};

static uint64_t pattern_hash(const char *s, size_t len)
{
        uint64_t h = 14695981039346656037ull;

        for (size_t i = 0; i < len; i++)
                h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
        return h;
}

static const struct match_regex *regex_find(const struct match_env *env, const char *pattern,
                                            size_t len, uint64_t hash)
{
        if (!env->n_buckets)
                return NULL;
        for (const struct match_regex *r = env->buckets[hash % env->n_buckets]; r; r = r->chain)
                if (r->hash == hash && r->len == len && memcmp(r->pattern, pattern, len) == 0)
                        return r;
        return NULL;
}

/* Keep about one regex per bucket. */
static int regex_index(struct match_env *env, struct match_regex *entry)
{
        if (env->n_regexes >= env->n_buckets) {
                size_t n = env->n_buckets ? env->n_buckets * 2 : 64;
                struct match_regex **b = calloc(n, sizeof(*b));

                if (!b)
                        return -ENOMEM;
                for (struct match_regex *r = env->regexes; r; r = r->next) {
                        r->chain = b[r->hash % n];
                        b[r->hash % n] = r;
                }
                free(env->buckets);
                env->buckets = b;
                env->n_buckets = n;
        }
        entry->chain = env->buckets[entry->hash % env->n_buckets];
        env->buckets[entry->hash % env->n_buckets] = entry;
        env->n_regexes++;
        return 0;
}

int match_env_init(struct match_env *env)
{
        _cleanup_(pcre2_match_data_freep) pcre2_match_data *md = NULL;
        _cleanup_(pcre2_match_context_freep) pcre2_match_context *mctx = NULL;

        /* Anchored full matches need no captures: one ovector pair suffices. */
        md = pcre2_match_data_create(1, NULL);
        mctx = pcre2_match_context_create(NULL);
        if (!md || !mctx)
                return -ENOMEM;
        pcre2_set_match_limit(mctx, MATCH_LIMIT);
        pcre2_set_depth_limit(mctx, MATCH_DEPTH_LIMIT);
        env->md = TAKE_PTR(md);
        env->mctx = TAKE_PTR(mctx);
        env->regexes = NULL;
        return 0;
}

void match_env_done(struct match_env *env)
{
        struct match_regex *r = env->regexes;

        while (r) {
                struct match_regex *next = r->next;
                pcre2_code_free(r->code);
                free(r->pattern);
                free(r);
                r = next;
        }
        free(env->buckets);
        pcre2_match_data_free(env->md);
        pcre2_match_context_free(env->mctx);
        *env = (struct match_env){ 0 };
}

int match_compile(struct load_ctx *c, struct match_env *env, const struct ynode *n,
                  const char *pattern, size_t len, const pcre2_code **ret)
{
        _cleanup_(pcre2_code_freep) pcre2_code *code = NULL;
        _cleanup_free_ char *copy = NULL;
        uint64_t hash = pattern_hash(pattern, len);
        const struct match_regex *found;
        struct match_regex *entry;
        PCRE2_UCHAR msg[256];
        PCRE2_SIZE offset = 0;
        int error = 0;

        if (len > MATCH_PATTERN_MAX)
                return load_error(c, n, "the regex is longer than %u characters", MATCH_PATTERN_MAX);
        /* Policies repeat patterns (ids, paths, service variables) across containers. */
        found = regex_find(env, pattern, len, hash);
        if (found) {
                *ret = found->code;
                return 0;
        }
        /* Anchored at both ends: a rule describes the whole value, never a part of it. */
        code = pcre2_compile((PCRE2_SPTR)pattern, len,
                             PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C |
                                     PCRE2_DOLLAR_ENDONLY,
                             &error, &offset, NULL);
        if (!code) {
                pcre2_get_error_message(error, msg, sizeof(msg));
                return load_error(c, n, "invalid regex at offset %zu: %s", (size_t)offset,
                                  (const char *)msg);
        }
        /* JIT is an optimisation: where it is unavailable the interpreter decides the same. */
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);

        copy = malloc(len + 1);
        entry = calloc(1, sizeof(*entry));
        if (!copy || !entry) {
                free(entry);
                return load_nomem(c);
        }
        memcpy(copy, pattern, len);
        copy[len] = '\0';
        entry->pattern = TAKE_PTR(copy);
        entry->len = len;
        entry->hash = hash;
        /* Indexed before it joins the list: a rehash walks the list. */
        if (regex_index(env, entry) < 0) {
                free(entry->pattern);
                free(entry);
                return load_nomem(c);
        }
        entry->code = TAKE_PTR(code);
        entry->next = env->regexes;
        env->regexes = entry;
        *ret = entry->code;
        return 0;
}

static int load_one_of(struct load_ctx *c, const struct ynode *v, const char *what,
                       struct matcher *m)
{
        const char **set;
        size_t *lens;
        int r;

        r = load_check_seq(c, v, "\"one_of\"");
        if (r < 0)
                return r;
        if (v->n == 0)
                return load_error(c, v, "\"one_of\" for %s needs at least one value", what);
        set = pool_alloc_array(c->pool, v->n, sizeof(*set));
        lens = pool_alloc_array(c->pool, v->n, sizeof(*lens));
        if (!set || !lens)
                return load_nomem(c);
        for (size_t i = 0; i < v->n; i++) {
                r = load_string(c, v->items[i], what, &set[i]);
                if (r < 0)
                        return r;
                lens[i] = v->items[i]->len;
        }
        m->kind = MATCH_ONE_OF;
        m->set = set;
        m->set_len = lens;
        m->n_set = v->n;
        return 0;
}

int match_load(struct load_ctx *c, struct match_env *env, const struct ynode *n, const char *what,
               struct matcher *ret)
{
        static const char *const keys[] = { "regex", "one_of", NULL };
        struct matcher m = { .kind = MATCH_EXACT };
        const struct ynode *v;
        int r;

        if (n->type == YNODE_SCALAR) {
                r = load_string(c, n, what, &m.text);
                if (r < 0)
                        return r;
                m.len = n->len;
                *ret = m;
                return 0;
        }
        if (n->type != YNODE_MAP || n->n != 1)
                return load_error(c, n,
                                  "expected a string, {regex: ...} or {one_of: [...]} for %s, "
                                  "found %s",
                                  what, n->type == YNODE_MAP ? "a mapping with more than one key"
                                                             : ytree_type_name(n));
        r = load_check_map(c, n, what, keys);
        if (r < 0)
                return r;
        if ((v = ytree_get(n, "regex"))) {
                r = load_string(c, v, "\"regex\"", &m.text);
                if (r < 0)
                        return r;
                m.kind = MATCH_REGEX;
                m.len = v->len;
                r = match_compile(c, env, v, m.text, m.len, &m.re);
        } else
                r = load_one_of(c, ytree_get(n, "one_of"), what, &m);
        if (r < 0)
                return r;
        *ret = m;
        return 0;
}

void match_describe(const struct matcher *m, char *buf, size_t len)
{
        switch (m->kind) {
        case MATCH_EXACT:
                snprintf(buf, len, "\"%s\"", m->text);
                break;
        case MATCH_REGEX:
                snprintf(buf, len, "regex \"%s\"", m->text);
                break;
        case MATCH_ONE_OF:
                snprintf(buf, len, "one of %zu values", m->n_set);
                break;
        default:
                snprintf(buf, len, "?");
                break;
        }
}
