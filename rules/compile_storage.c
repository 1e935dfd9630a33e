/* SPDX-License-Identifier: Apache-2.0 */
/* Storage rules, compile side: a `storages:` list, for containers and the sandbox alike. */
#include <errno.h>

#include "compile.h"

/* `fs_group: {group_id: N, change_policy: Always|OnRootMismatch}` of a storage. */
static int fs_group_load(struct load_ctx *c, const struct ynode *n, struct storage_rule *sr)
{
        static const char *const keys[] = { "group_id", "change_policy", NULL };
        static const char *const policies[] = { "Always", "OnRootMismatch", NULL };
        const struct ynode *v;
        uint64_t gid;
        int r = load_check_map(c, n, "\"fs_group\"", keys);

        if (r < 0)
                return r;
        if (!(v = ytree_get(n, "group_id")))
                return load_error(c, n, "missing \"group_id\" in \"fs_group\"");
        if ((r = load_uint(c, v, "\"group_id\"", UINT32_MAX, &gid)) < 0)
                return r;
        sr->fs_group_id = (uint32_t)gid;
        sr->has_fs_group = true;
        if ((v = ytree_get(n, "change_policy")) &&
            (r = load_enum(c, v, "\"change_policy\"", policies, &sr->fs_group_policy)) < 0)
                return r;
        return 0;
}

int storage_rules_load(struct load_ctx *c, struct policy *p, const struct ynode *n,
                       struct storage_rule **ret, size_t *ret_n)
{
        static const char *const keys[] = { "driver",      "source",         "fstype", "options",
                                            "mount_point", "driver_options", "shared",
                                            "fs_group",    NULL };
        static const char *const required[] = { "driver", "source", "fstype", "mount_point" };
        struct storage_rule *rules;
        int r = load_check_seq(c, n, "\"storages\"");

        if (r < 0)
                return r;
        rules = pool_alloc_array(c->pool, n->n ? n->n : 1, sizeof(*rules));
        if (!rules)
                return load_nomem(c);
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *m = n->items[i], *v;
                struct storage_rule *sr = &rules[i];

                r = load_check_map(c, m, "a storage", keys);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < ELEMENTSOF(required); k++)
                        if (!ytree_get(m, required[k]))
                                return load_error(c, m, "missing \"%s\" in a storage", required[k]);
                if ((r = load_string(c, ytree_get(m, "driver"), "\"driver\"", &sr->driver)) < 0 ||
                    (r = match_load(c, &p->match, ytree_get(m, "source"), "\"source\"",
                                    &sr->source)) < 0 ||
                    (r = load_string(c, ytree_get(m, "fstype"), "\"fstype\"", &sr->fstype)) < 0 ||
                    (r = match_load(c, &p->match, ytree_get(m, "mount_point"), "\"mount_point\"",
                                    &sr->mount_point)) < 0)
                        return r;
                if ((v = ytree_get(m, "options")) &&
                    (r = string_set_load(c, v, "\"options\"", &sr->options)) < 0)
                        return r;
                if ((v = ytree_get(m, "driver_options")) &&
                    (r = string_set_load(c, v, "\"driver_options\"", &sr->driver_options)) < 0)
                        return r;
                if ((v = ytree_get(m, "shared")) && (r = load_bool(c, v, "\"shared\"", &sr->shared)) < 0)
                        return r;
                if ((v = ytree_get(m, "fs_group")) && (r = fs_group_load(c, v, sr)) < 0)
                        return r;
        }
        *ret = rules;
        *ret_n = n->n;
        return 0;
}
