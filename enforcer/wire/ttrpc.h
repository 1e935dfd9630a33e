/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttRPC framing: a 10-byte header (length u32 BE, stream id u32 BE, type u8,
 * flags u8) followed by `length` payload bytes. Pure codec: no sockets, no logging.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TTRPC_HEADER_SIZE 10u
#define TTRPC_MAX_PAYLOAD (4u * 1024u * 1024u)
#define TTRPC_MAX_FRAME (TTRPC_HEADER_SIZE + TTRPC_MAX_PAYLOAD)

enum ttrpc_type {
        TTRPC_TYPE_REQUEST = 1,
        TTRPC_TYPE_RESPONSE = 2,
        TTRPC_TYPE_DATA = 3,
};

/* Flags of data frames (containerd/ttrpc streaming). */
#define TTRPC_FLAG_REMOTE_CLOSED 0x1u
#define TTRPC_FLAG_REMOTE_OPEN 0x2u
#define TTRPC_FLAG_NO_DATA 0x4u
/* The flags a request frame may carry: none (containerd's ttrpc before 1.2,
 * ttrpc-rust's unary calls), or REMOTE_CLOSED, which containerd's ttrpc client
 * since 1.2 sets on every unary call (no data frames follow it; its server
 * reads no flags of a request). REMOTE_OPEN opens a client stream, which no
 * agent method has; NO_DATA and the other bits mean nothing on a request. */
#define TTRPC_REQUEST_FLAGS TTRPC_FLAG_REMOTE_CLOSED

/* google.rpc.Code values ccgate itself answers with. */
#define TTRPC_CODE_OK 0
#define TTRPC_CODE_INVALID_ARGUMENT 3
#define TTRPC_CODE_PERMISSION_DENIED 7
#define TTRPC_CODE_RESOURCE_EXHAUSTED 8
#define TTRPC_CODE_INTERNAL 13
#define TTRPC_CODE_UNAVAILABLE 14

struct ttrpc_header {
        uint32_t length;
        uint32_t stream_id;
        uint8_t type;
        uint8_t flags;
};

/* A complete frame; payload points into the reader's buffer and is valid until
 * the next ttrpc_reader_* call that changes the buffer. */
struct ttrpc_frame {
        struct ttrpc_header header;
        const uint8_t *payload;
};

/*
 * Parse a header from the first TTRPC_HEADER_SIZE bytes of buf.
 * Returns 0, -EAGAIN when fewer than 10 bytes are given, -EMSGSIZE when length
 * exceeds TTRPC_MAX_PAYLOAD, -EPROTO for an unknown frame type.
 */
int ttrpc_header_parse(const uint8_t *buf, size_t len, struct ttrpc_header *ret);

/* Encode h into out[TTRPC_HEADER_SIZE]. */
void ttrpc_header_encode(const struct ttrpc_header *h, uint8_t out[TTRPC_HEADER_SIZE]);

/*
 * Incremental frame reader for one direction of a byte stream. Bytes go in
 * through ttrpc_reader_space()/ttrpc_reader_commit(); whole frames come out of
 * ttrpc_reader_next(). The buffer grows on demand to the size of the largest
 * frame seen (bounded by TTRPC_MAX_FRAME) and is reused: no allocation per frame
 * once warm.
 */
struct ttrpc_reader {
        uint8_t *buf;
        size_t cap;   /* allocated bytes */
        size_t start; /* first unconsumed byte */
        size_t end;   /* one past the last received byte */
};

/* Initialise an empty reader (no allocation until the first read). */
void ttrpc_reader_init(struct ttrpc_reader *r);

/* Release the buffer; r may be reused after ttrpc_reader_init(). */
void ttrpc_reader_done(struct ttrpc_reader *r);

/*
 * Make room for at least min_free bytes and return where to read into; *ret_avail
 * is set to the free space (>= min_free). Returns NULL with errno set on ENOMEM.
 */
uint8_t *ttrpc_reader_space(struct ttrpc_reader *r, size_t min_free, size_t *ret_avail);

/* The capacity r has after ttrpc_reader_space(r, min_free) succeeds (its
 * current one when the bytes fit, after sliding what is pending to the front):
 * for a caller that accounts for the buffer before it grows. */
size_t ttrpc_reader_cap_for(const struct ttrpc_reader *r, size_t min_free);

/* Record that n bytes were written at the pointer ttrpc_reader_space() returned. */
void ttrpc_reader_commit(struct ttrpc_reader *r, size_t n);

/*
 * Take the next complete frame out of the buffer. Returns 1 with *ret filled,
 * 0 when more bytes are needed, or a negative errno from ttrpc_header_parse() for
 * a malformed header (the stream cannot be resynchronised: close it).
 */
int ttrpc_reader_next(struct ttrpc_reader *r, struct ttrpc_frame *ret);

/* Bytes buffered but not yet returned as frames. */
size_t ttrpc_reader_pending(const struct ttrpc_reader *r);

/* How many bytes are needed to complete the frame being received (>= 1), for
 * sizing the next read; 0 when a complete frame is already buffered. */
size_t ttrpc_reader_wanted(const struct ttrpc_reader *r);
