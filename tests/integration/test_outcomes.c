/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What became of each request, as the audit log tells it, against what the
 * host received: ccgate between the test client and the recording stub agent
 * (real processes, real unix sockets) when the agent is killed with requests
 * in flight, when the in-flight table is full, when the agent is not there,
 * when the host's connection goes, and when ccgate stops with requests in
 * flight. For every request frame the log must hold exactly one decision
 * record; for every one forwarded exactly one outcome record, whose code is
 * the code the host got (or none when the host got nothing); refusals have no
 * outcome; and `ccgate audit verify --closed` passes.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "gate_env.h"
#include "harness.h"
#include "ttrpc.h"
#include "ttrpc.pb-c.h"

#define MAX_REQUESTS 16

/* What the host sent and got, one entry per request frame. */
struct sent {
        uint32_t stream;
        bool answered;  /* the host got an answer */
        int32_t code;
};

struct host {
        struct sent req[MAX_REQUESTS];
        size_t n;
};

static struct sent *sent_find(struct host *h, uint32_t stream)
{
        for (size_t i = 0; i < h->n; i++)
                if (h->req[i].stream == stream)
                        return &h->req[i];
        fail_msg("an answer on stream %u, which was not asked", stream);
        return NULL;
}

static uint32_t send_request(struct host *h, struct ttrpc_client *c, const char *method)
{
        uint32_t sid = ttrpc_client_new_stream(c);

        assert_true(h->n < MAX_REQUESTS);
        assert_int_equal(ttrpc_client_send(c, sid, AGENT_SERVICE, method, NULL, 0), 0);
        h->req[h->n++] = (struct sent){ .stream = sid };
        return sid;
}

/* Receive n answers, in whatever order they come. */
static void receive(struct host *h, struct ttrpc_client *c, size_t n)
{
        for (size_t k = 0; k < n; k++) {
                struct ttrpc_reply r;
                struct sent *s;

                assert_int_equal(ttrpc_client_recv(c, &r), 0);
                s = sent_find(h, r.stream_id);
                assert_false(s->answered);
                s->answered = true;
                s->code = r.code;
                ttrpc_reply_done(&r);
        }
}

/* Stop ccgate cleanly; then the log must verify, closed. */
static void stop_gate(struct gate_env *e)
{
        int status = harness_stop(&e->gate, SIGTERM);

        assert_true(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_int_equal(gate_env_audit_verify(e), 0);
}

/*
 * The audit log's account of the host's requests, all on one connection (the
 * only one that sent any). Each expectation: the rule of its decision, whether
 * it was forwarded, and for those the outcome and why; the code is always the
 * host's.
 */
struct expect {
        const char *rule;
        bool forwarded;
        const char *outcome, *why;
};

static void expect_log(struct gate_env *e, const struct host *h, const struct expect *want)
{
        _cleanup_free_ struct gate_env_request *reqs = NULL;
        size_t n = 0;
        int64_t conn;
        char why[512];

        if (gate_env_audit_requests(e, &reqs, &n, why, sizeof(why)) < 0)
                fail_msg("audit log: %s", why);
        /* One decision record per request frame, and no other. */
        assert_int_equal(n, h->n);
        conn = reqs[0].conn;
        for (size_t i = 0; i < n; i++)
                assert_int_equal(reqs[i].conn, conn);
        for (size_t i = 0; i < h->n; i++) {
                const struct sent *s = &h->req[i];
                const struct gate_env_request *q = gate_env_request_find(reqs, n, conn, s->stream);

                if (!q)
                        fail_msg("stream %u: no decision record", s->stream);
                assert_string_equal(q->rule, want[i].rule);
                assert_int_equal(q->forwarded, want[i].forwarded);
                if (!want[i].forwarded) {
                        /* Refused: answered by ccgate itself, and nothing more to record. */
                        assert_int_equal(q->outcomes, 0);
                        assert_true(s->answered);
                        continue;
                }
                assert_int_equal(q->outcomes, 1);
                assert_string_equal(q->outcome, want[i].outcome);
                assert_string_equal(q->why, want[i].why ? want[i].why : "");
                /* The code on record is the code the host got, or none when it got nothing. */
                assert_int_equal(q->has_code, s->answered);
                if (s->answered)
                        assert_int_equal(q->code, s->code);
        }
}

#define ALLOWED "requests.GuestDetailsRequest"

static void test_agent_killed_in_flight(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        struct host h = { .n = 0 };

        /* The stub holds its answers until 100 requests wait: these 3 never get one. */
        gate_env_start_stub(e, "--batch", "100", NULL);
        gate_env_start_gate(e, "integration.yaml", NULL);
        c = gate_env_connect(e);
        for (int i = 0; i < 3; i++)
                send_request(&h, c, "GetGuestDetails");
        send_request(&h, c, "ExecProcess"); /* denied: answered at once */
        assert_int_equal(harness_record_wait(e->record, 3, HARNESS_WAIT_MS), 0);
        receive(&h, c, 1);

        gate_env_kill_stub(e);
        receive(&h, c, 3);
        for (int i = 0; i < 3; i++)
                assert_int_equal(h.req[i].code, TTRPC_CODE_UNAVAILABLE);
        assert_int_equal(h.req[3].code, TTRPC_CODE_PERMISSION_DENIED);

        /* Back: served again, on the same connection. */
        gate_env_start_stub(e, NULL);
        send_request(&h, c, "GetGuestDetails");
        receive(&h, c, 1);
        assert_int_equal(h.req[4].code, 0);
        ttrpc_client_free(TAKE_PTR(c));

        stop_gate(e);
        expect_log(e, &h, (const struct expect[]){
                                     { ALLOWED, true, "abandoned", "agent-lost" },
                                     { ALLOWED, true, "abandoned", "agent-lost" },
                                     { ALLOWED, true, "abandoned", "agent-lost" },
                                     { "no-exec", false, NULL, NULL },
                                     { ALLOWED, true, "answered", NULL },
                             });
}

static void test_inflight_table_full(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        struct host h = { .n = 0 };
        uint8_t burst[5 * 64];
        size_t len = 0;

        /* Four held at the stub fill ccgate's table for the connection; the fifth,
         * in the same write, finds it full before the stub can answer any. */
        gate_env_start_stub(e, "--batch", "4", NULL);
        gate_env_start_gate(e, "integration.yaml", "--max-inflight", "4", NULL);
        c = gate_env_connect(e);
        for (int i = 0; i < 5; i++) {
                Ttrpc__Request req = TTRPC__REQUEST__INIT;
                uint8_t env[64];
                uint32_t sid = ttrpc_client_new_stream(c);
                size_t n;

                req.service = (char *)AGENT_SERVICE;
                req.method = (char *)"GetGuestDetails";
                n = ttrpc__request__pack(&req, env);
                len += make_frame(burst + len, sizeof(burst) - len, sid, TTRPC_TYPE_REQUEST, 0,
                                  env, n);
                h.req[h.n++] = (struct sent){ .stream = sid };
        }
        assert_int_equal(ttrpc_client_send_raw(c, burst, len), 0);
        receive(&h, c, 5);
        for (int i = 0; i < 4; i++)
                assert_int_equal(h.req[i].code, 0);
        assert_int_equal(h.req[4].code, TTRPC_CODE_RESOURCE_EXHAUSTED);
        assert_int_equal(gate_env_seen(e, "GetGuestDetails", NULL), 4);
        ttrpc_client_free(TAKE_PTR(c));

        stop_gate(e);
        expect_log(e, &h, (const struct expect[]){
                                     { ALLOWED, true, "answered", NULL },
                                     { ALLOWED, true, "answered", NULL },
                                     { ALLOWED, true, "answered", NULL },
                                     { ALLOWED, true, "answered", NULL },
                                     { "capacity", false, NULL, NULL },
                             });
}

static void test_agent_not_there(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        struct host h = { .n = 0 };

        gate_env_start_gate(e, "integration.yaml", NULL);
        c = gate_env_connect(e);
        send_request(&h, c, "GetGuestDetails");
        receive(&h, c, 1);
        assert_int_equal(h.req[0].code, TTRPC_CODE_UNAVAILABLE);
        ttrpc_client_free(TAKE_PTR(c));

        stop_gate(e);
        expect_log(e, &h, (const struct expect[]){
                                     { ALLOWED, true, "not-forwarded", "agent-unavailable" },
                             });
}

static void test_host_gone_in_flight(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL, *other = NULL;
        struct host h = { .n = 0 };
        uint8_t data[TTRPC_HEADER_SIZE];

        gate_env_start_stub(e, "--batch", "100", NULL);
        gate_env_start_gate(e, "integration.yaml", "--frame-timeout", "1", NULL);
        c = gate_env_connect(e);
        send_request(&h, c, "GetGuestDetails");
        send_request(&h, c, "GetGuestDetails");
        assert_int_equal(harness_record_wait(e->record, 2, HARNESS_WAIT_MS), 0);
        /* A data frame: the host breaks the protocol. ccgate reads nothing more
         * and waits for the answers due (the agent holds them), at most the
         * frame timeout, then closes the connection. */
        make_frame(data, sizeof(data), ttrpc_client_new_stream(c), TTRPC_TYPE_DATA, 0, NULL, 0);
        assert_int_equal(ttrpc_client_send_raw(c, data, sizeof(data)), 0);
        assert_int_equal(ttrpc_client_wait_closed(c), 0);
        /* It goes on serving others. */
        other = gate_env_connect(e);
        assert_true(harness_alive(e->gate));
        ttrpc_client_free(TAKE_PTR(c));
        ttrpc_client_free(TAKE_PTR(other));

        stop_gate(e);
        expect_log(e, &h, (const struct expect[]){
                                     { ALLOWED, true, "abandoned", "host-closed" },
                                     { ALLOWED, true, "abandoned", "host-closed" },
                             });
}

static void test_stop_in_flight(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        struct host h = { .n = 0 };

        gate_env_start_stub(e, "--batch", "100", NULL);
        gate_env_start_gate(e, "integration.yaml", NULL);
        c = gate_env_connect(e);
        send_request(&h, c, "GetGuestDetails");
        send_request(&h, c, "GetGuestDetails");
        assert_int_equal(harness_record_wait(e->record, 2, HARNESS_WAIT_MS), 0);

        /* Told before the connection closes, and recorded before the stop record. */
        stop_gate(e);
        receive(&h, c, 2);
        assert_int_equal(h.req[0].code, TTRPC_CODE_UNAVAILABLE);
        assert_int_equal(h.req[1].code, TTRPC_CODE_UNAVAILABLE);
        expect_log(e, &h, (const struct expect[]){
                                     { ALLOWED, true, "abandoned", "stopping" },
                                     { ALLOWED, true, "abandoned", "stopping" },
                             });
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, gate_env_setup, gate_env_teardown)
        const struct CMUnitTest tests[] = {
                T(test_agent_killed_in_flight),
                T(test_inflight_table_full),
                T(test_agent_not_there),
                T(test_host_gone_in_flight),
                T(test_stop_in_flight),
        };

        /* A client whose connection ccgate closes must not kill the test. */
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests_name("integration-outcomes", tests, NULL, NULL);
}
