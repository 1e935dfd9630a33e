/* SPDX-License-Identifier: Apache-2.0 */
/*
 * String matchers of the policy language: an exact string, a PCRE2 regex
 * (compiled once at load with JIT, matched anchored at both ends under match
 * limits), or an allowed set. compile_match.c loads them, decide_match.c
 * matches. Matching never allocates: regexes share one pre-allocated match
 * data block (the proxy is single-threaded).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cleanup.h"

struct load_ctx;
struct ynode;

DEFINE_PTR_CLEANUP(pcre2_code, pcre2_code_free)
DEFINE_PTR_CLEANUP(pcre2_match_data, pcre2_match_data_free)
DEFINE_PTR_CLEANUP(pcre2_match_context, pcre2_match_context_free)

/* Backtracking bounds for host-controlled subjects. */
#define MATCH_LIMIT 100000u
#define MATCH_DEPTH_LIMIT 1000u
/* Longest regex a tenant may write. */
#define MATCH_PATTERN_MAX 4096u

enum match_kind {
        MATCH_EXACT,
        MATCH_REGEX,
        MATCH_ONE_OF,
        _MATCH_KIND_MAX,
        _MATCH_KIND_INVALID = -22,
};

struct match_regex;

/* Shared regex machinery of one policy: every compiled regex and the scratch space. */
struct match_env {
        struct match_regex *regexes; /* list, for freeing */
        struct match_regex **buckets; /* by pattern: equal regexes are compiled once */
        size_t n_buckets, n_regexes;
        pcre2_match_data *md;
        pcre2_match_context *mctx;
};

struct matcher {
        enum match_kind kind;
        const char *text; /* exact value, or the regex as written */
        size_t len;
        const pcre2_code *re;
        const char *const *set; /* one_of */
        const size_t *set_len;
        size_t n_set;
};

/* A matcher of exactly s (static or pool storage). */
static inline struct matcher match_exact(const char *s)
{
        return (struct matcher){ .kind = MATCH_EXACT, .text = s, .len = strlen(s) };
}

/* Set up/tear down the env; done accepts a never-initialised (zeroed) env. */
int match_env_init(struct match_env *env);
void match_env_done(struct match_env *env);

/*
 * Load a matcher from node n: a string (exact), {regex: "..."} or
 * {one_of: [...]}. what names it in errors.
 */
int match_load(struct load_ctx *c, struct match_env *env, const struct ynode *n, const char *what,
               struct matcher *ret);

/* Compile one regex (anchored full match) into env; -EINVAL with the error at n. */
int match_compile(struct load_ctx *c, struct match_env *env, const struct ynode *n,
                  const char *pattern, size_t len, const pcre2_code **ret);

/* Whether s[0..len) matches. Regex errors (limits, invalid UTF-8) do not match. */
bool match_string(const struct match_env *env, const struct matcher *m, const char *s, size_t len);

/* The same for a NUL-terminated s. */
static inline bool match_cstr(const struct match_env *env, const struct matcher *m, const char *s)
{
        return match_string(env, m, s, strlen(s));
}

/* Whether s matches regex re (anchored, full). */
bool match_regex(const struct match_env *env, const pcre2_code *re, const char *s, size_t len);

/* How the matcher reads in a summary: "\"x\"", "regex \"x\"", "one of 3 values". */
void match_describe(const struct matcher *m, char *buf, size_t len);
