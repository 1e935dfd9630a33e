/* SPDX-License-Identifier: Apache-2.0 */
/* The attestation agent extender: one ttRPC ExtendRuntimeMeasurement call per event (aa_client.h). */
#include "aa_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "attestation_agent.pb-c.h"
#include "cleanup.h"
#include "ttrpc.h"
#include "ttrpc.pb-c.h"
#include "ttrpc_msg.h"

/* An answer is a status and a one-field message: far below this. */
#define AA_RESPONSE_MAX 4096u
#define AA_REQUEST_MAX (MEASURE_TEXT_MAX + 512u)

struct aa_ctx {
        struct sockaddr_un sa;
        socklen_t sa_len;
        bool has_index;
        uint64_t index;
        unsigned timeout_ms;
        char why[192];
};

static int parse_addr(const char *addr, struct sockaddr_un *sa, socklen_t *len)
{
        const char *path;

        if (strncmp(addr, "unix://", 7) == 0)
                path = addr + 7;
        else if (strncmp(addr, "unix:", 5) == 0)
                path = addr + 5;
        else
                return -EINVAL;
        if (path[0] != '/' || strlen(path) >= sizeof(sa->sun_path))
                return -EINVAL;
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        memcpy(sa->sun_path, path, strlen(path) + 1);
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
        return 0;
}

static uint64_t now_ms(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wait for events on fd until the deadline. Returns 0 or -ETIMEDOUT / -errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
        for (;;) {
                uint64_t now = now_ms();
                struct pollfd p = { .fd = fd, .events = events };
                int n;

                if (now >= deadline)
                        return -ETIMEDOUT;
                n = poll(&p, 1, (int)(deadline - now));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n > 0)
                        return 0;
        }
}

static int send_all(int fd, const uint8_t *buf, size_t len, uint64_t deadline)
{
        while (len > 0) {
                ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
                int r;

                if (n > 0) {
                        buf += n;
                        len -= (size_t)n;
                        continue;
                }
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        return -errno;
                r = wait_fd(fd, POLLOUT, deadline);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int recv_exact(int fd, uint8_t *buf, size_t len, uint64_t deadline)
{
        while (len > 0) {
                ssize_t n = recv(fd, buf, len, 0);
                int r;

                if (n > 0) {
                        buf += n;
                        len -= (size_t)n;
                        continue;
                }
                if (n == 0)
                        return -ECONNRESET;
                if (errno != EAGAIN && errno != EINTR)
                        return -errno;
                r = wait_fd(fd, POLLIN, deadline);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The request frame: header, Request{service, method, payload, timeout}. */
static int build_request(const struct aa_ctx *c, const struct measure_extend_args *a,
                         uint8_t *buf, size_t cap, size_t *ret_len)
{
        AttestationAgent__ExtendRuntimeMeasurementRequest req =
                ATTESTATION_AGENT__EXTEND_RUNTIME_MEASUREMENT_REQUEST__INIT;
        Ttrpc__Request env = TTRPC__REQUEST__INIT;
        uint8_t inner[AA_REQUEST_MAX];
        size_t n;

        req.domain = (char *)a->domain;
        req.operation = (char *)a->operation;
        req.content = (char *)a->content;
        req.has_registerindex = c->has_index;
        req.registerindex = c->index;
        n = attestation_agent__extend_runtime_measurement_request__get_packed_size(&req);
        if (n > sizeof(inner))
                return -E2BIG;
        (void)attestation_agent__extend_runtime_measurement_request__pack(&req, inner);
        env.service = (char *)AA_SERVICE;
        env.method = (char *)AA_METHOD;
        env.payload = (ProtobufCBinaryData){ .len = n, .data = inner };
        env.timeout_nano = (int64_t)c->timeout_ms * 1000000;
        n = ttrpc__request__get_packed_size(&env);
        if (n + TTRPC_HEADER_SIZE > cap)
                return -E2BIG;
        ttrpc_header_encode(&(struct ttrpc_header){ .length = (uint32_t)n, .stream_id = 1,
                                                   .type = TTRPC_TYPE_REQUEST },
                            buf);
        (void)ttrpc__request__pack(&env, buf + TTRPC_HEADER_SIZE);
        *ret_len = n + TTRPC_HEADER_SIZE;
        return 0;
}

static int fail(struct aa_ctx *c, const char **why, int r, const char *msg)
{
        snprintf(c->why, sizeof(c->why), "%s", msg);
        *why = c->why;
        return r;
}

/* What the agent answered: a status, then ExtendRuntimeMeasurementResponse.Result. */
static int read_answer(struct aa_ctx *c, const uint8_t *payload, size_t len, const char **why)
{
        Ttrpc__Response *resp;
        AttestationAgent__ExtendRuntimeMeasurementResponse *m;
        int code, result;

        resp = ttrpc__response__unpack(NULL, len, payload);
        if (!resp)
                return fail(c, why, -EBADMSG, "the attestation agent's answer does not decode");
        code = resp->status ? resp->status->code : 0;
        if (code != 0) {
                snprintf(c->why, sizeof(c->why), "the attestation agent answered code %d: %.120s",
                         code, resp->status->message ? resp->status->message : "");
                *why = c->why;
                ttrpc__response__free_unpacked(resp, NULL);
                return -EIO;
        }
        m = attestation_agent__extend_runtime_measurement_response__unpack(
                NULL, resp->payload.len, resp->payload.data);
        ttrpc__response__free_unpacked(resp, NULL);
        if (!m)
                return fail(c, why, -EBADMSG, "the attestation agent's result does not decode");
        result = m->has_result ? (int)m->result : 0;
        attestation_agent__extend_runtime_measurement_response__free_unpacked(m, NULL);
        switch (result) {
        case ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__OK:
                return 0;
        case ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__NOT_SUPPORTED:
                return fail(c, why, -EOPNOTSUPP, "the attestation agent's TEE does not support "
                                                 "runtime measurement (NOT_SUPPORTED)");
        case ATTESTATION_AGENT__RUNTIME_MEASUREMENT_RESULT__NOT_ENABLED:
                return fail(c, why, -EOPNOTSUPP, "the attestation agent's event log is not "
                                                 "enabled (NOT_ENABLED)");
        default:
                return fail(c, why, -EBADMSG, "the attestation agent answered an unknown result");
        }
}

static int aa_extend(void *p, const struct measure_extend_args *a, const char **why)
{
        struct aa_ctx *c = p;
        _cleanup_close_ int fd = -1;
        uint8_t req[AA_REQUEST_MAX + 256], hdr[TTRPC_HEADER_SIZE], payload[AA_RESPONSE_MAX];
        uint64_t deadline = now_ms() + c->timeout_ms;
        struct ttrpc_header h;
        size_t len;
        int r;

        r = build_request(c, a, req, sizeof(req), &len);
        if (r < 0)
                return fail(c, why, r, "the event does not fit a request");
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return fail(c, why, -errno, "no socket for the attestation agent");
        if (connect(fd, (const struct sockaddr *)&c->sa, c->sa_len) < 0) {
                r = -errno;
                snprintf(c->why, sizeof(c->why), "cannot connect to the attestation agent at %s: %s",
                         c->sa.sun_path, strerror(-r));
                *why = c->why;
                return r;
        }
        r = send_all(fd, req, len, deadline);
        if (r < 0)
                return fail(c, why, r, "sending to the attestation agent failed");
        for (;;) {
                r = recv_exact(fd, hdr, sizeof(hdr), deadline);
                if (r < 0)
                        return fail(c, why, r, r == -ETIMEDOUT ? "the attestation agent did not answer in time"
                                                               : "the attestation agent closed the connection");
                r = ttrpc_header_parse(hdr, sizeof(hdr), &h);
                if (r < 0 || h.length > sizeof(payload))
                        return fail(c, why, -EBADMSG, "the attestation agent sent a bad frame");
                r = recv_exact(fd, payload, h.length, deadline);
                if (r < 0)
                        return fail(c, why, r, "the attestation agent's answer was cut");
                if (h.type == TTRPC_TYPE_RESPONSE && h.stream_id == 1)
                        return read_answer(c, payload, h.length, why);
                /* Anything else on another stream is not ours: bounded by the deadline. */
        }
}

static void aa_close(void *p)
{
        free(p);
}

int aa_extender_open(const char *addr, bool has_index, uint64_t index, unsigned timeout_ms,
                     struct measure_extender *ret, char *why, size_t why_len)
{
        struct aa_ctx *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        if (!addr || parse_addr(addr, &c->sa, &c->sa_len) < 0) {
                snprintf(why, why_len, "%s: the attestation agent's address is unix:///PATH",
                         addr ? addr : "(null)");
                free(c);
                return -EINVAL;
        }
        c->has_index = has_index;
        c->index = index;
        c->timeout_ms = timeout_ms ? timeout_ms : AA_TIMEOUT_MS;
        *ret = (struct measure_extender){ .extend = aa_extend, .close = aa_close, .ctx = c };
        if (has_index)
                snprintf(ret->name, sizeof(ret->name), "aa:pcr%llu", (unsigned long long)index);
        else
                snprintf(ret->name, sizeof(ret->name), "aa");
        return 0;
}

int aa_present(const char *addr)
{
        _cleanup_close_ int fd = -1;
        struct sockaddr_un sa;
        socklen_t len;

        if (!addr || parse_addr(addr, &sa, &len) < 0)
                return 0;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return 0;
        return connect(fd, (const struct sockaddr *)&sa, len) == 0;
}
