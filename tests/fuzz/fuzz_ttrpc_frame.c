/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ttRPC frame reader on a hostile byte stream, fed in chunks of varying size
 * the way the proxy reads a socket (ttrpc_reader_wanted -> _space -> recv ->
 * _commit -> _next), and every frame it yields decoded as the proxy and gate
 * would: request envelopes (and their agent request, with malloc so that ASan
 * sees every byte), response statuses; and a denial answer built and read back.
 *
 * Input: byte 0 seeds the chunk sizes; the rest is the stream.
 * Oracle: the reader yields exactly the frames (and the same error) that a
 * straight parse of the whole stream finds, whatever the chunking.
 */
#include <errno.h>
#include <string.h>

#include "agent_api.h"
#include "agent_request.h"
#include "fuzz.h"
#include "ttrpc.h"
#include "ttrpc_msg.h"

/* The proxy's read size floor (enforcer/daemon/proxy.c PROXY_READ_CHUNK). */
#define READ_CHUNK (64u * 1024u)

struct chunker {
        uint32_t state;
};

static uint32_t chunker_next(struct chunker *c)
{
        /* xorshift32: deterministic per input, so crashes reproduce. */
        uint32_t x = c->state;

        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c->state = x;
        return x;
}

/* How many bytes one recv() returns: a drip, a few bytes, any, or all there is. */
static size_t chunk_size(struct chunker *c, size_t avail, size_t left)
{
        size_t max = avail < left ? avail : left;
        uint32_t x = chunker_next(c);

        switch (x & 3u) {
        case 0:
                return 1;
        case 1:
                return 1 + (x >> 2) % (max < 16 ? max : 16);
        case 2:
                return 1 + (x >> 2) % max;
        default:
                return max;
        }
}

static uint32_t get_be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void decode_request(const struct ttrpc_frame *f)
{
        Ttrpc__Request *req = NULL;
        const struct agent_method *m;
        uint8_t answer[TTRPC_HEADER_SIZE + TTRPC_MAX_STATUS_MESSAGE + 64];
        struct ttrpc_header h;
        ssize_t n;
        int32_t code = -1;
        int r;

        r = ttrpc_request_decode(f->payload, f->header.length, NULL, &req);
        FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EPROTO);
        if (r < 0)
                return;
        FUZZ_CHECK(req->n_metadata <= TTRPC_MAX_METADATA);

        m = agent_method_lookup(req->service, strlen(req->service), req->method,
                                strlen(req->method));
        if (m) {
                ProtobufCMessage *msg = NULL;

                FUZZ_CHECK(strcmp(m->service, req->service) == 0);
                FUZZ_CHECK(strcmp(m->method, req->method) == 0);
                r = agent_request_decode(m, req->payload.data, req->payload.len, NULL, &msg);
                FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EPROTO || r == -E2BIG);
                FUZZ_CHECK((r == 0) == (msg != NULL));
                if (msg)
                        FUZZ_CHECK(msg->descriptor == m->request);
                agent_request_free(msg, NULL);
        }

        /* A denial answering it, with host-controlled text: it must come back intact. */
        n = ttrpc_response_frame(f->header.stream_id, TTRPC_CODE_PERMISSION_DENIED, req->method,
                                 NULL, 0, answer, sizeof(answer));
        FUZZ_CHECK(n > (ssize_t)TTRPC_HEADER_SIZE);
        FUZZ_CHECK(ttrpc_header_parse(answer, (size_t)n, &h) == 0);
        FUZZ_CHECK(h.type == TTRPC_TYPE_RESPONSE && h.stream_id == f->header.stream_id);
        FUZZ_CHECK((size_t)h.length + TTRPC_HEADER_SIZE == (size_t)n);
        FUZZ_CHECK(ttrpc_response_code(answer + TTRPC_HEADER_SIZE, h.length, &code) == 0);
        FUZZ_CHECK(code == TTRPC_CODE_PERMISSION_DENIED);

        ttrpc__request__free_unpacked(req, NULL);
}

static void decode_frame(const struct ttrpc_frame *f)
{
        int32_t code;
        int r;

        switch (f->header.type) {
        case TTRPC_TYPE_REQUEST:
                decode_request(f);
                break;
        case TTRPC_TYPE_RESPONSE:
                r = ttrpc_response_code(f->payload, f->header.length, &code);
                FUZZ_CHECK(r == 0 || r == -EBADMSG);
                break;
        default:
                break;
        }
}

/* The frame a straight parse finds at *pos, checked against what the reader gave. */
static void check_against_stream(const uint8_t *s, size_t len, size_t *pos,
                                 const struct ttrpc_frame *f)
{
        struct ttrpc_header h;

        FUZZ_CHECK(ttrpc_header_parse(s + *pos, len - *pos, &h) == 0);
        FUZZ_CHECK(h.length == f->header.length && h.stream_id == f->header.stream_id &&
                   h.type == f->header.type && h.flags == f->header.flags);
        FUZZ_CHECK(h.length == get_be32(s + *pos));
        FUZZ_CHECK(len - *pos - TTRPC_HEADER_SIZE >= h.length);
        FUZZ_CHECK(memcmp(f->payload, s + *pos + TTRPC_HEADER_SIZE, h.length) == 0);
        *pos += TTRPC_HEADER_SIZE + h.length;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct chunker c;
        struct ttrpc_reader r;
        struct ttrpc_header h;
        const uint8_t *s;
        size_t len, off = 0, pos = 0;
        int k = 0;

        if (size < 1)
                return 0;
        c.state = 0x9e3779b9u ^ ((uint32_t)data[0] << 24 | (uint32_t)data[0]) ^ (uint32_t)size;
        if (c.state == 0)
                c.state = 1;
        s = data + 1;
        len = size - 1;

        ttrpc_reader_init(&r);
        for (;;) {
                struct ttrpc_frame f;
                size_t want, avail, n;
                uint8_t *space;

                while ((k = ttrpc_reader_next(&r, &f)) == 1) {
                        check_against_stream(s, len, &pos, &f);
                        decode_frame(&f);
                }
                if (k < 0) {
                        /* A malformed header: the straight parse fails the same way there. */
                        FUZZ_CHECK(k == -EMSGSIZE || k == -EPROTO);
                        FUZZ_CHECK(ttrpc_header_parse(s + pos, len - pos, &h) == k);
                        FUZZ_CHECK(ttrpc_reader_pending(&r) == off - pos);
                        break;
                }
                FUZZ_CHECK(k == 0);
                want = ttrpc_reader_wanted(&r);
                FUZZ_CHECK(want > 0);
                FUZZ_CHECK(ttrpc_reader_pending(&r) == off - pos);
                if (off == len)
                        break;

                /* As enforcer/daemon/proxy.c endpoint_read() asks for room. */
                if (want < READ_CHUNK)
                        want = READ_CHUNK;
                if (want > TTRPC_MAX_FRAME)
                        want = TTRPC_MAX_FRAME;
                space = ttrpc_reader_space(&r, want, &avail);
                FUZZ_CHECK(space != NULL);
                FUZZ_CHECK(avail >= want);
                n = chunk_size(&c, avail, len - off);
                FUZZ_CHECK(n >= 1 && n <= avail && n <= len - off);
                memcpy(space, s + off, n);
                ttrpc_reader_commit(&r, n);
                off += n;
        }

        if (k == 0) {
                /* The end of the stream: what is left is an unfinished frame. */
                size_t left = len - pos;

                FUZZ_CHECK(off == len);
                if (left >= TTRPC_HEADER_SIZE) {
                        FUZZ_CHECK(ttrpc_header_parse(s + pos, left, &h) == 0);
                        FUZZ_CHECK(left - TTRPC_HEADER_SIZE < h.length);
                        FUZZ_CHECK(ttrpc_reader_wanted(&r) == TTRPC_HEADER_SIZE + h.length - left);
                } else
                        FUZZ_CHECK(ttrpc_reader_wanted(&r) == TTRPC_HEADER_SIZE - left);
        }
        ttrpc_reader_done(&r);
        return 0;
}
