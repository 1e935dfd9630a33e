/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How bytes move through ccgate: large answers pipelined while the client is
 * not reading, a request dripped one byte per write, a host that leaves with
 * requests in flight, a stop with requests in flight, the connection limit,
 * and a frame left unfinished past --frame-timeout.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "gate_env.h"
#include "harness.h"
#include "ttrpc.h"
#include "ttrpc.pb-c.h"

#define READ_SIZE (1u << 20)
#define N_LARGE 16

static void test_large_answers_pipelined(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL, *direct = NULL;
        bool seen[2 * N_LARGE] = { false };

        gate_env_start_stub(e, "--read-size", "1048576", NULL);
        gate_env_start_gate(e, "integration.yaml", NULL);
        c = gate_env_connect(e);
        direct = gate_env_connect_agent(e);

        /* 16 MiB of answers queue up in ccgate while nothing is read. */
        for (uint32_t i = 0; i < N_LARGE; i++) {
                Grpc__ReadStreamRequest rs = GRPC__READ_STREAM_REQUEST__INIT;
                uint8_t req[128];
                char exec_id[32];
                size_t n;

                /* No len: the stub answers the whole --read-size. */
                snprintf(exec_id, sizeof(exec_id), "big-%u", i);
                rs.container_id = (char *)"c1";
                rs.exec_id = exec_id;
                n = grpc__read_stream_request__pack(&rs, req);
                assert_int_equal(ttrpc_client_send(c, ttrpc_client_new_stream(c), AGENT_SERVICE,
                                                   "ReadStdout", req, n), 0);
        }
        assert_int_equal(harness_record_wait(e->record, N_LARGE, HARNESS_WAIT_MS), 0);

        for (uint32_t k = 0; k < N_LARGE; k++) {
                struct ttrpc_reply r, want;
                Grpc__ReadStreamRequest rs = GRPC__READ_STREAM_REQUEST__INIT;
                char exec_id[32];
                uint8_t req[128];
                size_t n;

                assert_int_equal(ttrpc_client_recv(c, &r), 0);
                assert_int_equal(r.code, 0);
                assert_true(r.stream_id % 2 == 1 && r.stream_id < 2 * N_LARGE);
                assert_false(seen[r.stream_id]);
                seen[r.stream_id] = true;
                assert_true(r.payload_len > READ_SIZE);

                /* Byte for byte what the agent says when asked directly. */
                snprintf(exec_id, sizeof(exec_id), "big-%u", r.stream_id / 2);
                rs.container_id = (char *)"c1";
                rs.exec_id = exec_id;
                n = grpc__read_stream_request__pack(&rs, req);
                assert_int_equal(ttrpc_client_call(direct, AGENT_SERVICE, "ReadStdout", req, n, &want), 0);
                assert_int_equal(r.payload_len, want.payload_len);
                assert_memory_equal(r.payload, want.payload, want.payload_len);
                ttrpc_reply_done(&want);
                ttrpc_reply_done(&r);
        }
}

static void test_request_dripped_byte_by_byte(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        uint8_t env[128], frame[256], payload[128];
        struct ttrpc_reply r;
        size_t n, len;
        char sha[65];

        gate_env_start(e);
        c = gate_env_connect(e);
        n = pack_read_stream("c1", "drip", payload, sizeof(payload));
        req.service = (char *)AGENT_SERVICE;
        req.method = (char *)"ReadStdout";
        req.payload.data = payload;
        req.payload.len = n;
        len = ttrpc__request__pack(&req, env);
        len = make_frame(frame, sizeof(frame), ttrpc_client_new_stream(c), TTRPC_TYPE_REQUEST, 0, env, len);
        for (size_t i = 0; i < len; i++)
                assert_int_equal(ttrpc_client_send_raw(c, frame + i, 1), 0);
        assert_int_equal(ttrpc_client_recv(c, &r), 0);
        assert_int_equal(r.code, 0);
        assert_int_equal(r.stream_id, 1);
        ttrpc_reply_done(&r);
        harness_sha256_hex(payload, n, sha);
        assert_int_equal(gate_env_seen(e, "ReadStdout", sha), 1);
}

static void test_host_leaves_with_requests_in_flight(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *other = NULL;

        /* Answers come 50 ms after each request, to whoever is still there. */
        gate_env_start_stub(e, "--delay-ms", "50", NULL);
        gate_env_start_gate(e, "integration.yaml", NULL);
        for (int round = 0; round < 5; round++) {
                _cleanup_ttrpc_client_ struct ttrpc_client *c = gate_env_connect(e);

                for (int i = 0; i < 20; i++)
                        assert_int_equal(ttrpc_client_send(c, ttrpc_client_new_stream(c), AGENT_SERVICE,
                                                           "GetGuestDetails", NULL, 0), 0);
        }
        /* All 100 reached the agent, whose answers now find no host. */
        assert_int_equal(harness_record_wait(e->record, 100, HARNESS_WAIT_MS), 0);
        other = gate_env_connect(e);
        gate_env_barrier(other);
        assert_true(harness_alive(e->gate));
}

static void test_stop_with_requests_in_flight(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;

        /* Held at the stub forever; the teardown's SIGTERM must still stop
         * ccgate cleanly (exit 0, and nothing leaked under ASan). */
        gate_env_start_stub(e, "--batch", "1000", NULL);
        gate_env_start_gate(e, "integration.yaml", NULL);
        c = gate_env_connect(e);
        for (int i = 0; i < 10; i++)
                assert_int_equal(ttrpc_client_send(c, ttrpc_client_new_stream(c), AGENT_SERVICE,
                                                   "GetGuestDetails", NULL, 0), 0);
        assert_int_equal(harness_record_wait(e->record, 10, HARNESS_WAIT_MS), 0);
}

static void test_connection_limit(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *a = NULL, *b = NULL, *extra = NULL;
        struct ttrpc_reply r;

        gate_env_start_stub(e, NULL);
        gate_env_start_gate(e, "integration.yaml", "--max-connections", "2", NULL);
        /* One at a time: the start-up check's probe connection counts until
         * ccgate has seen it close, which it has once a later connection's
         * request is answered (epoll reports readiness in order). */
        a = gate_env_connect(e);
        gate_env_barrier(a);
        b = gate_env_connect(e);
        gate_env_barrier(b);
        /* The kernel accepts it into the backlog; ccgate then refuses it. */
        assert_int_equal(ttrpc_client_connect(e->host_addr, &extra), 0);
        assert_true(ttrpc_client_call(extra, AGENT_SERVICE, "GetGuestDetails", NULL, 0, &r) < 0);
        gate_env_barrier(a);
        gate_env_barrier(b);
}

static void test_unfinished_frame_times_out(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *slow = NULL, *other = NULL;
        const uint8_t header[TTRPC_HEADER_SIZE] = { 0, 0, 0, 100, 0, 0, 0, 1, TTRPC_TYPE_REQUEST, 0 };

        gate_env_start_stub(e, NULL);
        gate_env_start_gate(e, "integration.yaml", "--frame-timeout", "1", NULL);
        slow = gate_env_connect(e);
        other = gate_env_connect(e);
        /* A header promising 100 bytes, and 3 of them. */
        assert_int_equal(ttrpc_client_send_raw(slow, header, sizeof(header)), 0);
        assert_int_equal(ttrpc_client_send_raw(slow, "abc", 3), 0);
        assert_int_equal(ttrpc_client_wait_closed(slow), 0);
        gate_env_barrier(other);
        assert_int_equal(harness_record_lines(e->record), 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, gate_env_setup, gate_env_teardown)
        const struct CMUnitTest tests[] = {
                T(test_large_answers_pipelined),
                T(test_request_dripped_byte_by_byte),
                T(test_host_leaves_with_requests_in_flight),
                T(test_stop_with_requests_in_flight),
                T(test_connection_limit),
                T(test_unfinished_frame_times_out),
        };
#undef T

        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
