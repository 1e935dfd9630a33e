/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gate: one request frame's payload in, one outcome out. Decodes the ttRPC
 * envelope and the agent request, decides it against the policy, writes the
 * audit record, and says what the proxy must do. Everything here is pure (no
 * sockets); the proxy does the I/O. Fails closed: any error on this path is a
 * denial with its own rule id, and is audited like any other decision.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "attest.h"
#include "policy.h"

struct audit_log;

/* Rule ids of the gate's own denials (policy rules carry the tenant's ids). */
#define GATE_RULE_MALFORMED "malformed-request"
#define GATE_RULE_UNKNOWN_METHOD "unknown-method"
#define GATE_RULE_UNDECODABLE "undecodable-request"
#define GATE_RULE_UNKNOWN_FIELD "unknown-field"
#define GATE_RULE_TOO_LARGE "request-too-large"
#define GATE_RULE_NO_POLICY "no-policy"
#define GATE_RULE_ATTESTATION "attestation"
#define GATE_RULE_INTERNAL "internal-error"
#define GATE_RULE_AUDIT "audit-unavailable"
#define GATE_RULE_SETPOLICY "setpolicy"                 /* a delivered policy was accepted */
#define GATE_RULE_SETPOLICY_INVALID "setpolicy-invalid" /* ... was attested but does not load */
#define GATE_RULE_HOOKS "required-hooks" /* the policy's require_hooks are not all active */
#define GATE_RULE_POLICY_INVALID "policy-invalid" /* the policy given at start did not load */
#define GATE_RULE_STATE "state-full" /* the state cannot hold what the request would create */

/* Longest denial message sent to the host. */
#define GATE_MESSAGE_MAX 512u

enum gate_action {
        GATE_FORWARD,       /* send the frame to the agent unchanged */
        GATE_FORWARD_DRAIN, /* forward; answer the host OK with the data dropped */
        GATE_REPLY,         /* answer the host with code+message; the agent never sees it */
        _GATE_ACTION_MAX,
        _GATE_ACTION_INVALID = -22,
};

struct gate_outcome {
        enum gate_action action;
        int32_t code;                   /* GATE_REPLY: a google.rpc.Code */
        char message[GATE_MESSAGE_MAX]; /* GATE_REPLY: never carries request contents */
        struct policy_effect effect;    /* forwarded: applied when the agent answers OK */
};

struct gate {
        const struct policy *policy; /* NULL: nothing is allowed (no policy yet) */
        struct policy *owned_policy; /* a policy delivered by SetPolicyRequest */
        /* Set while the gate waits for its policy from the host (gate_await_policy). */
        const struct attest_config *await_attest;
        const struct attest_result *await_measured;
        const char *await_hooks; /* active eBPF hooks, "a,b" or "none" */
        struct policy_state *state;
        struct audit_log *audit;
        const char *deny_all_reason; /* set: every request is denied with this reason */
        const char *deny_all_rule;   /* ... and this rule id (NULL: GATE_RULE_ATTESTATION) */
        struct arena arena;          /* decode memory for the request being decided */
        bool audit_sync_failed;      /* gate_tick's last fsync failed */
        uint64_t n_allowed, n_denied, n_would_deny;
};

/*
 * Set up a gate. policy and audit are borrowed and must outlive the gate;
 * deny_all_reason (borrowed, may be NULL) makes the gate deny everything.
 * Returns 0 or -errno.
 */
int gate_init(struct gate *g, const struct policy *policy, struct audit_log *audit,
              const char *deny_all_reason);
void gate_done(struct gate *g);

/*
 * Start without a policy and take it from the host: the first SetPolicyRequest
 * whose policy digest matches the field the TEE measured (measured, read once
 * at start; dev mode accepts it unattested, and says so in the audit record)
 * and that loads, and whose require_hooks are among active_hooks (names,
 * comma-separated), is enforced from then on and sealed. Until then every request
 * is denied (no-policy), and a refused SetPolicy changes nothing. ccgate answers
 * the SetPolicyRequest itself: the agent never sees it. c and measured are
 * borrowed and must outlive the gate. Returns 0, or -EINVAL when the gate
 * already has a policy.
 */
int gate_await_policy(struct gate *g, const struct attest_config *c,
                      const struct attest_result *measured, const char *active_hooks);

/*
 * Decide one request frame. conn_id and stream_id identify it in the audit log.
 * Always fills *ret; returns 0, or -errno when the outcome is a denial caused by
 * an internal failure the caller should log (the denial is still in *ret).
 */
int gate_request(struct gate *g, uint64_t conn_id, uint32_t stream_id, const uint8_t *payload,
                 size_t len, struct gate_outcome *ret);

/*
 * The agent answered a forwarded request that carried an effect: apply it if
 * the answer is OK, drop what it reserved otherwise. Returns 1 when applied, 0
 * when the answer was an error (or there was no effect), -errno when the
 * response does not decode (the reservation is dropped) or the state is full.
 */
int gate_response(struct gate *g, const struct policy_effect *effect, const uint8_t *payload,
                  size_t len);

/* A forwarded request with an effect will never be answered (agent or host gone). */
void gate_effect_cancel(struct gate *g, const struct policy_effect *effect);

/*
 * Called about once a second: with --audit-sync MS, records still pending
 * (no request came after them) are fsync'ed once their interval has passed,
 * so an idle log is durable within a second and the interval. Returns -errno
 * when that fsync fails and the previous one did not (log it once), else 0.
 */
int gate_tick(struct gate *g);

/* Build a denial message "<Name> is blocked by policy: <rule>: <reason>". */
void gate_denial_message(char *buf, size_t len, const char *request_name, const char *rule_id,
                         const char *reason);
