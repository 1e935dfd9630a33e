/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Deciding requests against the `containers:` section: CreateContainer picks
 * one policy container by the runtime's annotations and checks every field
 * the agent acts on; ExecProcess picks one of that container's exec entries.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "policy_compiled.h"

/* Annotations the CRI runtime sets on every container (facts of containerd/CRI-O). */
#define ANNOTATION_CONTAINER_NAME "io.kubernetes.cri.container-name"
#define ANNOTATION_CONTAINER_TYPE "io.kubernetes.cri.container-type"

/* Denial of a request for a container id that is not bound (never created, or removed). */
extern const struct policy_rule container_rule_unbound;

/* Bit of a namespace type ("pid", "network", ...), or -EINVAL. */
int container_namespace_bit(const char *type, size_t len);

/* Whether id is something the state may track: 1..POLICY_ID_MAX of [A-Za-z0-9_.-],
 * not starting with a dot (ids become guest paths). */
bool container_id_valid(const char *id);

/* Check that the decoded schema has every field the container checks read
 * (the agent API .proto files are authored separately); -EPROTO if not. */
int container_schema_check(const char **ret_missing);

/* CreateContainerRequest; d holds the table's allow on entry. */
void container_decide_create(const struct policy *p, const struct policy_state *s,
                             const ProtobufCMessage *req, struct decision *d);

/* ExecProcessRequest; d holds the table's allow on entry. */
void container_decide_exec(const struct policy *p, const struct policy_state *s,
                           const ProtobufCMessage *req, struct decision *d);

/* Index of the first failing check of proc against rule, or -1 when it matches. */
int process_check(const struct policy *p, const struct process_rule *rule,
                  const ProtobufCMessage *proc);
