/* SPDX-License-Identifier: Apache-2.0 */
/* Storage rules, decide side: a Storage message against a `storages:` list; string sets. */
#include <string.h>

#include "decide.h"

bool string_set_has(const struct string_set *set, const char *s)
{
        for (size_t i = 0; i < set->n; i++)
                if (strcmp(set->v[i], s) == 0)
                        return true;
        return false;
}

bool strings_equal_set(const ProtobufCMessage *m, const char *field, const struct string_set *set)
{
        size_t n = pb_count_of(m, field);

        for (size_t i = 0; i < n; i++)
                if (!string_set_has(set, pb_str_of(m, field, i)))
                        return false;
        for (size_t j = 0; j < set->n; j++) {
                bool found = false;
                for (size_t i = 0; i < n && !found; i++)
                        found = strcmp(pb_str_of(m, field, i), set->v[j]) == 0;
                if (!found)
                        return false;
        }
        return true;
}

/* The group the agent gives the volume's files, and when: exactly the rule's, or none. */
static bool fs_group_ok(const struct storage_rule *sr, const ProtobufCMessage *st)
{
        const ProtobufCMessage *g = pb_msg_of(st, "fs_group", 0);

        if (!g || !sr->has_fs_group)
                return !g && !sr->has_fs_group;
        return pb_uint_of(g, "group_id", 0) == sr->fs_group_id &&
               pb_uint_of(g, "group_change_policy", 0) == sr->fs_group_policy;
}

bool storage_allowed(const struct policy *p, const struct storage_rule *rules, size_t n,
                     const ProtobufCMessage *st)
{
        for (size_t j = 0; j < n; j++) {
                const struct storage_rule *sr = &rules[j];
                if (strcmp(sr->driver, pb_str_of(st, "driver", 0)) == 0 &&
                    strcmp(sr->fstype, pb_str_of(st, "fstype", 0)) == 0 &&
                    match_cstr(&p->match, &sr->source, pb_str_of(st, "source", 0)) &&
                    match_cstr(&p->match, &sr->mount_point, pb_str_of(st, "mount_point", 0)) &&
                    strings_equal_set(st, "options", &sr->options) &&
                    strings_equal_set(st, "driver_options", &sr->driver_options) &&
                    !!pb_uint_of(st, "shared", 0) == sr->shared && fs_group_ok(sr, st))
                        return true;
        }
        return false;
}
