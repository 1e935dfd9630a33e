/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the benchmark programs share: a clock, percentiles of latency samples,
 * the example pods' requests (the JSON files in examples/<pod>/requests)
 * decoded into messages and encoded for the wire, and ttRPC request frames.
 * No sockets.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "agent_api.h"

/* CLOCK_MONOTONIC in nanoseconds (vDSO: no system call, no allocation). */
uint64_t bench_now_ns(void);

struct bench_stats {
        size_t n;
        uint64_t min, p50, p90, p99, p999, max;
        double mean;
};

/* Sort samples in place and summarise them (nearest-rank percentiles). */
void bench_stats_compute(uint64_t *samples, size_t n, struct bench_stats *ret);

/* {"n":…, "min_ns":…, "p50_ns":…, …}; NULL on ENOMEM. */
json_t *bench_stats_json(const struct bench_stats *s);

/* The timer's own cost: p50 of back-to-back bench_now_ns() pairs. */
uint64_t bench_timer_overhead_ns(void);

/* One example request: its method, decoded message and wire encoding. */
struct bench_request {
        const struct agent_method *method;
        ProtobufCMessage *message; /* malloc-owned */
        uint8_t *payload;          /* the message's encoding */
        size_t len;
        json_t *json; /* the whole example file: "state", "expect" */
};

/* Load examples/<pod>/requests/<file> under source_root. Returns 0 or -errno
 * (reported on stderr). */
int bench_request_load(const char *source_root, const char *pod, const char *file,
                       struct bench_request *ret);
void bench_request_done(struct bench_request *r);

/*
 * A whole ttRPC request frame (header and Request envelope) for service/method
 * with payload, on stream_id. Returns 0 and *ret (free() it), or -errno.
 */
int bench_request_frame(const char *service, const char *method, const uint8_t *payload,
                        size_t len, uint32_t stream_id, uint8_t **ret, size_t *ret_len);

/* Only the envelope (the frame's payload), as gate_request() takes it. */
int bench_request_envelope(const char *service, const char *method, const uint8_t *payload,
                           size_t len, uint8_t **ret, size_t *ret_len);

/* The whole of a file, NUL-terminated. Returns its length or -errno. */
long bench_read_file(const char *path, char **ret);

/* Write len bytes to path (created 0600 or truncated). Returns 0 or -errno. */
int bench_write_file(const char *path, const char *buf, size_t len);
