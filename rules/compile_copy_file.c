/* SPDX-License-Identifier: Apache-2.0 */
/* CopyFile rules, compile side: `copy_file:` entries (path matcher, file types). */
#include <errno.h>
#include <string.h>

#include "compile.h"

static const char *const type_names[] = { "file", "directory", "symlink", NULL };

static int copy_rule_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                          struct copy_rule *cr)
{
        static const char *const keys[] = { "id", "reason", "path", "types", "uid", "gid", NULL };
        uint64_t id;
        const struct ynode *v;
        int r;

        r = load_check_map(c, n, "a copy_file rule", keys);
        if (r < 0)
                return r;
        for (unsigned k = 0; k < 3; k++)
                if (!ytree_get(n, keys[k]))
                        return load_error(c, n, "missing \"%s\" in a copy_file rule", keys[k]);
        if ((r = load_rule_id(c, ytree_get(n, "id"), &cr->allow.id)) < 0 ||
            (r = load_reason(c, ytree_get(n, "reason"), &cr->allow.reason)) < 0 ||
            (r = match_load(c, &p->match, ytree_get(n, "path"), "\"path\"", &cr->path)) < 0)
                return r;
        cr->allow.verdict = VERDICT_ALLOW;
        cr->allow.line = n->line;
        if ((v = ytree_get(n, "uid"))) {
                if ((r = load_uint(c, v, "\"uid\"", INT32_MAX, &id)) < 0)
                        return r;
                cr->uid = (uint32_t)id;
        }
        if ((v = ytree_get(n, "gid"))) {
                if ((r = load_uint(c, v, "\"gid\"", INT32_MAX, &id)) < 0)
                        return r;
                cr->gid = (uint32_t)id;
        }
        v = ytree_get(n, "types");
        if (!v) {
                cr->types[COPY_FILE] = true;
                return 0;
        }
        r = load_check_seq(c, v, "\"types\"");
        if (r < 0)
                return r;
        for (size_t i = 0; i < v->n; i++) {
                unsigned t;
                r = load_enum(c, v->items[i], "file type", type_names, &t);
                if (r < 0)
                        return r;
                cr->types[t] = true;
        }
        return 0;
}

int copy_rules_load(struct load_ctx *c, const struct ynode *seq, struct policy *p)
{
        int r = load_check_seq(c, seq, "\"copy_file\"");

        if (r < 0)
                return r;
        p->copies = pool_alloc_array(c->pool, seq->n ? seq->n : 1, sizeof(*p->copies));
        if (!p->copies)
                return load_nomem(c);
        for (size_t i = 0; i < seq->n; i++) {
                r = copy_rule_load(c, p, seq->items[i], &p->copies[i]);
                if (r < 0)
                        return r;
                p->n_copies++;
        }
        return 0;
}
