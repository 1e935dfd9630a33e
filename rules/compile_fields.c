/* SPDX-License-Identifier: Apache-2.0 */
/* Field rules of a request, compile side: .proto paths resolved once, each with a matcher. */
#include <errno.h>
#include <string.h>

#include "compile.h"

static int field_load(struct load_ctx *c, const struct ynode *key, const struct ynode *value,
                      const struct agent_method *m, const struct request_rule *rr,
                      struct policy *p, struct field_rule *fr)
{
        size_t bad = 0;
        int r;

        fr->path_text = pool_strndup(c->pool, key->value, key->len);
        if (!fr->path_text)
                return load_nomem(c);
        r = pb_path_resolve(m->request, fr->path_text, &fr->path, &bad);
        if (r == -E2BIG)
                return load_error(c, key, "the field path \"%s\" is deeper than %u fields",
                                  fr->path_text, PB_PATH_MAX);
        if (r < 0)
                return load_error(c, key,
                                  "unknown field \"%s\" in %s: step %zu is not a field of the "
                                  "message it follows (names are the .proto's, e.g. "
                                  "\"interface.name\")",
                                  fr->path_text, rr->request_name, bad + 1);
        if (!pb_field_is_text(fr->path.f[fr->path.n - 1]))
                return load_error(c, key,
                                  "the field \"%s\" is a message or bytes; name a string, number, "
                                  "bool or enum inside it",
                                  fr->path_text);
        r = match_load(c, &p->match, value, "a field value", &fr->value);
        if (r < 0)
                return r;
        fr->deny = (struct policy_rule){
                .verdict = VERDICT_DENY,
                .id = load_printf(c, "%s.fields.%s", rr->rule.id, fr->path_text),
                .reason = load_printf(c, "the policy does not allow this value of %s",
                                      fr->path_text),
                .line = key->line,
        };
        if (!fr->deny.id || !fr->deny.reason)
                return load_nomem(c);
        return load_register_id(c, key, fr->deny.id);
}

int fields_load(struct load_ctx *c, const struct ynode *map, const struct agent_method *m,
                struct request_rule *rr, struct policy *p)
{
        int r = load_check_map(c, map, "\"fields\"", NULL);

        if (r < 0)
                return r;
        if (!m->request)
                return load_error(c, map, "%s has no message schema to match fields against",
                                  rr->request_name);
        rr->fields = pool_alloc_array(c->pool, map->n ? map->n : 1, sizeof(*rr->fields));
        if (!rr->fields)
                return load_nomem(c);
        for (size_t i = 0; i < map->n; i++) {
                r = field_load(c, map->keys[i], map->items[i], m, rr, p, &rr->fields[i]);
                if (r < 0)
                        return r;
        }
        rr->n_fields = map->n;
        return 0;
}
