/* SPDX-License-Identifier: Apache-2.0 */
#include "ttrpc_client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ttrpc.h"
#include "ttrpc.pb-c.h"

struct ttrpc_client {
        int fd;
        int timeout_ms;
        uint32_t next_stream;
        struct ttrpc_reader reader;
};

void ttrpc_reply_done(struct ttrpc_reply *r)
{
        if (!r)
                return;
        free(r->message);
        free(r->payload);
        *r = (struct ttrpc_reply){ 0 };
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int unix_address(const char *address, struct sockaddr_un *ret, socklen_t *ret_len)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *path = address;
        size_t n;

        if (strncmp(address, "unix:", 5) == 0)
                path = address + 5;
        else if (strchr(address, ':'))
                return -EINVAL;
        n = strlen(path);
        if (n == 0 || n >= sizeof(sa.sun_path))
                return -EINVAL;
        memcpy(sa.sun_path, path, n);
        if (path[0] == '@')
                sa.sun_path[0] = '\0'; /* abstract: the length, not a NUL, ends the name */
        *ret = sa;
        *ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '@' ? 0 : 1));
        return 0;
}

int ttrpc_client_connect(const char *address, struct ttrpc_client **ret)
{
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa;
        socklen_t len;
        struct ttrpc_client *c;
        int r;

        r = unix_address(address, &sa, &len);
        if (r < 0)
                return r;
        /* Non-blocking so that every wait below is a poll() with a deadline. */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* A unix-socket connect either completes or fails at once; EAGAIN means
         * the backlog is full, which a test treats like "not up yet". */
        if (connect(fd, (struct sockaddr *)&sa, len) < 0)
                return errno == EAGAIN ? -ECONNREFUSED : -errno;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->fd = TAKE_FD(fd);
        c->timeout_ms = TTRPC_CLIENT_DEFAULT_TIMEOUT_MS;
        c->next_stream = 1;
        ttrpc_reader_init(&c->reader);
        *ret = c;
        return 0;
}

int ttrpc_client_connect_wait(const char *address, int timeout_ms, struct ttrpc_client **ret)
{
        int64_t deadline = now_ms() + timeout_ms;

        for (;;) {
                int r = ttrpc_client_connect(address, ret);

                if (r != -ENOENT && r != -ECONNREFUSED)
                        return r;
                if (now_ms() >= deadline)
                        return -ETIMEDOUT;
                /* Nothing to wait on but the server itself: re-check every 5 ms. */
                (void)poll(NULL, 0, 5);
        }
}

void ttrpc_client_free(struct ttrpc_client *c)
{
        if (!c)
                return;
        safe_close(c->fd);
        ttrpc_reader_done(&c->reader);
        free(c);
}

void ttrpc_client_set_timeout(struct ttrpc_client *c, int timeout_ms)
{
        c->timeout_ms = timeout_ms > 0 ? timeout_ms : TTRPC_CLIENT_DEFAULT_TIMEOUT_MS;
}

int ttrpc_client_fd(const struct ttrpc_client *c)
{
        return c->fd;
}

uint32_t ttrpc_client_next_stream(struct ttrpc_client *c)
{
        return c->next_stream;
}

uint32_t ttrpc_client_new_stream(struct ttrpc_client *c)
{
        uint32_t sid = c->next_stream;

        c->next_stream += 2;
        return sid;
}

/* Wait for events on c->fd until deadline. Returns 0 or -ETIMEDOUT. */
static int wait_fd(struct ttrpc_client *c, short events, int64_t deadline)
{
        for (;;) {
                struct pollfd p = { .fd = c->fd, .events = events };
                int64_t left = deadline - now_ms();
                int k;

                if (left <= 0)
                        return -ETIMEDOUT;
                k = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
                if (k > 0)
                        return 0;
                if (k < 0 && errno != EINTR)
                        return -errno;
        }
}

int ttrpc_client_send_raw(struct ttrpc_client *c, const void *buf, size_t len)
{
        const uint8_t *p = buf;
        int64_t deadline = now_ms() + c->timeout_ms;

        while (len > 0) {
                ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
                int r;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return errno == EPIPE ? -ECONNRESET : -errno;
                        r = wait_fd(c, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int ttrpc_client_send(struct ttrpc_client *c, uint32_t stream_id, const char *service,
                      const char *method, const uint8_t *payload, size_t len)
{
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        _cleanup_free_ uint8_t *buf = NULL;
        struct ttrpc_header h;
        size_t n;

        req.service = (char *)service;
        req.method = (char *)method;
        req.payload.data = (uint8_t *)payload;
        req.payload.len = len;
        n = ttrpc__request__get_packed_size(&req);
        if (n > TTRPC_MAX_PAYLOAD)
                return -EMSGSIZE;

        buf = malloc(TTRPC_HEADER_SIZE + n);
        if (!buf)
                return -ENOMEM;
        h = (struct ttrpc_header){
                .length = (uint32_t)n,
                .stream_id = stream_id,
                .type = TTRPC_TYPE_REQUEST,
        };
        ttrpc_header_encode(&h, buf);
        (void)ttrpc__request__pack(&req, buf + TTRPC_HEADER_SIZE);
        return ttrpc_client_send_raw(c, buf, TTRPC_HEADER_SIZE + n);
}

/* Read until one whole frame is buffered; *ret points into the reader. */
static int read_frame(struct ttrpc_client *c, struct ttrpc_frame *ret)
{
        int64_t deadline = now_ms() + c->timeout_ms;

        for (;;) {
                size_t avail, want;
                uint8_t *p;
                ssize_t n;
                int r;

                r = ttrpc_reader_next(&c->reader, ret);
                if (r > 0)
                        return 0;
                if (r < 0)
                        return -EPROTO;

                want = ttrpc_reader_wanted(&c->reader);
                p = ttrpc_reader_space(&c->reader, want > 65536 ? want : 65536, &avail);
                if (!p)
                        return -ENOMEM;
                n = recv(c->fd, p, avail, 0);
                if (n == 0)
                        return -ECONNRESET;
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return errno == EPIPE ? -ECONNRESET : -errno;
                        r = wait_fd(c, POLLIN, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                ttrpc_reader_commit(&c->reader, (size_t)n);
        }
}

int ttrpc_client_recv(struct ttrpc_client *c, struct ttrpc_reply *ret)
{
        struct ttrpc_reply reply = { 0 };
        struct ttrpc_frame f;
        Ttrpc__Response *resp;
        const char *msg = "";
        int r;

        r = read_frame(c, &f);
        if (r < 0)
                return r;
        if (f.header.type != TTRPC_TYPE_RESPONSE)
                return -EBADMSG;

        resp = ttrpc__response__unpack(NULL, f.header.length, f.payload);
        if (!resp)
                return -EBADMSG;

        reply.stream_id = f.header.stream_id;
        reply.type = f.header.type;
        if (resp->status) {
                reply.code = resp->status->code;
                if (resp->status->message)
                        msg = resp->status->message;
        }
        reply.message = strdup(msg);
        /* +1 so that an empty payload still has a pointer to compare with. */
        reply.payload = malloc(resp->payload.len + 1);
        if (!reply.message || !reply.payload) {
                ttrpc__response__free_unpacked(resp, NULL);
                ttrpc_reply_done(&reply);
                return -ENOMEM;
        }
        if (resp->payload.len > 0)
                memcpy(reply.payload, resp->payload.data, resp->payload.len);
        reply.payload_len = resp->payload.len;
        ttrpc__response__free_unpacked(resp, NULL);

        *ret = reply;
        return 0;
}

int ttrpc_client_call(struct ttrpc_client *c, const char *service, const char *method,
                      const uint8_t *payload, size_t len, struct ttrpc_reply *ret)
{
        struct ttrpc_reply reply;
        uint32_t sid = ttrpc_client_new_stream(c);
        int r;

        r = ttrpc_client_send(c, sid, service, method, payload, len);
        if (r < 0)
                return r;
        r = ttrpc_client_recv(c, &reply);
        if (r < 0)
                return r;
        if (reply.stream_id != sid) {
                ttrpc_reply_done(&reply);
                return -EPROTO;
        }
        *ret = reply;
        return 0;
}

int ttrpc_client_wait_closed(struct ttrpc_client *c)
{
        int64_t deadline = now_ms() + c->timeout_ms;
        uint8_t buf[4096];

        for (;;) {
                ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
                int r;

                if (n == 0)
                        return 0;
                if (n > 0)
                        continue;
                if (errno == EINTR)
                        continue;
                if (errno == ECONNRESET || errno == EPIPE)
                        return 0;
                if (errno != EAGAIN)
                        return -errno;
                r = wait_fd(c, POLLIN, deadline);
                if (r < 0)
                        return r;
        }
}
