/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ttRPC envelope messages (schemas/ttrpc.proto): decoding a request frame's
 * payload, reading a response's status, and building whole response frames.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ttrpc.pb-c.h"

/* Bounds on the envelope, beyond what the frame length already bounds. */
#define TTRPC_MAX_METADATA 64u
#define TTRPC_MAX_STATUS_MESSAGE 1024u

/*
 * Decode a request frame's payload. Returns 0 and *ret (allocated with a; free
 * with ttrpc__request__free_unpacked(*ret, a) unless a is an arena), -EBADMSG
 * when it does not decode, -EPROTO for unknown fields or more than
 * TTRPC_MAX_METADATA metadata entries.
 */
int ttrpc_request_decode(const uint8_t *payload, size_t len, ProtobufCAllocator *a,
                         Ttrpc__Request **ret);

/*
 * The same, but a payload of WIRE_VIEW_MIN bytes or more is not copied:
 * (*ret)->payload points into payload, which must outlive *ret (wire_view.h).
 * arena must be the decode arena (its free ignores foreign pointers); never
 * free *ret with ttrpc__request__free_unpacked(*ret, NULL). -EINVAL without one.
 */
int ttrpc_request_decode_view(const uint8_t *payload, size_t len, ProtobufCAllocator *arena,
                              Ttrpc__Request **ret);

/*
 * Read the status code of a response frame's payload (0 when the status is
 * absent, which is how an OK is usually encoded), in place: nothing is copied
 * or allocated, and the answer's payload is skipped by its length. Returns 0
 * or -EBADMSG.
 */
int ttrpc_response_code(const uint8_t *payload, size_t len, int32_t *ret_code);

/*
 * Build a whole response frame (header + Response{status{code, message},
 * payload}) into buf. message may be NULL; it is cut at
 * TTRPC_MAX_STATUS_MESSAGE bytes. Returns the frame length or -ENOBUFS when
 * cap is too small.
 */
ssize_t ttrpc_response_frame(uint32_t stream_id, int32_t code, const char *message,
                             const uint8_t *payload, size_t payload_len, uint8_t *buf, size_t cap);
