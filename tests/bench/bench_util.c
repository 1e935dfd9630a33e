/* SPDX-License-Identifier: Apache-2.0 */
#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "pbjson.h"
#include "ttrpc.h"
#include "ttrpc.pb-c.h"

/* Example files are small; policies are generated up to a few MiB. */
#define BENCH_FILE_MAX (64u * 1024u * 1024u)

uint64_t bench_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least q of all samples at or below it. */
static uint64_t rank(const uint64_t *sorted, size_t n, double q)
{
        size_t k = (size_t)(q * (double)n + 0.999999);

        if (k == 0)
                k = 1;
        if (k > n)
                k = n;
        return sorted[k - 1];
}

void bench_stats_compute(uint64_t *samples, size_t n, struct bench_stats *ret)
{
        double sum = 0;

        *ret = (struct bench_stats){ .n = n };
        if (n == 0)
                return;
        qsort(samples, n, sizeof(*samples), cmp_u64);
        for (size_t i = 0; i < n; i++)
                sum += (double)samples[i];
        ret->min = samples[0];
        ret->max = samples[n - 1];
        ret->p50 = rank(samples, n, 0.50);
        ret->p90 = rank(samples, n, 0.90);
        ret->p99 = rank(samples, n, 0.99);
        ret->p999 = rank(samples, n, 0.999);
        ret->mean = sum / (double)n;
}

json_t *bench_stats_json(const struct bench_stats *s)
{
        return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "n", (json_int_t)s->n,
                         "min_ns", (json_int_t)s->min, "p50_ns", (json_int_t)s->p50, "p90_ns",
                         (json_int_t)s->p90, "p99_ns", (json_int_t)s->p99, "p999_ns",
                         (json_int_t)s->p999, "max_ns", (json_int_t)s->max, "mean_ns", s->mean);
}

uint64_t bench_timer_overhead_ns(void)
{
        enum { N = 100001 };
        static uint64_t samples[N];
        struct bench_stats st;

        for (size_t i = 0; i < N; i++) {
                uint64_t t0 = bench_now_ns();

                samples[i] = bench_now_ns() - t0;
        }
        bench_stats_compute(samples, N, &st);
        return st.p50;
}

static const struct agent_method *method_of(const json_t *j)
{
        const char *name = json_string_value(json_object_get(j, "request"));
        const char *want = json_string_value(json_object_get(j, "method"));
        enum agent_method_id ids[4];
        size_t n;

        if (!name)
                return NULL;
        n = agent_methods_by_request_name(name, ids, ELEMENTSOF(ids));
        for (size_t i = 0; i < n && i < ELEMENTSOF(ids); i++) {
                const struct agent_method *m = agent_method_get(ids[i]);

                if (!want || strcmp(m->method, want) == 0)
                        return m;
        }
        return NULL;
}

int bench_request_load(const char *source_root, const char *pod, const char *file,
                       struct bench_request *ret)
{
        struct bench_request r = { 0 };
        char path[4096], err[256] = "";
        json_error_t jerr;

        snprintf(path, sizeof(path), "%s/examples/%s/requests/%s", source_root, pod, file);
        r.json = json_load_file(path, 0, &jerr);
        if (!r.json) {
                fprintf(stderr, "%s: %s\n", path, jerr.text);
                return -EINVAL;
        }
        r.method = method_of(r.json);
        if (!r.method) {
                fprintf(stderr, "%s: no such request/method\n", path);
                json_decref(r.json);
                return -EINVAL;
        }
        if (pbjson_to_message(r.method->request, json_object_get(r.json, "message"), &r.message,
                              err, sizeof(err)) < 0) {
                fprintf(stderr, "%s: %s\n", path, err);
                json_decref(r.json);
                return -EINVAL;
        }
        r.len = protobuf_c_message_get_packed_size(r.message);
        r.payload = malloc(r.len ? r.len : 1);
        if (!r.payload) {
                bench_request_done(&r);
                return -ENOMEM;
        }
        protobuf_c_message_pack(r.message, r.payload);
        *ret = r;
        return 0;
}

void bench_request_done(struct bench_request *r)
{
        if (r->message)
                protobuf_c_message_free_unpacked(r->message, NULL);
        free(r->payload);
        json_decref(r->json);
        *r = (struct bench_request){ 0 };
}

static int encode(const char *service, const char *method, const uint8_t *payload, size_t len,
                  bool with_header, uint32_t stream_id, uint8_t **ret, size_t *ret_len)
{
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        size_t n, off = with_header ? TTRPC_HEADER_SIZE : 0;
        uint8_t *buf;

        req.service = (char *)service;
        req.method = (char *)method;
        req.payload.data = (uint8_t *)payload;
        req.payload.len = len;
        n = ttrpc__request__get_packed_size(&req);
        if (n > TTRPC_MAX_PAYLOAD)
                return -EMSGSIZE;
        buf = malloc(off + n);
        if (!buf)
                return -ENOMEM;
        if (with_header) {
                struct ttrpc_header h = {
                        .length = (uint32_t)n,
                        .stream_id = stream_id,
                        .type = TTRPC_TYPE_REQUEST,
                };

                ttrpc_header_encode(&h, buf);
        }
        (void)ttrpc__request__pack(&req, buf + off);
        *ret = buf;
        *ret_len = off + n;
        return 0;
}

int bench_request_frame(const char *service, const char *method, const uint8_t *payload,
                        size_t len, uint32_t stream_id, uint8_t **ret, size_t *ret_len)
{
        return encode(service, method, payload, len, true, stream_id, ret, ret_len);
}

int bench_request_envelope(const char *service, const char *method, const uint8_t *payload,
                           size_t len, uint8_t **ret, size_t *ret_len)
{
        return encode(service, method, payload, len, false, 0, ret, ret_len);
}

long bench_read_file(const char *path, char **ret)
{
        uint8_t *buf = NULL;
        char *text;
        size_t len = 0;
        int r;

        r = read_file_bounded(path, BENCH_FILE_MAX, &buf, &len);
        if (r < 0)
                return r;
        text = realloc(buf, len + 1);
        if (!text) {
                free(buf);
                return -ENOMEM;
        }
        text[len] = '\0';
        *ret = text;
        return (long)len;
}

int bench_write_file(const char *path, const char *buf, size_t len)
{
        _cleanup_close_ int fd = -1;

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}
