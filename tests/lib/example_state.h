/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "state" of an example request file (examples/NAME/requests/NN-*.json):
 * what must already exist for the request to be decided as the file expects.
 *   { "sandbox_created": true,
 *     "containers": [ { "container_id", "container" (policy name), "sandbox" } ],
 *     "execs": [ { "container_id", "exec_id", "exec" (policy exec id) } ] }
 * Shared by the offline example tests and the decision benchmark.
 */
#pragma once

#include <jansson.h>

#include "policy.h"

/* Apply state (NULL: nothing) to s under p. Returns 0, or -EINVAL when an entry
 * names what p does not have or s cannot hold it. */
int example_state_load(const struct policy *p, const json_t *state, struct policy_state *s);
