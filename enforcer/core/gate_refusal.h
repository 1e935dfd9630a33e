/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gate's own refusals, typed: one row each of {rule id, reason, code} in
 * gate.c's table, rendered in one place. The policy source names the refusal
 * a policy that cannot be used gets (policy_source.h).
 */
#pragma once

/* Rule ids of the gate's own refusals (policy rules carry the tenant's ids);
 * each is a row of the one refusal table in gate.c. */
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
#define GATE_RULE_CAPACITY "capacity" /* no room for one more request in flight */
#define GATE_RULE_MEASUREMENT "measurement-unavailable" /* require_measurement, and it fails */

/* The gate's own refusals: one row each of {rule id, reason, code} in gate.c. */
enum gate_refusal {
        GATE_REFUSE_MALFORMED,
        GATE_REFUSE_ENVELOPE_UNKNOWN_FIELD,
        GATE_REFUSE_UNKNOWN_METHOD,
        GATE_REFUSE_UNDECODABLE,
        GATE_REFUSE_UNKNOWN_FIELD,
        GATE_REFUSE_TOO_LARGE,
        GATE_REFUSE_NO_POLICY,
        GATE_REFUSE_NO_POLICY_YET,
        GATE_REFUSE_EVALUATION,
        GATE_REFUSE_STATE_FULL,
        GATE_REFUSE_STATE_HELD,
        GATE_REFUSE_AUDIT,
        GATE_REFUSE_CAPACITY_CONNECTION,
        GATE_REFUSE_CAPACITY_GATE,
        GATE_REFUSE_CAPACITY_STATE,
        GATE_REFUSE_ATTESTATION,       /* reason: the TEE's verdict */
        GATE_REFUSE_POLICY_INVALID,    /* reason: what could not be used */
        GATE_REFUSE_HOOKS,             /* reason: the missing hooks */
        GATE_REFUSE_SETPOLICY_INVALID, /* reason: where it does not load */
        GATE_REFUSE_SETPOLICY_CHECK,
        GATE_REFUSE_SETPOLICY_DIGEST,
        GATE_REFUSE_SETPOLICY_RECORD,
        GATE_REFUSE_MEASUREMENT,       /* reason: why nothing can be measured */
        _GATE_REFUSAL_MAX,
        _GATE_REFUSAL_INVALID = -22,
};

/* The rule id of a refusal (for callers that set deny_all_rule). */
const char *gate_refusal_rule(enum gate_refusal r);
