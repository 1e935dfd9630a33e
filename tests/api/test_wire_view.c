/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The decode arena's page reuse and decoding with large bytes left in place
 * (arena.h, wire_view.h): a view reads exactly what protobuf-c reads, its large
 * bytes point into the buffer, and everything else falls back to protobuf-c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "agent_api.h"
#include "agent_request.h"
#include "arena.h"
#include "ttrpc.pb-c.h"
#include "ttrpc_msg.h"
#include "wire_view.h"

#define CAP (8u * 1024u * 1024u)
#define KEEP (64u * 1024u)

static bool inside(const void *p, const uint8_t *buf, size_t len)
{
        return (const uint8_t *)p >= buf && (const uint8_t *)p < buf + len;
}

/* Pages of [p, p + len) resident now. */
static size_t resident(const void *p, size_t len)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE), n = (len + page - 1) / page, count = 0;
        unsigned char *vec = calloc(n, 1);

        assert_non_null(vec);
        assert_int_equal(mincore((void *)p, len, vec), 0);
        for (size_t i = 0; i < n; i++)
                count += vec[i] & 1;
        free(vec);
        return count;
}

static void touch(struct arena *a, size_t n)
{
        uint8_t *p = a->allocator.alloc(a->allocator.allocator_data, n);

        assert_non_null(p);
        memset(p, 0xa5, n);
}

/* A large request's pages stay for the next large one, and go back after a run of small ones. */
static void test_arena_reuse(void **state)
{
        struct arena a;
        size_t big = 1024u * 1024u, above = big - KEEP;

        (void)state;
        assert_int_equal(arena_init(&a, CAP, KEEP), 0);
        touch(&a, big);
        arena_reset(&a);
        assert_int_equal(resident(a.base + KEEP, above), above / 4096);
        for (unsigned i = 0; i + 1 < ARENA_RELEASE_AFTER; i++) {
                touch(&a, 100);
                arena_reset(&a);
                assert_int_equal(resident(a.base + KEEP, above), above / 4096);
        }
        /* A large one in between starts the run afresh. */
        touch(&a, big);
        arena_reset(&a);
        for (unsigned i = 0; i + 1 < ARENA_RELEASE_AFTER; i++) {
                touch(&a, 100);
                arena_reset(&a);
        }
        assert_int_equal(resident(a.base + KEEP, above), above / 4096);
        touch(&a, 100);
        arena_reset(&a);
        assert_int_equal(resident(a.base + KEEP, above), 0);
        assert_true(resident(a.base, KEEP) >= 1);
        assert_int_equal(a.high_water, KEEP);
        arena_done(&a);
        arena_done(&a); /* safe on a zeroed arena */
}

static void test_arena_bounds(void **state)
{
        struct arena a;

        (void)state;
        assert_int_equal(arena_init(&a, 0, 0), -EINVAL);
        assert_int_equal(arena_init(&a, 4096, 8192), -EINVAL);
        assert_int_equal(arena_init(&a, 64 * 1024, 4096), 0);
        assert_non_null(a.allocator.alloc(a.allocator.allocator_data, 32 * 1024));
        assert_null(a.allocator.alloc(a.allocator.allocator_data, 32 * 1024 + 1));
        assert_null(a.allocator.alloc(a.allocator.allocator_data, SIZE_MAX));
        arena_done(&a);
}

/* A WriteStreamRequest with data_len bytes of data; *ret_len its length. */
static uint8_t *write_stream(size_t data_len, size_t *ret_len)
{
        Grpc__WriteStreamRequest m = GRPC__WRITE_STREAM_REQUEST__INIT;
        uint8_t *data = malloc(data_len + 1), *out;

        assert_non_null(data);
        for (size_t i = 0; i < data_len; i++)
                data[i] = (uint8_t)(i * 31 + 7);
        m.container_id = "c0ffee";
        m.exec_id = "e1";
        m.data = (ProtobufCBinaryData){ .len = data_len, .data = data };
        *ret_len = grpc__write_stream_request__get_packed_size(&m);
        out = malloc(*ret_len);
        assert_non_null(out);
        assert_int_equal(grpc__write_stream_request__pack(&m, out), *ret_len);
        free(data);
        return out;
}

static void same_write(const Grpc__WriteStreamRequest *a, const Grpc__WriteStreamRequest *b)
{
        assert_string_equal(a->container_id, b->container_id);
        assert_string_equal(a->exec_id, b->exec_id);
        assert_int_equal(a->data.len, b->data.len);
        if (a->data.len)
                assert_memory_equal(a->data.data, b->data.data, a->data.len);
}

static void test_view_large_bytes(void **state)
{
        const struct agent_method *m = agent_method_get(AGENT_WRITE_STDIN);
        struct arena a;
        size_t len;
        uint8_t *wire = write_stream(256 * 1024, &len);
        ProtobufCMessage *view, *plain;

        (void)state;
        assert_int_equal(arena_init(&a, CAP, KEEP), 0);
        assert_int_equal(agent_request_decode_view(m, wire, len, &a.allocator, &view), 0);
        assert_int_equal(agent_request_decode(m, wire, len, NULL, &plain), 0);
        same_write((Grpc__WriteStreamRequest *)view, (Grpc__WriteStreamRequest *)plain);
        assert_true(inside(((Grpc__WriteStreamRequest *)view)->data.data, wire, len));
        assert_true(a.used < 1024); /* the strings and the message, not the data */
        agent_request_free(plain, NULL);
        assert_int_equal(agent_request_decode_view(m, wire, len, NULL, &view), -EINVAL);
        arena_done(&a);
        free(wire);
}

/* Small bytes are copied as protobuf-c copies them; empty ones are absent. */
static void test_view_small_bytes(void **state)
{
        const struct agent_method *m = agent_method_get(AGENT_WRITE_STDIN);
        struct arena a;

        (void)state;
        assert_int_equal(arena_init(&a, CAP, KEEP), 0);
        for (size_t n = 0; n <= WIRE_VIEW_MIN; n += WIRE_VIEW_MIN / 4) {
                size_t data_len = n == WIRE_VIEW_MIN ? n - 1 : n, len;
                uint8_t *wire = write_stream(data_len, &len);
                ProtobufCMessage *view, *plain;

                arena_reset(&a);
                assert_int_equal(agent_request_decode_view(m, wire, len, &a.allocator, &view), 0);
                assert_int_equal(agent_request_decode(m, wire, len, NULL, &plain), 0);
                same_write((Grpc__WriteStreamRequest *)view, (Grpc__WriteStreamRequest *)plain);
                assert_false(inside(((Grpc__WriteStreamRequest *)view)->data.data, wire, len));
                agent_request_free(plain, NULL);
                free(wire);
        }
        arena_done(&a);
}

/* A field twice (the strict check refuses it before a view is made) is read as protobuf-c reads it. */
static void test_view_falls_back(void **state)
{
        struct arena a;
        size_t len;
        uint8_t *one = write_stream(8192, &len), *two = malloc(2 * len);
        Grpc__WriteStreamRequest *v, *p;

        (void)state;
        assert_non_null(two);
        memcpy(two, one, len);
        memcpy(two + len, one, len);
        two[len + len - 1] ^= 0xff; /* the second copy's data differs: last one wins */
        assert_int_equal(arena_init(&a, CAP, KEEP), 0);
        v = (Grpc__WriteStreamRequest *)wire_view_unpack(&grpc__write_stream_request__descriptor,
                                                          &a.allocator, 2 * len, two);
        p = grpc__write_stream_request__unpack(NULL, 2 * len, two);
        assert_non_null(v);
        assert_non_null(p);
        same_write(v, p);
        assert_false(inside(v->data.data, two, 2 * len));
        grpc__write_stream_request__free_unpacked(p, NULL);

        /* Cut short: both refuse it. */
        arena_reset(&a);
        assert_null(wire_view_unpack(&grpc__write_stream_request__descriptor, &a.allocator,
                                     len - 1, one));
        assert_null(grpc__write_stream_request__unpack(NULL, len - 1, one));
        assert_null(wire_view_unpack(NULL, &a.allocator, len, one));
        assert_null(wire_view_unpack(&grpc__write_stream_request__descriptor, NULL, len, one));
        arena_done(&a);
        free(one);
        free(two);
}

/* CopyFile's data (field 8, after the others) is left in place too. */
static void test_view_copy_file(void **state)
{
        const struct agent_method *m = agent_method_get(AGENT_COPY_FILE);
        Grpc__CopyFileRequest in = GRPC__COPY_FILE_REQUEST__INIT, *v, *p;
        static uint8_t data[16384];
        struct arena a;
        uint8_t *wire;
        size_t len;

        (void)state;
        memset(data, 'x', sizeof(data));
        in.path = "/run/kata-containers/shared/containers/x-resolv.conf";
        in.file_size = sizeof(data);
        in.file_mode = 0100644;
        in.offset = 4096;
        in.data = (ProtobufCBinaryData){ .len = sizeof(data), .data = data };
        len = grpc__copy_file_request__get_packed_size(&in);
        wire = malloc(len);
        assert_non_null(wire);
        grpc__copy_file_request__pack(&in, wire);
        assert_int_equal(arena_init(&a, CAP, KEEP), 0);
        assert_int_equal(agent_request_decode_view(m, wire, len, &a.allocator,
                                                   (ProtobufCMessage **)&v), 0);
        assert_int_equal(agent_request_decode(m, wire, len, NULL, (ProtobufCMessage **)&p), 0);
        assert_string_equal(v->path, p->path);
        assert_int_equal(v->file_size, p->file_size);
        assert_int_equal(v->file_mode, p->file_mode);
        assert_int_equal(v->offset, p->offset);
        assert_int_equal(v->data.len, p->data.len);
        assert_memory_equal(v->data.data, p->data.data, p->data.len);
        assert_true(inside(v->data.data, wire, len));
        agent_request_free(&p->base, NULL);
        arena_done(&a);
        free(wire);
}

/* The envelope's payload, and the request inside it, both point into the frame. */
static void test_view_envelope(void **state)
{
        Ttrpc__Request env = TTRPC__REQUEST__INIT, *v, *p;
        struct arena a;
        size_t inner_len, len;
        uint8_t *inner = write_stream(65536, &inner_len), *wire;
        ProtobufCMessage *msg;

        (void)state;
        env.service = "grpc.AgentService";
        env.method = "WriteStdin";
        env.payload = (ProtobufCBinaryData){ .len = inner_len, .data = inner };
        env.timeout_nano = 1000;
        len = ttrpc__request__get_packed_size(&env);
        wire = malloc(len);
        assert_non_null(wire);
        ttrpc__request__pack(&env, wire);
        assert_int_equal(arena_init(&a, CAP, KEEP), 0);
        assert_int_equal(ttrpc_request_decode_view(wire, len, &a.allocator, &v), 0);
        assert_int_equal(ttrpc_request_decode(wire, len, NULL, &p), 0);
        assert_string_equal(v->service, p->service);
        assert_string_equal(v->method, p->method);
        assert_int_equal(v->timeout_nano, p->timeout_nano);
        assert_int_equal(v->payload.len, p->payload.len);
        assert_memory_equal(v->payload.data, p->payload.data, p->payload.len);
        assert_true(inside(v->payload.data, wire, len));
        assert_int_equal(agent_request_decode_view(agent_method_get(AGENT_WRITE_STDIN),
                                                   v->payload.data, v->payload.len,
                                                   &a.allocator, &msg), 0);
        assert_true(inside(((Grpc__WriteStreamRequest *)msg)->data.data, wire, len));
        assert_true(a.used < 1024);
        assert_int_equal(ttrpc_request_decode_view(wire, len, NULL, &v), -EINVAL);
        /* Unknown fields are refused as by the plain decode. */
        wire[0] = (uint8_t)(15 << 3 | 2);
        assert_int_equal(ttrpc_request_decode_view(wire, len, &a.allocator, &v), -EPROTO);
        ttrpc__request__free_unpacked(p, NULL);
        arena_done(&a);
        free(wire);
        free(inner);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_arena_reuse),      cmocka_unit_test(test_arena_bounds),
                cmocka_unit_test(test_view_large_bytes), cmocka_unit_test(test_view_small_bytes),
                cmocka_unit_test(test_view_falls_back),  cmocka_unit_test(test_view_copy_file),
                cmocka_unit_test(test_view_envelope),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
