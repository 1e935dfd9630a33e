/* SPDX-License-Identifier: Apache-2.0 */
/* Process rules, compile side: argv, env, cwd, user, capabilities, terminal, streams. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "compile.h"

static const char *const stream_names[] = { "stdout", "stderr", "stdin", "tty_resize", NULL };
static const char *const stream_what[] = { "reading its stdout", "reading its stderr",
                                           "writing or closing its stdin",
                                           "resizing its terminal" };
static const char *const cap_set_names[] = { "bounding", "effective", "inheritable", "permitted",
                                             "ambient", NULL };

void process_defaults(struct process_rule *proc)
{
        *proc = (struct process_rule){ .cwd = { .kind = MATCH_EXACT, .text = "/", .len = 1 },
                                       .apparmor_profile = "" };
        /* Unprivileged containers get containerd's default set, never inheritable/ambient. */
        proc->caps[CAP_SET_BOUNDING] = cap_default_set();
        proc->caps[CAP_SET_EFFECTIVE] = cap_default_set();
        proc->caps[CAP_SET_PERMITTED] = cap_default_set();
}

int string_set_load(struct load_ctx *c, const struct ynode *n, const char *what,
                    struct string_set *ret)
{
        const char **v;
        int r = load_check_seq(c, n, what);

        if (r < 0)
                return r;
        v = pool_alloc_array(c->pool, n->n ? n->n : 1, sizeof(*v));
        if (!v)
                return load_nomem(c);
        for (size_t i = 0; i < n->n; i++) {
                r = load_string(c, n->items[i], what, &v[i]);
                if (r < 0)
                        return r;
        }
        *ret = (struct string_set){ .v = v, .n = n->n };
        return 0;
}

int matcher_list_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                      const char *what, struct matcher **ret, size_t *ret_n)
{
        struct matcher *m;
        int r = load_check_seq(c, n, what);

        if (r < 0)
                return r;
        m = pool_alloc_array(c->pool, n->n ? n->n : 1, sizeof(*m));
        if (!m)
                return load_nomem(c);
        for (size_t i = 0; i < n->n; i++) {
                r = match_load(c, &p->match, n->items[i], what, &m[i]);
                if (r < 0)
                        return r;
        }
        *ret = m;
        *ret_n = n->n;
        return 0;
}

int kv_rules_load(struct load_ctx *c, struct policy *p, const struct ynode *n, const char *what,
                  struct kv_rule **ret, size_t *ret_n)
{
        struct kv_rule *kv;
        int r = load_check_map(c, n, what, NULL);

        if (r < 0)
                return r;
        kv = pool_alloc_array(c->pool, n->n ? n->n : 1, sizeof(*kv));
        if (!kv)
                return load_nomem(c);
        for (size_t i = 0; i < n->n; i++) {
                kv[i].key = pool_strndup(c->pool, n->keys[i]->value, n->keys[i]->len);
                if (!kv[i].key)
                        return load_nomem(c);
                r = match_load(c, &p->match, n->items[i], what, &kv[i].value);
                if (r < 0)
                        return r;
        }
        *ret = kv;
        *ret_n = n->n;
        return 0;
}

/* "NAME=value" (exact) or {name: NAME, value: matcher}. */
static int env_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                    struct env_rule *ret)
{
        static const char *const keys[] = { "name", "value", NULL };
        const struct ynode *name, *value;
        const char *s, *eq;
        int r;

        if (n->type == YNODE_SCALAR) {
                r = load_string(c, n, "an env entry", &s);
                if (r < 0)
                        return r;
                eq = strchr(s, '=');
                if (!eq || eq == s)
                        return load_error(c, n,
                                          "expected NAME=value or {name: NAME, value: ...} for an "
                                          "env entry, found \"%s\"",
                                          s);
                ret->name = s;
                ret->name_len = (size_t)(eq - s);
                ret->value = (struct matcher){ .kind = MATCH_EXACT, .text = eq + 1,
                                               .len = strlen(eq + 1) };
                return 0;
        }
        r = load_check_map(c, n, "an env entry", keys);
        if (r < 0)
                return r;
        name = ytree_get(n, "name");
        value = ytree_get(n, "value");
        if (!name || !value)
                return load_error(c, n, "missing \"%s\" in an env entry", name ? "value" : "name");
        r = load_string(c, name, "\"name\"", &ret->name);
        if (r < 0)
                return r;
        if (name->len == 0 || strchr(ret->name, '='))
                return load_error(c, name, "an env name must be non-empty and without \"=\"");
        ret->name_len = name->len;
        return match_load(c, &p->match, value, "an env value", &ret->value);
}

static int env_list_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                         struct process_rule *proc)
{
        int r = load_check_seq(c, n, "\"env\"");

        if (r < 0)
                return r;
        proc->env = pool_alloc_array(c->pool, n->n ? n->n : 1, sizeof(*proc->env));
        if (!proc->env)
                return load_nomem(c);
        for (size_t i = 0; i < n->n; i++) {
                r = env_load(c, p, n->items[i], &proc->env[i]);
                if (r < 0)
                        return r;
        }
        proc->n_env = n->n;
        return 0;
}

static int user_load(struct load_ctx *c, const struct ynode *n, struct process_rule *proc)
{
        static const char *const keys[] = { "uid", "gid", "additional_gids", NULL };
        const struct ynode *v;
        uint64_t x;
        int r;

        r = load_check_map(c, n, "\"user\"", keys);
        if (r < 0)
                return r;
        if (!(v = ytree_get(n, "uid")))
                return load_error(c, n, "missing \"uid\" in \"user\"");
        r = load_uint(c, v, "\"uid\"", UINT32_MAX, &x);
        if (r < 0)
                return r;
        proc->uid = (uint32_t)x;
        if (!(v = ytree_get(n, "gid")))
                return load_error(c, n, "missing \"gid\" in \"user\"");
        r = load_uint(c, v, "\"gid\"", UINT32_MAX, &x);
        if (r < 0)
                return r;
        proc->gid = (uint32_t)x;
        proc->gids = NULL;
        proc->n_gids = 0;
        if ((v = ytree_get(n, "additional_gids"))) {
                uint32_t *gids;

                r = load_check_seq(c, v, "\"additional_gids\"");
                if (r < 0)
                        return r;
                gids = pool_alloc_array(c->pool, v->n ? v->n : 1, sizeof(*gids));
                if (!gids)
                        return load_nomem(c);
                for (size_t i = 0; i < v->n; i++) {
                        r = load_uint(c, v->items[i], "a group id", UINT32_MAX, &x);
                        if (r < 0)
                                return r;
                        gids[i] = (uint32_t)x;
                }
                proc->gids = gids;
                proc->n_gids = v->n;
        }
        return 0;
}

static int cap_list_load(struct load_ctx *c, const struct ynode *n, const char *what,
                         uint64_t *ret)
{
        uint64_t set = 0;
        int r = load_check_seq(c, n, what);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *v = n->items[i];
                int bit;

                r = load_string(c, v, "a capability", NULL);
                if (r < 0)
                        return r;
                bit = cap_from_name(v->value, v->len);
                if (bit < 0)
                        return load_error(c, v,
                                          "unknown capability \"%s\"; expected a name such as "
                                          "\"CAP_NET_BIND_SERVICE\"",
                                          v->value);
                set |= UINT64_C(1) << bit;
        }
        *ret = set;
        return 0;
}

/* `oom_score_adj:` N, or {min: N, max: N}, within the kernel's [-1000, 1000]. */
static int oom_load(struct load_ctx *c, const struct ynode *n, struct process_rule *proc)
{
        static const char *const keys[] = { "min", "max", NULL };
        int r;

        proc->oom_or_unset = false;
        if (n->type == YNODE_SCALAR) {
                r = load_int(c, n, "\"oom_score_adj\"", -1000, 1000, &proc->oom_min);
                proc->oom_max = proc->oom_min;
                return r;
        }
        r = load_check_map(c, n, "\"oom_score_adj\"", keys);
        if (r < 0)
                return r;
        if (!ytree_get(n, "min") || !ytree_get(n, "max"))
                return load_error(c, n, "missing \"%s\" in \"oom_score_adj\"",
                                  ytree_get(n, "min") ? "max" : "min");
        if ((r = load_int(c, ytree_get(n, "min"), "\"min\"", -1000, 1000, &proc->oom_min)) < 0 ||
            (r = load_int(c, ytree_get(n, "max"), "\"max\"", -1000, 1000, &proc->oom_max)) < 0)
                return r;
        if (proc->oom_min > proc->oom_max)
                return load_error(c, n, "\"oom_score_adj\": min is above max");
        return 0;
}

/* `rlimits:` [{type: RLIMIT_X, hard: N, soft: N}]: the only rlimits the process may get. */
static int rlimits_load(struct load_ctx *c, const struct ynode *n, struct process_rule *proc)
{
        static const char *const keys[] = { "type", "hard", "soft", NULL };
        int r = load_check_seq(c, n, "\"rlimits\"");

        if (r < 0)
                return r;
        proc->rlimits = pool_alloc_array(c->pool, n->n ? n->n : 1, sizeof(*proc->rlimits));
        if (!proc->rlimits)
                return load_nomem(c);
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *m = n->items[i];
                struct rlimit_rule *rl = &proc->rlimits[i];

                r = load_check_map(c, m, "an rlimit", keys);
                if (r < 0)
                        return r;
                for (unsigned k = 0; k < 3; k++)
                        if (!ytree_get(m, keys[k]))
                                return load_error(c, m, "missing \"%s\" in an rlimit", keys[k]);
                if ((r = load_string(c, ytree_get(m, "type"), "\"type\"", &rl->type)) < 0 ||
                    (r = load_uint(c, ytree_get(m, "hard"), "\"hard\"", UINT64_MAX, &rl->hard)) < 0 ||
                    (r = load_uint(c, ytree_get(m, "soft"), "\"soft\"", UINT64_MAX, &rl->soft)) < 0)
                        return r;
                if (strncmp(rl->type, "RLIMIT_", 7) != 0)
                        return load_error(c, ytree_get(m, "type"),
                                          "an rlimit type is RLIMIT_<NAME>, found \"%s\"", rl->type);
                if (rl->soft > rl->hard)
                        return load_error(c, m, "an rlimit's soft limit is above its hard limit");
        }
        proc->n_rlimits = n->n;
        return 0;
}

/* A list (bounding, effective and permitted; inheritable and ambient stay empty)
 * or a mapping per set (absent sets are empty). */
static int caps_load(struct load_ctx *c, const struct ynode *n, struct process_rule *proc)
{
        uint64_t set = 0;
        int r;

        if (n->type == YNODE_SEQ) {
                r = cap_list_load(c, n, "\"capabilities\"", &set);
                if (r < 0)
                        return r;
                memset(proc->caps, 0, sizeof(proc->caps));
                proc->caps[CAP_SET_BOUNDING] = set;
                proc->caps[CAP_SET_EFFECTIVE] = set;
                proc->caps[CAP_SET_PERMITTED] = set;
                return 0;
        }
        if (n->type != YNODE_MAP)
                return load_error(c, n,
                                  "expected a list of capabilities or a mapping of bounding, "
                                  "effective, inheritable, permitted, ambient for "
                                  "\"capabilities\", found %s",
                                  ytree_type_name(n));
        r = load_check_map(c, n, "\"capabilities\"", cap_set_names);
        if (r < 0)
                return r;
        memset(proc->caps, 0, sizeof(proc->caps));
        for (unsigned i = 0; i < _CAP_SET_MAX; i++) {
                const struct ynode *v = ytree_get(n, cap_set_names[i]);
                if (!v)
                        continue;
                r = cap_list_load(c, v, cap_set_names[i], &proc->caps[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int process_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                 const char *argv_key, struct process_rule *proc)
{
        const struct ynode *v;
        int r;

        if ((v = ytree_get(n, argv_key))) {
                char what[32];

                snprintf(what, sizeof(what), "\"%s\"", argv_key);
                r = matcher_list_load(c, p, v, what, &proc->argv, &proc->n_argv);
                if (r < 0)
                        return r;
                if (proc->n_argv == 0)
                        return load_error(c, v, "\"%s\" needs at least one element", argv_key);
        }
        if ((v = ytree_get(n, "env")) && (r = env_list_load(c, p, v, proc)) < 0)
                return r;
        if ((v = ytree_get(n, "cwd")) && (r = match_load(c, &p->match, v, "\"cwd\"", &proc->cwd)) < 0)
                return r;
        if ((v = ytree_get(n, "user")) && (r = user_load(c, v, proc)) < 0)
                return r;
        if ((v = ytree_get(n, "capabilities")) && (r = caps_load(c, v, proc)) < 0)
                return r;
        if ((v = ytree_get(n, "terminal")) &&
            (r = load_bool(c, v, "\"terminal\"", &proc->terminal)) < 0)
                return r;
        if ((v = ytree_get(n, "no_new_privileges")) &&
            (r = load_bool(c, v, "\"no_new_privileges\"", &proc->no_new_privileges)) < 0)
                return r;
        /* The guest does not apply AppArmor (kata's agent has no AppArmor support); the
         * name containerd gives every container is allowed only as the policy spells it. */
        if ((v = ytree_get(n, "apparmor_profile")) &&
            (r = load_string(c, v, "\"apparmor_profile\"", &proc->apparmor_profile)) < 0)
                return r;
        if ((v = ytree_get(n, "oom_score_adj")) && (r = oom_load(c, v, proc)) < 0)
                return r;
        if ((v = ytree_get(n, "rlimits")) && (r = rlimits_load(c, v, proc)) < 0)
                return r;
        return 0;
}

static int stream_set(struct load_ctx *c, const char *owner, unsigned k, enum verdict v,
                      struct policy_rule *ret)
{
        ret->verdict = v;
        ret->id = load_printf(c, "%s.streams.%s", owner, stream_names[k]);
        ret->reason = load_printf(c, "the policy %s %s", v == VERDICT_ALLOW ? "allows" : "does not allow",
                                  stream_what[k]);
        if (!ret->id || !ret->reason)
                return load_nomem(c);
        return 0;
}

int streams_load(struct load_ctx *c, const struct ynode *n, const struct ynode *owner_at,
                 const char *owner, struct policy_rule streams[])
{
        static const char *const words[] = { "allow", "deny", NULL };
        unsigned w;
        int r;

        for (unsigned k = 0; k < _STREAM_KIND_MAX; k++) {
                r = stream_set(c, owner, k, VERDICT_DENY, &streams[k]);
                if (r < 0)
                        return r;
                r = load_register_id(c, owner_at, streams[k].id);
                if (r < 0)
                        return r;
        }
        if (!n)
                return 0;
        if (n->type == YNODE_SCALAR) {
                r = load_enum(c, n, "\"streams\"", words, &w);
                if (r < 0)
                        return r;
                for (unsigned k = 0; k < _STREAM_KIND_MAX; k++) {
                        r = stream_set(c, owner, k, w == 0 ? VERDICT_ALLOW : VERDICT_DENY,
                                       &streams[k]);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        r = load_check_map(c, n, "\"streams\"", stream_names);
        if (r < 0)
                return r;
        for (unsigned k = 0; k < _STREAM_KIND_MAX; k++) {
                const struct ynode *v = ytree_get(n, stream_names[k]);
                if (!v)
                        continue;
                r = load_enum(c, v, stream_names[k], words, &w);
                if (r < 0)
                        return r;
                r = stream_set(c, owner, k, w == 0 ? VERDICT_ALLOW : VERDICT_DENY, &streams[k]);
                if (r < 0)
                        return r;
        }
        return 0;
}
