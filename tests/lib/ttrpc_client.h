/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small blocking ttRPC client for tests and benchmarks: connect to a unix
 * socket, send Request frames, read Response frames. Pipelining is the
 * caller's: send N requests, then receive N responses in whatever order they
 * come and match them by stream id. Every wait is bounded by the client's
 * timeout, so a peer that never answers fails a test instead of hanging it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cleanup.h"

/* A bound on each blocking operation unless ttrpc_client_set_timeout() says otherwise. */
#define TTRPC_CLIENT_DEFAULT_TIMEOUT_MS 20000

struct ttrpc_client;

/* One response as it came off the wire. */
struct ttrpc_reply {
        uint32_t stream_id;
        uint8_t type;    /* TTRPC_TYPE_RESPONSE unless the peer misbehaves */
        int32_t code;    /* status code; 0 when the status is absent */
        char *message;   /* status message, NUL-terminated, never NULL after success */
        uint8_t *payload;
        size_t payload_len;
};

/* Release what a reply owns; the reply may be reused. NULL is fine. */
void ttrpc_reply_done(struct ttrpc_reply *r);

/*
 * Connect to "unix:PATH" (or a bare path; "unix:@name" for the abstract
 * namespace). Returns 0 and *ret, or -errno (-ECONNREFUSED, -ENOENT while the
 * server is not up yet, -EINVAL for an address that is not a unix one).
 */
int ttrpc_client_connect(const char *address, struct ttrpc_client **ret);

/*
 * Like ttrpc_client_connect(), but retry while the socket is absent or not yet
 * listening, up to timeout_ms in all. Returns -ETIMEDOUT when it never came up.
 */
int ttrpc_client_connect_wait(const char *address, int timeout_ms, struct ttrpc_client **ret);

/* Close the connection and free the client. NULL is fine. */
void ttrpc_client_free(struct ttrpc_client *c);
DEFINE_PTR_CLEANUP(struct ttrpc_client, ttrpc_client_free)
#define _cleanup_ttrpc_client_ _cleanup_(ttrpc_client_freep)

/* Bound every later blocking operation on c to timeout_ms (> 0). */
void ttrpc_client_set_timeout(struct ttrpc_client *c, int timeout_ms);

/* The socket, for tests that poke at it directly. Still owned by c. */
int ttrpc_client_fd(const struct ttrpc_client *c);

/* The stream id the next ttrpc_client_call() will use; ids are odd and increase. */
uint32_t ttrpc_client_next_stream(struct ttrpc_client *c);

/* Take that stream id for a request sent some other way (raw frames, pipelining):
 * returns it, and ttrpc_client_call() goes on after it. */
uint32_t ttrpc_client_new_stream(struct ttrpc_client *c);

/*
 * Send one request frame on stream_id. payload may be NULL when len is 0.
 * timeout_nano and metadata are left unset. Returns 0 or -errno (-EMSGSIZE when
 * the encoded request exceeds the 4 MiB frame limit).
 */
int ttrpc_client_send(struct ttrpc_client *c, uint32_t stream_id, const char *service,
                      const char *method, const uint8_t *payload, size_t len);

/* Send bytes as they are, for malformed frames. Returns 0 or -errno. */
int ttrpc_client_send_raw(struct ttrpc_client *c, const void *buf, size_t len);

/*
 * Receive the next frame, whichever stream it is on, and decode it as a
 * Response. Returns 0 and fills *ret, -ECONNRESET when the peer closed the
 * connection (cleanly or not), -ETIMEDOUT, -EBADMSG when the frame is not a
 * Response, -EPROTO for a malformed header.
 */
int ttrpc_client_recv(struct ttrpc_client *c, struct ttrpc_reply *ret);

/*
 * One round trip on the next stream id: send, then receive; a reply on any
 * other stream id is -EPROTO. Returns 0 (whatever the status code) or -errno.
 */
int ttrpc_client_call(struct ttrpc_client *c, const char *service, const char *method,
                      const uint8_t *payload, size_t len, struct ttrpc_reply *ret);

/*
 * Wait until the peer closes the connection, discarding whatever arrives.
 * Returns 0 once closed, -ETIMEDOUT when it stayed open.
 */
int ttrpc_client_wait_closed(struct ttrpc_client *c);
