/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "ttrpc.h"
#include "ttrpc_msg.h"

/* Append one frame (header + payload filled with a pattern) to buf at *off. */
static void put_frame(uint8_t *buf, size_t *off, uint32_t len, uint32_t stream, uint8_t type,
                      uint8_t flags)
{
        struct ttrpc_header h = { .length = len, .stream_id = stream, .type = type, .flags = flags };

        ttrpc_header_encode(&h, buf + *off);
        *off += TTRPC_HEADER_SIZE;
        for (uint32_t i = 0; i < len; i++)
                buf[*off + i] = (uint8_t)(stream * 7 + i);
        *off += len;
}

static void check_frame(const struct ttrpc_frame *f, uint32_t len, uint32_t stream, uint8_t type,
                        uint8_t flags)
{
        assert_int_equal(f->header.length, len);
        assert_int_equal(f->header.stream_id, stream);
        assert_int_equal(f->header.type, type);
        assert_int_equal(f->header.flags, flags);
        for (uint32_t i = 0; i < len; i++)
                if (f->payload[i] != (uint8_t)(stream * 7 + i))
                        fail_msg("stream %u: payload byte %u differs", stream, i);
}

/* Copy n bytes into the reader the way a read() would. */
static void feed(struct ttrpc_reader *r, const uint8_t *p, size_t n)
{
        size_t avail;
        uint8_t *dst = ttrpc_reader_space(r, n, &avail);

        assert_non_null(dst);
        assert_true(avail >= n);
        memcpy(dst, p, n);
        ttrpc_reader_commit(r, n);
}

/* Field by field: the struct has padding that memcmp would compare. */
static void assert_header_equal(const struct ttrpc_header *a, const struct ttrpc_header *b)
{
        assert_int_equal(a->length, b->length);
        assert_int_equal(a->stream_id, b->stream_id);
        assert_int_equal(a->type, b->type);
        assert_int_equal(a->flags, b->flags);
}

static void test_header_roundtrip(void **state)
{
        struct ttrpc_header h = { .length = 0x01020304 & 0x3fffff, .stream_id = 0xfffffffbu,
                                  .type = TTRPC_TYPE_DATA, .flags = 0xa5 };
        struct ttrpc_header g;
        uint8_t b[TTRPC_HEADER_SIZE];

        (void)state;
        ttrpc_header_encode(&h, b);
        /* Big-endian on the wire. */
        assert_int_equal(b[0], 0x00);
        assert_int_equal(b[1], 0x02);
        assert_int_equal(b[2], 0x03);
        assert_int_equal(b[3], 0x04);
        assert_int_equal(b[4], 0xff);
        assert_int_equal(b[7], 0xfb);
        assert_int_equal(b[8], 3);
        assert_int_equal(b[9], 0xa5);
        assert_int_equal(ttrpc_header_parse(b, sizeof(b), &g), 0);
        assert_header_equal(&g, &h);
}

static void test_header_malformed(void **state)
{
        static const struct {
                uint32_t len;
                uint8_t type;
                int expect;
        } cases[] = {
                { 0, 0, -EPROTO },
                { 0, 4, -EPROTO },
                { 0, 255, -EPROTO },
                { 16, 128, -EPROTO },
                { TTRPC_MAX_PAYLOAD + 1, 1, -EMSGSIZE },
                { UINT32_MAX, 1, -EMSGSIZE },
                { 0x80000000u, 2, -EMSGSIZE },
                { TTRPC_MAX_PAYLOAD, 1, 0 },
                { TTRPC_MAX_PAYLOAD, 3, 0 },
                { 0, 1, 0 },
                { 0, 2, 0 },
                { 0, 3, 0 },
        };
        const struct ttrpc_header untouched = { .length = 77, .stream_id = 77, .type = 77, .flags = 77 };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct ttrpc_header h = { .length = cases[i].len, .stream_id = 1,
                                          .type = cases[i].type };
                struct ttrpc_header g = untouched;
                uint8_t b[TTRPC_HEADER_SIZE];

                ttrpc_header_encode(&h, b);
                assert_int_equal(ttrpc_header_parse(b, sizeof(b), &g), cases[i].expect);
                if (cases[i].expect < 0)
                        assert_header_equal(&g, &untouched); /* out-param untouched */
                else
                        assert_int_equal(g.length, cases[i].len);
        }

        /* Short headers ask for more. */
        for (size_t n = 0; n < TTRPC_HEADER_SIZE; n++) {
                uint8_t b[TTRPC_HEADER_SIZE] = { 0, 0, 0, 0, 0, 0, 0, 1, 1, 0 };
                struct ttrpc_header g = untouched;

                assert_int_equal(ttrpc_header_parse(b, n, &g), -EAGAIN);
                assert_header_equal(&g, &untouched);
        }
}

/* Three frames of different sizes, delivered one byte at a time. */
static void test_split_reads(void **state)
{
        static const uint32_t lens[] = { 0, 1, 300, 5000 };
        _cleanup_free_ uint8_t *stream = malloc(8192);
        struct ttrpc_reader r;
        size_t total = 0, got = 0;

        (void)state;
        assert_non_null(stream);
        for (size_t i = 0; i < ELEMENTSOF(lens); i++)
                put_frame(stream, &total, lens[i], (uint32_t)(2 * i + 1), TTRPC_TYPE_REQUEST,
                          (uint8_t)i);

        ttrpc_reader_init(&r);
        for (size_t off = 0; off < total; off++) {
                struct ttrpc_frame f;
                size_t wanted = ttrpc_reader_wanted(&r);
                int k;

                assert_true(wanted >= 1);
                feed(&r, stream + off, 1);
                k = ttrpc_reader_next(&r, &f);
                assert_true(k == 0 || k == 1);
                if (k == 1) {
                        /* The frame completes exactly when the reader said it would. */
                        assert_int_equal(wanted, 1);
                        check_frame(&f, lens[got], (uint32_t)(2 * got + 1), TTRPC_TYPE_REQUEST,
                                    (uint8_t)got);
                        got++;
                        assert_int_equal(ttrpc_reader_next(&r, &f), 0);
                }
        }
        assert_int_equal(got, ELEMENTSOF(lens));
        assert_int_equal(ttrpc_reader_pending(&r), 0);
        assert_int_equal(ttrpc_reader_wanted(&r), TTRPC_HEADER_SIZE);
        ttrpc_reader_done(&r);
}

/* Many frames in one read come out one by one; a partial one waits. */
static void test_coalesced(void **state)
{
        _cleanup_free_ uint8_t *stream = malloc(65536);
        struct ttrpc_reader r;
        struct ttrpc_frame f;
        size_t total = 0, partial;

        (void)state;
        assert_non_null(stream);
        for (uint32_t i = 0; i < 50; i++)
                put_frame(stream, &total, i * 13, 2 * i + 1,
                          i % 3 == 0 ? TTRPC_TYPE_REQUEST : TTRPC_TYPE_DATA, (uint8_t)(i & 7));
        partial = total;
        put_frame(stream, &total, 100, 101, TTRPC_TYPE_RESPONSE, 0);

        ttrpc_reader_init(&r);
        feed(&r, stream, partial + 40); /* the last frame is 70 bytes short */
        for (uint32_t i = 0; i < 50; i++) {
                assert_int_equal(ttrpc_reader_next(&r, &f), 1);
                check_frame(&f, i * 13, 2 * i + 1,
                            i % 3 == 0 ? TTRPC_TYPE_REQUEST : TTRPC_TYPE_DATA, (uint8_t)(i & 7));
        }
        assert_int_equal(ttrpc_reader_next(&r, &f), 0);
        assert_int_equal(ttrpc_reader_pending(&r), 40);
        assert_int_equal(ttrpc_reader_wanted(&r), 70);
        feed(&r, stream + partial + 40, total - partial - 40);
        assert_int_equal(ttrpc_reader_next(&r, &f), 1);
        check_frame(&f, 100, 101, TTRPC_TYPE_RESPONSE, 0);
        assert_int_equal(ttrpc_reader_next(&r, &f), 0);
        ttrpc_reader_done(&r);
}

/* A bad header after good frames: the good ones come out, then the error, and
 * the error sticks (the stream cannot be resynchronised). */
static void test_malformed_in_stream(void **state)
{
        static const struct {
                uint32_t len;
                uint8_t type;
                int expect;
        } bad[] = {
                { 0, 0, -EPROTO },
                { 0, 4, -EPROTO },
                { 5, 255, -EPROTO },
                { TTRPC_MAX_PAYLOAD + 1, TTRPC_TYPE_REQUEST, -EMSGSIZE },
                { UINT32_MAX, TTRPC_TYPE_DATA, -EMSGSIZE },
        };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                uint8_t stream[64];
                struct ttrpc_header h = { .length = bad[i].len, .stream_id = 3, .type = bad[i].type };
                struct ttrpc_reader r;
                struct ttrpc_frame f;
                size_t total = 0;

                put_frame(stream, &total, 4, 1, TTRPC_TYPE_REQUEST, 0);
                ttrpc_header_encode(&h, stream + total);
                total += TTRPC_HEADER_SIZE;

                ttrpc_reader_init(&r);
                feed(&r, stream, total);
                assert_int_equal(ttrpc_reader_next(&r, &f), 1);
                check_frame(&f, 4, 1, TTRPC_TYPE_REQUEST, 0);
                assert_int_equal(ttrpc_reader_next(&r, &f), bad[i].expect);
                assert_int_equal(ttrpc_reader_next(&r, &f), bad[i].expect);
                ttrpc_reader_done(&r);
        }
}

/* The largest legal frame goes through; one byte more does not. */
static void test_max_frame(void **state)
{
        _cleanup_free_ uint8_t *stream = malloc(TTRPC_MAX_FRAME);
        struct ttrpc_reader r;
        struct ttrpc_frame f;
        size_t total = 0, avail;
        uint8_t *dst;

        (void)state;
        assert_non_null(stream);
        put_frame(stream, &total, TTRPC_MAX_PAYLOAD, 5, TTRPC_TYPE_REQUEST, 0);
        assert_int_equal(total, TTRPC_MAX_FRAME);

        ttrpc_reader_init(&r);
        feed(&r, stream, TTRPC_HEADER_SIZE);
        assert_int_equal(ttrpc_reader_wanted(&r), TTRPC_MAX_PAYLOAD);
        feed(&r, stream + TTRPC_HEADER_SIZE, TTRPC_MAX_PAYLOAD);
        assert_int_equal(ttrpc_reader_next(&r, &f), 1);
        check_frame(&f, TTRPC_MAX_PAYLOAD, 5, TTRPC_TYPE_REQUEST, 0);
        assert_true(r.cap <= 2 * (size_t)TTRPC_MAX_FRAME);

        /* Room requests beyond a frame are refused. */
        errno = 0;
        assert_null(ttrpc_reader_space(&r, TTRPC_MAX_FRAME + 1, &avail));
        assert_int_equal(errno, EINVAL);
        errno = 0;
        assert_null(ttrpc_reader_space(&r, 0, &avail));
        assert_int_equal(errno, EINVAL);
        dst = ttrpc_reader_space(&r, TTRPC_MAX_FRAME, &avail);
        assert_non_null(dst);
        ttrpc_reader_done(&r);
}

/* Once warm, the buffer is reused: no reallocation for a steady stream, and
 * leftover bytes slide to the front instead of growing the buffer. */
static void test_buffer_reuse(void **state)
{
        uint8_t stream[3 * (TTRPC_HEADER_SIZE + 1000)];
        struct ttrpc_reader r;
        struct ttrpc_frame f;
        uint8_t *buf;
        size_t cap, total = 0;

        (void)state;
        put_frame(stream, &total, 1000, 1, TTRPC_TYPE_REQUEST, 0);
        put_frame(stream, &total, 1000, 3, TTRPC_TYPE_REQUEST, 0);
        put_frame(stream, &total, 1000, 5, TTRPC_TYPE_REQUEST, 0);

        ttrpc_reader_init(&r);
        assert_null(r.buf); /* no allocation before the first read */
        feed(&r, stream, total);
        buf = r.buf;
        cap = r.cap;
        for (int round = 0; round < 1000; round++) {
                for (uint32_t s = 1; s <= 5; s += 2) {
                        assert_int_equal(ttrpc_reader_next(&r, &f), 1);
                        check_frame(&f, 1000, s, TTRPC_TYPE_REQUEST, 0);
                }
                assert_int_equal(ttrpc_reader_next(&r, &f), 0);
                /* Half a frame is left over from each round's read, shifting offsets. */
                feed(&r, stream, total);
                assert_ptr_equal(r.buf, buf);
                assert_int_equal(r.cap, cap);
        }

        /* A partial frame at the end of the buffer slides to the front. */
        ttrpc_reader_done(&r);
        ttrpc_reader_init(&r);
        feed(&r, stream, total);
        cap = r.cap;
        buf = r.buf;
        for (size_t round = 0; round < 200; round++) {
                size_t part = 1 + round % (TTRPC_HEADER_SIZE + 999);

                while (ttrpc_reader_next(&r, &f) == 1)
                        ;
                feed(&r, stream, part);
                feed(&r, stream + part, total - part);
                assert_int_equal(r.cap, cap);
                assert_ptr_equal(r.buf, buf);
        }
        ttrpc_reader_done(&r);
        assert_null(r.buf);
        ttrpc_reader_done(&r); /* twice is fine */
}

/* Response{status{code, message}, payload} packed by protobuf-c. */
static size_t pack_response(int32_t code, bool with_status, size_t payload_len, uint8_t *out,
                            size_t cap)
{
        static uint8_t data[1u << 16];
        Ttrpc__Status st = TTRPC__STATUS__INIT;
        Ttrpc__Response resp = TTRPC__RESPONSE__INIT;

        st.code = code;
        st.message = (char *)"agent: something";
        resp.status = with_status ? &st : NULL;
        resp.payload.data = data;
        resp.payload.len = payload_len;
        assert_true(payload_len <= sizeof(data));
        assert_true(ttrpc__response__get_packed_size(&resp) <= cap);
        return ttrpc__response__pack(&resp, out);
}

/* protobuf-c's reading of a Response's code, the reference. */
static int reference_code(const uint8_t *buf, size_t len, int32_t *code)
{
        Ttrpc__Response *resp = ttrpc__response__unpack(NULL, len, buf);

        if (!resp)
                return -EBADMSG;
        *code = resp->status ? resp->status->code : 0;
        ttrpc__response__free_unpacked(resp, NULL);
        return 0;
}

/*
 * The status code is read in place (the payload skipped by its length): as
 * protobuf-c reads it for every answer the agent gives, a status twice merged
 * as protobuf merges embedded messages, and truncations refused.
 */
static void test_response_code(void **state)
{
        static uint8_t buf[1u << 17], two[256];
        static const int32_t codes[] = { 0, 2, 7, 14, -1, INT32_MAX, INT32_MIN };
        size_t n, n1, n2;
        int32_t code, want;

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(codes); i++)
                for (int with = 0; with < 2; with++)
                        for (size_t plen = 0; plen <= 65536; plen = plen ? plen * 16 : 1) {
                                n = pack_response(codes[i], with, plen, buf, sizeof(buf));
                                assert_int_equal(ttrpc_response_code(buf, n, &code), 0);
                                assert_int_equal(reference_code(buf, n, &want), 0);
                                assert_int_equal(code, want);
                                assert_int_equal(code, with ? codes[i] : 0);
                        }
        /* Two statuses: fields of the second override those of the first. */
        n1 = pack_response(7, true, 3, two, sizeof(two));
        n2 = pack_response(14, true, 0, two + n1, sizeof(two) - n1);
        assert_int_equal(ttrpc_response_code(two, n1 + n2, &code), 0);
        assert_int_equal(reference_code(two, n1 + n2, &want), 0);
        assert_int_equal(code, want);
        assert_int_equal(code, 14);
        /* A status without a code after one with: the code stays. */
        two[n1] = 0x0a;
        two[n1 + 1] = 0x00;
        assert_int_equal(ttrpc_response_code(two, n1 + 2, &code), 0);
        assert_int_equal(code, 7);
        /* Every cut of a whole answer: refused where protobuf-c refuses it. */
        n = pack_response(14, true, 40, buf, sizeof(buf));
        for (size_t cut = 0; cut < n; cut++) {
                int r = ttrpc_response_code(buf, cut, &code), ref = reference_code(buf, cut, &want);

                assert_int_equal(r, ref);
                if (r == 0)
                        assert_int_equal(code, want);
        }
        /* Wrong wire types for the status and the code, a group, an empty answer. */
        assert_int_equal(ttrpc_response_code((const uint8_t *)"\x08\x01", 2, &code), -EBADMSG);
        assert_int_equal(ttrpc_response_code((const uint8_t *)"\x0a\x02\x0a\x00", 4, &code),
                         -EBADMSG);
        assert_int_equal(ttrpc_response_code((const uint8_t *)"\x1b", 1, &code), -EBADMSG);
        assert_int_equal(ttrpc_response_code(NULL, 0, &code), 0);
        assert_int_equal(code, 0);
        /* Byte flips: where both read it, they read the same code. */
        n = pack_response(7, true, 8, buf, sizeof(buf));
        for (size_t i = 0; i < n; i++)
                for (unsigned bit = 0; bit < 8; bit++) {
                        buf[i] ^= (uint8_t)(1u << bit);
                        if (ttrpc_response_code(buf, n, &code) == 0 &&
                            reference_code(buf, n, &want) == 0)
                                assert_int_equal(code, want);
                        buf[i] ^= (uint8_t)(1u << bit);
                }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_header_roundtrip),
                cmocka_unit_test(test_header_malformed),
                cmocka_unit_test(test_split_reads),
                cmocka_unit_test(test_coalesced),
                cmocka_unit_test(test_malformed_in_stream),
                cmocka_unit_test(test_max_frame),
                cmocka_unit_test(test_buffer_reuse),
                cmocka_unit_test(test_response_code),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
