/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Regression tests for five requests ccgate once let through and must deny.
 * They were recorded here as known bugs (registered with should_fail) and are
 * fixed by enforcer/wire/wire_check.c; they now run as ordinary integration tests,
 * each must be denied, for the rule named, and never reach the agent.
 *
 * What they share: ccgate decided on a C-string or leniently decoded view of
 * a field (protobuf-c), while kata's agent (Rust, rust-protobuf) acts on the
 * exact bytes. ccgate now checks the bytes strictly before decoding them: a
 * NUL or invalid UTF-8 in a string, or a wire type that is not the field's
 * own, is denied (malformed-request in the envelope, undecodable-request in
 * the payload). tests/api/test_wire_check.c has the byte-level table.
 *
 * Usage: test_wire_regress CASE
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

/* Send envelope bytes as one request; it must be denied by rule_id and never
 * reach the agent. */
static void expect_denied_raw(struct gate_env *e, const uint8_t *env, size_t len,
                              const char *rule_id)
{
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        uint8_t frame[512];
        struct ttrpc_reply r;
        size_t n;
        long before;

        gate_env_start(e);
        c = gate_env_connect(e);
        gate_env_barrier(c);
        before = harness_record_lines(e->record);
        n = make_frame(frame, sizeof(frame), ttrpc_client_new_stream(c), TTRPC_TYPE_REQUEST, 0, env, len);
        assert_int_equal(ttrpc_client_send_raw(c, frame, n), 0);
        assert_int_equal(ttrpc_client_recv(c, &r), 0);
        print_message("answer: %d '%s'\n", r.code, r.message);
        assert_int_equal(r.code, TTRPC_CODE_PERMISSION_DENIED);
        assert_non_null(strstr(r.message, rule_id));
        ttrpc_reply_done(&r);
        gate_env_barrier(c);
        assert_int_equal(harness_record_lines(e->record), before + 1);
}

#define ENV_PREFIX "\x0a\x11grpc.AgentService"

/* Request{method: "GetGuestDetails\0"}: not an agent method, by its bytes. */
static void test_nul_in_method(void **state)
{
        static const uint8_t env[] = ENV_PREFIX "\x12\x10GetGuestDetails\0";

        expect_denied_raw(*state, env, sizeof(env) - 1, "malformed-request");
}

/* Request{service: "grpc.AgentService\0x"}: not the agent's service. */
static void test_nul_in_service(void **state)
{
        static const uint8_t env[] = "\x0a\x13grpc.AgentService\0x"
                                     "\x12\x0fGetGuestDetails";

        expect_denied_raw(*state, env, sizeof(env) - 1, "malformed-request");
}

/* GuestDetailsRequest{1: bytes "\x01"}: field 1 is a bool, so a varint. */
static void test_bool_with_wrong_wire_type(void **state)
{
        static const uint8_t env[] = ENV_PREFIX "\x12\x0fGetGuestDetails"
                                     "\x1a\x03\x0a\x01\x01";

        expect_denied_raw(*state, env, sizeof(env) - 1, "undecodable-request");
}

/* ReadStreamRequest{exec_id: "\xff\xfe"}: proto3 strings are UTF-8. */
static void test_invalid_utf8_string(void **state)
{
        static const uint8_t env[] = ENV_PREFIX "\x12\x0aReadStdout"
                                     "\x1a\x08\x0a\x02" "c1" "\x12\x02\xff\xfe";

        expect_denied_raw(*state, env, sizeof(env) - 1, "undecodable-request");
}

/* ReadStreamRequest{exec_id: "e1\0x"}: ccgate's policy would see "e1". */
static void test_nul_in_string_field(void **state)
{
        static const uint8_t env[] = ENV_PREFIX "\x12\x0aReadStdout"
                                     "\x1a\x0a\x0a\x02" "c1" "\x12\x04" "e1\0x";

        expect_denied_raw(*state, env, sizeof(env) - 1, "undecodable-request");
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, gate_env_setup, gate_env_teardown)
        static const struct {
                const char *name;
                struct CMUnitTest test;
        } cases[] = {
                { "nul-in-method", T(test_nul_in_method) },
                { "nul-in-service", T(test_nul_in_service) },
                { "bool-wrong-wire-type", T(test_bool_with_wrong_wire_type) },
                { "invalid-utf8-string", T(test_invalid_utf8_string) },
                { "nul-in-string-field", T(test_nul_in_string_field) },
        };
#undef T

        signal(SIGPIPE, SIG_IGN);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (argc == 2 && strcmp(argv[1], cases[i].name) == 0)
                        return _cmocka_run_group_tests(cases[i].name, &cases[i].test, 1, NULL, NULL);
        fprintf(stderr, "usage: %s CASE\ncases:", argv[0]);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                fprintf(stderr, " %s", cases[i].name);
        fprintf(stderr, "\n");
        return 2;
}
