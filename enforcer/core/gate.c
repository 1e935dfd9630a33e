/* SPDX-License-Identifier: Apache-2.0 */
/* The gate, deciding: a request frame to a refusal or a ticket, and its decision record. */
#include "gate.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "agent.pb-c.h"
#include "agent_api.h"
#include "agent_request.h"
#include "audit.h"
#include "gate_internal.h"
#include "measure.h"
#include "ttrpc_msg.h"

/* One mapping: the held state changes, the tickets, their free lists (in that order). */
#define GATE_MAP_LEN                                                                    \
        (GATE_EFFECTS_MAX * sizeof(struct policy_effect) +                              \
         GATE_TICKETS_MAX * (sizeof(struct gate_ticket) + sizeof(uint32_t)) +           \
         GATE_EFFECTS_MAX * sizeof(uint16_t))

_Static_assert(GATE_EFFECTS_MAX * sizeof(struct policy_effect) % _Alignof(struct gate_ticket) == 0,
               "the tickets follow the effects in one mapping");

/* Decode memory kept resident between requests; beyond it pages are returned. */
#define GATE_ARENA_KEEP (256u * 1024u)

/*
 * The gate's own refusals, rendered in one place (refusal_reply()). A row
 * without a reason takes the one its caller has (the TEE's verdict, the hooks
 * that are missing, where a delivered policy does not load).
 */
static const struct {
        const char *rule;
        const char *reason;
        int32_t code;
} refusals[_GATE_REFUSAL_MAX] = {
        [GATE_REFUSE_MALFORMED] = { GATE_RULE_MALFORMED, "the ttRPC request envelope does not decode",
                                    TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_ENVELOPE_UNKNOWN_FIELD] = { GATE_RULE_UNKNOWN_FIELD,
                                                 "the ttRPC envelope carries unknown fields",
                                                 TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_UNKNOWN_METHOD] = { GATE_RULE_UNKNOWN_METHOD,
                                         "the service or method is not part of the agent API",
                                         TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_UNDECODABLE] = { GATE_RULE_UNDECODABLE,
                                      "the request payload is not a valid encoding of its message",
                                      TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_UNKNOWN_FIELD] = { GATE_RULE_UNKNOWN_FIELD,
                                        "the request carries fields the agent API schema does not "
                                        "know",
                                        TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_TOO_LARGE] = { GATE_RULE_TOO_LARGE,
                                    "the decoded request exceeds the gate's memory bound",
                                    TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_NO_POLICY] = { GATE_RULE_NO_POLICY, "no attested policy is loaded",
                                    TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_NO_POLICY_YET] = { GATE_RULE_NO_POLICY,
                                        "no policy yet: the host has not delivered an attested "
                                        "policy (SetPolicyRequest)",
                                        TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_EVALUATION] = { GATE_RULE_INTERNAL, "the policy could not be evaluated",
                                     TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_STATE_FULL] = { GATE_RULE_STATE, "ccgate's state cannot track more containers",
                                     TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_STATE_HELD] = { GATE_RULE_INTERNAL,
                                     "the request's state change is already held",
                                     TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_AUDIT] = { GATE_RULE_AUDIT, "the audit record could not be written",
                                TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_CAPACITY_CONNECTION] = { GATE_RULE_CAPACITY,
                                              "too many requests in flight on this connection",
                                              TTRPC_CODE_RESOURCE_EXHAUSTED },
        [GATE_REFUSE_CAPACITY_GATE] = { GATE_RULE_CAPACITY, "too many requests in flight",
                                        TTRPC_CODE_RESOURCE_EXHAUSTED },
        [GATE_REFUSE_CAPACITY_STATE] = { GATE_RULE_CAPACITY,
                                         "too many state-changing requests in flight",
                                         TTRPC_CODE_RESOURCE_EXHAUSTED },
        [GATE_REFUSE_ATTESTATION] = { GATE_RULE_ATTESTATION, NULL, TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_POLICY_INVALID] = { GATE_RULE_POLICY_INVALID, NULL,
                                         TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_HOOKS] = { GATE_RULE_HOOKS, NULL, TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_SETPOLICY_INVALID] = { GATE_RULE_SETPOLICY_INVALID, NULL,
                                            TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_SETPOLICY_CHECK] = { GATE_RULE_INTERNAL,
                                          "the delivered policy could not be checked",
                                          TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_SETPOLICY_DIGEST] = { GATE_RULE_INTERNAL,
                                           "the delivered policy could not be digested",
                                           TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_SETPOLICY_RECORD] = { GATE_RULE_INTERNAL,
                                           "the policy digest could not be recorded",
                                           TTRPC_CODE_PERMISSION_DENIED },
        [GATE_REFUSE_MEASUREMENT] = { GATE_RULE_MEASUREMENT, NULL, TTRPC_CODE_PERMISSION_DENIED },
};

const char *gate_refusal_rule(enum gate_refusal r)
{
        return (int)r >= 0 && r < _GATE_REFUSAL_MAX ? refusals[r].rule : NULL;
}

int gate_init(struct gate *g, const struct policy *policy, struct audit_log *audit,
              const char *deny_all_reason)
{
        _cleanup_(policy_state_freep) struct policy_state *state = NULL;
        void *map;
        int r;

        state = policy_state_new();
        if (!state)
                return -ENOMEM;
        /* The held state changes, the tickets and their free lists, reserved once:
         * pages of zeros that cost memory only as they are first used (calloc
         * could hand out, and clear, heap the policy's loading left behind). */
        map = mmap(NULL, GATE_MAP_LEN, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (map == MAP_FAILED)
                return -errno;

        *g = (struct gate){
                .policy = policy,
                .audit = audit,
                .deny_all_reason = deny_all_reason,
                .ticket_limit = GATE_TICKETS_MAX,
                .n_free_effects = GATE_EFFECTS_MAX,
        };
        /* Room for the decoded envelope (which copies a payload shorter than
         * WIRE_VIEW_MIN and leaves a longer one in the frame) on top of the agent
         * request's own decode budget. */
        r = arena_init(&g->arena, AGENT_DECODE_MAX_BYTES + 2u * TTRPC_MAX_FRAME, GATE_ARENA_KEEP);
        if (r < 0) {
                (void)munmap(map, GATE_MAP_LEN);
                return r;
        }
        g->state = TAKE_PTR(state);
        g->effects = map;
        g->tickets = (struct gate_ticket *)(g->effects + GATE_EFFECTS_MAX);
        g->free_tickets = (uint32_t *)(g->tickets + GATE_TICKETS_MAX);
        g->free_effects = (uint16_t *)(g->free_tickets + GATE_TICKETS_MAX);
        for (uint32_t i = 0; i < GATE_EFFECTS_MAX; i++)
                g->free_effects[i] = (uint16_t)(GATE_EFFECTS_MAX - 1 - i);
        return 0;
}

int gate_limit_tickets(struct gate *g, unsigned n)
{
        if (n == 0 || n > GATE_TICKETS_MAX || g->in_flight > 0)
                return -EINVAL;
        g->ticket_limit = n;
        return 0;
}

int gate_await_policy(struct gate *g, const struct attest_config *c,
                      const struct attest_result *measured, const char *active_hooks)
{
        if (!c || !measured || !active_hooks || g->policy || g->deny_all_reason)
                return -EINVAL;
        policy_source_init(&g->source, c, measured, active_hooks);
        g->source.measuring = g->measure && !g->measure->failed;
        g->await_attest = c;
        return 0;
}

void gate_done(struct gate *g)
{
        policy_state_free(g->state);
        policy_free(g->owned_policy);
        arena_done(&g->arena);
        if (g->effects)
                (void)munmap(g->effects, GATE_MAP_LEN);
        memset(g, 0, sizeof(*g));
}

/* ---- Rendering what the host is sent ---- */

void gate_render_message(char *buf, size_t len, int32_t code, const char *request_name,
                    const char *rule_id, const char *reason)
{
        snprintf(buf, len, "%s %s: %s: %s", request_name,
                 code == TTRPC_CODE_PERMISSION_DENIED ? "is blocked by policy"
                                                      : "could not be served",
                 rule_id, reason);
}

void gate_denial_message(char *buf, size_t len, const char *request_name, const char *rule_id,
                         const char *reason)
{
        gate_render_message(buf, len, TTRPC_CODE_PERMISSION_DENIED, request_name, rule_id, reason);
}

void gate_render_frame(struct gate_frame *f, uint32_t stream_id, int32_t code, const char *message)
{
        ssize_t n = ttrpc_response_frame(stream_id, code, message, NULL, 0, f->data,
                                         sizeof(f->data));

        assert(n > 0); /* GATE_FRAME_MAX fits every message the gate sends */
        f->len = (size_t)n;
}

static void result_reply(struct gate_result *ret, uint32_t stream_id, int32_t code,
                         const char *name, const char *rule_id, const char *reason)
{
        ret->action = GATE_REPLY;
        ret->ticket = NULL;
        ret->code = code;
        ret->effect = (struct policy_effect){ .kind = POLICY_EFFECT_NONE };
        if (code == TTRPC_CODE_OK)
                ret->message[0] = '\0';
        else
                gate_render_message(ret->message, sizeof(ret->message), code, name, rule_id, reason);
        gate_render_frame(&ret->reply, stream_id, code, code == TTRPC_CODE_OK ? NULL : ret->message);
}

/* ---- Tickets (given back in gate_outcome.c) ---- */

struct gate_ticket *gate_ticket_take(struct gate *g)
{
        uint32_t i;

        if (g->in_flight >= g->ticket_limit)
                return NULL;
        /* Last in, first out: the recently used tickets are the ones in cache. */
        i = g->n_free_tickets > 0 ? g->free_tickets[--g->n_free_tickets] : g->n_fresh_tickets++;
        g->in_flight++;
        g->tickets[i] = (struct gate_ticket){ .flags = TICKET_LIVE, .effect = NO_EFFECT };
        return &g->tickets[i];
}

/* ---- Deciding ---- */

/* What was learnt about a request before its decision, for the audit record. */
struct gate_request_info {
        uint64_t conn_id;
        uint32_t stream_id;
        const uint8_t *payload;
        size_t len;
        bool room; /* the caller can track one more request in flight */
        const Ttrpc__Request *envelope;
        const struct agent_method *method;
        const ProtobufCMessage *message;
        bool answered_here; /* ccgate answers it even when allowed (SetPolicy taken by the gate) */
};

/* A decision and the code a refusal is answered with. */
struct gate_decision {
        struct decision d;
        int32_t code;
};

static struct gate_decision refuse(enum gate_refusal r, const char *reason)
{
        return (struct gate_decision){
                .d = { .verdict = VERDICT_DENY, .rule_id = refusals[r].rule,
                       .reason = refusals[r].reason ? refusals[r].reason : reason },
                .code = refusals[r].code,
        };
}

/* Whether the gate and the caller have room for it, and for what it would change. */
static int room_for(struct gate *g, const struct gate_request_info *info, const struct decision *d,
                    struct gate_decision *refused)
{
        int r;

        if (!info->room) {
                *refused = refuse(GATE_REFUSE_CAPACITY_CONNECTION, NULL);
                return -ENOSPC;
        }
        if (g->in_flight >= g->ticket_limit) {
                *refused = refuse(GATE_REFUSE_CAPACITY_GATE, NULL);
                return -ENOSPC;
        }
        if (d->drain || d->effect.kind == POLICY_EFFECT_NONE)
                return 0;
        if (g->n_free_effects == 0) {
                *refused = refuse(GATE_REFUSE_CAPACITY_STATE, NULL);
                return -ENOSPC;
        }
        /* What a forwarded request would create is held from now until its answer,
         * so that a concurrent request cannot create it too. */
        r = policy_state_reserve(g->state, &d->effect);
        if (r < 0) {
                *refused = refuse(r == -ENOSPC ? GATE_REFUSE_STATE_FULL : GATE_REFUSE_STATE_HELD,
                                  NULL);
                return r;
        }
        return 1;
}

/*
 * Record the decision, then turn it into a result. An audit record that cannot
 * be written turns any decision into a refusal: nothing reaches the agent
 * unlogged. What is forwarded gets its ticket here, after the record that
 * names it.
 */
static int gate_finish(struct gate *g, const struct gate_request_info *info,
                       const struct gate_decision *decided, struct gate_result *ret)
{
        enum policy_mode mode = g->policy ? policy_mode(g->policy) : POLICY_MODE_ENFORCE;
        const char *name = info->method ? info->method->request_name : GATE_UNKNOWN_NAME;
        struct gate_decision refused;
        const struct gate_decision *gd = decided;
        const struct decision *d = &gd->d;
        bool forward = !info->answered_here &&
                       (d->verdict == VERDICT_ALLOW || d->drain ||
                        (mode == POLICY_MODE_AUDIT && info->message && !g->deny_all_reason));
        bool holds = false;
        struct gate_ticket *t;
        int r;

        if (forward) {
                r = room_for(g, info, d, &refused);
                if (r < 0) {
                        gd = &refused;
                        d = &gd->d;
                        forward = false;
                }
                holds = r > 0;
        }

        struct audit_event ev = {
                .conn_id = info->conn_id,
                .stream_id = info->stream_id,
                .request_name = info->method ? info->method->request_name : NULL,
                .request = info->message,
                .payload = info->payload,
                .payload_len = info->len,
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
                const struct gate_decision audit_refused = refuse(GATE_REFUSE_AUDIT, NULL);

                if (holds)
                        policy_state_cancel(g->state, &d->effect);
                g->n_denied++;
                result_reply(ret, info->stream_id, audit_refused.code, name,
                             audit_refused.d.rule_id, audit_refused.d.reason);
                return r;
        }

        if (!forward) {
                /* Allowed and answered here: a delivered policy, taken by the gate. */
                if (d->verdict == VERDICT_ALLOW)
                        g->n_allowed++;
                else
                        g->n_denied++;
                result_reply(ret, info->stream_id, gd->code, name, d->rule_id, d->reason);
                return 0;
        }

        t = gate_ticket_take(g); /* room_for() saw one free */
        *t = (struct gate_ticket){
                .conn_id = info->conn_id,
                .decision_seq = audit_head_seq(g->audit),
                .stream_id = info->stream_id,
                .method = (uint16_t)info->method->id,
                .effect = NO_EFFECT,
                .flags = TICKET_LIVE | (d->drain ? TICKET_DRAIN : 0),
        };
        if (holds) {
                t->effect = g->free_effects[--g->n_free_effects];
                g->effects[t->effect] = d->effect;
        }
        ret->ticket = t;
        ret->code = TTRPC_CODE_OK;
        ret->message[0] = '\0';
        ret->reply.len = 0;
        ret->effect = d->drain ? (struct policy_effect){ .kind = POLICY_EFFECT_NONE } : d->effect;
        if (d->verdict == VERDICT_ALLOW) {
                g->n_allowed++;
                ret->action = GATE_FORWARD;
                return 0;
        }
        g->n_denied++;
        if (d->drain) {
                ret->action = GATE_FORWARD_DRAIN;
                return 0;
        }
        /* Audit mode: what enforce would deny goes through, and is on record. */
        g->n_would_deny++;
        ret->action = GATE_FORWARD;
        return 0;
}

static struct gate_decision decode_failure(int r)
{
        switch (r) {
        case -EPROTO:
                return refuse(GATE_REFUSE_UNKNOWN_FIELD, NULL);
        case -E2BIG:
        case -ENOMEM: /* the arena is the bound: running out of it means too large */
                return refuse(GATE_REFUSE_TOO_LARGE, NULL);
        default:
                return refuse(GATE_REFUSE_UNDECODABLE, NULL);
        }
}

/*
 * A SetPolicyRequest while the gate waits for its policy: what the policy
 * source accepts (attested, loaded, its hooks active) is recorded, put in
 * force and answered OK here. Anything else is a refusal that leaves the gate
 * waiting.
 */
static int gate_setpolicy(struct gate *g, struct gate_request_info *info,
                          struct gate_result *ret)
{
        const Grpc__SetPolicyRequest *m = (const Grpc__SetPolicyRequest *)info->message;
        _cleanup_(policy_freep) struct policy *p = NULL;
        struct policy_verdict v;
        struct gate_decision d;
        int r, internal;

        /* The decoder rejects strings with NUL bytes: strlen is the wire length. */
        internal = policy_source_take(&g->source, POLICY_ORIGIN_HOST, "SetPolicyRequest",
                                      (const uint8_t *)m->policy, strlen(m->policy), &v);
        p = v.policy;
        if (p)
                d = (struct gate_decision){ .d = { .verdict = VERDICT_ALLOW,
                                                   .rule_id = GATE_RULE_SETPOLICY,
                                                   .reason = v.reason } };
        else
                d = refuse(v.refusal, v.reason);
        info->answered_here = true;
        r = gate_finish(g, info, &d, ret);
        if (r < 0 && p)
                policy_source_unseal(&g->source);
        if (r < 0 || !p)
                return internal < 0 ? internal : r;

        /* Recorded: from here on this policy decides, and nothing replaces it. */
        r = audit_set_policy(g->audit, v.digest);
        if (r < 0) {
                policy_source_unseal(&g->source);
                d = refuse(GATE_REFUSE_SETPOLICY_RECORD, NULL);
                result_reply(ret, info->stream_id, d.code, info->method->request_name,
                             d.d.rule_id, d.d.reason);
                return r;
        }
        g->owned_policy = TAKE_PTR(p);
        g->policy = g->owned_policy;
        g->await_attest = NULL;
        result_reply(ret, info->stream_id, TTRPC_CODE_OK, NULL, NULL, NULL);
        if (g->measure)
                gate_measured(g, measure_event(g->measure, g->audit, MEASURE_OP_SET_POLICY, NULL,
                                               v.digest,
                                               policy_mode(g->policy) == POLICY_MODE_AUDIT
                                                       ? "audit" : "enforce"));
        return 0;
}

int gate_request(struct gate *g, uint64_t conn_id, uint32_t stream_id, const uint8_t *payload,
                 size_t len, bool room, struct gate_result *ret)
{
        ProtobufCAllocator *alloc = &g->arena.allocator;
        struct gate_request_info info = {
                .conn_id = conn_id, .stream_id = stream_id, .payload = payload, .len = len,
                .room = room,
        };
        Ttrpc__Request *envelope = NULL;
        ProtobufCMessage *message = NULL;
        struct gate_decision d;
        int r, internal = 0;

        /* Everything the previous request decoded is released here, at once. */
        arena_reset(&g->arena);
        ret->action = GATE_REPLY;
        ret->ticket = NULL;

        r = ttrpc_request_decode_view(payload, len, alloc, &envelope);
        if (r < 0) {
                d = refuse(r == -EPROTO ? GATE_REFUSE_ENVELOPE_UNKNOWN_FIELD : GATE_REFUSE_MALFORMED,
                           NULL);
                goto finish;
        }
        info.envelope = envelope;

        info.method = agent_method_lookup(envelope->service, strlen(envelope->service),
                                          envelope->method, strlen(envelope->method));
        if (!info.method) {
                d = refuse(GATE_REFUSE_UNKNOWN_METHOD, NULL);
                goto finish;
        }

        r = agent_request_decode_view(info.method, envelope->payload.data, envelope->payload.len,
                                      alloc, &message);
        if (r < 0) {
                d = decode_failure(r);
                goto finish;
        }
        info.message = message;

        if (g->await_attest && info.method->id == AGENT_SET_POLICY)
                return gate_setpolicy(g, &info, ret);
        if (g->deny_all_reason) {
                d = refuse(GATE_REFUSE_ATTESTATION, g->deny_all_reason);
                if (g->deny_all_rule)
                        d.d.rule_id = g->deny_all_rule;
                goto finish;
        }
        if (!g->policy) {
                d = refuse(g->await_attest ? GATE_REFUSE_NO_POLICY_YET : GATE_REFUSE_NO_POLICY,
                           NULL);
                goto finish;
        }

        d = (struct gate_decision){ .code = TTRPC_CODE_PERMISSION_DENIED };
        r = policy_decide(g->policy, g->state, info.method, message, &d.d);
        if (r < 0) {
                d = refuse(GATE_REFUSE_EVALUATION, NULL);
                internal = r;
        }

finish:
        r = gate_finish(g, &info, &d, ret);
        return internal < 0 ? internal : r;
}
