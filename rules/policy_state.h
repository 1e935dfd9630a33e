/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime state decisions depend on: which container ids are bound to
 * which policy container, which exec ids run which policy exec entry, and
 * whether the sandbox exists. Fixed-size tables allocated once, so that
 * lookups and updates on the request path never allocate.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* How many containers / exec processes the state tracks at once. */
#define POLICY_STATE_CONTAINERS_MAX 256u
/* Exec ids are never released by the API (probes make a new one each period):
 * the oldest is forgotten when the table is full, and its later requests denied. */
#define POLICY_STATE_EXECS_MAX 1024u

/* Entry value meaning "forwarded in audit mode without a matching policy entry". */
#define POLICY_ENTRY_NONE UINT32_MAX

/* The policy container bound to container id (len bytes), or -ENOENT. */
int state_container_find(const struct policy_state *s, const char *id, size_t len,
                         uint32_t *ret_entry);

/* Whether container id is bound or reserved by a CreateContainer in flight. */
bool state_container_taken(const struct policy_state *s, const char *id, size_t len);

/* How many live container ids are bound to policy container entry, or reserved for it. */
size_t state_container_count(const struct policy_state *s, uint32_t entry);

/* The policy exec entry of exec_id in container_id, or -ENOENT. */
int state_exec_find(const struct policy_state *s, const char *container_id, size_t cid_len,
                    const char *exec_id, size_t eid_len, uint32_t *ret_entry);

/* Created, or a CreateSandbox for it is in flight. */
bool state_sandbox_created(const struct policy_state *s);

/* Visit the bindings (for `policy explain` and tests): container id and entry. */
size_t state_n_containers(const struct policy_state *s);
