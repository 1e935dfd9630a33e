/* SPDX-License-Identifier: Apache-2.0 */
#include "example_state.h"

#include <errno.h>

#include "policy_inspect.h"

int example_state_load(const struct policy *p, const json_t *st, struct policy_state *s)
{
        const json_t *v;
        size_t i;

        if (json_is_true(json_object_get(st, "sandbox_created"))) {
                struct policy_effect e = { .kind = POLICY_EFFECT_SANDBOX_CREATED };
                if (policy_state_apply(s, &e) < 0)
                        return -EINVAL;
        }
        json_array_foreach(json_object_get(st, "containers"), i, v) {
                const char *cid = json_string_value(json_object_get(v, "container_id"));
                const char *name = json_string_value(json_object_get(v, "container"));
                if (policy_state_bind_named(p, s, cid,
                                            json_is_true(json_object_get(v, "sandbox")) ? NULL
                                                                                       : name) < 0)
                        return -EINVAL;
        }
        json_array_foreach(json_object_get(st, "execs"), i, v) {
                if (policy_state_exec_named(p, s, json_string_value(json_object_get(v, "container_id")),
                                            json_string_value(json_object_get(v, "exec_id")),
                                            json_string_value(json_object_get(v, "exec"))) < 0)
                        return -EINVAL;
        }
        return 0;
}
