/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gate owns each request's life, from its frame to what became of it.
 * gate_request() decodes the ttRPC envelope and the agent request, decides it
 * against the policy and writes the decision record; it either answers the
 * host itself (REPLY, with the frame to send) or hands out a ticket for a
 * request to FORWARD. Every ticket comes back exactly once: gate_answer() with
 * the agent's response (the state change it held is applied or dropped, a
 * denied read is drained) or gate_abandon() when no answer will come or none
 * can be delivered; both write the request's outcome record. Everything here
 * does no network I/O: the proxy moves the bytes. Fails closed: any error on
 * the request path is a refusal with its own rule id, audited like any other
 * decision.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "attest.h"
#include "gate_refusal.h"
#include "policy.h"
#include "policy_source.h"
#include "ttrpc.h"

struct audit_log;
struct gate_ticket;
struct measurer;

/* Why a forwarded request ends without its answer reaching the host. */
enum gate_abandon {
        GATE_ABANDON_AGENT_UNAVAILABLE, /* never sent: the agent cannot be reached (14) */
        GATE_ABANDON_AGENT_LOST,        /* the agent's connection went with it in flight (14) */
        GATE_ABANDON_HOST_CLOSED,       /* the host's connection is gone: nothing to send */
        GATE_ABANDON_STOPPING,          /* ccgate stops with it in flight (14) */
        _GATE_ABANDON_MAX,
        _GATE_ABANDON_INVALID = -22,
};

/* Longest denial message sent to the host. */
#define GATE_MESSAGE_MAX 512u
/* Room for a whole response frame the gate renders: header, status, message. */
#define GATE_FRAME_MAX (TTRPC_HEADER_SIZE + GATE_MESSAGE_MAX + 64u)
/* Requests forwarded and not yet answered, over all connections. */
#define GATE_TICKETS_MAX 65536u
/* ... of which hold a state change (CreateContainer, ExecProcess, ...). */
#define GATE_EFFECTS_MAX 256u

/* A response frame the gate made for the host. */
struct gate_frame {
        uint8_t data[GATE_FRAME_MAX];
        size_t len;
};

enum gate_action {
        GATE_FORWARD,       /* send the frame to the agent unchanged */
        GATE_FORWARD_DRAIN, /* forward; the host will get OK with the data dropped */
        GATE_REPLY,         /* answer the host with reply; the agent never sees it */
        _GATE_ACTION_MAX,
        _GATE_ACTION_INVALID = -22,
};

struct gate_result {
        enum gate_action action;
        struct gate_ticket *ticket;     /* FORWARD*: back to gate_answer() or gate_abandon() */
        struct policy_effect effect;    /* FORWARD*: what an OK answer will change */
        int32_t code;                   /* REPLY: a google.rpc.Code */
        char message[GATE_MESSAGE_MAX]; /* REPLY: never carries request contents */
        struct gate_frame reply;        /* REPLY: the response frame for the host */
};

enum gate_answer_action {
        GATE_PASS,    /* send the agent's frame to the host as it is */
        GATE_REPLACE, /* send frame instead (a drained read: OK, no data) */
        _GATE_ANSWER_ACTION_MAX,
        _GATE_ANSWER_ACTION_INVALID = -22,
};

struct gate_answered {
        enum gate_answer_action action;
        bool decoded;       /* the agent's answer has a readable status */
        int32_t code;       /* ... with this code */
        struct gate_frame frame; /* GATE_REPLACE */
};

struct gate {
        const struct policy *policy; /* NULL: nothing is allowed (no policy yet) */
        struct policy *owned_policy; /* a policy delivered by SetPolicyRequest */
        /* Set while the gate waits for its policy from the host (gate_await_policy);
         * the source it takes it from. */
        const struct attest_config *await_attest;
        struct policy_source source;
        struct policy_state *state;
        struct audit_log *audit;
        const char *deny_all_reason; /* set: every request is denied with this reason */
        const char *deny_all_rule;   /* ... and this rule id (NULL: GATE_RULE_ATTESTATION) */
        struct arena arena;          /* decode memory for the request being decided */
        bool audit_sync_failed;      /* gate_tick's last flush or fsync failed */
        /* Runtime measurement (borrowed; NULL: none): SetPolicy and the audit head
         * at gate_tick(); measure_failed (may be NULL) is told why one failed. */
        struct measurer *measure;
        void (*measure_failed)(const char *why);
        /* Tickets: allocated once, touched as they are first used. */
        struct gate_ticket *tickets;
        uint32_t *free_tickets;
        uint32_t n_free_tickets, n_fresh_tickets, ticket_limit, in_flight;
        struct policy_effect *effects; /* the state changes forwarded requests hold */
        uint16_t *free_effects;
        uint32_t n_free_effects;
        uint64_t n_allowed, n_denied, n_would_deny;
        uint64_t n_answered, n_abandoned;
};

/*
 * Set up a gate. policy and audit are borrowed and must outlive the gate;
 * deny_all_reason (borrowed, may be NULL) makes the gate deny everything.
 * Allocates its ticket table once. Returns 0 or -errno.
 */
int gate_init(struct gate *g, const struct policy *policy, struct audit_log *audit,
              const char *deny_all_reason);
/* Free what the gate holds. Tickets still out are dropped unrecorded: abandon them first. */
void gate_done(struct gate *g);

/* Take at most n requests in flight (1..GATE_TICKETS_MAX; tests). Returns 0 or -EINVAL. */
int gate_limit_tickets(struct gate *g, unsigned n);

/*
 * Start without a policy and take it from the host, through the same policy
 * source as a policy given at start (policy_source.h): the first
 * SetPolicyRequest whose policy digest matches the field the TEE measured
 * (measured, read once at start; dev mode accepts it unattested, and says so
 * in the audit record) and that loads, and whose require_hooks are among
 * active_hooks (names, comma-separated), is enforced from then on and sealed. Until then every request
 * is denied (no-policy), and a refused SetPolicy changes nothing. ccgate answers
 * the SetPolicyRequest itself: the agent never sees it. c and measured are
 * borrowed and must outlive the gate. Returns 0, or -EINVAL when the gate
 * already has a policy.
 */
int gate_await_policy(struct gate *g, const struct attest_config *c,
                      const struct attest_result *measured, const char *active_hooks);

/*
 * Decide one request frame. conn_id and stream_id identify it in the audit log.
 * room says whether the caller can track one more request in flight on this
 * connection: without it, what would be forwarded is refused (capacity), and
 * recorded as such. Always fills *ret; returns 0, or -errno when the result is
 * a refusal caused by an internal failure the caller should log (the refusal
 * is still in *ret).
 */
int gate_request(struct gate *g, uint64_t conn_id, uint32_t stream_id, const uint8_t *payload,
                 size_t len, bool room, struct gate_result *ret);

/*
 * The agent answered ticket t with a response frame's payload: apply the state
 * change it held if the answer is OK (drop it otherwise), say what to send to
 * the host, record the outcome with the agent's status code, and take the
 * ticket back. Always fills *ret; returns 0, or -errno when the state could not
 * be updated or the outcome not recorded (for the caller to log).
 */
int gate_answer(struct gate *g, struct gate_ticket *t, const uint8_t *payload, size_t len,
                struct gate_answered *ret);

/*
 * Ticket t will not be answered to the host: drop the state change it held,
 * record the outcome and why, and take the ticket back. When the host is owed
 * an answer (UNAVAILABLE: every reason but HOST_CLOSED) and reply is given, it
 * gets the frame to send; reply->len is 0 otherwise. Returns 0, or -errno when
 * the outcome could not be recorded.
 */
int gate_abandon(struct gate *g, struct gate_ticket *t, enum gate_abandon why,
                 struct gate_frame *reply);

/* The stream id a ticket was handed out for. */
uint32_t gate_ticket_stream(const struct gate_ticket *t);

/*
 * For idle moments (the proxy calls it before it waits): encode the outcome
 * records queued since the last record, so the next request does not pay for
 * them. Returns 0 or -errno.
 */
int gate_idle(struct gate *g);

/*
 * Called about once a second: write the outcome records still pending and,
 * with --audit-sync MS, fsync records still pending (no request came after
 * them) once their interval has passed, so an idle log is durable within a
 * second and the interval. Returns -errno when that fails and the previous
 * tick did not (log it once), else 0.
 */
int gate_tick(struct gate *g);

/* Build a denial message "<Name> is blocked by policy: <rule>: <reason>". */
void gate_denial_message(char *buf, size_t len, const char *request_name, const char *rule_id,
                         const char *reason);
