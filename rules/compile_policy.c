/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy compiler's top level: version, mode and the `requests:` table.
 * Each section has its own file; this one ties them together.
 */
#include <errno.h>
#include <string.h>

#include "compile.h"
#include "decide.h"
#include "policy_error.h"

#define POLICY_VERSION "1"

static const char *const top_keys[] = { "version",   "mode",       "require_hooks",
                                        "require_measurement",  "requests",   "containers",
                                        "copy_file", "sandbox",    "network",       NULL };
static const char *const rule_keys[] = { "decision", "id", "reason", "fields", NULL };
static const char *const decision_words[] = { "allow", "deny", NULL };
static const char *const mode_words[] = { "enforce", "audit", NULL };

static int load_version(struct load_ctx *c, const struct ynode *root)
{
        const struct ynode *v = ytree_get(root, "version");

        if (!v)
                return load_error(c, root, "missing \"version\": a policy starts with \"version: %s\"",
                                  POLICY_VERSION);
        if (v->type != YNODE_SCALAR || !v->plain || strcmp(v->value, POLICY_VERSION) != 0)
                return load_error(c, v, "unsupported policy version%s%s%s; expected %s",
                                  v->type == YNODE_SCALAR ? " \"" : "",
                                  v->type == YNODE_SCALAR ? v->value : "",
                                  v->type == YNODE_SCALAR ? "\"" : "", POLICY_VERSION);
        return 0;
}

static int load_mode(struct load_ctx *c, const struct ynode *root, enum policy_mode *ret)
{
        const struct ynode *v = ytree_get(root, "mode");
        unsigned i;
        int r;

        if (!v) {
                *ret = POLICY_MODE_ENFORCE;
                return 0;
        }
        r = load_enum(c, v, "mode", mode_words, &i);
        if (r < 0)
                return r;
        *ret = i == 0 ? POLICY_MODE_ENFORCE : POLICY_MODE_AUDIT;
        return 0;
}

/* `require_hooks: [connect_unix, lsm_exec, ...]`: names from POLICY_HOOK_NAMES, once each. */
static int load_require_hooks(struct load_ctx *c, const struct ynode *root, unsigned *ret)
{
        const struct ynode *v = ytree_get(root, "require_hooks");
        unsigned mask = 0;
        int r;

        *ret = 0;
        if (!v)
                return 0;
        r = load_check_seq(c, v, "require_hooks");
        if (r < 0)
                return r;
        for (size_t i = 0; i < v->n; i++) {
                unsigned h;

                r = load_enum(c, v->items[i], "hook", policy_hook_names, &h);
                if (r < 0)
                        return r;
                if (mask & (1u << h))
                        return load_error(c, v->items[i], "hook \"%s\" is listed twice in "
                                                          "require_hooks", policy_hook_names[h]);
                mask |= 1u << h;
        }
        *ret = mask;
        return 0;
}

/* `Name: allow|deny` or `Name: {decision, id, reason}`. */
static int load_request_rule(struct load_ctx *c, const struct ynode *key, const struct ynode *v,
                             const struct agent_method *m, struct policy *p, struct request_rule *rr)
{
        const struct ynode *d, *id, *reason, *fields;
        unsigned i;
        int r;

        rr->request_name = pool_strndup(c->pool, key->value, key->len);
        if (!rr->request_name)
                return load_nomem(c);
        rr->rule.line = key->line;

        if (v->type == YNODE_SCALAR) {
                r = load_enum(c, v, "decision", decision_words, &i);
                if (r < 0)
                        return r;
                rr->rule.verdict = i == 0 ? VERDICT_ALLOW : VERDICT_DENY;
                rr->rule.id = load_printf(c, "requests.%s", rr->request_name);
                rr->rule.reason = load_printf(c, "the policy %s %s",
                                              i == 0 ? "allows" : "denies", rr->request_name);
                if (!rr->rule.id || !rr->rule.reason)
                        return load_nomem(c);
                return load_register_id(c, key, rr->rule.id);
        }

        r = load_check_map(c, v, "a request rule", rule_keys);
        if (r < 0)
                return r;
        d = ytree_get(v, "decision");
        id = ytree_get(v, "id");
        reason = ytree_get(v, "reason");
        if (!d)
                return load_error(c, v, "missing \"decision\" in the rule for %s; expected allow or deny",
                                  rr->request_name);
        if (!id)
                return load_error(c, v, "missing \"id\" in the rule for %s", rr->request_name);
        if (!reason)
                return load_error(c, v, "missing \"reason\" in the rule for %s", rr->request_name);
        r = load_enum(c, d, "decision", decision_words, &i);
        if (r < 0)
                return r;
        rr->rule.verdict = i == 0 ? VERDICT_ALLOW : VERDICT_DENY;
        r = load_rule_id(c, id, &rr->rule.id);
        if (r < 0)
                return r;
        r = load_reason(c, reason, &rr->rule.reason);
        if (r < 0)
                return r;
        fields = ytree_get(v, "fields");
        if (!fields)
                return 0;
        if (rr->rule.verdict != VERDICT_ALLOW)
                return load_error(c, fields, "\"fields\" only narrow an allow; %s is denied anyway",
                                  rr->request_name);
        return fields_load(c, fields, m, rr, p);
}

static int load_requests(struct load_ctx *c, const struct ynode *root, struct policy *p)
{
        const struct ynode *reqs = ytree_get(root, "requests");
        int r;

        if (!reqs)
                return 0; /* nothing listed: everything is denied */
        if (reqs->type != YNODE_MAP)
                return load_error(c, reqs,
                                  "expected a mapping of request message names to decisions for "
                                  "\"requests\", found %s",
                                  ytree_type_name(reqs));
        p->requests = pool_alloc_array(c->pool, reqs->n, sizeof(*p->requests));
        if (reqs->n && !p->requests)
                return load_nomem(c);

        for (size_t i = 0; i < reqs->n; i++) {
                const struct ynode *key = reqs->keys[i];
                struct request_rule *rr = &p->requests[p->n_requests];
                enum agent_method_id ids[4];
                size_t n_ids = agent_methods_by_request_name(key->value, ids, ELEMENTSOF(ids));

                if (n_ids == 0)
                        return load_error(c, key,
                                          "unknown request \"%s\"; expected an agent API request "
                                          "message name such as \"ExecProcessRequest\"",
                                          key->value);
                r = load_request_rule(c, key, reqs->items[i], agent_method_get(ids[0]), p, rr);
                if (r < 0)
                        return r;
                p->n_requests++;
                for (size_t j = 0; j < n_ids && j < ELEMENTSOF(ids); j++)
                        p->by_method[ids[j]] = rr;
        }
        return 0;
}

static int build_default_denials(struct load_ctx *c, struct policy *p)
{
        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                const struct agent_method *m = agent_method_get((enum agent_method_id)id);

                p->default_deny[id] = (struct policy_rule){
                        .verdict = VERDICT_DENY,
                        .id = POLICY_RULE_DEFAULT_DENY,
                        .reason = load_printf(c, "the policy does not list %s",
                                              m ? m->request_name : "this request"),
                };
                if (!p->default_deny[id].reason)
                        return load_nomem(c);
        }
        return 0;
}

int policy_compile(struct load_ctx *c, const struct ynode *root, struct policy *p)
{
        const struct ynode *v;
        int r;

        if (root->type != YNODE_MAP)
                return load_error(c, root, "expected a mapping with \"version: %s\" at the top of "
                                           "the policy, found %s",
                                  POLICY_VERSION, ytree_type_name(root));
        /* The version decides how everything else reads: check it before the keys. */
        r = load_version(c, root);
        if (r < 0)
                return r;
        r = load_check_map(c, root, "the policy", top_keys);
        if (r < 0)
                return r;
        r = load_mode(c, root, &p->mode);
        if (r < 0)
                return r;
        r = load_require_hooks(c, root, &p->required_hooks);
        if (r < 0)
                return r;
        if ((v = ytree_get(root, "require_measurement"))) {
                r = load_bool(c, v, "require_measurement", &p->require_measurement);
                if (r < 0)
                        return r;
        }
        r = match_env_init(&p->match);
        if (r < 0)
                return load_nomem(c);
        r = load_requests(c, root, p);
        if (r < 0)
                return r;
        if ((v = ytree_get(root, "containers"))) {
                const char *missing = NULL;
                if (container_schema_check(&missing) < 0)
                        return policy_error_errno(c->err, -EPROTO, c->file, v->line, v->column,
                                                  "the agent API schema lacks %s: containers "
                                                  "cannot be checked",
                                                  missing);
                r = containers_load(c, v, p);
                if (r < 0)
                        return r;
        }
        if ((v = ytree_get(root, "copy_file"))) {
                r = copy_rules_load(c, v, p);
                if (r < 0)
                        return r;
        }
        /* Absent, these two sections still decide: by their defaults, which allow nothing. */
        r = sandbox_load(c, ytree_get(root, "sandbox"), p);
        if (r < 0)
                return r;
        r = network_load(c, ytree_get(root, "network"), p);
        if (r < 0)
                return r;
        return build_default_denials(c, p);
}
