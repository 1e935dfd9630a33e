/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgate between a client and the recording stub agent: what is allowed
 * arrives byte for byte and its answer returns byte for byte; what is denied is
 * answered with PERMISSION_DENIED and the exact message, and the agent's record
 * proves it never got there; bad payloads, envelopes and frames fail closed,
 * and a bad frame costs only its own connection. Every test says how many
 * requests it sent through ccgate and how many reached the agent: at teardown
 * the audit log must hold exactly one decision record for each (gate_env.h).
 */
#include <errno.h>
#include <setjmp.h>
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
#include "health.pb-c.h"
#include "ttrpc.h"
#include "ttrpc.pb-c.h"

/* The same request straight to the stub and through ccgate: identical answers,
 * and the agent saw the identical request bytes both times. */
static void check_relayed_unchanged(struct gate_env *e, const char *service, const char *method,
                                    const uint8_t *payload, size_t len)
{
        _cleanup_ttrpc_client_ struct ttrpc_client *direct = NULL, *gated = NULL;
        struct ttrpc_reply want, got;
        char sha[65], name[256];

        direct = gate_env_connect_agent(e);
        gated = gate_env_connect(e);
        assert_int_equal(ttrpc_client_call(direct, service, method, payload, len, &want), 0);
        assert_int_equal(ttrpc_client_call(gated, service, method, payload, len, &got), 0);

        assert_int_equal(got.code, 0);
        assert_int_equal(got.code, want.code);
        assert_string_equal(got.message, want.message);
        assert_int_equal(got.payload_len, want.payload_len);
        assert_memory_equal(got.payload, want.payload, want.payload_len);

        harness_sha256_hex(payload, len, sha);
        snprintf(name, sizeof(name), "%s/%s", service, method);
        assert_int_equal(harness_record_count(e->record, name, sha), 2);
        ttrpc_reply_done(&want);
        ttrpc_reply_done(&got);
}

static void test_allowed_reaches_agent_unchanged(void **state)
{
        struct gate_env *e = *state;
        const uint8_t details[] = { 0x08, 0x01, 0x10, 0x01 }; /* mem_block_size, mem_hotplug_probe */
        uint8_t buf[256];
        size_t n;

        gate_env_start(e);
        check_relayed_unchanged(e, AGENT_SERVICE, "GetGuestDetails", details, sizeof(details));
        check_relayed_unchanged(e, AGENT_SERVICE, "GetGuestDetails", NULL, 0);
        n = pack_read_stream("c1", "exec-42", buf, sizeof(buf));
        check_relayed_unchanged(e, AGENT_SERVICE, "ReadStdout", buf, n);
        check_relayed_unchanged(e, AGENT_SERVICE, "ReadStderr", buf, n);
        check_relayed_unchanged(e, "grpc.Health", "Check", NULL, 0);
        /* Five through ccgate, each also sent straight to the stub. */
        gate_env_expect_audit(e, 5, harness_record_lines(e->record) - 5);
}

static void test_allowed_answer_contents(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        Grpc__GuestDetailsResponse *g;
        struct ttrpc_reply r;
        uint8_t buf[256];
        char data[128];
        size_t n;

        gate_env_start(e);
        c = gate_env_connect(e);
        assert_int_equal(ttrpc_client_call(c, AGENT_SERVICE, "GetGuestDetails", NULL, 0, &r), 0);
        assert_int_equal(r.code, 0);
        g = grpc__guest_details_response__unpack(NULL, r.payload_len, r.payload);
        assert_non_null(g);
        assert_non_null(g->agent_details);
        assert_string_equal(g->agent_details->version, "stub-agent 0.1");
        grpc__guest_details_response__free_unpacked(g, NULL);
        ttrpc_reply_done(&r);

        n = pack_read_stream("c1", "exec-9", buf, sizeof(buf));
        assert_int_equal(ttrpc_client_call(c, AGENT_SERVICE, "ReadStdout", buf, n, &r), 0);
        assert_int_equal(r.code, 0);
        read_stream_data(&r, data, sizeof(data));
        assert_string_equal(data, "stdout-of-exec-9");
        ttrpc_reply_done(&r);
        gate_env_expect_audit(e, 2, harness_record_lines(e->record));
}

static void test_denied_never_reaches_agent(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        uint8_t buf[512];
        size_t n;

        gate_env_start(e);
        c = gate_env_connect(e);
        n = pack_exec_process("c1", "e1", buf, sizeof(buf));
        gate_env_expect_denied(e, c, AGENT_SERVICE, "ExecProcess", buf, n, MSG_NO_EXEC);
        gate_env_expect_denied(e, c, AGENT_SERVICE, "ExecProcess", NULL, 0, MSG_NO_EXEC);

        /* Not listed: the default. */
        gate_env_expect_denied(e, c, AGENT_SERVICE, "CreateContainer", NULL, 0,
                               "CreateContainerRequest is blocked by policy: default-deny: "
                               "the policy does not list CreateContainerRequest");
        gate_env_expect_denied(e, c, AGENT_SERVICE, "SetPolicy", NULL, 0,
                               "SetPolicyRequest is blocked by policy: default-deny: "
                               "the policy does not list SetPolicyRequest");
        /* ReadStdout and ReadStderr share ReadStreamRequest; WriteStdin does not. */
        gate_env_expect_denied(e, c, AGENT_SERVICE, "WriteStdin", NULL, 0,
                               "WriteStreamRequest is blocked by policy: default-deny: "
                               "the policy does not list WriteStreamRequest");
        gate_env_expect_denied(e, c, AGENT_SERVICE, "CloseStdin", NULL, 0,
                               "CloseStdinRequest is blocked by policy: default-deny: "
                               "the policy does not list CloseStdinRequest");
        assert_int_equal(gate_env_seen(e, "ExecProcess", NULL), 0);
        /* Six denials, each between two barriers. */
        gate_env_expect_audit(e, 6 * 3, harness_record_lines(e->record));
}

static void test_denial_carries_no_request_contents(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        _cleanup_free_ char *audit = NULL;
        struct ttrpc_reply r;
        uint8_t buf[512];
        size_t n;

        gate_env_start(e);
        c = gate_env_connect(e);
        n = pack_exec_process("c1", "e1", buf, sizeof(buf));
        assert_int_equal(ttrpc_client_call(c, AGENT_SERVICE, "ExecProcess", buf, n, &r), 0);
        assert_int_equal(r.code, TTRPC_CODE_PERMISSION_DENIED);
        assert_null(strstr(r.message, "hunter2"));
        assert_null(strstr(r.message, "/secrets"));
        ttrpc_reply_done(&r);
        gate_env_barrier(c);

        /* The audit log records the decision, not the secret. */
        assert_true(harness_read_file(e->audit, &audit) > 0);
        assert_non_null(strstr(audit, "no-exec"));
        assert_null(strstr(audit, "hunter2"));
        gate_env_expect_audit(e, 2, harness_record_lines(e->record));
}

static void test_unknown_service_or_method(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        static const char *const cases[][2] = {
                { AGENT_SERVICE, "NoSuchMethod" },
                { AGENT_SERVICE, "getGuestDetails" },      /* names are exact */
                { AGENT_SERVICE, "GetGuestDetails " },
                { "grpc.AgentService2", "GetGuestDetails" },
                { "grpc.Health", "Watch" },
                { "grpc.Health", "GetGuestDetails" },      /* a method of the other service */
                { "containerd.task.v2.Task", "Create" },
                { "", "" },
        };

        gate_env_start(e);
        c = gate_env_connect(e);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                gate_env_expect_denied(e, c, cases[i][0], cases[i][1], NULL, 0, MSG_UNKNOWN_METHOD);
        /* Only the barriers (two per case) got through. */
        assert_int_equal(harness_record_lines(e->record), 2 * (long)ELEMENTSOF(cases));
        gate_env_expect_audit(e, 3 * (long)ELEMENTSOF(cases), harness_record_lines(e->record));
}

static void test_undecodable_payload(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        static const struct {
                const uint8_t *bytes;
                size_t len;
        } cases[] = {
                { (const uint8_t *)"\x0a\xff", 2 },           /* length runs past the end */
                { (const uint8_t *)"\x08", 1 },               /* a key without its value */
                { (const uint8_t *)"\x08\x80\x80", 3 },       /* unterminated varint */
                { (const uint8_t *)"\x0f\x00", 2 },           /* wire type 7 */
                { (const uint8_t *)"\x00\x00", 2 },           /* field number 0 */
                { (const uint8_t *)"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12 }, /* 11-byte varint */
        };

        gate_env_start(e);
        c = gate_env_connect(e);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct ttrpc_reply r;

                assert_int_equal(ttrpc_client_call(c, AGENT_SERVICE, "GetGuestDetails", cases[i].bytes,
                                                   cases[i].len, &r), 0);
                print_message("case %zu: %d %s\n", i, r.code, r.message);
                assert_int_equal(r.code, TTRPC_CODE_PERMISSION_DENIED);
                assert_string_equal(r.message, "GuestDetailsRequest is blocked by policy: undecodable-request: "
                                               "the request payload is not a valid encoding of its message");
                ttrpc_reply_done(&r);
        }
        gate_env_barrier(c);
        /* Only the barrier, with its empty payload, reached the agent. */
        assert_int_equal(harness_record_lines(e->record), 1);
        gate_env_expect_audit(e, (long)ELEMENTSOF(cases) + 1, harness_record_lines(e->record));
}

static void test_unknown_field(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        Grpc__CreateSandboxRequest sb = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        Grpc__Storage st = GRPC__STORAGE__INIT;
        Grpc__Storage *sts[] = { &st };
        const char *msg_details = "GuestDetailsRequest is blocked by policy: unknown-field: "
                                  "the request carries fields the agent API schema does not know";
        const char *msg_sandbox = "CreateSandboxRequest is blocked by policy: unknown-field: "
                                  "the request carries fields the agent API schema does not know";
        uint8_t buf[512], nested[512];
        size_t n;

        gate_env_start(e);
        c = gate_env_connect(e);

        /* GuestDetailsRequest{mem_block_size: true, 99: 1}. */
        gate_env_expect_denied(e, c, AGENT_SERVICE, "GetGuestDetails",
                               (const uint8_t *)"\x08\x01\x98\x06\x01", 5, msg_details);
        /* A field the schema lacks as a length-delimited one. */
        gate_env_expect_denied(e, c, AGENT_SERVICE, "GetGuestDetails",
                               (const uint8_t *)"\x22\x03" "abc", 5, msg_details);

        /* Deep inside: CreateSandboxRequest{hostname, storages[0]{driver, 42: "x"}}. */
        st.driver = (char *)"virtio-blk";
        sb.hostname = (char *)"pod";
        sb.storages = sts;
        sb.n_storages = 1;
        n = grpc__storage__pack(&st, nested);
        memcpy(nested + n, "\xd2\x02\x01x", 4); /* field 42, wire type 2, "x" */
        n += 4;
        {
                /* Re-wrap by hand: field 3 (storages) of CreateSandboxRequest. */
                size_t m = 0;

                sb.storages = NULL;
                sb.n_storages = 0;
                m = grpc__create_sandbox_request__pack(&sb, buf);
                buf[m++] = 0x1a;
                assert_true(n < 128);
                buf[m++] = (uint8_t)n;
                memcpy(buf + m, nested, n);
                m += n;
                gate_env_expect_denied(e, c, AGENT_SERVICE, "CreateSandbox", buf, m, msg_sandbox);
        }
        assert_int_equal(gate_env_seen(e, "CreateSandbox", NULL), 0);
        gate_env_expect_audit(e, 3 * 3, harness_record_lines(e->record));
}

/* Send one raw request frame whose payload is the given envelope bytes. */
static void call_raw_envelope(struct ttrpc_client *c, const uint8_t *env, size_t len,
                              struct ttrpc_reply *ret)
{
        uint8_t frame[1024];
        uint32_t sid = ttrpc_client_new_stream(c);
        size_t n = make_frame(frame, sizeof(frame), sid, TTRPC_TYPE_REQUEST, 0, env, len);

        assert_int_equal(ttrpc_client_send_raw(c, frame, n), 0);
        assert_int_equal(ttrpc_client_recv(c, ret), 0);
        assert_int_equal(ret->stream_id, sid);
}

static void test_envelope(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        Ttrpc__KeyValue kv = TTRPC__KEY_VALUE__INIT, *kvs[] = { &kv };
        uint8_t env[512];
        struct ttrpc_reply r;
        size_t n;

        gate_env_start(e);
        c = gate_env_connect(e);

        /* What containerd's client sends: a timeout and metadata. Allowed. */
        req.service = (char *)AGENT_SERVICE;
        req.method = (char *)"GetGuestDetails";
        req.timeout_nano = 5000000000;
        kv.key = (char *)"k";
        kv.value = (char *)"v";
        req.metadata = kvs;
        req.n_metadata = 1;
        n = ttrpc__request__pack(&req, env);
        call_raw_envelope(c, env, n, &r);
        assert_int_equal(r.code, 0);
        ttrpc_reply_done(&r);

        /* An envelope field ttRPC does not have. */
        memcpy(env + n, "\x30\x01", 2); /* field 6, varint */
        call_raw_envelope(c, env, n + 2, &r);
        assert_int_equal(r.code, TTRPC_CODE_PERMISSION_DENIED);
        assert_string_equal(r.message, "Request is blocked by policy: unknown-field: "
                                       "the ttRPC envelope carries unknown fields");
        ttrpc_reply_done(&r);

        /* An envelope that does not decode at all. */
        call_raw_envelope(c, (const uint8_t *)"\x0a\x7f", 2, &r);
        assert_int_equal(r.code, TTRPC_CODE_PERMISSION_DENIED);
        assert_string_equal(r.message, "Request is blocked by policy: malformed-request: "
                                       "the ttRPC request envelope does not decode");
        ttrpc_reply_done(&r);

        gate_env_barrier(c);
        /* The allowed one and the barrier; neither bad envelope. */
        assert_int_equal(gate_env_seen(e, "GetGuestDetails", NULL), 2);
        assert_int_equal(harness_record_lines(e->record), 2);
        /* Both bad envelopes are decisions too, with a record each. */
        gate_env_expect_audit(e, 4, harness_record_lines(e->record));
}

/* A frame that must close its connection: nothing of it reaches the agent, and
 * a connection that was open before and one opened after both still work. */
static void check_frame_closes_connection(struct gate_env *e, const uint8_t *frame, size_t len)
{
        _cleanup_ttrpc_client_ struct ttrpc_client *bad = NULL, *before = NULL, *after = NULL;
        long lines;

        before = gate_env_connect(e);
        gate_env_barrier(before);
        lines = harness_record_lines(e->record);

        bad = gate_env_connect(e);
        assert_int_equal(ttrpc_client_send_raw(bad, frame, len), 0);
        assert_int_equal(ttrpc_client_wait_closed(bad), 0);

        gate_env_barrier(before);
        after = gate_env_connect(e);
        gate_env_barrier(after);
        /* Two barriers, and not a byte of the bad frame. */
        assert_int_equal(harness_record_lines(e->record), lines + 2);
        assert_true(harness_alive(e->gate));
}

static void test_oversized_frame(void **state)
{
        struct gate_env *e = *state;
        uint8_t header[TTRPC_HEADER_SIZE];

        gate_env_start(e);
        /* 4 MiB + 1: the header alone is enough to refuse it. */
        make_frame(header, sizeof(header), 1, TTRPC_TYPE_REQUEST, 0, NULL, 0);
        header[0] = 0x00, header[1] = 0x40, header[2] = 0x00, header[3] = 0x01;
        check_frame_closes_connection(e, header, sizeof(header));
        /* The largest length a u32 can say. */
        header[0] = header[1] = header[2] = header[3] = 0xff;
        check_frame_closes_connection(e, header, sizeof(header));
        /* Three barriers per check; a frame that closes its connection is no request. */
        gate_env_expect_audit(e, 2 * 3, harness_record_lines(e->record));
}

static void test_largest_frame_accepted(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        Grpc__CreateSandboxRequest sb = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        _cleanup_free_ uint8_t *payload = NULL;
        _cleanup_free_ char *host = NULL;
        size_t n, hlen = TTRPC_MAX_PAYLOAD - 128, env_len;
        char sha[65];
        struct ttrpc_reply r;

        gate_env_start(e);
        c = gate_env_connect(e);
        /* Grow the hostname until the envelope is exactly TTRPC_MAX_PAYLOAD bytes. */
        host = malloc(TTRPC_MAX_PAYLOAD); /* more than the hostname can ever take */
        payload = malloc(TTRPC_MAX_PAYLOAD);
        assert_non_null(host);
        assert_non_null(payload);
        for (int i = 0; i < 8; i++) {
                memset(host, 'h', hlen);
                host[hlen] = '\0';
                sb.hostname = host;
                req.service = (char *)AGENT_SERVICE;
                req.method = (char *)"CreateSandbox";
                req.payload.len = grpc__create_sandbox_request__get_packed_size(&sb);
                env_len = ttrpc__request__get_packed_size(&req);
                if (env_len == TTRPC_MAX_PAYLOAD)
                        break;
                hlen = hlen + TTRPC_MAX_PAYLOAD - env_len;
                assert_true(hlen < TTRPC_MAX_PAYLOAD);
        }
        assert_int_equal(env_len, TTRPC_MAX_PAYLOAD);
        n = grpc__create_sandbox_request__pack(&sb, payload);
        assert_int_equal(ttrpc_client_call(c, AGENT_SERVICE, "CreateSandbox", payload, n, &r), 0);
        assert_int_equal(r.code, 0);
        ttrpc_reply_done(&r);
        harness_sha256_hex(payload, n, sha);
        assert_int_equal(gate_env_seen(e, "CreateSandbox", sha), 1);
        gate_env_expect_audit(e, 1, 1);
}

static void test_malformed_frames(void **state)
{
        struct gate_env *e = *state;
        uint8_t env[256], frame[512];
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        size_t n, len;

        gate_env_start(e);
        req.service = (char *)AGENT_SERVICE;
        req.method = (char *)"GetGuestDetails";
        n = ttrpc__request__pack(&req, env);

        /* Frame types ttRPC does not have. */
        len = make_frame(frame, sizeof(frame), 1, 0, 0, env, n);
        check_frame_closes_connection(e, frame, len);
        len = make_frame(frame, sizeof(frame), 1, 9, 0, env, n);
        check_frame_closes_connection(e, frame, len);
        /* A data frame, or a response, from the host: the agent API has no use for either. */
        len = make_frame(frame, sizeof(frame), 1, TTRPC_TYPE_DATA, TTRPC_FLAG_REMOTE_OPEN, env, n);
        check_frame_closes_connection(e, frame, len);
        len = make_frame(frame, sizeof(frame), 1, TTRPC_TYPE_RESPONSE, 0, env, n);
        check_frame_closes_connection(e, frame, len);
        /* Client stream ids are odd. */
        len = make_frame(frame, sizeof(frame), 2, TTRPC_TYPE_REQUEST, 0, env, n);
        check_frame_closes_connection(e, frame, len);
        /* A header cut short, then the connection's write side closed. */
        {
                _cleanup_ttrpc_client_ struct ttrpc_client *c = gate_env_connect(e);

                assert_int_equal(ttrpc_client_send_raw(c, frame, 5), 0);
                assert_int_equal(shutdown(ttrpc_client_fd(c), SHUT_WR), 0);
                assert_int_equal(ttrpc_client_wait_closed(c), 0);
        }
        assert_int_equal(gate_env_seen(e, "GetGuestDetails", NULL), harness_record_lines(e->record));
        gate_env_expect_audit(e, 5 * 3, harness_record_lines(e->record));
}

static void test_stream_ids_must_increase(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        struct ttrpc_reply r;
        uint8_t buf[512];
        size_t n;
        long lines;

        gate_env_start(e);
        c = gate_env_connect(e);
        assert_int_equal(ttrpc_client_send(c, 5, AGENT_SERVICE, "GetGuestDetails", NULL, 0), 0);
        assert_int_equal(ttrpc_client_recv(c, &r), 0);
        assert_int_equal(r.code, 0);
        ttrpc_reply_done(&r);
        lines = harness_record_lines(e->record);

        /* A reused stream id must not pass, whatever the method. */
        n = pack_read_stream("c1", "e1", buf, sizeof(buf));
        assert_int_equal(ttrpc_client_send(c, 5, AGENT_SERVICE, "ReadStdout", buf, n), 0);
        assert_int_equal(ttrpc_client_wait_closed(c), 0);
        assert_int_equal(harness_record_lines(e->record), lines);
        gate_env_expect_audit(e, 1, 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, gate_env_setup, gate_env_teardown)
        const struct CMUnitTest tests[] = {
                T(test_allowed_reaches_agent_unchanged),
                T(test_allowed_answer_contents),
                T(test_denied_never_reaches_agent),
                T(test_denial_carries_no_request_contents),
                T(test_unknown_service_or_method),
                T(test_undecodable_payload),
                T(test_unknown_field),
                T(test_envelope),
                T(test_oversized_frame),
                T(test_largest_frame_accepted),
                T(test_malformed_frames),
                T(test_stream_ids_must_increase),
        };
#undef T

        return cmocka_run_group_tests(tests, NULL, NULL);
}
