/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gate, following up: a ticket comes back once, answered by the agent or
 * abandoned, and its outcome record is queued (gate.h).
 */
#include "gate.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "agent_api.h"
#include "audit.h"
#include "gate_internal.h"
#include "measure.h"
#include "ttrpc_msg.h"

/* What becomes of a forwarded request that gets no answer through, and why. */
static const struct {
        const char *why;    /* in the outcome record */
        enum audit_outcome outcome;
        const char *reason; /* to the host, which gets UNAVAILABLE; NULL: the host is gone */
} abandons[_GATE_ABANDON_MAX] = {
        [GATE_ABANDON_AGENT_UNAVAILABLE] = { "agent-unavailable", AUDIT_OUTCOME_NOT_FORWARDED,
                                             "the agent is unavailable" },
        [GATE_ABANDON_AGENT_LOST] = { "agent-lost", AUDIT_OUTCOME_ABANDONED,
                                      "the agent's connection was lost before it answered" },
        [GATE_ABANDON_HOST_CLOSED] = { "host-closed", AUDIT_OUTCOME_ABANDONED, NULL },
        [GATE_ABANDON_STOPPING] = { "stopping", AUDIT_OUTCOME_ABANDONED, "ccgate is stopping" },
};

static void ticket_release(struct gate *g, struct gate_ticket *t)
{
        if (t->effect != NO_EFFECT)
                g->free_effects[g->n_free_effects++] = t->effect;
        t->flags = 0;
        g->free_tickets[g->n_free_tickets++] = (uint32_t)(t - g->tickets);
        g->in_flight--;
}

static bool ticket_valid(const struct gate *g, const struct gate_ticket *t)
{
        return t && t >= g->tickets && t < g->tickets + g->n_fresh_tickets &&
               (t->flags & TICKET_LIVE);
}

uint32_t gate_ticket_stream(const struct gate_ticket *t)
{
        return t->stream_id;
}

/* The outcome record of ticket t. */
static int ticket_outcome(struct gate *g, const struct gate_ticket *t, enum audit_outcome o,
                          bool has_code, int32_t code, const char *why)
{
        const struct agent_method *m = agent_method_get((enum agent_method_id)t->method);
        struct audit_outcome_event ev = {
                .conn_id = t->conn_id,
                .stream_id = t->stream_id,
                .decision_seq = t->decision_seq,
                .request_name = m ? m->request_name : NULL,
                .outcome = o,
                .has_code = has_code,
                .code = code,
                .why = why,
        };

        return audit_outcome(g->audit, &ev);
}

/* ---- What became of it ---- */
int gate_answer(struct gate *g, struct gate_ticket *t, const uint8_t *payload, size_t len,
                struct gate_answered *ret)
{
        int32_t code = TTRPC_CODE_INTERNAL;
        int r, state = 0;

        assert(ticket_valid(g, t));
        ret->action = GATE_PASS;
        ret->frame.len = 0;
        ret->decoded = ttrpc_response_code(payload, len, &code) == 0;
        ret->code = code;

        if (t->effect != NO_EFFECT) {
                const struct policy_effect *e = &g->effects[t->effect];

                if (ret->decoded && code == TTRPC_CODE_OK)
                        state = policy_state_apply(g->state, e);
                else
                        policy_state_cancel(g->state, e);
                if (!ret->decoded)
                        state = -EBADMSG;
        }
        /* A denied read was read out of the container's pipe so that it does not
         * fill up; the host gets none of the data. Errors (EOF) pass through. */
        if ((t->flags & TICKET_DRAIN) && ret->decoded && code == TTRPC_CODE_OK) {
                ret->action = GATE_REPLACE;
                gate_render_frame(&ret->frame, t->stream_id, TTRPC_CODE_OK, NULL);
        }

        r = ticket_outcome(g, t, AUDIT_OUTCOME_ANSWERED, ret->decoded, code, NULL);
        g->n_answered++;
        ticket_release(g, t);
        return state < 0 ? state : r;
}

int gate_abandon(struct gate *g, struct gate_ticket *t, enum gate_abandon why,
                 struct gate_frame *reply)
{
        bool owed;
        int r;

        assert(ticket_valid(g, t) && (int)why >= 0 && why < _GATE_ABANDON_MAX);
        owed = abandons[why].reason;
        if (t->effect != NO_EFFECT)
                policy_state_cancel(g->state, &g->effects[t->effect]);
        if (reply) {
                reply->len = 0;
                if (owed) {
                        const struct agent_method *m =
                                agent_method_get((enum agent_method_id)t->method);
                        char message[GATE_MESSAGE_MAX];

                        gate_render_message(message, sizeof(message), TTRPC_CODE_UNAVAILABLE,
                                       m ? m->request_name : GATE_UNKNOWN_NAME, abandons[why].why,
                                       abandons[why].reason);
                        gate_render_frame(reply, t->stream_id, TTRPC_CODE_UNAVAILABLE, message);
                }
        }
        r = ticket_outcome(g, t, abandons[why].outcome, owed && reply, TTRPC_CODE_UNAVAILABLE,
                           abandons[why].why);
        g->n_abandoned++;
        ticket_release(g, t);
        return r;
}

int gate_idle(struct gate *g)
{
        return g->audit ? audit_prepare(g->audit) : 0;
}

void gate_measured(struct gate *g, int r)
{
        if (r >= 0)
                return;
        if (g->measure_failed)
                g->measure_failed(g->measure->error);
        if (g->measure->failed && policy_requires_measurement(g->policy) && !g->deny_all_reason) {
                g->deny_all_reason = "the runtime measurement failed, and the policy requires it";
                g->deny_all_rule = GATE_RULE_MEASUREMENT;
        }
}

int gate_tick(struct gate *g)
{
        bool failed_before = g->audit_sync_failed;
        int r;

        if (!g->audit)
                return 0;
        /* The failed measurer is not retried: its register no longer follows the log. */
        if (g->measure && !g->measure->failed)
                gate_measured(g, measure_tick(g->measure, g->audit));
        r = audit_flush(g->audit);
        if (r >= 0)
                r = audit_sync(g->audit, false);
        g->audit_sync_failed = r < 0;
        return r < 0 && !failed_before ? r : 0;
}
