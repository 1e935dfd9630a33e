/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The traffic corpus (tests/corpus) for tests that send it: a step's agent method,
 * its message as the protobuf bytes the runtime puts on the wire, and the one-field
 * changes of mutations.json. No cmocka here.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "agent_api.h"

/* The method a step calls ("request" and "method" of the step), or NULL. */
const struct agent_method *corpus_step_method(const json_t *step);

/*
 * msg (the JSON mapping of m's request message) as protobuf bytes: *ret is malloc'ed
 * (free() it; never NULL on success), *ret_len its length. Returns 0, or -EINVAL with
 * why when msg does not fit the message.
 */
int corpus_pack(const struct agent_method *m, const json_t *msg, uint8_t **ret, size_t *ret_len,
                char *why, size_t why_len);

/*
 * Apply a mutation to msg: path joins field names with '.', [N] selects an array
 * element, ["key"] a map key; op is "set" (replace or create), "add" (append to an
 * array, or create a missing key) or "remove" (see tests/corpus/README.md). Objects
 * missing on the way are created. Returns 0, or -EINVAL (a bad path or op), -ENOENT
 * (nothing at an index on the way), -EEXIST (add onto a value that is not an array).
 */
int corpus_mutate(json_t *msg, const char *path, const char *op, const json_t *value);
