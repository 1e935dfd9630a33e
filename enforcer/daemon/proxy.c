/* SPDX-License-Identifier: Apache-2.0 */
/* The epoll proxy: host and agent connections, frames both ways, every request through the gate. */
#include "proxy.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "outq.h"
#include "ttrpc.h"
#include "ttrpc_msg.h"

/* Stop taking frames from a side while its output queue holds this much. */
#define PROXY_HIGH_WATER (2u * TTRPC_MAX_FRAME)
/* Bytes asked of the kernel per read when no bigger frame is pending. */
#define PROXY_READ_CHUNK (64u * 1024u)
/* Reads per wake-up per socket, so one busy peer cannot starve the others. */
#define PROXY_READS_PER_EVENT 8
/* Requests with a state effect in flight at once, over all connections. */
#define PROXY_MAX_EFFECTS 256u
/* Room for a response frame ccgate writes itself (denials, errors, drains). */
/* Ticks (seconds) an agent with a full backlog is retried before requests get UNAVAILABLE. */
#define PROXY_AGENT_RETRIES 10u
#define PROXY_REPLY_MAX (TTRPC_HEADER_SIZE + GATE_MESSAGE_MAX + 64u)

enum endpoint_kind {
        ENDPOINT_LISTEN,
        ENDPOINT_STOP,
        ENDPOINT_TIMER,
        ENDPOINT_HOST,
        ENDPOINT_AGENT,
};

struct conn;

struct endpoint {
        enum endpoint_kind kind;
        int fd;
        uint32_t events; /* what epoll currently watches */
        struct conn *conn;
        struct ttrpc_reader in;
        struct outq out;
};

#define INFLIGHT_DRAIN 0x1u
#define INFLIGHT_NO_EFFECT UINT16_MAX

struct inflight {
        uint32_t stream_id;
        uint16_t effect; /* slot in proxy.effects, or INFLIGHT_NO_EFFECT */
        uint16_t flags;
};

struct conn {
        uint64_t id;
        struct endpoint host, agent;
        bool agent_connecting;
        bool agent_waiting;      /* the agent's backlog was full: retried on the tick */
        unsigned agent_retries;
        bool closing; /* the host side failed: close after this event */
        bool host_eof; /* the host shut its sending side: answer what it asked, then close */
        bool dead;    /* closed, waiting to be freed */
        uint32_t last_stream_id;
        uint64_t partial_since_ns; /* when the host's unfinished frame began; 0: none */
        struct inflight *inflight;
        size_t n_inflight, cap_inflight;
        struct conn *prev, *next;
};

struct proxy {
        const struct proxy_config *config;
        struct gate *gate;
        int epoll_fd;
        struct endpoint listener, stop, timer;
        struct conn *conns;
        struct conn *dead; /* closed in this batch of events, freed after it */
        unsigned n_conns;
        bool accept_paused;  /* out of descriptors: the listener is not watched */
        bool accept_starved; /* said so in the log; cleared by the next accept */
        uint64_t next_conn_id;
        struct policy_effect effects[PROXY_MAX_EFFECTS];
        uint16_t free_effects[PROXY_MAX_EFFECTS];
        unsigned n_free_effects;
};

static int endpoint_watch(struct proxy *p, struct endpoint *e, uint32_t events)
{
        struct epoll_event ev = { .events = events, .data.ptr = e };

        if (e->fd < 0 || e->events == events)
                return 0;
        if (epoll_ctl(p->epoll_fd, EPOLL_CTL_MOD, e->fd, &ev) < 0)
                return -errno;
        e->events = events;
        return 0;
}

static int endpoint_add(struct proxy *p, struct endpoint *e, uint32_t events)
{
        struct epoll_event ev = { .events = events, .data.ptr = e };

        if (epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, e->fd, &ev) < 0)
                return -errno;
        e->events = events;
        return 0;
}

static void endpoint_close(struct proxy *p, struct endpoint *e)
{
        if (e->fd >= 0) {
                (void)epoll_ctl(p->epoll_fd, EPOLL_CTL_DEL, e->fd, NULL);
                e->fd = safe_close(e->fd);
        }
        e->events = 0;
        ttrpc_reader_done(&e->in);
        outq_done(&e->out);
}

/* Effects live in a shared fixed pool: state-changing requests are rare and small. */
static int effect_take(struct proxy *p, const struct policy_effect *effect)
{
        uint16_t slot;

        if (p->n_free_effects == 0)
                return -ENOSPC;
        slot = p->free_effects[--p->n_free_effects];
        p->effects[slot] = *effect;
        return slot;
}

static void effect_release(struct proxy *p, uint16_t slot)
{
        if (slot != INFLIGHT_NO_EFFECT)
                p->free_effects[p->n_free_effects++] = slot;
}

/* The request will never be answered: what the gate held for it is let go. */
static void effect_drop(struct proxy *p, uint16_t slot)
{
        if (slot == INFLIGHT_NO_EFFECT)
                return;
        gate_effect_cancel(p->gate, &p->effects[slot]);
        effect_release(p, slot);
}

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

static int inflight_add(struct proxy *p, struct conn *c, struct inflight f)
{
        if (c->n_inflight == c->cap_inflight) {
                size_t ncap = c->cap_inflight ? c->cap_inflight * 2 : 16;
                struct inflight *n;

                if (ncap > p->config->max_inflight)
                        ncap = p->config->max_inflight;
                if (ncap <= c->n_inflight)
                        return -ENOSPC;
                n = reallocarray(c->inflight, ncap, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                c->inflight = n;
                c->cap_inflight = ncap;
        }
        c->inflight[c->n_inflight++] = f;
        return 0;
}

/* Queue bytes for a peer, writing at once when nothing is queued before them. */
static int endpoint_send(struct endpoint *e, const uint8_t *data, size_t len)
{
        size_t done = 0;

        if (e->fd < 0) {
                if (e->kind == ENDPOINT_AGENT && e->conn->agent_waiting)
                        return outq_append(&e->out, data, len);
                return -ENOTCONN;
        }
        if (outq_pending(&e->out) == 0 && !(e->kind == ENDPOINT_AGENT && e->conn->agent_connecting)) {
                ssize_t n = send(e->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        return -errno;
                if (n > 0)
                        done = (size_t)n;
        }
        if (done < len)
                return outq_append(&e->out, data + done, len - done);
        return 0;
}

/* A host that cannot take its answers is closed once the current event is done. */
static void host_send(struct conn *c, const uint8_t *data, size_t len)
{
        int r = endpoint_send(&c->host, data, len);

        if (r < 0 && !c->closing) {
                if (r != -EPIPE && r != -ECONNRESET)
                        log_warning(r, "conn %" PRIu64 ": sending to the host", c->id);
                c->closing = true;
        }
}

static void reply(struct conn *c, uint32_t stream_id, int32_t code, const char *message)
{
        uint8_t frame[PROXY_REPLY_MAX];
        ssize_t n;

        n = ttrpc_response_frame(stream_id, code, message, NULL, 0, frame, sizeof(frame));
        assert(n > 0); /* PROXY_REPLY_MAX fits every message we send */
        host_send(c, frame, (size_t)n);
}

/* Close a connection now; its memory goes after the current batch of events,
 * which may still hold pointers to its endpoints. */
static void conn_kill(struct proxy *p, struct conn *c)
{
        if (c->dead)
                return;
        for (size_t i = 0; i < c->n_inflight; i++)
                effect_drop(p, c->inflight[i].effect);
        endpoint_close(p, &c->host);
        endpoint_close(p, &c->agent);
        free(c->inflight);
        c->inflight = NULL;
        c->n_inflight = 0;
        if (c->prev)
                c->prev->next = c->next;
        else
                p->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        p->n_conns--;
        c->dead = true;
        c->next = p->dead;
        p->dead = c;
        log_debug("conn %" PRIu64 ": closed", c->id);
}

static void accept_resume(struct proxy *p)
{
        if (p->accept_paused && endpoint_watch(p, &p->listener, EPOLLIN) == 0)
                p->accept_paused = false;
}

static void conns_reap(struct proxy *p)
{
        if (p->dead)
                accept_resume(p);
        while (p->dead) {
                struct conn *c = p->dead;

                p->dead = c->next;
                free(c);
        }
}

/* The agent side went away: every request in flight on it is answered UNAVAILABLE. */
static void agent_lost(struct proxy *p, struct conn *c, int error)
{
        c->agent_waiting = false;
        log_warning(error, "conn %" PRIu64 ": agent connection lost, %zu request(s) in flight",
                    c->id, c->n_inflight);
        for (size_t i = 0; i < c->n_inflight; i++) {
                reply(c, c->inflight[i].stream_id, TTRPC_CODE_UNAVAILABLE,
                      "the agent is unavailable");
                effect_drop(p, c->inflight[i].effect);
        }
        c->n_inflight = 0;
        c->agent_connecting = false;
        endpoint_close(p, &c->agent);
}

static int agent_connect(struct proxy *p, struct conn *c)
{
        bool in_progress = false;
        int fd, r;

        fd = addr_connect(&p->config->agent, &in_progress);
        if (fd == -EAGAIN) {
                /* A unix socket's full backlog: the agent is there but busy. What
                 * the host sends meanwhile is queued; the tick retries. */
                if (!c->agent_waiting) {
                        c->agent_waiting = true;
                        c->agent_retries = 0;
                }
                return 0;
        }
        if (fd < 0)
                return fd;
        c->agent_waiting = false;
        c->agent.fd = fd;
        c->agent_connecting = in_progress;
        r = endpoint_add(p, &c->agent, EPOLLIN | (in_progress ? EPOLLOUT : 0));
        if (r < 0) {
                c->agent.fd = safe_close(c->agent.fd);
                return r;
        }
        return 0;
}

static void forward_request(struct proxy *p, struct conn *c, const struct ttrpc_frame *f,
                           const struct gate_outcome *o)
{
        struct inflight entry = {
                .stream_id = f->header.stream_id,
                .effect = INFLIGHT_NO_EFFECT,
                .flags = o->action == GATE_FORWARD_DRAIN ? INFLIGHT_DRAIN : 0,
        };
        int r;

        if (c->agent.fd < 0 && !c->agent_waiting) {
                r = agent_connect(p, c);
                if (r < 0) {
                        log_warning(r, "conn %" PRIu64 ": cannot reach the agent", c->id);
                        gate_effect_cancel(p->gate, &o->effect);
                        reply(c, f->header.stream_id, TTRPC_CODE_UNAVAILABLE,
                              "the agent is unavailable");
                        return;
                }
        }
        if (o->effect.kind != POLICY_EFFECT_NONE) {
                r = effect_take(p, &o->effect);
                if (r < 0) {
                        gate_effect_cancel(p->gate, &o->effect);
                        reply(c, f->header.stream_id, TTRPC_CODE_RESOURCE_EXHAUSTED,
                              "too many state-changing requests in flight");
                        return;
                }
                entry.effect = (uint16_t)r;
        }
        r = inflight_add(p, c, entry);
        if (r < 0) {
                effect_drop(p, entry.effect);
                reply(c, f->header.stream_id, TTRPC_CODE_RESOURCE_EXHAUSTED,
                      "too many requests in flight on this connection");
                return;
        }
        /* The header sits right before the payload in the reader's buffer. */
        r = endpoint_send(&c->agent, f->payload - TTRPC_HEADER_SIZE,
                          TTRPC_HEADER_SIZE + f->header.length);
        if (r < 0)
                agent_lost(p, c, r);
}

/* One frame from the host. Returns <0 when the connection must be closed. */
static int host_frame(struct proxy *p, struct conn *c, const struct ttrpc_frame *f)
{
        struct gate_outcome o;
        uint32_t sid = f->header.stream_id;
        int r;

        /* kata's agent API has no streaming methods: only requests come from the host. */
        if (f->header.type != TTRPC_TYPE_REQUEST)
                return log_warning(EPROTO, "conn %" PRIu64 ": frame type %u from the host",
                                   c->id, f->header.type);
        /* Client stream ids are odd and increase; a reused id would confuse the
         * pairing of responses with the state effects of their requests. */
        if ((sid & 1u) == 0 || sid <= c->last_stream_id)
                return log_warning(EPROTO, "conn %" PRIu64 ": stream id %" PRIu32 " out of order",
                                   c->id, sid);
        c->last_stream_id = sid;

        r = gate_request(p->gate, c->id, sid, f->payload, f->header.length, &o);
        if (r < 0)
                log_error(r, "conn %" PRIu64 " stream %" PRIu32 ": request denied on an internal error",
                          c->id, sid);

        if (o.action == GATE_REPLY)
                reply(c, sid, o.code, o.message);
        else
                forward_request(p, c, f, &o);
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

        if (in->effect != INFLIGHT_NO_EFFECT) {
                r = gate_response(p->gate, &p->effects[in->effect], f->payload, f->header.length);
                if (r < 0)
                        log_error(r, "conn %" PRIu64 " stream %" PRIu32 ": state not updated",
                                  c->id, f->header.stream_id);
        }

        if (in->flags & INFLIGHT_DRAIN) {
                int32_t code = TTRPC_CODE_INTERNAL;

                /* The data was read out of the container's pipe so it does not fill
                 * up; the host gets none of it. Errors (e.g. EOF) pass through. */
                (void)ttrpc_response_code(f->payload, f->header.length, &p->gate->arena.allocator,
                                          &code);
                if (code == TTRPC_CODE_OK) {
                        uint32_t sid = in->stream_id;

                        effect_release(p, in->effect);
                        inflight_remove(c, in);
                        reply(c, sid, TTRPC_CODE_OK, NULL);
                        return 0;
                }
        }

        effect_release(p, in->effect);
        inflight_remove(c, in);
        host_send(c, frame, frame_len);
        return 0;
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Note when the host starts leaving a frame unfinished, for the slow-drip check. */
static void host_partial_track(struct conn *c)
{
        bool partial = ttrpc_reader_pending(&c->host.in) > 0 && ttrpc_reader_wanted(&c->host.in) > 0;

        if (!partial)
                c->partial_since_ns = 0;
        else if (c->partial_since_ns == 0)
                c->partial_since_ns = now_ns();
}

/* Close host connections that have dripped one frame for longer than allowed:
 * each holds a buffer, and a host could hold many. */
static void conns_expire(struct proxy *p)
{
        uint64_t limit = (uint64_t)p->config->frame_timeout_s * 1000000000u;
        uint64_t now = now_ns();

        for (struct conn *c = p->conns, *next; c; c = next) {
                next = c->next;
                if (c->partial_since_ns != 0 && now - c->partial_since_ns > limit) {
                        log_warning(0, "conn %" PRIu64 ": no whole frame within %us: closing",
                                    c->id, p->config->frame_timeout_s);
                        conn_kill(p, c);
                }
        }
}

static bool host_throttled(const struct conn *c)
{
        return outq_pending(&c->host.out) >= PROXY_HIGH_WATER ||
               outq_pending(&c->agent.out) >= PROXY_HIGH_WATER;
}

static bool agent_throttled(const struct conn *c)
{
        return outq_pending(&c->host.out) >= PROXY_HIGH_WATER;
}

/* Process every whole frame buffered on e, as far as the output queues allow. */
static int endpoint_frames(struct proxy *p, struct endpoint *e)
{
        struct conn *c = e->conn;
        struct ttrpc_frame f;
        int r;

        for (;;) {
                if (e->kind == ENDPOINT_HOST ? host_throttled(c) : agent_throttled(c))
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

/* Read what is there. Returns 1 on EOF, 0 when drained for now, -errno on error. */
static int endpoint_read(struct endpoint *e)
{
        for (int i = 0; i < PROXY_READS_PER_EVENT; i++) {
                size_t want = ttrpc_reader_wanted(&e->in), avail;
                uint8_t *space;
                ssize_t n;

                if (want == 0)
                        return 0; /* a whole frame waits to be processed */
                if (want < PROXY_READ_CHUNK)
                        want = PROXY_READ_CHUNK;
                if (want > TTRPC_MAX_FRAME)
                        want = TTRPC_MAX_FRAME;
                space = ttrpc_reader_space(&e->in, want, &avail);
                if (!space)
                        return -errno;
                n = recv(e->fd, space, avail, MSG_DONTWAIT);
                if (n == 0)
                        return 1;
                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                ttrpc_reader_commit(&e->in, (size_t)n);
                if ((size_t)n < avail)
                        return 0;
        }
        return 0;
}

static int endpoint_flush(struct endpoint *e)
{
        while (outq_pending(&e->out) > 0) {
                size_t len;
                const uint8_t *data = outq_peek(&e->out, &len);
                ssize_t n = send(e->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                outq_consume(&e->out, (size_t)n);
        }
        return 0;
}

/* Bring epoll's interest in line with the queues, after any change. */
static int conn_update(struct proxy *p, struct conn *c)
{
        uint32_t host_ev = 0, agent_ev = 0;
        int r;

        if (!host_throttled(c) && !c->host_eof)
                host_ev |= EPOLLIN;
        if (outq_pending(&c->host.out) > 0)
                host_ev |= EPOLLOUT;
        r = endpoint_watch(p, &c->host, host_ev);
        if (r < 0)
                return r;

        if (c->agent.fd < 0)
                return 0;
        if (!agent_throttled(c))
                agent_ev |= EPOLLIN;
        if (outq_pending(&c->agent.out) > 0 || c->agent_connecting)
                agent_ev |= EPOLLOUT;
        return endpoint_watch(p, &c->agent, agent_ev);
}

static int agent_connected(struct conn *c)
{
        int err = 0;
        socklen_t len = sizeof(err);

        if (getsockopt(c->agent.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                return -errno;
        if (err != 0)
                return -err;
        c->agent_connecting = false;
        return 0;
}

/*
 * After the host's EOF: done once every request it sent is answered and the
 * answers are out. An unfinished frame can never be finished: done too.
 */
static bool host_done(const struct conn *c)
{
        if (!c->host_eof)
                return false;
        if (ttrpc_reader_pending(&c->host.in) > 0 && ttrpc_reader_wanted(&c->host.in) > 0)
                return true;
        return c->n_inflight == 0 && ttrpc_reader_pending(&c->host.in) == 0 &&
               outq_pending(&c->host.out) == 0;
}

static void host_event(struct proxy *p, struct conn *c, uint32_t events)
{
        int r = 0;

        /* Both directions gone after a half-close: nobody is left to answer. */
        if (c->host_eof && (events & (EPOLLHUP | EPOLLERR)))
                goto close;

        if (events & EPOLLOUT) {
                r = endpoint_flush(&c->host);
                if (r < 0)
                        goto close;
        }
        if (!c->host_eof && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
                r = endpoint_read(&c->host);
                if (r < 0)
                        goto close; /* the host is gone */
                if (r > 0) {
                        /* A half-close (shutdown(SHUT_WR)) still wants its answers. */
                        c->host_eof = true;
                        r = 0;
                }
        }
        /* Frames may be waiting from an earlier throttle even without new bytes. */
        r = endpoint_frames(p, &c->host);
        if (r < 0)
                goto close;
        host_partial_track(c);
        /* Replies freed room on the host side: the agent side may go on. */
        if (c->agent.fd >= 0 && endpoint_frames(p, &c->agent) < 0)
                agent_lost(p, c, EPROTO);
        if (c->closing || host_done(c))
                goto close;
        r = conn_update(p, c);
        if (r < 0)
                goto close;
        return;
close:
        if (r < 0 && r != -ECONNRESET && r != -EPIPE)
                log_warning(r, "conn %" PRIu64 ": closing", c->id);
        conn_kill(p, c);
}

static void agent_event(struct proxy *p, struct conn *c, uint32_t events)
{
        int r;

        if (c->agent_connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                r = agent_connected(c);
                if (r < 0) {
                        agent_lost(p, c, r);
                        goto update;
                }
        }
        if (events & EPOLLOUT) {
                r = endpoint_flush(&c->agent);
                if (r < 0) {
                        agent_lost(p, c, r);
                        goto update;
                }
        }
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                r = endpoint_read(&c->agent);
                if (r != 0) {
                        /* Answers already received still go to the host first. */
                        (void)endpoint_frames(p, &c->agent);
                        agent_lost(p, c, r > 0 ? ECONNRESET : -r);
                        goto update;
                }
        }
        r = endpoint_frames(p, &c->agent);
        if (r < 0) {
                agent_lost(p, c, r);
                goto update;
        }
        /* The agent's queue drained: host frames held back may now go. */
        if (endpoint_frames(p, &c->host) < 0)
                c->closing = true;
update:
        if (c->closing || host_done(c) || conn_update(p, c) < 0)
                conn_kill(p, c);
}

/* Retry agent connections that found the agent's backlog full. */
static void conns_retry_agent(struct proxy *p)
{
        for (struct conn *c = p->conns, *next; c; c = next) {
                int r;

                next = c->next;
                if (!c->agent_waiting)
                        continue;
                r = agent_connect(p, c);
                if (r == 0 && c->agent_waiting && ++c->agent_retries < PROXY_AGENT_RETRIES)
                        continue;
                if (r == 0 && c->agent_waiting)
                        r = -EAGAIN; /* busy for too long: treat as gone */
                if (r < 0)
                        agent_lost(p, c, -r);
                if (c->closing || conn_update(p, c) < 0)
                        conn_kill(p, c);
        }
}

static void accept_conns(struct proxy *p)
{
        for (int i = 0; i < 64; i++) {
                _cleanup_free_ struct conn *c = NULL;
                int fd, r;

                fd = accept4(p->listener.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                            errno == ENOMEM) {
                                /* The listener stays readable: stop watching it, or
                                 * the loop spins. Retried on the next tick or close. */
                                if (!p->accept_starved)
                                        log_warning(errno, "cannot accept connections (%u "
                                                           "open): pausing until one closes",
                                                    p->n_conns);
                                p->accept_starved = true;
                                if (endpoint_watch(p, &p->listener, 0) == 0)
                                        p->accept_paused = true;
                        } else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
                                log_warning(errno, "accept");
                        }
                        return;
                }
                if (p->accept_starved) {
                        log_notice("accepting connections again (%u open)", p->n_conns);
                        p->accept_starved = false;
                }
                if (p->n_conns >= p->config->max_connections) {
                        log_warning(0, "connection limit (%u) reached: refusing a connection",
                                    p->config->max_connections);
                        safe_close(fd);
                        continue;
                }
                c = calloc(1, sizeof(*c));
                if (!c) {
                        log_error(ENOMEM, "accepting a connection");
                        safe_close(fd);
                        continue;
                }
                c->id = ++p->next_conn_id;
                c->host = (struct endpoint){ .kind = ENDPOINT_HOST, .fd = fd, .conn = c };
                c->agent = (struct endpoint){ .kind = ENDPOINT_AGENT, .fd = -1, .conn = c };
                r = endpoint_add(p, &c->host, EPOLLIN);
                if (r < 0) {
                        log_error(r, "watching a connection");
                        safe_close(fd);
                        continue;
                }
                /* Connect now so the first request does not pay for it; if the agent
                 * is down, requests get UNAVAILABLE and the connect is retried. */
                r = agent_connect(p, c);
                if (r < 0)
                        log_warning(r, "conn %" PRIu64 ": cannot reach the agent yet", c->id);

                c->next = p->conns;
                if (p->conns)
                        p->conns->prev = c;
                p->conns = c;
                p->n_conns++;
                log_debug("conn %" PRIu64 ": accepted", c->id);
                TAKE_PTR(c);
        }
}

/* A once-a-second tick for deadlines; cheaper than a timer per connection. */
static int proxy_timer(void)
{
        struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
        int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (timerfd_settime(fd, 0, &its, NULL) < 0) {
                safe_close(fd);
                return -errno;
        }
        return fd;
}

int proxy_run(const struct proxy_config *config, int listen_fd, int stop_fd, struct gate *g)
{
        struct proxy p = {
                .config = config,
                .gate = g,
                .listener = { .kind = ENDPOINT_LISTEN, .fd = listen_fd },
                .stop = { .kind = ENDPOINT_STOP, .fd = stop_fd },
        };
        _cleanup_close_ int epoll_fd = -1, timer_fd = -1;
        int r = 0;

        for (unsigned i = 0; i < PROXY_MAX_EFFECTS; i++)
                p.free_effects[i] = (uint16_t)(PROXY_MAX_EFFECTS - 1 - i);
        p.n_free_effects = PROXY_MAX_EFFECTS;

        epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (epoll_fd < 0)
                return -errno;
        p.epoll_fd = epoll_fd;
        r = endpoint_add(&p, &p.listener, EPOLLIN);
        if (r < 0)
                return r;
        r = endpoint_add(&p, &p.stop, EPOLLIN);
        if (r < 0)
                return r;
        timer_fd = proxy_timer();
        if (timer_fd < 0)
                return timer_fd;
        p.timer = (struct endpoint){ .kind = ENDPOINT_TIMER, .fd = timer_fd };
        r = endpoint_add(&p, &p.timer, EPOLLIN);
        if (r < 0)
                return r;

        for (bool stop = false; !stop;) {
                struct epoll_event events[64];
                int n = epoll_wait(epoll_fd, events, (int)ELEMENTSOF(events), -1);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                for (int i = 0; i < n; i++) {
                        struct endpoint *e = events[i].data.ptr;

                        switch (e->kind) {
                        case ENDPOINT_LISTEN:
                                accept_conns(&p);
                                break;
                        case ENDPOINT_STOP:
                                stop = true;
                                break;
                        case ENDPOINT_TIMER: {
                                uint64_t ticks;

                                if (read(timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
                                        log_warning(errno, "reading the timer");
                                r = gate_tick(p.gate);
                                if (r < 0)
                                        log_error(r, "cannot fsync the audit log: records since "
                                                     "the last fsync may be lost (said once "
                                                     "until an fsync succeeds)");
                                conns_expire(&p);
                                conns_retry_agent(&p);
                                accept_resume(&p);
                                break;
                        }
                        case ENDPOINT_HOST:
                                if (!e->conn->dead)
                                        host_event(&p, e->conn, events[i].events);
                                break;
                        case ENDPOINT_AGENT:
                                /* The agent side may have been closed (and its fd
                                 * reused) earlier in this batch. */
                                if (!e->conn->dead && e->fd >= 0)
                                        agent_event(&p, e->conn, events[i].events);
                                break;
                        }
                }
                conns_reap(&p);
        }

        while (p.conns)
                conn_kill(&p, p.conns);
        conns_reap(&p);
        return r;
}
