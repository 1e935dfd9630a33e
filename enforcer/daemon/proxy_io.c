/* SPDX-License-Identifier: Apache-2.0 */
/* The proxy moving bytes: epoll interest, sends behind an output queue, reads into frames. */
#include <errno.h>
#include <inttypes.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "proxy_internal.h"

int proxy_endpoint_watch(struct proxy *p, struct endpoint *e, uint32_t events)
{
        struct epoll_event ev = { .events = events, .data.ptr = e };

        if (e->fd < 0 || e->events == events)
                return 0;
        if (epoll_ctl(p->epoll_fd, EPOLL_CTL_MOD, e->fd, &ev) < 0)
                return -errno;
        e->events = events;
        return 0;
}

int proxy_endpoint_add(struct proxy *p, struct endpoint *e, uint32_t events)
{
        struct epoll_event ev = { .events = events, .data.ptr = e };

        if (epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, e->fd, &ev) < 0)
                return -errno;
        e->events = events;
        return 0;
}

void proxy_endpoint_close(struct proxy *p, struct endpoint *e)
{
        if (e->fd >= 0) {
                (void)epoll_ctl(p->epoll_fd, EPOLL_CTL_DEL, e->fd, NULL);
                e->fd = safe_close(e->fd);
        }
        e->events = 0;
        ttrpc_reader_done(&e->in);
        outq_done(&e->out);
}

/* Queue bytes for a peer, writing at once when nothing is queued before them. */
int proxy_endpoint_send(struct endpoint *e, const uint8_t *data, size_t len)
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

/* Read what is there. Returns 1 on EOF, 0 when drained for now, -errno on error. */
/* How much a host read may ask for: what the budget gives (proxy_mem.c). 0: wait. */
static size_t host_want(struct proxy *p, struct endpoint *e, size_t want)
{
        struct conn *c = e->conn;

        if (proxy_mem_reserve(p, c, ttrpc_reader_cap_for(&e->in, want)))
                return want;
        /* What fits in the buffer it has, if anything, without growing it. */
        if (ttrpc_reader_cap_for(&e->in, 1) <= c->mem_charged)
                return 1;
        return 0;
}

int proxy_endpoint_read(struct proxy *p, struct endpoint *e)
{
        for (int i = 0; i < PROXY_READS_PER_EVENT; i++) {
                size_t want = ttrpc_reader_wanted(&e->in), avail;
                bool host = e->kind == ENDPOINT_HOST;
                uint8_t *space;
                ssize_t n;

                if (want == 0)
                        return 0; /* a whole frame waits to be processed */
                /* Under memory pressure a host read asks for what its frame needs. */
                if (want < PROXY_READ_CHUNK && !(host && proxy_mem_pressure(p)))
                        want = PROXY_READ_CHUNK;
                if (want > TTRPC_MAX_FRAME)
                        want = TTRPC_MAX_FRAME;
                if (host) {
                        want = host_want(p, e, want);
                        if (want == 0)
                                return 0; /* waits for memory */
                }
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

int proxy_endpoint_flush(struct endpoint *e)
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

/* A host that cannot take its answers is closed once the current event is done. */
void proxy_host_send(struct conn *c, const uint8_t *data, size_t len)
{
        int r = proxy_endpoint_send(&c->host, data, len);

        if (r < 0 && !c->closing) {
                if (r != -EPIPE && r != -ECONNRESET)
                        log_warning(r, "conn %" PRIu64 ": sending to the host", c->id);
                c->closing = true;
        }
}

/* A frame the gate made for the host, if it made one. */
void proxy_host_send_frame(struct conn *c, const struct gate_frame *f)
{
        if (f->len > 0)
                proxy_host_send(c, f->data, f->len);
}
