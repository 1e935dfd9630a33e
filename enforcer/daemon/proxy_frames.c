/* SPDX-License-Identifier: Apache-2.0 */
/* The proxy's frames: requests to the gate, stream id -> ticket, answers back to tickets. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "log.h"
#include "proxy_internal.h"

static struct inflight *inflight_find(struct conn *c, uint32_t stream_id)
{
        for (size_t i = 0; i < c->n_inflight; i++)
                if (c->inflight[i].stream_id == stream_id)
                        return &c->inflight[i];
        return NULL;
}

static void inflight_remove(struct conn *c, struct inflight *f)
{
        size_t i = (size_t)(f - c->inflight);

        c->inflight[i] = c->inflight[--c->n_inflight];
}

/* Whether one more request can be tracked on c: below the limit, and the
 * table has (or could get) a slot. Asked before the gate decides. */
static bool inflight_room(struct proxy *p, struct conn *c)
{
        size_t ncap;
        struct inflight *n;

        if (c->n_inflight >= p->config->max_inflight)
                return false;
        if (c->n_inflight < c->cap_inflight)
                return true;
        ncap = c->cap_inflight ? c->cap_inflight * 2 : 16;
        if (ncap > p->config->max_inflight)
                ncap = p->config->max_inflight;
        n = reallocarray(c->inflight, ncap, sizeof(*n));
        if (!n)
                return false;
        c->inflight = n;
        c->cap_inflight = ncap;
        return true;
}

/* What is in flight on c will not be answered: the gate records why, and
 * renders what the host gets when it is owed an answer. */
void proxy_inflight_abandon(struct proxy *p, struct conn *c, enum gate_abandon why)
{
        struct gate_frame reply;

        for (size_t i = 0; i < c->n_inflight; i++) {
                int r = gate_abandon(p->gate, c->inflight[i].ticket, why,
                                     why == GATE_ABANDON_HOST_CLOSED ? NULL : &reply);

                if (r < 0)
                        log_error(r, "conn %" PRIu64 " stream %" PRIu32 ": its outcome cannot "
                                     "be recorded", c->id, c->inflight[i].stream_id);
                if (why != GATE_ABANDON_HOST_CLOSED && c->host.fd >= 0)
                        proxy_host_send_frame(c, &reply);
        }
        c->n_inflight = 0;
}

static void forward_request(struct proxy *p, struct conn *c, const struct ttrpc_frame *f,
                            struct gate_ticket *t)
{
        int r;

        if (c->agent.fd < 0 && !c->agent_waiting) {
                r = proxy_agent_connect(p, c);
                if (r < 0) {
                        struct gate_frame reply;

                        log_warning(r, "conn %" PRIu64 ": cannot reach the agent", c->id);
                        r = gate_abandon(p->gate, t, GATE_ABANDON_AGENT_UNAVAILABLE, &reply);
                        if (r < 0)
                                log_error(r, "conn %" PRIu64 " stream %" PRIu32 ": its outcome "
                                             "cannot be recorded", c->id, f->header.stream_id);
                        proxy_host_send_frame(c, &reply);
                        return;
                }
        }
        /* inflight_room() made the slot before the gate decided. */
        c->inflight[c->n_inflight++] = (struct inflight){ .stream_id = f->header.stream_id,
                                                          .ticket = t };
        /* The header sits right before the payload in the reader's buffer. */
        r = proxy_endpoint_send(&c->agent, f->payload - TTRPC_HEADER_SIZE,
                          TTRPC_HEADER_SIZE + f->header.length);
        if (r < 0)
                proxy_agent_lost(p, c, r);
}

/* One frame from the host. Returns <0 when the connection must be closed. */
static int host_frame(struct proxy *p, struct conn *c, const struct ttrpc_frame *f)
{
        struct gate_result o;
        uint32_t sid = f->header.stream_id;
        int r;

        /* kata's agent API has no streaming methods: only requests come from the host. */
        if (f->header.type != TTRPC_TYPE_REQUEST)
                return log_warning(EPROTO, "conn %" PRIu64 ": frame type %u from the host",
                                   c->id, f->header.type);
        /* Forwarded as they are, so only flags with one meaning to every peer. */
        if (f->header.flags & ~TTRPC_REQUEST_FLAGS)
                return log_warning(EPROTO, "conn %" PRIu64 ": stream %" PRIu32 ": request flags "
                                           "0x%02x", c->id, sid, f->header.flags);
        /* Client stream ids are odd and increase; a reused id would confuse the
         * pairing of responses with the state effects of their requests. */
        if ((sid & 1u) == 0 || sid <= c->last_stream_id)
                return log_warning(EPROTO, "conn %" PRIu64 ": stream id %" PRIu32 " out of order",
                                   c->id, sid);
        c->last_stream_id = sid;

        r = gate_request(p->gate, c->id, sid, f->payload, f->header.length,
                         inflight_room(p, c), &o);
        if (r < 0)
                log_error(r, "conn %" PRIu64 " stream %" PRIu32 ": request denied on an internal error",
                          c->id, sid);

        if (o.action == GATE_REPLY)
                proxy_host_send_frame(c, &o.reply);
        else
                forward_request(p, c, f, o.ticket);
        return c->closing ? -EPIPE : 0;
}

/* One frame from the agent. Returns <0 when the agent side must be dropped. */
static int agent_frame(struct proxy *p, struct conn *c, const struct ttrpc_frame *f)
{
        const uint8_t *frame = f->payload - TTRPC_HEADER_SIZE;
        size_t frame_len = TTRPC_HEADER_SIZE + f->header.length;
        struct inflight *in;
        int r;

        if (f->header.type != TTRPC_TYPE_RESPONSE)
                return log_warning(EPROTO, "conn %" PRIu64 ": frame type %u from the agent",
                                   c->id, f->header.type);
        in = inflight_find(c, f->header.stream_id);
        if (!in) {
                log_warning(0, "conn %" PRIu64 ": agent answered stream %" PRIu32 " that was not asked",
                            c->id, f->header.stream_id);
                return 0;
        }

        {
                struct gate_answered ans;
                uint32_t sid = in->stream_id;

                r = gate_answer(p->gate, in->ticket, f->payload, f->header.length, &ans);
                if (r < 0)
                        log_error(r, "conn %" PRIu64 " stream %" PRIu32 ": state not updated "
                                     "or outcome not recorded", c->id, sid);
                inflight_remove(c, in);
                if (ans.action == GATE_REPLACE) {
                        proxy_host_send_frame(c, &ans.frame);
                        return 0;
                }
        }
        proxy_host_send(c, frame, frame_len);
        return 0;
}

bool proxy_host_throttled(const struct conn *c)
{
        return outq_pending(&c->host.out) >= PROXY_HIGH_WATER ||
               outq_pending(&c->agent.out) >= PROXY_HIGH_WATER;
}

bool proxy_agent_throttled(const struct conn *c)
{
        return outq_pending(&c->host.out) >= PROXY_HIGH_WATER;
}

/* Process every whole frame buffered on e, as far as the output queues allow. */
int proxy_endpoint_frames(struct proxy *p, struct endpoint *e)
{
        struct conn *c = e->conn;
        struct ttrpc_frame f;
        int r;

        for (;;) {
                if (e->kind == ENDPOINT_HOST ? proxy_host_throttled(c) : proxy_agent_throttled(c))
                        return 0;
                r = ttrpc_reader_next(&e->in, &f);
                if (r <= 0)
                        return r;
                r = e->kind == ENDPOINT_HOST ? host_frame(p, c, &f) : agent_frame(p, c, &f);
                if (r < 0)
                        return r;
                if (e->fd < 0 || c->closing)
                        return 0; /* a side was dropped while handling the frame */
        }
}
