/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading the parts of the language shared by containers and exec entries:
 * argv, env, cwd, user, capabilities, terminal, no_new_privileges, streams.
 */
#pragma once

#include "load_util.h"
#include "policy_compiled.h"

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
