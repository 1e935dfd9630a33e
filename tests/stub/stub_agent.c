/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stub_agent: a stand-in for the kata agent in tests and benchmarks. A ttRPC
 * server on a unix socket that answers every method of grpc.AgentService and
 * grpc.Health with a well-formed response, and records every request that
 * reached it, so a test can prove that a denied request never got here.
 *
 * One thread, one epoll loop, any number of connections and of requests in
 * flight on each. Delayed answers (--delay-ms) wait in a per-connection queue,
 * never in a sleep, so a pipelined burst is held concurrently and, with
 * --reorder, answered in reverse order of arrival. --batch N holds answers
 * until N requests are waiting on the connection: a test that gets any answer
 * at all has proven that N requests were in flight at once, without a clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "agent.pb-c.h"
#include "agent_api.h"
#include "cleanup.h"
#include "health.pb-c.h"
#include "ttrpc.h"
#include "ttrpc.pb-c.h"
#include "ttrpc_msg.h"

#define MAX_FAIL 32
#define MAX_READ_SIZE (1u << 20)
/* Stop reading a connection whose peer does not take its answers. */
#define OUT_HIGH_WATER (16u << 20)
#define GRPC_CODE_UNIMPLEMENTED 12

struct fail_rule {
        const char *method; /* "ExecProcess" or "grpc.AgentService/ExecProcess" */
        int32_t code;
};

struct options {
        const char *listen;
        const char *record;
        unsigned delay_ms;
        unsigned batch;
        bool reorder;
        int32_t exit_status;
        size_t read_size;
        struct fail_rule fail[MAX_FAIL];
        size_t n_fail;
};

struct delayed {
        int64_t due_ms;
        uint64_t group; /* --reorder turns each group around: a batch, or one due time */
        uint8_t *frame;
        size_t len;
};

struct conn {
        int fd;
        struct ttrpc_reader in;
        uint8_t *out;
        size_t out_off, out_len, out_cap;
        uint32_t events;
        struct delayed *delayed;
        size_t n_delayed, cap_delayed;
        size_t n_held; /* the tail of delayed[] still waiting for its batch to fill */
        struct conn *prev, *next;
};

struct server {
        struct options opt;
        int epfd;
        int listen_fd;
        int signal_fd;
        int record_fd;
        struct conn *conns;
        uint64_t requests;
        uint64_t batches;
};

/* epoll tags for the two fds that are not connections. */
static int tag_listen, tag_signal;

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sha256_hex(const uint8_t *buf, size_t len, char out[65])
{
        unsigned char md[32];
        unsigned int n = 0;

        if (EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) != 1)
                memset(md, 0, sizeof(md));
        for (size_t i = 0; i < sizeof(md); i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void record(struct server *s, uint32_t stream_id, const char *what, const uint8_t *payload,
                   size_t len)
{
        char hex[65], line[1024];
        int n;

        s->requests++;
        if (s->record_fd < 0)
                return;
        sha256_hex(payload, len, hex);
        n = snprintf(line, sizeof(line), "%" PRIu32 " %s %s\n", stream_id, what, hex);
        if (n < 0 || (size_t)n >= sizeof(line))
                n = snprintf(line, sizeof(line), "%" PRIu32 " (name-too-long) %s\n", stream_id, hex);
        /* One write per line on an O_APPEND fd: a reader never sees half a line. */
        if (write(s->record_fd, line, (size_t)n) != n)
                fprintf(stderr, "stub_agent: writing the record: %m\n");
}

/* ---- what arrived -------------------------------------------------------- */

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
        uint64_t v = 0;

        for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
                uint8_t b = *(*p)++;

                v |= (uint64_t)(b & 0x7f) << shift;
                if (!(b & 0x80)) {
                        *ret = v;
                        return true;
                }
        }
        return false;
}

/* Append bytes to out as they are, but with anything that is not a plain
 * printable character as \xNN, so a record line stays one line of three fields. */
static void escape_into(char *out, size_t cap, size_t *pos, const uint8_t *b, size_t n)
{
        for (size_t i = 0; i < n && *pos + 5 < cap; i++) {
                if (b[i] > 0x20 && b[i] < 0x7f && b[i] != '\\')
                        out[(*pos)++] = (char)b[i];
                else
                        *pos += (size_t)snprintf(out + *pos, cap - *pos, "\\x%02x", b[i]);
        }
        out[*pos] = '\0';
}

/*
 * "<service>/<method>" from the envelope's own bytes. protobuf-c hands strings
 * over NUL-terminated, which would hide an embedded NUL, and a request that
 * differs from a known one only after a NUL is exactly what a test must be
 * able to tell apart. The last occurrence of a field wins, as in protobuf.
 */
static void envelope_names(const uint8_t *payload, size_t len, char *out, size_t cap)
{
        const uint8_t *p = payload, *end = payload + len;
        const uint8_t *svc = NULL, *m = NULL;
        size_t svc_len = 0, m_len = 0, pos = 0;

        while (p < end) {
                uint64_t key, v;

                if (!read_varint(&p, end, &key))
                        break;
                if ((key & 7) == 0) {
                        if (!read_varint(&p, end, &v))
                                break;
                } else if ((key & 7) == 2) {
                        if (!read_varint(&p, end, &v) || v > (uint64_t)(end - p))
                                break;
                        if (key >> 3 == 1)
                                svc = p, svc_len = (size_t)v;
                        else if (key >> 3 == 2)
                                m = p, m_len = (size_t)v;
                        p += v;
                } else {
                        break; /* the envelope has no other wire types; protobuf-c judged it */
                }
        }
        out[0] = '\0';
        escape_into(out, cap, &pos, svc ? svc : (const uint8_t *)"", svc_len);
        escape_into(out, cap, &pos, (const uint8_t *)"/", 1);
        escape_into(out, cap, &pos, m ? m : (const uint8_t *)"", m_len);
}

/* ---- answers ------------------------------------------------------------ */

/* Pack msg into a fresh buffer (*ret may stay NULL for an empty message). */
static int pack(const ProtobufCMessage *msg, uint8_t **ret, size_t *ret_len)
{
        size_t n = protobuf_c_message_get_packed_size(msg);
        uint8_t *buf = malloc(n ? n : 1);

        if (!buf)
                return -ENOMEM;
        protobuf_c_message_pack(msg, buf);
        *ret = buf;
        *ret_len = n;
        return 0;
}

static int answer_read_stream(const struct options *o, bool err, const Ttrpc__Request *req,
                              uint8_t **ret, size_t *ret_len)
{
        Grpc__ReadStreamRequest *rs;
        Grpc__ReadStreamResponse resp = GRPC__READ_STREAM_RESPONSE__INIT;
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        size_t n, want;
        int r;

        rs = grpc__read_stream_request__unpack(NULL, req->payload.len, req->payload.data);
        if (asprintf(&text, "%s-of-%s", err ? "stderr" : "stdout",
                     rs && rs->exec_id ? rs->exec_id : "") < 0)
                text = NULL;
        want = o->read_size;
        /* kata's len is the most the caller takes in one read. */
        if (rs && rs->len > 0 && want > rs->len)
                want = rs->len;
        if (rs)
                grpc__read_stream_request__free_unpacked(rs, NULL);
        if (!text)
                return -ENOMEM;

        n = strlen(text);
        if (want == 0)
                want = n;
        /* The text repeated to the size asked for, so large reads stay recognisable. */
        data = malloc(want);
        if (!data)
                return -ENOMEM;
        /* Doubling copies, not a byte loop: the throughput benchmark reads 1 MiB
         * answers, and the stub must not be what it measures. */
        memcpy(data, text, want < n ? want : n);
        for (size_t have = n; have < want; have *= 2)
                memcpy(data + have, data, want - have < have ? want - have : have);
        resp.data.data = data;
        resp.data.len = want;
        r = pack(&resp.base, ret, ret_len);
        return r;
}

static int answer_payload(const struct options *o, const Ttrpc__Request *req, uint8_t **ret,
                          size_t *ret_len)
{
        const char *svc = req->service, *m = req->method;

        *ret = NULL;
        *ret_len = 0;
        if (strcmp(svc, "grpc.AgentService") == 0) {
                if (strcmp(m, "ReadStdout") == 0 || strcmp(m, "ReadStderr") == 0)
                        return answer_read_stream(o, strcmp(m, "ReadStderr") == 0, req, ret, ret_len);
                if (strcmp(m, "GetGuestDetails") == 0) {
                        Grpc__GuestDetailsResponse resp = GRPC__GUEST_DETAILS_RESPONSE__INIT;
                        Grpc__AgentDetails details = GRPC__AGENT_DETAILS__INIT;
                        char *handlers[] = { (char *)"blk", (char *)"virtio-fs" };

                        details.version = (char *)"stub-agent 0.1";
                        details.init_daemon = true;
                        details.storage_handlers = handlers;
                        details.n_storage_handlers = ELEMENTSOF(handlers);
                        resp.mem_block_size_bytes = 128u << 20;
                        resp.agent_details = &details;
                        resp.support_mem_hotplug_probe = true;
                        return pack(&resp.base, ret, ret_len);
                }
                if (strcmp(m, "WaitProcess") == 0) {
                        Grpc__WaitProcessResponse resp = GRPC__WAIT_PROCESS_RESPONSE__INIT;

                        resp.status = o->exit_status;
                        return pack(&resp.base, ret, ret_len);
                }
                if (strcmp(m, "WriteStdin") == 0) {
                        Grpc__WriteStreamRequest *ws;
                        Grpc__WriteStreamResponse resp = GRPC__WRITE_STREAM_RESPONSE__INIT;

                        ws = grpc__write_stream_request__unpack(NULL, req->payload.len,
                                                                req->payload.data);
                        resp.len = ws ? (uint32_t)ws->data.len : 0;
                        if (ws)
                                grpc__write_stream_request__free_unpacked(ws, NULL);
                        return pack(&resp.base, ret, ret_len);
                }
        } else if (strcmp(svc, "grpc.Health") == 0) {
                if (strcmp(m, "Check") == 0) {
                        Grpc__HealthCheckResponse resp = GRPC__HEALTH_CHECK_RESPONSE__INIT;

                        resp.status = GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
                        return pack(&resp.base, ret, ret_len);
                }
                if (strcmp(m, "Version") == 0) {
                        Grpc__VersionCheckResponse resp = GRPC__VERSION_CHECK_RESPONSE__INIT;

                        resp.grpc_version = (char *)"1.0";
                        resp.agent_version = (char *)"stub-agent 0.1";
                        return pack(&resp.base, ret, ret_len);
                }
        }
        /* Every other method answers Empty or a message whose fields may all be
         * absent: zero bytes is a well-formed encoding of either. */
        return 0;
}

static const struct fail_rule *fail_rule_for(const struct options *o, const Ttrpc__Request *req)
{
        for (size_t i = 0; i < o->n_fail; i++) {
                const char *f = o->fail[i].method;
                const char *slash = strchr(f, '/');

                if (!slash && strcmp(f, req->method) == 0)
                        return &o->fail[i];
                if (slash && strncmp(f, req->service, (size_t)(slash - f)) == 0 &&
                    req->service[slash - f] == '\0' && strcmp(slash + 1, req->method) == 0)
                        return &o->fail[i];
        }
        return NULL;
}

/* Build the whole response frame for one request frame's payload. */
static int answer(struct server *s, uint32_t stream_id, const uint8_t *payload, size_t len,
                  uint8_t **ret, size_t *ret_len)
{
        Ttrpc__Request *req;
        _cleanup_free_ uint8_t *body = NULL;
        _cleanup_free_ char *msg = NULL;
        char what[512];
        const struct fail_rule *fail;
        uint8_t *frame;
        size_t body_len = 0, cap;
        int32_t code = TTRPC_CODE_OK;
        ssize_t n;
        int r;

        req = ttrpc__request__unpack(NULL, len, payload);
        if (!req) {
                record(s, stream_id, "(undecodable)", payload, len);
                code = TTRPC_CODE_INVALID_ARGUMENT;
                msg = strdup("stub agent: the request envelope does not decode");
                goto build;
        }
        envelope_names(payload, len, what, sizeof(what));
        record(s, stream_id, what, req->payload.data, req->payload.len);

        fail = fail_rule_for(&s->opt, req);
        if (fail) {
                code = fail->code;
                if (asprintf(&msg, "stub agent: %s fails as asked (--fail)", req->method) < 0)
                        msg = NULL;
        } else if (strchr(what, '\\') || /* bytes a real agent would not match either */
                   !agent_method_lookup(req->service, strlen(req->service), req->method,
                                        strlen(req->method))) {
                code = GRPC_CODE_UNIMPLEMENTED;
                if (asprintf(&msg, "stub agent: unknown method %s", what) < 0)
                        msg = NULL;
        } else {
                r = answer_payload(&s->opt, req, &body, &body_len);
                if (r < 0) {
                        ttrpc__request__free_unpacked(req, NULL);
                        return r;
                }
        }
        ttrpc__request__free_unpacked(req, NULL);

build:
        /* Response{status{code, message}, payload}: the payload plus a bounded envelope. */
        cap = TTRPC_HEADER_SIZE + body_len + TTRPC_MAX_STATUS_MESSAGE + 64;
        frame = malloc(cap);
        if (!frame)
                return -ENOMEM;
        n = ttrpc_response_frame(stream_id, code, msg, body, body_len, frame, cap);
        if (n < 0) {
                free(frame);
                return (int)n;
        }
        *ret = frame;
        *ret_len = (size_t)n;
        return 0;
}

/* ---- connections -------------------------------------------------------- */

static void conn_free(struct server *s, struct conn *c)
{
        if (!c)
                return;
        if (c->prev)
                c->prev->next = c->next;
        else
                s->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        safe_close(c->fd); /* also takes it out of the epoll set */
        ttrpc_reader_done(&c->in);
        for (size_t i = 0; i < c->n_delayed; i++)
                free(c->delayed[i].frame);
        free(c->delayed);
        free(c->out);
        free(c);
}

static size_t out_pending(const struct conn *c)
{
        return c->out_len - c->out_off;
}

static int conn_update_events(struct server *s, struct conn *c)
{
        uint32_t ev = 0;
        struct epoll_event e;

        if (out_pending(c) < OUT_HIGH_WATER)
                ev |= EPOLLIN;
        if (out_pending(c) > 0)
                ev |= EPOLLOUT;
        if (ev == c->events)
                return 0;
        e = (struct epoll_event){ .events = ev, .data.ptr = c };
        if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &e) < 0)
                return -errno;
        c->events = ev;
        return 0;
}

static int conn_queue(struct conn *c, const uint8_t *frame, size_t len)
{
        if (c->out_off > 0 && c->out_off == c->out_len)
                c->out_off = c->out_len = 0;
        if (c->out_cap - c->out_len < len) {
                size_t ncap = c->out_cap ? c->out_cap : 65536;
                uint8_t *nbuf;

                if (c->out_off > 0) { /* compact before growing */
                        memmove(c->out, c->out + c->out_off, out_pending(c));
                        c->out_len -= c->out_off;
                        c->out_off = 0;
                }
                while (ncap - c->out_len < len)
                        ncap *= 2;
                if (ncap != c->out_cap) {
                        nbuf = realloc(c->out, ncap);
                        if (!nbuf)
                                return -ENOMEM;
                        c->out = nbuf;
                        c->out_cap = ncap;
                }
        }
        memcpy(c->out + c->out_len, frame, len);
        c->out_len += len;
        return 0;
}

/* Write what is queued. Returns 0 (possibly with bytes left), or -errno to close. */
static int conn_flush(struct conn *c)
{
        while (out_pending(c) > 0) {
                ssize_t n = send(c->fd, c->out + c->out_off, out_pending(c), MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                c->out_off += (size_t)n;
        }
        c->out_off = c->out_len = 0;
        return 0;
}

static int conn_delay(struct server *s, struct conn *c, uint8_t *frame, size_t len)
{
        if (c->n_delayed == c->cap_delayed) {
                size_t ncap = c->cap_delayed ? c->cap_delayed * 2 : 64;
                struct delayed *nd = reallocarray(c->delayed, ncap, sizeof(*nd));

                if (!nd)
                        return -ENOMEM;
                c->delayed = nd;
                c->cap_delayed = ncap;
        }
        int64_t due = s->opt.batch > 0 ? INT64_MAX : now_ms() + s->opt.delay_ms;

        c->delayed[c->n_delayed++] = (struct delayed){
                .due_ms = due,
                .group = (uint64_t)due,
                .frame = frame,
                .len = len,
        };
        if (s->opt.batch > 0 && ++c->n_held >= s->opt.batch) {
                /* The batch is full: its answers fall due together, after any delay. */
                due = now_ms() + s->opt.delay_ms;
                s->batches++;
                for (size_t i = c->n_delayed - c->n_held; i < c->n_delayed; i++) {
                        c->delayed[i].due_ms = due;
                        c->delayed[i].group = s->batches;
                }
                c->n_held = 0;
        }
        return 0;
}

/* Queue the delayed answers that are due; with --reorder, each group newest first. */
static int conn_release_due(struct server *s, struct conn *c, int64_t now)
{
        size_t n_due = 0, keep = 0;
        int r = 0;

        /* Due times increase with arrival, so the due ones are a prefix. */
        while (n_due < c->n_delayed && c->delayed[n_due].due_ms <= now)
                n_due++;
        for (size_t first = 0, end; first < n_due; first = end) {
                for (end = first + 1; end < n_due && c->delayed[end].group == c->delayed[first].group;)
                        end++;
                for (size_t k = first; k < end; k++) {
                        size_t i = s->opt.reorder ? end - 1 - (k - first) : k;

                        if (r == 0)
                                r = conn_queue(c, c->delayed[i].frame, c->delayed[i].len);
                        free(c->delayed[i].frame);
                }
        }
        for (size_t i = n_due; i < c->n_delayed; i++)
                c->delayed[keep++] = c->delayed[i];
        c->n_delayed = keep;
        return r;
}

static int conn_handle_frames(struct server *s, struct conn *c)
{
        struct ttrpc_frame f;
        int r;

        while ((r = ttrpc_reader_next(&c->in, &f)) > 0) {
                uint8_t *frame = NULL;
                size_t len = 0;

                if (f.header.type != TTRPC_TYPE_REQUEST) {
                        char what[32];

                        snprintf(what, sizeof(what), "(frame-type-%u)", f.header.type);
                        record(s, f.header.stream_id, what, f.payload, f.header.length);
                        continue;
                }
                r = answer(s, f.header.stream_id, f.payload, f.header.length, &frame, &len);
                if (r < 0)
                        return r;
                if (s->opt.delay_ms > 0 || s->opt.batch > 0) {
                        r = conn_delay(s, c, frame, len);
                        if (r < 0) {
                                free(frame);
                                return r;
                        }
                        continue;
                }
                r = conn_queue(c, frame, len);
                free(frame);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                fprintf(stderr, "stub_agent: malformed frame header (%s), closing the connection\n",
                        strerror(-r));
        return r;
}

/* Returns 0 to keep the connection, < 0 to close it. */
static int conn_on_readable(struct server *s, struct conn *c)
{
        /* Bounded per wake-up so one busy connection cannot starve the others. */
        for (int round = 0; round < 16; round++) {
                size_t want = ttrpc_reader_wanted(&c->in), avail;
                uint8_t *p;
                ssize_t n;
                int r;

                if (want < 65536)
                        want = 65536;
                if (want > TTRPC_MAX_FRAME)
                        want = TTRPC_MAX_FRAME;
                p = ttrpc_reader_space(&c->in, want, &avail);
                if (!p)
                        return -ENOMEM;
                n = recv(c->fd, p, avail, 0);
                if (n == 0)
                        return -ECONNRESET;
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN ? 0 : -errno;
                }
                ttrpc_reader_commit(&c->in, (size_t)n);
                r = conn_handle_frames(s, c);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int server_accept(struct server *s)
{
        for (;;) {
                _cleanup_close_ int fd = -1;
                struct epoll_event e;
                struct conn *c;

                fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        return errno == EAGAIN ? 0 : -errno;
                }
                c = calloc(1, sizeof(*c));
                if (!c)
                        return -ENOMEM;
                ttrpc_reader_init(&c->in);
                c->events = EPOLLIN;
                e = (struct epoll_event){ .events = EPOLLIN, .data.ptr = c };
                if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
                        free(c);
                        return -errno;
                }
                c->fd = TAKE_FD(fd);
                c->next = s->conns;
                if (s->conns)
                        s->conns->prev = c;
                s->conns = c;
        }
}

/* Milliseconds until the earliest delayed answer, or -1 for none. */
static int next_timeout(const struct server *s)
{
        int64_t due = INT64_MAX, now;

        for (const struct conn *c = s->conns; c; c = c->next)
                if (c->n_delayed > 0 && c->delayed[0].due_ms < due)
                        due = c->delayed[0].due_ms;
        if (due == INT64_MAX)
                return -1;
        now = now_ms();
        return due <= now ? 0 : (int)(due - now > 60000 ? 60000 : due - now);
}

static void release_all_due(struct server *s)
{
        int64_t now = now_ms();
        struct conn *next;

        for (struct conn *c = s->conns; c; c = next) {
                next = c->next;
                if (c->n_delayed == 0 || c->delayed[0].due_ms > now)
                        continue;
                if (conn_release_due(s, c, now) < 0 || conn_flush(c) < 0 ||
                    conn_update_events(s, c) < 0)
                        conn_free(s, c);
        }
}

static int serve(struct server *s)
{
        for (;;) {
                struct epoll_event ev[64];
                int n;

                n = epoll_wait(s->epfd, ev, ELEMENTSOF(ev), next_timeout(s));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (int i = 0; i < n; i++) {
                        struct conn *c = ev[i].data.ptr;

                        if (ev[i].data.ptr == &tag_signal)
                                return 0;
                        if (ev[i].data.ptr == &tag_listen) {
                                int r = server_accept(s);

                                /* EMFILE and friends: keep serving who is here already. */
                                if (r < 0)
                                        fprintf(stderr, "stub_agent: accept: %s\n", strerror(-r));
                                continue;
                        }
                        if ((ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) &&
                            conn_on_readable(s, c) < 0) {
                                conn_free(s, c);
                                continue;
                        }
                        if (conn_flush(c) < 0 || conn_update_events(s, c) < 0)
                                conn_free(s, c);
                }
                release_all_due(s);
        }
}

/* ---- setup -------------------------------------------------------------- */

static int listen_unix(const char *address)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        struct stat st;
        const char *path;

        if (strncmp(address, "unix:", 5) != 0)
                return -EINVAL;
        path = address + 5;
        if (!*path || strlen(path) >= sizeof(sa.sun_path))
                return -EINVAL;
        strcpy(sa.sun_path, path);
        if (path[0] == '@')
                sa.sun_path[0] = '\0';
        /* A socket left behind by a stub that was killed: tests restart on the same path. */
        else if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                (void)unlink(path);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *)&sa,
                 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) +
                             (path[0] == '@' ? 0 : 1))) < 0)
                return -errno;
        if (listen(fd, SOMAXCONN) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: stub_agent --listen unix:PATH [OPTIONS]\n"
                "\n"
                "A stand-in for the kata agent: answers every method of grpc.AgentService and\n"
                "grpc.Health with status OK and a well-formed response, and records every\n"
                "request that reached it.\n"
                "\n"
                "Options:\n"
                "  --listen unix:PATH    where to listen (unix:@name: abstract namespace)\n"
                "  --record FILE         append '<stream_id> <service>/<method> <sha256 of\n"
                "                        payload>' per request, written line by line\n"
                "  --delay-ms N          answer each request N ms after it arrived, without\n"
                "                        blocking others (requests in flight)\n"
                "  --batch N             hold answers until N requests wait on the connection,\n"
                "                        then answer them together (after --delay-ms, if given)\n"
                "  --reorder             answers that fall due together go newest first\n"
                "  --fail METHOD[=CODE]  answer METHOD ('ExecProcess' or\n"
                "                        'grpc.AgentService/ExecProcess') with status CODE\n"
                "                        (default 13, INTERNAL); repeatable\n"
                "  --exit-status N       the status WaitProcess reports (default 0)\n"
                "  --read-size N         bytes of data ReadStdout/ReadStderr return, the text\n"
                "                        'stdout-of-<exec_id>' repeated (default: once; capped\n"
                "                        by the request's len, and at 1 MiB)\n"
                "  --help                show this help\n"
                "\n"
                "Unknown methods are recorded and answered UNIMPLEMENTED (12).\n"
                "SIGTERM or SIGINT: stop and remove the socket.\n");
}

static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
        char *end;
        unsigned long v;

        if (!*s || *s == '-')
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Returns 1 to serve, 0 after --help, -EINVAL on a usage error (reported). */
static int parse_args(int argc, char **argv, struct options *o)
{
        enum { OPT_LISTEN = 256, OPT_RECORD, OPT_DELAY, OPT_REORDER, OPT_FAIL, OPT_EXIT, OPT_READ,
               OPT_BATCH };
        static const struct option longopts[] = {
                { "listen", required_argument, NULL, OPT_LISTEN },
                { "record", required_argument, NULL, OPT_RECORD },
                { "delay-ms", required_argument, NULL, OPT_DELAY },
                { "reorder", no_argument, NULL, OPT_REORDER },
                { "fail", required_argument, NULL, OPT_FAIL },
                { "exit-status", required_argument, NULL, OPT_EXIT },
                { "read-size", required_argument, NULL, OPT_READ },
                { "batch", required_argument, NULL, OPT_BATCH },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        unsigned long v;
        int c;

        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_LISTEN:
                        o->listen = optarg;
                        break;
                case OPT_RECORD:
                        o->record = optarg;
                        break;
                case OPT_DELAY:
                        if (parse_uint(optarg, 600000, &v) < 0)
                                goto bad;
                        o->delay_ms = (unsigned)v;
                        break;
                case OPT_REORDER:
                        o->reorder = true;
                        break;
                case OPT_FAIL: {
                        char *eq = strchr(optarg, '=');

                        if (o->n_fail == MAX_FAIL)
                                goto bad;
                        o->fail[o->n_fail].code = TTRPC_CODE_INTERNAL;
                        if (eq) {
                                *eq = '\0';
                                if (parse_uint(eq + 1, 16, &v) < 0 || v == 0)
                                        goto bad;
                                o->fail[o->n_fail].code = (int32_t)v;
                        }
                        if (!*optarg)
                                goto bad;
                        o->fail[o->n_fail++].method = optarg;
                        break;
                }
                case OPT_EXIT:
                        if (parse_uint(optarg, 255, &v) < 0)
                                goto bad;
                        o->exit_status = (int32_t)v;
                        break;
                case OPT_BATCH:
                        if (parse_uint(optarg, 1u << 20, &v) < 0)
                                goto bad;
                        o->batch = (unsigned)v;
                        break;
                case OPT_READ:
                        if (parse_uint(optarg, MAX_READ_SIZE, &v) < 0)
                                goto bad;
                        o->read_size = v;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return -EINVAL;
                }
        }
        if (optind < argc || !o->listen) {
                fprintf(stderr, "stub_agent: %s\n\n",
                        o->listen ? "unexpected argument" : "--listen is required");
                usage(stderr);
                return -EINVAL;
        }
        return 1;
bad:
        fprintf(stderr, "stub_agent: bad value for --%s: '%s'\n", longopts[c - OPT_LISTEN].name,
                optarg);
        return -EINVAL;
}

int main(int argc, char **argv)
{
        struct server s = { .epfd = -1, .listen_fd = -1, .signal_fd = -1, .record_fd = -1 };
        struct epoll_event e;
        sigset_t mask;
        int r;

        r = parse_args(argc, argv, &s.opt);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return 1;
        signal(SIGPIPE, SIG_IGN);

        if (s.opt.record) {
                s.record_fd = open(s.opt.record, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
                if (s.record_fd < 0) {
                        fprintf(stderr, "stub_agent: %s: %m\n", s.opt.record);
                        return 1;
                }
        }
        s.listen_fd = listen_unix(s.opt.listen);
        if (s.listen_fd < 0) {
                fprintf(stderr, "stub_agent: listening on %s: %s\n", s.opt.listen,
                        strerror(-s.listen_fd));
                return 1;
        }
        s.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        s.epfd = epoll_create1(EPOLL_CLOEXEC);
        if (s.signal_fd < 0 || s.epfd < 0) {
                fprintf(stderr, "stub_agent: %m\n");
                return 1;
        }
        e = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &tag_listen };
        if (epoll_ctl(s.epfd, EPOLL_CTL_ADD, s.listen_fd, &e) < 0)
                return 1;
        e = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &tag_signal };
        if (epoll_ctl(s.epfd, EPOLL_CTL_ADD, s.signal_fd, &e) < 0)
                return 1;

        fprintf(stderr, "stub_agent: listening on %s\n", s.opt.listen);
        r = serve(&s);

        while (s.conns)
                conn_free(&s, s.conns);
        if (s.opt.listen[5] != '@')
                (void)unlink(s.opt.listen + 5);
        safe_close(s.epfd);
        safe_close(s.listen_fd);
        safe_close(s.signal_fd);
        safe_close(s.record_fd);
        fprintf(stderr, "stub_agent: %" PRIu64 " requests answered%s%s\n", s.requests,
                r < 0 ? ", stopped by error: " : "", r < 0 ? strerror(-r) : "");
        return r < 0 ? 1 : 0;
}
