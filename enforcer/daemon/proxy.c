/* SPDX-License-Identifier: Apache-2.0 */
/* The epoll proxy: host and agent connections, frames both ways, every request through the gate. */
#include "proxy.h"

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
#include "proxy_internal.h"

/* Close a connection now; its memory goes after the current batch of events,
 * which may still hold pointers to its endpoints. */
static void conn_kill(struct proxy *p, struct conn *c)
{
        if (c->dead)
                return;
        proxy_inflight_abandon(p, c, GATE_ABANDON_HOST_CLOSED);
        proxy_endpoint_close(p, &c->host);
        proxy_mem_release(p, c);
        proxy_endpoint_close(p, &c->agent);
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
        if (p->accept_paused && proxy_endpoint_watch(p, &p->listener, EPOLLIN) == 0)
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

/* The agent side went away: every request in flight on it is answered
 * UNAVAILABLE. Those that waited for a connection that never came up never
 * reached it. */
void proxy_agent_lost(struct proxy *p, struct conn *c, int error)
{
        bool never = c->agent_waiting || c->agent_connecting;

        log_warning(error, "conn %" PRIu64 ": agent connection lost, %zu request(s) in flight",
                    c->id, c->n_inflight);
        proxy_inflight_abandon(p, c, never ? GATE_ABANDON_AGENT_UNAVAILABLE : GATE_ABANDON_AGENT_LOST);
        c->agent_waiting = false;
        c->agent_connecting = false;
        proxy_endpoint_close(p, &c->agent);
}

int proxy_agent_connect(struct proxy *p, struct conn *c)
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
        r = proxy_endpoint_add(p, &c->agent, EPOLLIN | (in_progress ? EPOLLOUT : 0));
        if (r < 0) {
                c->agent.fd = safe_close(c->agent.fd);
                return r;
        }
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

/*
 * A protocol error in the host's bytes (a malformed header, a frame type or
 * flags not taken, a stream id out of order): nothing after it can be read
 * safely. What the host asked before it is still answered (the agent's
 * answers to what was forwarded, ccgate's own already queued), then the
 * connection closes: as after a half-close, with the frame timeout as bound.
 */
static void host_refuse(struct proxy *p, struct conn *c, int error)
{
        log_warning(error, "conn %" PRIu64 ": protocol error: closing once the %zu answer(s) "
                           "due are out", c->id, c->n_inflight);
        ttrpc_reader_done(&c->host.in);
        proxy_mem_release(p, c);
        c->host_eof = true;
        c->refused = true;
        c->refused_since_ns = now_ns();
        c->partial_since_ns = 0;
}

/* The host's buffered frames; a protocol error refuses the host (host_refuse()).
 * Returns < 0 when the connection must close now. */
static int host_frames(struct proxy *p, struct conn *c)
{
        int r = proxy_endpoint_frames(p, &c->host);

        if (r == -EPROTO || r == -EMSGSIZE) {
                if (!c->closing)
                        host_refuse(p, c, -r);
                return c->closing ? r : 0;
        }
        return r;
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
                } else if (c->refused && now - c->refused_since_ns > limit) {
                        log_warning(0, "conn %" PRIu64 ": %zu answer(s) still due %us after a "
                                       "protocol error: closing", c->id, c->n_inflight,
                                    p->config->frame_timeout_s);
                        conn_kill(p, c);
                }
        }
}

/* Bring epoll's interest in line with the queues, after any change. */
int proxy_conn_update(struct proxy *p, struct conn *c)
{
        uint32_t host_ev = 0, agent_ev = 0;
        int r;

        if (!proxy_host_throttled(c) && !c->host_eof && !c->mem_waiting)
                host_ev |= EPOLLIN;
        if (outq_pending(&c->host.out) > 0)
                host_ev |= EPOLLOUT;
        r = proxy_endpoint_watch(p, &c->host, host_ev);
        if (r < 0)
                return r;

        if (c->agent.fd < 0)
                return 0;
        if (!proxy_agent_throttled(c))
                agent_ev |= EPOLLIN;
        if (outq_pending(&c->agent.out) > 0 || c->agent_connecting)
                agent_ev |= EPOLLOUT;
        return proxy_endpoint_watch(p, &c->agent, agent_ev);
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

        /* Both directions gone after a half-close: nobody is left to answer.
         * Gone while waiting for memory: nothing it sent can be read. */
        if ((c->host_eof || c->mem_waiting) && (events & (EPOLLHUP | EPOLLERR)))
                goto close;

        if (events & EPOLLOUT) {
                r = proxy_endpoint_flush(&c->host);
                if (r < 0)
                        goto close;
        }
        if (!c->host_eof && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
                r = proxy_endpoint_read(p, &c->host);
                if (r < 0)
                        goto close; /* the host is gone */
                if (r > 0) {
                        /* A half-close (shutdown(SHUT_WR)) still wants its answers. */
                        c->host_eof = true;
                        r = 0;
                }
        }
        /* Frames may be waiting from an earlier throttle even without new bytes. */
        r = host_frames(p, c);
        if (r < 0)
                goto close;
        if (!c->refused)
                host_partial_track(c);
        proxy_mem_shrink(p, c);
        /* Replies freed room on the host side: the agent side may go on. */
        if (c->agent.fd >= 0 && proxy_endpoint_frames(p, &c->agent) < 0)
                proxy_agent_lost(p, c, EPROTO);
        if (c->closing || host_done(c))
                goto close;
        r = proxy_conn_update(p, c);
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
                        proxy_agent_lost(p, c, r);
                        goto update;
                }
        }
        if (events & EPOLLOUT) {
                r = proxy_endpoint_flush(&c->agent);
                if (r < 0) {
                        proxy_agent_lost(p, c, r);
                        goto update;
                }
        }
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                r = proxy_endpoint_read(p, &c->agent);
                if (r != 0) {
                        /* Answers already received still go to the host first. */
                        (void)proxy_endpoint_frames(p, &c->agent);
                        proxy_agent_lost(p, c, r > 0 ? ECONNRESET : -r);
                        goto update;
                }
        }
        r = proxy_endpoint_frames(p, &c->agent);
        if (r < 0) {
                proxy_agent_lost(p, c, r);
                goto update;
        }
        /* The agent's queue drained: host frames held back may now go. */
        if (host_frames(p, c) < 0)
                c->closing = true;
update:
        if (c->closing || host_done(c) || proxy_conn_update(p, c) < 0)
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
                r = proxy_agent_connect(p, c);
                if (r == 0 && c->agent_waiting && ++c->agent_retries < PROXY_AGENT_RETRIES)
                        continue;
                if (r == 0 && c->agent_waiting)
                        r = -EAGAIN; /* busy for too long: treat as gone */
                if (r < 0)
                        proxy_agent_lost(p, c, -r);
                if (c->closing || proxy_conn_update(p, c) < 0)
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
                                if (proxy_endpoint_watch(p, &p->listener, 0) == 0)
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
                r = proxy_endpoint_add(p, &c->host, EPOLLIN);
                if (r < 0) {
                        log_error(r, "watching a connection");
                        safe_close(fd);
                        continue;
                }
                /* Connect now so the first request does not pay for it; if the agent
                 * is down, requests get UNAVAILABLE and the connect is retried. */
                r = proxy_agent_connect(p, c);
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

        epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (epoll_fd < 0)
                return -errno;
        p.epoll_fd = epoll_fd;
        r = proxy_endpoint_add(&p, &p.listener, EPOLLIN);
        if (r < 0)
                return r;
        r = proxy_endpoint_add(&p, &p.stop, EPOLLIN);
        if (r < 0)
                return r;
        timer_fd = proxy_timer();
        if (timer_fd < 0)
                return timer_fd;
        p.timer = (struct endpoint){ .kind = ENDPOINT_TIMER, .fd = timer_fd };
        r = proxy_endpoint_add(&p, &p.timer, EPOLLIN);
        if (r < 0)
                return r;

        for (bool stop = false; !stop;) {
                struct epoll_event events[64];
                int n;

                /* Before waiting: the outcome records of what was just answered are
                 * encoded now, not on the next request's path. */
                r = gate_idle(p.gate);
                if (r < 0)
                        log_error(r, "cannot write outcome records to the audit log");
                n = epoll_wait(epoll_fd, events, (int)ELEMENTSOF(events), -1);

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
                                        log_error(r, "cannot write or fsync the audit log: "
                                                     "records since the last fsync may be lost "
                                                     "(said once until it succeeds)");
                                conns_expire(&p);
                                proxy_mem_tick(&p);
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

        /* What is in flight is recorded as abandoned, and the hosts still there
         * are told, before the connections close (and before the stop record). */
        for (struct conn *c = p.conns; c; c = c->next) {
                proxy_inflight_abandon(&p, c, GATE_ABANDON_STOPPING);
                if (c->host.fd >= 0)
                        (void)proxy_endpoint_flush(&c->host);
        }
        while (p.conns)
                conn_kill(&p, p.conns);
        conns_reap(&p);
        return r;
}
