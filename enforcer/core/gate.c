/* SPDX-License-Identifier: Apache-2.0 */
/* The gate: decode -> decide -> audit for one request frame, and what the proxy must do. */
#include "gate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.pb-c.h"
#include "agent_api.h"
#include "agent_request.h"
#include "audit.h"
#include "ttrpc.h"
#include "ttrpc_msg.h"

/* Decode memory kept resident between requests; beyond it pages are returned. */
#define GATE_ARENA_KEEP (256u * 1024u)

/* Name used in denials when the request name is not known (the method was not). */
#define GATE_UNKNOWN_NAME "Request"

int gate_init(struct gate *g, const struct policy *policy, struct audit_log *audit,
              const char *deny_all_reason)
{
        _cleanup_(policy_state_freep) struct policy_state *state = NULL;
        int r;

        state = policy_state_new();
        if (!state)
                return -ENOMEM;

        *g = (struct gate){
                .policy = policy,
                .audit = audit,
                .deny_all_reason = deny_all_reason,
        };
        /* Room for the decoded envelope (which copies the payload) on top of the
         * agent request's own decode budget. */
        r = arena_init(&g->arena, AGENT_DECODE_MAX_BYTES + 2u * TTRPC_MAX_FRAME, GATE_ARENA_KEEP);
        if (r < 0)
                return r;
        g->state = TAKE_PTR(state);
        return 0;
}

int gate_await_policy(struct gate *g, const struct attest_config *c,
                      const struct attest_result *measured, const char *active_hooks)
{
        if (!c || !measured || !active_hooks || g->policy || g->deny_all_reason)
                return -EINVAL;
        g->await_attest = c;
        g->await_measured = measured;
        g->await_hooks = active_hooks;
        return 0;
}

void gate_done(struct gate *g)
{
        policy_state_free(g->state);
        policy_free(g->owned_policy);
        arena_done(&g->arena);
        memset(g, 0, sizeof(*g));
}

void gate_denial_message(char *buf, size_t len, const char *request_name, const char *rule_id,
                         const char *reason)
{
        snprintf(buf, len, "%s is blocked by policy: %s: %s", request_name, rule_id, reason);
}

/* What was learnt about a request before its decision, for the audit record. */
struct gate_request_info {
        const Ttrpc__Request *envelope;
        const struct agent_method *method;
        const ProtobufCMessage *message;
        bool answered_here; /* ccgate answers it even when allowed (SetPolicy taken by the gate) */
};

static void outcome_deny(struct gate_outcome *o, const char *request_name, const char *rule_id,
                         const char *reason)
{
        o->action = GATE_REPLY;
        o->code = TTRPC_CODE_PERMISSION_DENIED;
        o->effect = (struct policy_effect){ .kind = POLICY_EFFECT_NONE };
        gate_denial_message(o->message, sizeof(o->message), request_name, rule_id, reason);
}

static struct decision gate_deny(const char *rule_id, const char *reason)
{
        return (struct decision){ .verdict = VERDICT_DENY, .rule_id = rule_id, .reason = reason };
}

/*
 * Record the decision, then turn it into an outcome. An audit record that cannot
 * be written turns any decision into a denial: nothing reaches the agent unlogged.
 */
static int gate_finish(struct gate *g, uint64_t conn_id, uint32_t stream_id,
                       const uint8_t *payload, size_t len, const struct gate_request_info *info,
                       const struct decision *decided, struct gate_outcome *ret)
{
        enum policy_mode mode = g->policy ? policy_mode(g->policy) : POLICY_MODE_ENFORCE;
        const char *name = info->method ? info->method->request_name : GATE_UNKNOWN_NAME;
        struct decision reserved;
        const struct decision *d = decided;
        bool forward = !info->answered_here &&
                       (d->verdict == VERDICT_ALLOW || d->drain ||
                        (mode == POLICY_MODE_AUDIT && info->message && !g->deny_all_reason));
        bool holds = forward && !d->drain && d->effect.kind != POLICY_EFFECT_NONE;
        int r;

        /* What a forwarded request would create is held from now until its answer,
         * so that a concurrent request cannot create it too. */
        if (holds) {
                r = policy_state_reserve(g->state, &d->effect);
                if (r < 0) {
                        reserved = r == -ENOSPC
                                ? gate_deny(GATE_RULE_STATE, "ccgate's state cannot track more "
                                                             "containers")
                                : gate_deny(GATE_RULE_INTERNAL,
                                            "the request's state change is already held");
                        d = &reserved;
                        forward = holds = false;
                }
        }

        struct audit_event ev = {
                .conn_id = conn_id,
                .stream_id = stream_id,
                .request_name = info->method ? info->method->request_name : NULL,
                .request = info->message,
                .payload = payload,
                .payload_len = len,
                .verdict = d->verdict,
                .forwarded = forward,
                .rule_id = d->rule_id,
                .reason = d->reason,
                .mode = mode,
        };
        if (info->envelope) {
                ev.service = info->envelope->service;
                ev.service_len = strlen(info->envelope->service);
                ev.method = info->envelope->method;
                ev.method_len = strlen(info->envelope->method);
        }

        r = audit_append(g->audit, &ev);
        if (r < 0) {
                if (holds)
                        policy_state_cancel(g->state, &d->effect);
                g->n_denied++;
                outcome_deny(ret, name, GATE_RULE_AUDIT, "the audit record could not be written");
                return r;
        }

        if (d->verdict == VERDICT_ALLOW) {
                g->n_allowed++;
                ret->action = GATE_FORWARD;
                ret->effect = d->effect;
                return 0;
        }
        g->n_denied++;
        if (d->drain) {
                ret->action = GATE_FORWARD_DRAIN;
                ret->effect = (struct policy_effect){ .kind = POLICY_EFFECT_NONE };
                return 0;
        }
        if (forward) {
                /* Audit mode: what enforce would deny goes through, and is on record. */
                g->n_would_deny++;
                ret->action = GATE_FORWARD;
                ret->effect = d->effect;
                return 0;
        }
        outcome_deny(ret, name, d->rule_id, d->reason);
        return 0;
}

static void decode_failure(int r, struct decision *d)
{
        switch (r) {
        case -EPROTO:
                *d = gate_deny(GATE_RULE_UNKNOWN_FIELD,
                               "the request carries fields the agent API schema does not know");
                break;
        case -E2BIG:
        case -ENOMEM: /* the arena is the bound: running out of it means too large */
                *d = gate_deny(GATE_RULE_TOO_LARGE,
                               "the decoded request exceeds the gate's memory bound");
                break;
        default:
                *d = gate_deny(GATE_RULE_UNDECODABLE,
                               "the request payload is not a valid encoding of its message");
                break;
        }
}

/*
 * A SetPolicyRequest while the gate waits for its policy: accept it when the
 * TEE attests its digest and it loads, record that, and answer OK ourselves.
 * Anything else is a denial that leaves the gate waiting.
 */
static int gate_setpolicy(struct gate *g, uint64_t conn_id, uint32_t stream_id,
                          const uint8_t *payload, size_t len, struct gate_request_info *info,
                          struct gate_outcome *ret)
{
        const Grpc__SetPolicyRequest *m = (const Grpc__SetPolicyRequest *)info->message;
        _cleanup_(policy_freep) struct policy *p = NULL;
        struct policy_error perr = { 0 };
        struct attest_result res;
        char digest[2 * ATTEST_DIGEST_MAX + 1] = "";
        char reason[sizeof(res.reason) + 160];
        char missing[128];
        /* The decoder rejects strings with NUL bytes: strlen is the wire length. */
        size_t text_len = strlen(m->policy);
        const uint8_t *text = (const uint8_t *)m->policy;
        struct decision d;
        int r, internal = 0;

        r = attest_check_setpolicy(g->await_attest, g->await_measured, text, text_len, &res);
        if (r < 0) {
                d = gate_deny(GATE_RULE_INTERNAL, "the delivered policy could not be checked");
                internal = r;
                goto finish;
        }
        if (!res.bound && !res.dev_mode) {
                snprintf(reason, sizeof(reason), "%s", res.reason);
                d = gate_deny(GATE_RULE_ATTESTATION, reason);
                goto finish;
        }
        r = policy_load_buffer("SetPolicyRequest", text, text_len, &p, &perr);
        if (r < 0) {
                /* Where, not what: the message could quote the policy. */
                snprintf(reason, sizeof(reason),
                         "the delivered policy is attested but does not load (line %u, column %u)",
                         perr.line, perr.column);
                d = gate_deny(GATE_RULE_SETPOLICY_INVALID, reason);
                goto finish;
        }
        if (policy_hooks_missing(p, g->await_hooks, missing, sizeof(missing)) > 0) {
                snprintf(reason, sizeof(reason),
                         "the delivered policy requires eBPF hooks that are not active: %s",
                         missing);
                d = gate_deny(GATE_RULE_HOOKS, reason);
                goto finish;
        }
        text = policy_text(p, &text_len);
        r = attest_digest_hex(ATTEST_HASH_SHA256, text, text_len, digest, sizeof(digest));
        if (r < 0) {
                d = gate_deny(GATE_RULE_INTERNAL, "the delivered policy could not be digested");
                internal = r;
                goto finish;
        }
        if (res.dev_mode)
                snprintf(reason, sizeof(reason),
                         "policy sha256:%s accepted WITHOUT attestation (--tee none); sealed",
                         digest);
        else
                snprintf(reason, sizeof(reason),
                         "policy sha256:%s accepted: its digest matches the %s report; sealed",
                         digest, res.tee_name);
        d = (struct decision){ .verdict = VERDICT_ALLOW, .rule_id = GATE_RULE_SETPOLICY,
                               .reason = reason };

finish:
        info->answered_here = true;
        r = gate_finish(g, conn_id, stream_id, payload, len, info, &d, ret);
        if (r < 0 || d.verdict != VERDICT_ALLOW)
                return internal < 0 ? internal : r;

        /* Recorded: from here on this policy decides, and nothing replaces it. */
        r = audit_set_policy(g->audit, digest);
        if (r < 0) {
                outcome_deny(ret, info->method->request_name, GATE_RULE_INTERNAL,
                             "the policy digest could not be recorded");
                return r;
        }
        g->owned_policy = TAKE_PTR(p);
        g->policy = g->owned_policy;
        g->await_attest = NULL;
        g->await_measured = NULL;
        g->await_hooks = NULL;
        ret->action = GATE_REPLY;
        ret->code = TTRPC_CODE_OK;
        ret->message[0] = '\0';
        ret->effect = (struct policy_effect){ .kind = POLICY_EFFECT_NONE };
        return 0;
}

int gate_request(struct gate *g, uint64_t conn_id, uint32_t stream_id, const uint8_t *payload,
                 size_t len, struct gate_outcome *ret)
{
        ProtobufCAllocator *alloc = &g->arena.allocator;
        struct gate_request_info info = { 0 };
        Ttrpc__Request *envelope = NULL;
        ProtobufCMessage *message = NULL;
        struct decision d;
        int r, internal = 0;

        /* Everything the previous request decoded is released here, at once. */
        arena_reset(&g->arena);
        memset(ret, 0, sizeof(*ret));

        r = ttrpc_request_decode(payload, len, alloc, &envelope);
        if (r < 0) {
                d = r == -EPROTO ? gate_deny(GATE_RULE_UNKNOWN_FIELD,
                                             "the ttRPC envelope carries unknown fields")
                                 : gate_deny(GATE_RULE_MALFORMED,
                                             "the ttRPC request envelope does not decode");
                goto finish;
        }
        info.envelope = envelope;

        info.method = agent_method_lookup(envelope->service, strlen(envelope->service),
                                          envelope->method, strlen(envelope->method));
        if (!info.method) {
                d = gate_deny(GATE_RULE_UNKNOWN_METHOD,
                              "the service or method is not part of the agent API");
                goto finish;
        }

        r = agent_request_decode(info.method, envelope->payload.data, envelope->payload.len, alloc,
                                 &message);
        if (r < 0) {
                decode_failure(r, &d);
                goto finish;
        }
        info.message = message;

        if (g->await_attest && info.method->id == AGENT_SET_POLICY)
                return gate_setpolicy(g, conn_id, stream_id, payload, len, &info, ret);
        if (g->deny_all_reason) {
                d = gate_deny(g->deny_all_rule ? g->deny_all_rule : GATE_RULE_ATTESTATION,
                              g->deny_all_reason);
                goto finish;
        }
        if (!g->policy) {
                d = gate_deny(GATE_RULE_NO_POLICY,
                              g->await_attest ? "no policy yet: the host has not delivered an "
                                                "attested policy (SetPolicyRequest)"
                                              : "no attested policy is loaded");
                goto finish;
        }

        r = policy_decide(g->policy, g->state, info.method, message, &d);
        if (r < 0) {
                d = gate_deny(GATE_RULE_INTERNAL, "the policy could not be evaluated");
                internal = r;
        }

finish:
        r = gate_finish(g, conn_id, stream_id, payload, len, &info, &d, ret);
        return internal < 0 ? internal : r;
}

int gate_response(struct gate *g, const struct policy_effect *effect, const uint8_t *payload,
                  size_t len)
{
        int32_t code;
        int r;

        if (effect->kind == POLICY_EFFECT_NONE)
                return 0;

        arena_reset(&g->arena);
        r = ttrpc_response_code(payload, len, &g->arena.allocator, &code);
        if (r < 0 || code != TTRPC_CODE_OK) {
                policy_state_cancel(g->state, effect);
                return r < 0 ? r : 0;
        }

        r = policy_state_apply(g->state, effect);
        if (r < 0)
                return r;
        return 1;
}

int gate_tick(struct gate *g)
{
        bool failed_before = g->audit_sync_failed;
        int r;

        if (!g->audit)
                return 0;
        r = audit_sync(g->audit, false);
        g->audit_sync_failed = r < 0;
        return r < 0 && !failed_before ? r : 0;
}

void gate_effect_cancel(struct gate *g, const struct policy_effect *effect)
{
        policy_state_cancel(g->state, effect);
}
