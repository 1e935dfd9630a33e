/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgate under load and trouble: the agent absent, killed, or killed with
 * requests in flight (UNAVAILABLE, and service again once it is back); 100
 * concurrent clients; many requests in flight on one connection answered on
 * their own streams; the in-flight limit; state that changes only when the
 * agent says OK; and audit mode. In-flight tests hold answers in the stub
 * until a whole batch has arrived, so concurrency is proven, not timed.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "gate_env.h"
#include "harness.h"
#include "ttrpc.h"
#include "ttrpc.pb-c.h"

static int32_t call_code(struct ttrpc_client *c, const char *method)
{
        struct ttrpc_reply r;
        int32_t code;

        assert_int_equal(ttrpc_client_call(c, AGENT_SERVICE, method, NULL, 0, &r), 0);
        code = r.code;
        ttrpc_reply_done(&r);
        return code;
}

static void test_agent_never_started(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL, *c2 = NULL;

        gate_env_start_gate(e, "integration.yaml", NULL);
        c = gate_env_connect(e);
        assert_int_equal(call_code(c, "GetGuestDetails"), TTRPC_CODE_UNAVAILABLE);
        /* Denials do not need the agent. */
        assert_int_equal(call_code(c, "ExecProcess"), TTRPC_CODE_PERMISSION_DENIED);
        assert_int_equal(call_code(c, "GetGuestDetails"), TTRPC_CODE_UNAVAILABLE);
        assert_true(harness_alive(e->gate));

        gate_env_start_stub(e, NULL);
        /* The same connection, and a new one, are served now. */
        assert_int_equal(call_code(c, "GetGuestDetails"), 0);
        c2 = gate_env_connect(e);
        assert_int_equal(call_code(c2, "GetGuestDetails"), 0);
        assert_int_equal(gate_env_seen(e, "GetGuestDetails", NULL), 2);
        assert_int_equal(gate_env_seen(e, "ExecProcess", NULL), 0);
}

static void test_agent_killed_and_back(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL, *c2 = NULL;

        gate_env_start(e);
        c = gate_env_connect(e);
        assert_int_equal(call_code(c, "GetGuestDetails"), 0);

        gate_env_kill_stub(e);
        assert_int_equal(call_code(c, "GetGuestDetails"), TTRPC_CODE_UNAVAILABLE);
        c2 = gate_env_connect(e);
        assert_int_equal(call_code(c2, "GetGuestDetails"), TTRPC_CODE_UNAVAILABLE);
        assert_int_equal(call_code(c2, "ExecProcess"), TTRPC_CODE_PERMISSION_DENIED);
        assert_true(harness_alive(e->gate));

        gate_env_start_stub(e, NULL);
        assert_int_equal(call_code(c, "GetGuestDetails"), 0);
        assert_int_equal(call_code(c2, "GetGuestDetails"), 0);
}

static void test_agent_killed_with_requests_in_flight(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        bool seen[3] = { false };

        /* The stub holds its answers until 100 requests wait: these 3 never get one. */
        gate_env_start_stub(e, "--batch", "100", NULL);
        gate_env_start_gate(e, "integration.yaml", NULL);
        c = gate_env_connect(e);
        for (uint32_t i = 0; i < 3; i++)
                assert_int_equal(ttrpc_client_send(c, ttrpc_client_new_stream(c), AGENT_SERVICE,
                                                   "GetGuestDetails", NULL, 0), 0);
        assert_int_equal(harness_record_wait(e->record, 3, HARNESS_WAIT_MS), 0);

        gate_env_kill_stub(e);
        for (int k = 0; k < 3; k++) {
                struct ttrpc_reply r;

                assert_int_equal(ttrpc_client_recv(c, &r), 0);
                assert_int_equal(r.code, TTRPC_CODE_UNAVAILABLE);
                assert_true(r.stream_id == 1 || r.stream_id == 3 || r.stream_id == 5);
                assert_false(seen[r.stream_id / 2]);
                seen[r.stream_id / 2] = true;
                ttrpc_reply_done(&r);
        }
        gate_env_start_stub(e, NULL);
        assert_int_equal(call_code(c, "GetGuestDetails"), 0);
}

#define N_CLIENTS 100
#define ROUNDS 3

struct client_job {
        const struct gate_env *e;
        const uint8_t *details; /* the GetGuestDetails answer as the agent gives it */
        size_t details_len;
        unsigned index;
        int result;     /* 0, or the first -errno seen */
        char what[160]; /* and what went wrong, for the report */
};

#define JOB_FAIL(job, fmt, ...)                                                            \
        do {                                                                               \
                snprintf((job)->what, sizeof((job)->what), fmt, ##__VA_ARGS__);            \
                (job)->result = -EBADMSG;                                                  \
                return NULL;                                                               \
        } while (0)

/* No cmocka assertions off the main thread: a job reports what failed instead. */
static void *client_main(void *p)
{
        struct client_job *job = p;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        int r;

        r = ttrpc_client_connect(job->e->host_addr, &c);
        if (r < 0)
                JOB_FAIL(job, "connect: %s", strerror(-r));
        for (unsigned k = 0; k < ROUNDS; k++) {
                Grpc__ReadStreamRequest rs = GRPC__READ_STREAM_REQUEST__INIT;
                Grpc__ReadStreamResponse *resp;
                char exec_id[32], want[64];
                uint8_t req[128];
                struct ttrpc_reply rp;
                size_t n;

                r = ttrpc_client_call(c, AGENT_SERVICE, "GetGuestDetails", NULL, 0, &rp);
                if (r < 0)
                        JOB_FAIL(job, "GetGuestDetails: %s", strerror(-r));
                if (rp.code != 0 || rp.payload_len != job->details_len ||
                    memcmp(rp.payload, job->details, rp.payload_len) != 0) {
                        ttrpc_reply_done(&rp);
                        JOB_FAIL(job, "GetGuestDetails answered %d or changed", rp.code);
                }
                ttrpc_reply_done(&rp);

                r = ttrpc_client_call(c, AGENT_SERVICE, "ExecProcess", NULL, 0, &rp);
                if (r < 0)
                        JOB_FAIL(job, "ExecProcess: %s", strerror(-r));
                if (rp.code != TTRPC_CODE_PERMISSION_DENIED || strcmp(rp.message, MSG_NO_EXEC) != 0) {
                        snprintf(job->what, sizeof(job->what), "ExecProcess: %d %s", rp.code, rp.message);
                        ttrpc_reply_done(&rp);
                        job->result = -EBADMSG;
                        return NULL;
                }
                ttrpc_reply_done(&rp);

                snprintf(exec_id, sizeof(exec_id), "c%u-r%u", job->index, k);
                rs.container_id = (char *)"c1";
                rs.exec_id = exec_id;
                n = grpc__read_stream_request__pack(&rs, req);
                r = ttrpc_client_call(c, AGENT_SERVICE, "ReadStdout", req, n, &rp);
                if (r < 0)
                        JOB_FAIL(job, "ReadStdout: %s", strerror(-r));
                resp = grpc__read_stream_response__unpack(NULL, rp.payload_len, rp.payload);
                snprintf(want, sizeof(want), "stdout-of-%s", exec_id);
                if (rp.code != 0 || !resp || resp->data.len != strlen(want) ||
                    memcmp(resp->data.data, want, resp->data.len) != 0) {
                        if (resp)
                                grpc__read_stream_response__free_unpacked(resp, NULL);
                        ttrpc_reply_done(&rp);
                        JOB_FAIL(job, "ReadStdout %s: wrong answer", exec_id);
                }
                grpc__read_stream_response__free_unpacked(resp, NULL);
                ttrpc_reply_done(&rp);

                r = ttrpc_client_call(c, AGENT_SERVICE, "NoSuchMethod", NULL, 0, &rp);
                if (r < 0)
                        JOB_FAIL(job, "NoSuchMethod: %s", strerror(-r));
                if (rp.code != TTRPC_CODE_PERMISSION_DENIED || strcmp(rp.message, MSG_UNKNOWN_METHOD) != 0) {
                        ttrpc_reply_done(&rp);
                        JOB_FAIL(job, "NoSuchMethod answered %d", rp.code);
                }
                ttrpc_reply_done(&rp);
        }
        return NULL;
}

static void test_concurrent_clients(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *direct = NULL;
        static pthread_t t[N_CLIENTS];
        static struct client_job jobs[N_CLIENTS];
        struct ttrpc_reply details;
        unsigned failed = 0;

        gate_env_start(e);
        direct = gate_env_connect_agent(e);
        assert_int_equal(ttrpc_client_call(direct, AGENT_SERVICE, "GetGuestDetails", NULL, 0, &details), 0);

        for (unsigned i = 0; i < N_CLIENTS; i++) {
                jobs[i] = (struct client_job){
                        .e = e,
                        .details = details.payload,
                        .details_len = details.payload_len,
                        .index = i,
                };
                assert_int_equal(pthread_create(&t[i], NULL, client_main, &jobs[i]), 0);
        }
        for (unsigned i = 0; i < N_CLIENTS; i++)
                assert_int_equal(pthread_join(t[i], NULL), 0);
        for (unsigned i = 0; i < N_CLIENTS; i++)
                if (jobs[i].result < 0) {
                        print_error("client %u: %s\n", i, jobs[i].what);
                        failed++;
                }
        ttrpc_reply_done(&details);
        assert_int_equal(failed, 0);

        assert_int_equal(gate_env_seen(e, "GetGuestDetails", NULL), N_CLIENTS * ROUNDS + 1);
        assert_int_equal(gate_env_seen(e, "ReadStdout", NULL), N_CLIENTS * ROUNDS);
        assert_int_equal(gate_env_seen(e, "ExecProcess", NULL), 0);
        assert_int_equal(gate_env_seen(e, "NoSuchMethod", NULL), 0);
        assert_true(harness_alive(e->gate));
}

#define N_INFLIGHT 128

static void test_many_streams_in_flight(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        static bool seen[4 * N_INFLIGHT];
        uint32_t first = 0;

        /* The stub answers nothing until all N_INFLIGHT reads have reached it,
         * then answers newest first; between them, ExecProcess requests that
         * ccgate answers at once. */
        gate_env_start_stub(e, "--batch", "128", "--reorder", NULL);
        gate_env_start_gate(e, "integration.yaml", NULL);
        c = gate_env_connect(e);
        memset(seen, 0, sizeof(seen));
        for (uint32_t i = 0; i < N_INFLIGHT; i++) {
                uint8_t req[128];
                char exec_id[32];
                size_t n;

                snprintf(exec_id, sizeof(exec_id), "exec-%u", i);
                n = pack_read_stream("c1", exec_id, req, sizeof(req));
                /* Streams 4i+1 read, 4i+3 exec. */
                assert_int_equal(ttrpc_client_send(c, ttrpc_client_new_stream(c), AGENT_SERVICE,
                                                   "ReadStdout", req, n), 0);
                assert_int_equal(ttrpc_client_send(c, ttrpc_client_new_stream(c), AGENT_SERVICE,
                                                   "ExecProcess", NULL, 0), 0);
        }
        for (uint32_t k = 0; k < 2 * N_INFLIGHT; k++) {
                struct ttrpc_reply r;

                assert_int_equal(ttrpc_client_recv(c, &r), 0);
                assert_true(r.stream_id % 2 == 1 && r.stream_id < 4 * N_INFLIGHT);
                assert_false(seen[r.stream_id]);
                seen[r.stream_id] = true;
                if (r.stream_id % 4 == 3) {
                        assert_int_equal(r.code, TTRPC_CODE_PERMISSION_DENIED);
                        assert_string_equal(r.message, MSG_NO_EXEC);
                } else {
                        char data[64], want[64];

                        assert_int_equal(r.code, 0);
                        read_stream_data(&r, data, sizeof(data));
                        snprintf(want, sizeof(want), "stdout-of-exec-%u", r.stream_id / 4);
                        assert_string_equal(data, want);
                        if (first == 0)
                                first = r.stream_id;
                }
                ttrpc_reply_done(&r);
        }
        /* Newest first from the stub, and ccgate kept that order. */
        assert_int_equal(first, 4 * (N_INFLIGHT - 1) + 1);
        assert_int_equal(gate_env_seen(e, "ReadStdout", NULL), N_INFLIGHT);
        assert_int_equal(gate_env_seen(e, "ExecProcess", NULL), 0);
}

static void test_inflight_limit(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        unsigned ok = 0, exhausted = 0;

        /* Four held at the stub fill ccgate's limit; the fifth, sent in the same
         * write, is refused by ccgate before the stub can answer any. */
        gate_env_start_stub(e, "--batch", "4", NULL);
        gate_env_start_gate(e, "integration.yaml", "--max-inflight", "4", NULL);
        c = gate_env_connect(e);
        {
                uint8_t burst[5 * 64];
                size_t len = 0;

                for (int i = 0; i < 5; i++) {
                        Ttrpc__Request req = TTRPC__REQUEST__INIT;
                        uint8_t env[64];
                        size_t n;

                        req.service = (char *)AGENT_SERVICE;
                        req.method = (char *)"GetGuestDetails";
                        n = ttrpc__request__pack(&req, env);
                        len += make_frame(burst + len, sizeof(burst) - len, ttrpc_client_new_stream(c),
                                          TTRPC_TYPE_REQUEST, 0, env, n);
                }
                assert_int_equal(ttrpc_client_send_raw(c, burst, len), 0);
        }
        for (int k = 0; k < 5; k++) {
                struct ttrpc_reply r;

                assert_int_equal(ttrpc_client_recv(c, &r), 0);
                if (r.code == 0)
                        ok++;
                else if (r.code == TTRPC_CODE_RESOURCE_EXHAUSTED)
                        exhausted++;
                else
                        fail_msg("stream %u: code %d %s", r.stream_id, r.code, r.message);
                ttrpc_reply_done(&r);
        }
        assert_int_equal(ok, 4);
        assert_int_equal(exhausted, 1);
        assert_int_equal(gate_env_seen(e, "GetGuestDetails", NULL), 4);
}

static void test_state_changes_only_on_ok(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        struct ttrpc_reply r;

        gate_env_start_stub(e, "--fail", "CreateSandbox", NULL);
        gate_env_start_gate(e, "integration.yaml", NULL);
        c = gate_env_connect(e);

        /* The agent's failure reaches the host as the agent said it. */
        assert_int_equal(ttrpc_client_call(c, AGENT_SERVICE, "CreateSandbox", NULL, 0, &r), 0);
        assert_int_equal(r.code, TTRPC_CODE_INTERNAL);
        assert_string_equal(r.message, "stub agent: CreateSandbox fails as asked (--fail)");
        ttrpc_reply_done(&r);
        /* Not created: it may be tried again. */
        assert_int_equal(call_code(c, "CreateSandbox"), TTRPC_CODE_INTERNAL);
        assert_int_equal(gate_env_seen(e, "CreateSandbox", NULL), 2);

        gate_env_kill_stub(e);
        gate_env_start_stub(e, NULL);
        assert_int_equal(call_code(c, "CreateSandbox"), 0);
        /* Created once per VM: on this connection and on any other. */
        assert_int_equal(ttrpc_client_call(c, AGENT_SERVICE, "CreateSandbox", NULL, 0, &r), 0);
        assert_int_equal(r.code, TTRPC_CODE_PERMISSION_DENIED);
        assert_string_equal(r.message, "CreateSandboxRequest is blocked by policy: sandbox-once: "
                                       "the sandbox was already created; it is created once per VM");
        ttrpc_reply_done(&r);
        {
                _cleanup_ttrpc_client_ struct ttrpc_client *c2 = gate_env_connect(e);

                assert_int_equal(call_code(c2, "CreateSandbox"), TTRPC_CODE_PERMISSION_DENIED);
                gate_env_barrier(c2);
        }
        gate_env_barrier(c);
        assert_int_equal(gate_env_seen(e, "CreateSandbox", NULL), 3);
}

/* Receive one answer on c and check its stream and code. */
static void expect_answer(struct ttrpc_client *c, uint32_t stream_id, int32_t code)
{
        struct ttrpc_reply r;

        assert_int_equal(ttrpc_client_recv(c, &r), 0);
        assert_int_equal(r.stream_id, stream_id);
        assert_int_equal(r.code, code);
        ttrpc_reply_done(&r);
}

/*
 * What a forwarded CreateSandbox would create is held until the agent answers:
 * a concurrent one is refused without reaching the agent; an error answer, or
 * an agent that dies with it in flight, lets the hold go.
 */
static void test_create_held_while_in_flight(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL, *c2 = NULL;
        struct ttrpc_reply r;
        uint32_t s1, s2;
        long lines;

        /* Answers wait until two requests are in flight on a connection. */
        gate_env_start_stub(e, "--batch", "2", "--fail", "CreateSandbox", NULL);
        gate_env_start_gate(e, "integration.yaml", NULL);
        c = gate_env_connect(e);
        c2 = gate_env_connect(e);
        lines = harness_record_lines(e->record);
        s1 = ttrpc_client_new_stream(c);
        assert_int_equal(ttrpc_client_send(c, s1, AGENT_SERVICE, "CreateSandbox", NULL, 0), 0);
        assert_int_equal(harness_record_wait(e->record, lines + 1, HARNESS_WAIT_MS), 0);

        assert_int_equal(ttrpc_client_call(c2, AGENT_SERVICE, "CreateSandbox", NULL, 0, &r), 0);
        assert_int_equal(r.code, TTRPC_CODE_PERMISSION_DENIED);
        assert_string_equal(r.message, "CreateSandboxRequest is blocked by policy: sandbox-once: "
                                       "the sandbox was already created; it is created once per VM");
        ttrpc_reply_done(&r);
        assert_int_equal(gate_env_seen(e, "CreateSandbox", NULL), 1);

        /* A second request releases the batch; the agent fails the CreateSandbox. */
        s2 = ttrpc_client_new_stream(c);
        assert_int_equal(ttrpc_client_send(c, s2, AGENT_SERVICE, "GetGuestDetails", NULL, 0), 0);
        expect_answer(c, s1, TTRPC_CODE_INTERNAL);
        expect_answer(c, s2, TTRPC_CODE_OK);

        /* Nothing was created: the next one is forwarded, and held again... */
        gate_env_kill_stub(e);
        gate_env_start_stub(e, "--batch", "100", NULL);
        lines = harness_record_lines(e->record);
        s1 = ttrpc_client_new_stream(c);
        assert_int_equal(ttrpc_client_send(c, s1, AGENT_SERVICE, "CreateSandbox", NULL, 0), 0);
        assert_int_equal(harness_record_wait(e->record, lines + 1, HARNESS_WAIT_MS), 0);
        assert_int_equal(call_code(c2, "CreateSandbox"), TTRPC_CODE_PERMISSION_DENIED);
        /* ...until the agent dies with it in flight. */
        gate_env_kill_stub(e);
        expect_answer(c, s1, TTRPC_CODE_UNAVAILABLE);

        gate_env_start_stub(e, NULL);
        assert_int_equal(call_code(c2, "CreateSandbox"), TTRPC_CODE_OK);
        assert_int_equal(call_code(c2, "CreateSandbox"), TTRPC_CODE_PERMISSION_DENIED);
        gate_env_barrier(c2);
        assert_int_equal(gate_env_seen(e, "CreateSandbox", NULL), 3);
}

static void test_audit_mode_forwards(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        uint8_t buf[512];
        struct ttrpc_reply r;
        size_t n;

        gate_env_start_stub(e, NULL);
        gate_env_start_gate(e, "audit-mode.yaml", NULL);
        c = gate_env_connect(e);
        /* What enforce mode would deny goes through, and is on record... */
        n = pack_exec_process("c1", "e1", buf, sizeof(buf));
        assert_int_equal(ttrpc_client_call(c, AGENT_SERVICE, "ExecProcess", buf, n, &r), 0);
        assert_int_equal(r.code, 0);
        ttrpc_reply_done(&r);
        assert_int_equal(gate_env_seen(e, "ExecProcess", NULL), 1);
        /* ...but what cannot be decided at all still stops. */
        gate_env_expect_denied(e, c, AGENT_SERVICE, "NoSuchMethod", NULL, 0, MSG_UNKNOWN_METHOD);
        gate_env_expect_denied(e, c, AGENT_SERVICE, "GetGuestDetails",
                               (const uint8_t *)"\x08\x01\x98\x06\x01", 5,
                               "GuestDetailsRequest is blocked by policy: unknown-field: "
                               "the request carries fields the agent API schema does not know");
}

static void test_audit_log_has_every_decision(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        _cleanup_free_ char *text = NULL;
        long lines = 0;
        ssize_t n;

        gate_env_start(e);
        c = gate_env_connect(e);
        assert_int_equal(call_code(c, "GetGuestDetails"), 0);
        assert_int_equal(call_code(c, "ExecProcess"), TTRPC_CODE_PERMISSION_DENIED);
        assert_int_equal(call_code(c, "NoSuchMethod"), TTRPC_CODE_PERMISSION_DENIED);
        assert_int_equal(call_code(c, "CreateContainer"), TTRPC_CODE_PERMISSION_DENIED);

        /* Records are written before the answer: all four are there now. */
        n = harness_read_file(e->audit, &text);
        assert_true(n > 0);
        for (ssize_t i = 0; i < n; i++)
                lines += text[i] == '\n';
        print_message("audit log: %ld lines for 4 decisions\n", lines);
        assert_true(lines >= 4);
        assert_non_null(strstr(text, "no-exec"));
        assert_non_null(strstr(text, "unknown-method"));
        assert_non_null(strstr(text, "default-deny"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, gate_env_setup, gate_env_teardown)
        const struct CMUnitTest tests[] = {
                T(test_agent_never_started),
                T(test_agent_killed_and_back),
                T(test_agent_killed_with_requests_in_flight),
                T(test_concurrent_clients),
                T(test_many_streams_in_flight),
                T(test_inflight_limit),
                T(test_state_changes_only_on_ok),
                T(test_create_held_while_in_flight),
                T(test_audit_mode_forwards),
                T(test_audit_log_has_every_decision),
        };
#undef T

        /* A client whose connection ccgate closes must not kill the test. */
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
