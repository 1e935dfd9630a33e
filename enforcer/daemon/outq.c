/* SPDX-License-Identifier: Apache-2.0 */
/* Output queues: bytes waiting for a socket that is not ready. */
#include "outq.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int outq_append(struct outq *q, const uint8_t *data, size_t len)
{
        size_t pending = outq_pending(q);

        if (q->cap - q->end < len && q->start > 0) {
                memmove(q->buf, q->buf + q->start, pending);
                q->start = 0;
                q->end = pending;
        }
        if (q->cap - q->end < len) {
                size_t need, ncap = q->cap ? q->cap : 4096;
                uint8_t *n;

                if (__builtin_add_overflow(pending, len, &need))
                        return -ENOMEM;
                while (ncap < need) {
                        if (__builtin_mul_overflow(ncap, (size_t)2, &ncap))
                                return -ENOMEM;
                }
                n = realloc(q->buf, ncap);
                if (!n)
                        return -ENOMEM;
                q->buf = n;
                q->cap = ncap;
        }
        memcpy(q->buf + q->end, data, len);
        q->end += len;
        return 0;
}

const uint8_t *outq_peek(const struct outq *q, size_t *ret_len)
{
        *ret_len = outq_pending(q);
        return q->buf + q->start;
}

void outq_consume(struct outq *q, size_t n)
{
        assert(n <= outq_pending(q));
        q->start += n;
        if (q->start == q->end)
                q->start = q->end = 0;
}

void outq_done(struct outq *q)
{
        free(q->buf);
        *q = (struct outq){ 0 };
}
