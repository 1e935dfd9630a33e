/* SPDX-License-Identifier: Apache-2.0 */
/* ttRPC framing: the 10-byte header and the incremental frame reader. */
#include "ttrpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t get_be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

int ttrpc_header_parse(const uint8_t *buf, size_t len, struct ttrpc_header *ret)
{
        struct ttrpc_header h;

        if (len < TTRPC_HEADER_SIZE)
                return -EAGAIN;

        h.length = get_be32(buf);
        h.stream_id = get_be32(buf + 4);
        h.type = buf[8];
        h.flags = buf[9];

        if (h.length > TTRPC_MAX_PAYLOAD)
                return -EMSGSIZE;
        if (h.type < TTRPC_TYPE_REQUEST || h.type > TTRPC_TYPE_DATA)
                return -EPROTO;

        *ret = h;
        return 0;
}

void ttrpc_header_encode(const struct ttrpc_header *h, uint8_t out[TTRPC_HEADER_SIZE])
{
        put_be32(out, h->length);
        put_be32(out + 4, h->stream_id);
        out[8] = h->type;
        out[9] = h->flags;
}

void ttrpc_reader_init(struct ttrpc_reader *r)
{
        *r = (struct ttrpc_reader){ 0 };
}

void ttrpc_reader_done(struct ttrpc_reader *r)
{
        free(r->buf);
        *r = (struct ttrpc_reader){ 0 };
}

size_t ttrpc_reader_pending(const struct ttrpc_reader *r)
{
        return r->end - r->start;
}

size_t ttrpc_reader_wanted(const struct ttrpc_reader *r)
{
        struct ttrpc_header h;
        size_t have = ttrpc_reader_pending(r);

        if (have < TTRPC_HEADER_SIZE)
                return TTRPC_HEADER_SIZE - have;
        if (ttrpc_header_parse(r->buf + r->start, have, &h) < 0)
                return 0; /* malformed: ttrpc_reader_next() reports it */
        if (have >= TTRPC_HEADER_SIZE + (size_t)h.length)
                return 0;
        return TTRPC_HEADER_SIZE + (size_t)h.length - have;
}

/* Capacity grows by doubling from 4 KiB, but not past what a maximal frame
 * needs: a 4 MiB frame gets 4 MiB and a page, not 8 MiB. */
size_t ttrpc_reader_cap_for(const struct ttrpc_reader *r, size_t min_free)
{
        size_t pending = ttrpc_reader_pending(r), need, ncap;

        if (r->cap - r->end >= min_free || (r->cap - pending >= min_free && r->cap > 0))
                return r->cap;
        /* pending + min_free <= 2 * TTRPC_MAX_FRAME: no overflow on size_t. */
        need = pending + min_free;
        ncap = r->cap ? r->cap : 4096;
        while (ncap < need)
                ncap *= 2;
        if (ncap > TTRPC_MAX_FRAME) {
                ncap = need > TTRPC_MAX_FRAME ? need : TTRPC_MAX_FRAME;
                ncap = (ncap + 4095u) & ~(size_t)4095u;
        }
        return ncap;
}

uint8_t *ttrpc_reader_space(struct ttrpc_reader *r, size_t min_free, size_t *ret_avail)
{
        size_t pending = ttrpc_reader_pending(r);

        if (min_free == 0 || min_free > TTRPC_MAX_FRAME) {
                errno = EINVAL;
                return NULL;
        }

        /* Slide unconsumed bytes to the front before growing. */
        if (r->cap - r->end < min_free && r->start > 0) {
                memmove(r->buf, r->buf + r->start, pending);
                r->start = 0;
                r->end = pending;
        }

        if (r->cap - r->end < min_free) {
                size_t ncap = ttrpc_reader_cap_for(r, min_free);
                uint8_t *nbuf;

                nbuf = realloc(r->buf, ncap);
                if (!nbuf)
                        return NULL;
                r->buf = nbuf;
                r->cap = ncap;
        }

        *ret_avail = r->cap - r->end;
        return r->buf + r->end;
}

void ttrpc_reader_commit(struct ttrpc_reader *r, size_t n)
{
        r->end += n;
}

int ttrpc_reader_next(struct ttrpc_reader *r, struct ttrpc_frame *ret)
{
        struct ttrpc_header h;
        size_t have = ttrpc_reader_pending(r);
        int k;

        k = ttrpc_header_parse(r->buf ? r->buf + r->start : NULL, have, &h);
        if (k == -EAGAIN)
                return 0;
        if (k < 0)
                return k;
        if (have - TTRPC_HEADER_SIZE < h.length)
                return 0;

        ret->header = h;
        ret->payload = r->buf + r->start + TTRPC_HEADER_SIZE;
        r->start += TTRPC_HEADER_SIZE + (size_t)h.length;
        if (r->start == r->end)
                r->start = r->end = 0; /* the payload stays intact until the next write */
        return 1;
}
