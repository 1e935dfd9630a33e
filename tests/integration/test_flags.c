/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttRPC request flags and the close after a protocol error (issue 18 item 7),
 * through ccgate (a real process) to the recording stub agent over real unix
 * sockets.
 *
 * ccgate forwards a request frame as it came, flags included, so it takes only
 * the flags a unary call carries: none (Debian's containerd ttrpc 1.1, which
 * the goclient test speaks, and ttrpc-rust) and REMOTE_CLOSED (containerd's
 * ttrpc since 1.2 sets it on every unary call: client.go's NewStream path;
 * its server reads no flags of a request). Any other bit (REMOTE_OPEN opens
 * a client stream, which no agent method has) closes the connection, and the
 * request never reaches the agent.
 *
 * Before closing on a protocol error, the answers already due go out: with
 * the stub agent answering late (--delay-ms), an allowed request, a denied
 * one and then a bad frame in one write: both answers arrive, then the close.
 *
 * Usage: test_flags CASE
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gate_env.h"
#include "harness.h"
#include "ttrpc.h"

/* Request{service: grpc.AgentService, method: GetGuestDetails} and ExecProcess. */
static const uint8_t env_details[] = "\x0a\x11grpc.AgentService\x12\x0fGetGuestDetails";
static const uint8_t env_exec[] = "\x0a\x11grpc.AgentService\x12\x0b" "ExecProcess";

static size_t put_frame(uint8_t *buf, size_t cap, uint32_t sid, uint8_t type, uint8_t flags,
                        const uint8_t *env, size_t len)
{
        return make_frame(buf, cap, sid, type, flags, env, len);
}

/* A GetGuestDetails with these flags on a fresh connection: answered OK. */
static void expect_served(struct gate_env *e, uint8_t flags)
{
        _cleanup_ttrpc_client_ struct ttrpc_client *c = gate_env_connect(e);
        uint8_t frame[256];
        struct ttrpc_reply r;
        long before = gate_env_seen(e, "GetGuestDetails", NULL);
        uint32_t sid = ttrpc_client_new_stream(c);
        size_t n = put_frame(frame, sizeof(frame), sid, TTRPC_TYPE_REQUEST, flags, env_details,
                             sizeof(env_details) - 1);

        assert_int_equal(ttrpc_client_send_raw(c, frame, n), 0);
        assert_int_equal(ttrpc_client_recv(c, &r), 0);
        print_message("flags 0x%02x: %d '%s'\n", flags, r.code, r.message);
        assert_int_equal(r.stream_id, sid);
        assert_int_equal(r.code, TTRPC_CODE_OK);
        ttrpc_reply_done(&r);
        gate_env_barrier(c);
        assert_int_equal(gate_env_seen(e, "GetGuestDetails", NULL), before + 2);
}

/* The same with flags ccgate does not take: closed, never forwarded. */
static void expect_refused(struct gate_env *e, uint8_t flags)
{
        _cleanup_ttrpc_client_ struct ttrpc_client *c = gate_env_connect(e);
        _cleanup_ttrpc_client_ struct ttrpc_client *other = NULL;
        uint8_t frame[256];
        long before = harness_record_lines(e->record);
        size_t n = put_frame(frame, sizeof(frame), ttrpc_client_new_stream(c), TTRPC_TYPE_REQUEST,
                             flags, env_details, sizeof(env_details) - 1);

        print_message("flags 0x%02x: refused?\n", flags);
        assert_int_equal(ttrpc_client_send_raw(c, frame, n), 0);
        assert_int_equal(ttrpc_client_wait_closed(c), 0);
        /* Others are still served, and the agent never saw the refused frame. */
        other = gate_env_connect(e);
        gate_env_barrier(other);
        assert_int_equal(harness_record_lines(e->record), before + 1);
}

static void test_flags(void **state)
{
        static const uint8_t bad[] = { 0x02, 0x03, 0x04, 0x05, 0x08, 0x10, 0x40, 0x80, 0xff };
        struct gate_env *e = *state;

        gate_env_start(e);
        expect_served(e, 0);
        expect_served(e, TTRPC_FLAG_REMOTE_CLOSED);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                expect_refused(e, bad[i]);
}

/*
 * One write: an allowed request (the agent answers it late), a denied one
 * (ccgate answers at once), then `bad` (a frame ccgate refuses). Both answers
 * must arrive, each on its stream, before the connection closes.
 */
static void answers_then_close(struct gate_env *e, const uint8_t *bad, size_t bad_len)
{
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        uint8_t buf[1024];
        struct ttrpc_reply r;
        bool got_ok = false, got_denied = false;
        uint32_t s_ok, s_denied;
        long before;
        size_t n = 0;

        c = gate_env_connect(e);
        before = harness_record_lines(e->record);
        s_ok = ttrpc_client_new_stream(c);
        s_denied = ttrpc_client_new_stream(c);
        n += put_frame(buf + n, sizeof(buf) - n, s_ok, TTRPC_TYPE_REQUEST, 0, env_details,
                       sizeof(env_details) - 1);
        n += put_frame(buf + n, sizeof(buf) - n, s_denied, TTRPC_TYPE_REQUEST, 0, env_exec,
                       sizeof(env_exec) - 1);
        assert_true(n + bad_len <= sizeof(buf));
        memcpy(buf + n, bad, bad_len);
        n += bad_len;
        assert_int_equal(ttrpc_client_send_raw(c, buf, n), 0);

        for (int i = 0; i < 2; i++) {
                assert_int_equal(ttrpc_client_recv(c, &r), 0);
                print_message("stream %u: %d '%s'\n", r.stream_id, r.code, r.message);
                if (r.stream_id == s_ok) {
                        assert_int_equal(r.code, TTRPC_CODE_OK);
                        got_ok = true;
                } else {
                        assert_int_equal(r.stream_id, s_denied);
                        assert_string_equal(r.message, MSG_NO_EXEC);
                        got_denied = true;
                }
                ttrpc_reply_done(&r);
        }
        assert_true(got_ok && got_denied);
        assert_int_equal(ttrpc_client_wait_closed(c), 0);
        /* The agent saw the allowed request, and nothing else. */
        assert_int_equal(harness_record_lines(e->record), before + 1);
}

static void test_answers_before_close(void **state)
{
        struct gate_env *e = *state;
        uint8_t bad[64];
        size_t n;

        gate_env_start_stub(e, "--delay-ms", "300", NULL);
        gate_env_start_gate(e, "integration.yaml", NULL);

        /* A request with REMOTE_OPEN (a client stream). */
        n = put_frame(bad, sizeof(bad), 5, TTRPC_TYPE_REQUEST, TTRPC_FLAG_REMOTE_OPEN, env_details,
                      sizeof(env_details) - 1);
        answers_then_close(e, bad, n);
        /* A header of no frame type. */
        n = put_frame(bad, sizeof(bad), 5, 9, 0, NULL, 0);
        answers_then_close(e, bad, n);
        /* A stream id used before. */
        n = put_frame(bad, sizeof(bad), 1, TTRPC_TYPE_REQUEST, 0, env_details,
                      sizeof(env_details) - 1);
        answers_then_close(e, bad, n);
        /* A data frame. */
        n = put_frame(bad, sizeof(bad), 5, TTRPC_TYPE_DATA, 0, NULL, 0);
        answers_then_close(e, bad, n);
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, gate_env_setup, gate_env_teardown)
        static const struct {
                const char *name;
                struct CMUnitTest test;
        } cases[] = {
                { "flags", T(test_flags) },
                { "answers-before-close", T(test_answers_before_close) },
        };
#undef T

        signal(SIGPIPE, SIG_IGN);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (argc == 2 && strcmp(argv[1], cases[i].name) == 0)
                        return _cmocka_run_group_tests(cases[i].name, &cases[i].test, 1, NULL, NULL);
        fprintf(stderr, "usage: %s flags|answers-before-close\n", argv[0]);
        return 2;
}
