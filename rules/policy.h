/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policies: loading a tenant's YAML into an immutable compiled form, and deciding
 * decoded agent requests against it. Library code: no sockets, no logging; errors
 * are returned (-errno), verdicts are filled into struct decision.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "agent_api.h"
#include "cleanup.h"

struct policy;       /* compiled policy; immutable after load */
struct policy_state; /* what earlier allowed requests established (bindings, exec ids) */

enum policy_mode {
        POLICY_MODE_ENFORCE,
        POLICY_MODE_AUDIT, /* decide and record, but forward what would be denied */
        _POLICY_MODE_MAX,
        _POLICY_MODE_INVALID = -22,
};

enum verdict {
        VERDICT_ALLOW,
        VERDICT_DENY,
        _VERDICT_MAX,
        _VERDICT_INVALID = -22,
};

/* Where a policy failed to load: file:line:column and what was expected. */
struct policy_error {
        char file[256];
        unsigned line;   /* 1-based; 0 when the error is not about a position */
        unsigned column; /* 1-based */
        char message[512];
};

/* Longest container or exec id the state tracks; longer ids are denied. */
#define POLICY_ID_MAX 128u

enum policy_effect_kind {
        POLICY_EFFECT_NONE,
        POLICY_EFFECT_BIND_CONTAINER,   /* container_id -> policy container `entry` */
        POLICY_EFFECT_UNBIND_CONTAINER, /* container_id removed */
        POLICY_EFFECT_ADD_EXEC,         /* exec_id in container_id, policy exec `entry` */
        POLICY_EFFECT_SANDBOX_CREATED,
        POLICY_EFFECT_SANDBOX_DESTROYED,
        _POLICY_EFFECT_MAX,
        _POLICY_EFFECT_INVALID = -22,
};

/*
 * A state change an allowed request would cause. Its holder (the gate, with
 * the request's ticket) applies it only when the agent answers OK. Fixed
 * size: no allocation.
 */
struct policy_effect {
        enum policy_effect_kind kind;
        uint32_t entry;
        char container_id[POLICY_ID_MAX + 1];
        char exec_id[POLICY_ID_MAX + 1];
};

struct decision {
        enum verdict verdict;
        const char *rule_id; /* never NULL; owned by the policy (or static) */
        const char *reason;  /* never NULL; owned by the policy (or static) */
        /* A denied stream read that must still drain (kata issue 10680): forward it,
         * discard the data, answer OK with empty data. */
        bool drain;
        struct policy_effect effect;
};

/*
 * Load a policy from a file / from memory. name is used in error positions.
 * Returns 0 and *ret, or -errno with *err filled (file:line:column, message).
 */
int policy_load_file(const char *path, struct policy **ret, struct policy_error *err);
int policy_load_buffer(const char *name, const uint8_t *buf, size_t len, struct policy **ret,
                       struct policy_error *err);

/*
 * Read a policy file whole, as policy_load_file() does (bounded; a directory
 * or a file too large is an error with its reason). Returns 0 with *ret
 * (free()) and *ret_len, or -errno with *err filled.
 */
int policy_read_file(const char *path, uint8_t **ret, size_t *ret_len, struct policy_error *err);

/* Free a policy; NULL is fine. Returns NULL. */
struct policy *policy_free(struct policy *p);
DEFINE_PTR_CLEANUP(struct policy, policy_free)

enum policy_mode policy_mode(const struct policy *p);

/*
 * The eBPF hooks a policy can require (require_hooks), NULL-terminated; the
 * same names the guard reports (bpf/guard.h guard_hook_name()).
 */
extern const char *const policy_hook_names[];

/* Whether the policy requires hook name (one of policy_hook_names). */
bool policy_requires_hook(const struct policy *p, const char *name);

/*
 * Check the policy's require_hooks against the active hooks, given as their
 * names separated by commas ("connect_unix,lsm_exec", or "none"). Writes the
 * missing ones, comma-separated, to missing (may be NULL) and returns how
 * many are missing.
 */
unsigned policy_hooks_missing(const struct policy *p, const char *active, char *missing,
                              size_t missing_len);

/* Whether the policy requires runtime measurement (require_measurement: true). */
bool policy_requires_measurement(const struct policy *p);

/* The exact bytes the policy was loaded from: what its attested digest covers. */
const uint8_t *policy_text(const struct policy *p, size_t *ret_len);

/* Fresh, empty runtime state; NULL on ENOMEM. */
struct policy_state *policy_state_new(void);
struct policy_state *policy_state_free(struct policy_state *s);
DEFINE_PTR_CLEANUP(struct policy_state, policy_state_free)

/*
 * Decide one decoded request of method m. Fills *ret and returns 0; returns
 * -errno only on internal failure (the caller then denies). Never allocates
 * on the heap for the common cases.
 */
int policy_decide(const struct policy *p, const struct policy_state *s,
                  const struct agent_method *m, const ProtobufCMessage *request,
                  struct decision *ret);

/* Apply the effect of an allowed request whose response was OK. Returns 0 or
 * -ENOSPC when the state table is full (the effect is then dropped and later
 * requests that depend on it are denied). */
int policy_state_apply(struct policy_state *s, const struct policy_effect *e);

/*
 * A forwarded request's effect is in flight: hold what it would take so that a
 * concurrent request cannot take it too (the sandbox; the container id, which
 * also counts toward its policy container's instances). Later decisions see
 * it as taken but not bound. Returns 0, -EEXIST when it is already taken,
 * -ENOSPC when the state is full (the caller then denies the request).
 * policy_state_apply() turns the reservation into the binding on an OK answer;
 * policy_state_cancel() drops it on an error answer or a lost agent.
 */
int policy_state_reserve(struct policy_state *s, const struct policy_effect *e);
void policy_state_cancel(struct policy_state *s, const struct policy_effect *e);

/*
 * Requests addressed to an existing container by container_id (and maybe
 * exec_id), which the policy checks against the container's binding.
 * CreateContainer and ExecProcess are decided on their own.
 */
bool policy_is_container_request(enum agent_method_id id);

const char *verdict_to_string(enum verdict v);
const char *policy_mode_to_string(enum policy_mode m);
