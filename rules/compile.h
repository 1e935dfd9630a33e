/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy compiler's internals: YAML (yaml_tree.h) into the compiled form
 * (policy_compiled.h). compile_policy.c reads the top level and the
 * `requests:` table and calls one compile_<kind>.c per section; each decision
 * the compiled form then takes is one decide_<kind>.c (decide.h). A new rule
 * kind is one file of each, a key in compile_policy.c and a case in
 * decide_policy.c. Typed reads of YAML nodes with errors that name the
 * position and what was expected, and rule id bookkeeping, are compile_util.c.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"
#include "policy_compiled.h"
#include "pool.h"
#include "yaml_tree.h"

struct id_set;

struct load_ctx {
        const char *file;
        struct policy_error *err;
        struct pool *pool;
        struct id_set *ids; /* every rule id seen so far, for uniqueness */
};

/* Longest rule id and reason: both travel in denial messages. */
#define POLICY_RULE_ID_MAX 64u
#define POLICY_REASON_MAX 256u

/* Error at node n; returns -EINVAL. */
int load_error(struct load_ctx *c, const struct ynode *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* -ENOMEM with the error filled. */
int load_nomem(struct load_ctx *c);

/*
 * n must be a mapping whose keys are all in allowed (NULL-terminated); what
 * names the mapping in errors ("the policy", "container \"web\"").
 */
int load_check_map(struct load_ctx *c, const struct ynode *n, const char *what,
                   const char *const *allowed);

/* n must be a sequence; what names it in errors. */
int load_check_seq(struct load_ctx *c, const struct ynode *n, const char *what);

/* Whether a plain scalar would be read as null, a boolean or a number by YAML tools. */
bool load_scalar_is_typed(const struct ynode *n);

/*
 * A string value (any quoted scalar; a plain one that YAML tools would not read
 * as a number, boolean or null). Copied into the pool unless ret is NULL.
 */
int load_string(struct load_ctx *c, const struct ynode *n, const char *what, const char **ret);

/* true/false. */
int load_bool(struct load_ctx *c, const struct ynode *n, const char *what, bool *ret);

/* A plain decimal integer in [0, max]. */
int load_uint(struct load_ctx *c, const struct ynode *n, const char *what, uint64_t max,
              uint64_t *ret);

/* A plain decimal integer, optionally negative ("-998"), in [min, max] (min < 0). */
int load_int(struct load_ctx *c, const struct ynode *n, const char *what, int64_t min,
             int64_t max, int64_t *ret);

/* One of words (NULL-terminated); *ret is its index. */
int load_enum(struct load_ctx *c, const struct ynode *n, const char *what,
              const char *const *words, unsigned *ret);

/* A rule id: [A-Za-z0-9][A-Za-z0-9._:/-]*, unique in the policy. */
int load_rule_id(struct load_ctx *c, const struct ynode *n, const char **ret);

/* A reason: one line of printable text, at most POLICY_REASON_MAX bytes. */
int load_reason(struct load_ctx *c, const struct ynode *n, const char **ret);

/* Register a generated rule id (no position); fails on a clash. */
int load_register_id(struct load_ctx *c, const struct ynode *at, const char *id);

/* Pool-allocated printf. NULL on ENOMEM. */
char *load_printf(struct load_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Free the id bookkeeping. */
void load_ctx_done(struct load_ctx *c);

/* ---- Sections (one compile_<kind>.c each) ---- */

/* Compile a parsed document into p (whose pool and text are set). */
int policy_compile(struct load_ctx *c, const struct ynode *root, struct policy *p);

/* The `containers:` section (compile_container.c). */
int containers_load(struct load_ctx *c, const struct ynode *seq, struct policy *p);

/* The `copy_file:` section (compile_copy_file.c). */
int copy_rules_load(struct load_ctx *c, const struct ynode *seq, struct policy *p);

/* The `sandbox:` section (compile_sandbox.c); without one, its defaults. */
int sandbox_load(struct load_ctx *c, const struct ynode *map, struct policy *p);

/* The `network:` section (compile_network.c); without one, nothing is allowed. */
int network_load(struct load_ctx *c, const struct ynode *map, struct policy *p);

/* A `storages:` list (compile_storage.c): containers' and the sandbox's. */
int storage_rules_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                       struct storage_rule **ret, size_t *ret_n);

/* `fields:` of a request rule (compile_fields.c). */
int fields_load(struct load_ctx *c, const struct ynode *map, const struct agent_method *m,
                struct request_rule *rr, struct policy *p);

/* ---- Process keys shared by containers and exec entries (compile_process.c) ---- */

/* Fill proc from the process keys present in map n; keys absent keep proc's values. */
int process_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                 const char *argv_key, struct process_rule *proc);

/* The defaults of a container process before its keys are read. */
void process_defaults(struct process_rule *proc);

/*
 * `streams:` of owner (a container or exec id): allow/deny for all, or a
 * mapping {stdout, stderr, stdin, tty_resize}; absent (n NULL) denies all.
 * Their ids "<owner>.streams.<stream>" are registered at owner_at.
 */
int streams_load(struct load_ctx *c, const struct ynode *n, const struct ynode *owner_at,
                 const char *owner, struct policy_rule streams[]);

/* A list of strings compared as a set. */
int string_set_load(struct load_ctx *c, const struct ynode *n, const char *what,
                    struct string_set *ret);

/* A list of matchers compared element by element. */
int matcher_list_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                      const char *what, struct matcher **ret, size_t *ret_n);

/* A mapping of names to matchers. */
int kv_rules_load(struct load_ctx *c, struct policy *p, const struct ynode *n, const char *what,
                  struct kv_rule **ret, size_t *ret_n);
