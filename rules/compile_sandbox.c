/* SPDX-License-Identifier: Apache-2.0 */
/* The sandbox, compile side: `sandbox:` (hostname, sandbox_id, sandbox_pidns, dns, storages). */
#include <errno.h>

#include "compile.h"

static const char *const sandbox_keys[] = { "hostname", "sandbox_id", "sandbox_pidns", "dns",
                                            "storages", NULL };

int sandbox_load(struct load_ctx *c, const struct ynode *map, struct policy *p)
{
        struct sandbox_rule *sb = &p->sandbox;
        const struct ynode *v;
        int r;

        /* What an absent section or key means: nothing but an empty request. */
        *sb = (struct sandbox_rule){ .hostname = match_exact("") };
        if (!map)
                return 0;
        r = load_check_map(c, map, "\"sandbox\"", sandbox_keys);
        if (r < 0)
                return r;
        sb->present = true;
        if ((v = ytree_get(map, "hostname")) &&
            (r = match_load(c, &p->match, v, "\"hostname\"", &sb->hostname)) < 0)
                return r;
        if ((v = ytree_get(map, "sandbox_id"))) {
                r = match_load(c, &p->match, v, "\"sandbox_id\"", &sb->sandbox_id);
                if (r < 0)
                        return r;
                sb->has_sandbox_id = true;
        }
        if ((v = ytree_get(map, "sandbox_pidns")) &&
            (r = load_bool(c, v, "\"sandbox_pidns\"", &sb->pidns)) < 0)
                return r;
        if ((v = ytree_get(map, "dns")) &&
            (r = matcher_list_load(c, p, v, "\"dns\"", &sb->dns, &sb->n_dns)) < 0)
                return r;
        if ((v = ytree_get(map, "storages")) &&
            (r = storage_rules_load(c, p, v, &sb->storages, &sb->n_storages)) < 0)
                return r;
        return 0;
}
