/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fields the policy engine does not check: one table, each with its reason.
 *
 * Every field of every request message of the agent API table (schemas/agent_api.c),
 * walked recursively through agent.proto, oci.proto and types.proto, is either
 * checked or listed here. "Checked" is not claimed by hand: the completeness test
 * (tests/generate/test_field_coverage.c) proves it, for each field, by changing that
 * field alone in a request of the traffic corpus (tests/corpus) that the policy
 * generated for its pod allows, and seeing the decision turn to a denial. The test
 * fails when a field is neither proved checked nor listed, when an entry names a
 * field that does not exist, and when an entry covers a field proved checked (take
 * the line out when a check lands).
 *
 * An entry names a path as the completeness test prints it: the request message's
 * name, then field names as the .proto spells them, joined by '.'
 * ("CreateContainerRequest.OCI.Process.Rlimits"); a map's entries are ".key" and
 * ".value". An entry names one field (a message field's own entry says only that
 * its presence does not matter; the fields inside it need their own), or a request
 * by its name alone: every field of a request decided as a whole.
 */
#pragma once

#include <stddef.h>

struct field_unchecked {
        const char *path;
        const char *reason;
};

extern const struct field_unchecked field_unchecked[];
extern const size_t field_unchecked_n;
