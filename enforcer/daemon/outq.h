/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bytes waiting to be written to a socket that is not ready. Grows to the
 * largest backlog seen and is reused; the proxy bounds the backlog by not taking
 * more frames from the other side past its high-water mark.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct outq {
        uint8_t *buf;
        size_t cap, start, end;
};

static inline size_t outq_pending(const struct outq *q)
{
        return q->end - q->start;
}

/* Append len bytes. Returns 0 or -ENOMEM (the queue is unchanged then). */
int outq_append(struct outq *q, const uint8_t *data, size_t len);

/* The first contiguous run of pending bytes. */
const uint8_t *outq_peek(const struct outq *q, size_t *ret_len);

/* Drop n (<= pending) bytes from the front. */
void outq_consume(struct outq *q, size_t n);

/* Free the buffer; the queue is empty and reusable. */
void outq_done(struct outq *q);
