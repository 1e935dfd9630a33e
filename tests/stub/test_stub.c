/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The stub agent checked on its own, through the test client and no ccgate:
 * every method answered, the record, failure injection, pipelining with
 * answers held in flight and reordered, 100 concurrent clients, a malformed
 * frame, and an orderly stop. The integration tests rely on all of this.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.pb-c.h"
#include "agent_api.h"
#include "harness.h"
#include "health.pb-c.h"
#include "ttrpc.h"
#include "ttrpc_client.h"

#define AGENT "grpc.AgentService"

struct env {
        char *dir;
        char sock[PATH_MAX];
        char address[PATH_MAX + 8];
        char record[PATH_MAX];
        char log[PATH_MAX];
        pid_t stub;
};

static const char *stub_path(void)
{
        const char *p = getenv("STUB_AGENT");

        return p && *p ? p : "./stub_agent";
}

static int setup(void **state)
{
        struct env *e = calloc(1, sizeof(*e));

        if (!e || harness_tmpdir("ccgate-stub", &e->dir) < 0)
                return -1;
        snprintf(e->sock, sizeof(e->sock), "%s/agent.sock", e->dir);
        snprintf(e->address, sizeof(e->address), "unix:%s", e->sock);
        snprintf(e->record, sizeof(e->record), "%s/record", e->dir);
        snprintf(e->log, sizeof(e->log), "%s/stub.log", e->dir);
        *state = e;
        return 0;
}

static int teardown(void **state)
{
        struct env *e = *state;

        harness_stop(&e->stub, SIGKILL);
        harness_rm_rf(e->dir);
        free(e->dir);
        free(e);
        return 0;
}

/* Start the stub with --listen and --record plus the NULL-terminated extra options. */
static void start_stub(struct env *e, ...)
{
        char *argv[32];
        size_t n = 0;
        va_list ap;
        char *a;

        argv[n++] = (char *)stub_path();
        argv[n++] = (char *)"--listen";
        argv[n++] = e->address;
        argv[n++] = (char *)"--record";
        argv[n++] = e->record;
        va_start(ap, e);
        while ((a = va_arg(ap, char *)) && n < ELEMENTSOF(argv) - 1)
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;

        assert_int_equal(harness_spawn(argv, e->log, &e->stub), 0);
        assert_int_equal(harness_wait_listening(e->sock, e->stub, HARNESS_WAIT_MS), 0);
}

static struct ttrpc_client *connect_stub(const struct env *e)
{
        struct ttrpc_client *c = NULL;

        assert_int_equal(ttrpc_client_connect(e->address, &c), 0);
        return c;
}

static size_t pack_read_stream(const char *exec_id, uint8_t *buf, size_t cap)
{
        Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;

        req.container_id = (char *)"c1";
        req.exec_id = (char *)exec_id;
        assert_true(grpc__read_stream_request__get_packed_size(&req) <= cap);
        return grpc__read_stream_request__pack(&req, buf);
}

/* The data of a ReadStreamResponse payload, NUL-terminated into out. */
static void read_stream_data(const struct ttrpc_reply *r, char *out, size_t cap)
{
        Grpc__ReadStreamResponse *resp;

        resp = grpc__read_stream_response__unpack(NULL, r->payload_len, r->payload);
        assert_non_null(resp);
        assert_true(resp->data.len < cap);
        memcpy(out, resp->data.data, resp->data.len);
        out[resp->data.len] = '\0';
        grpc__read_stream_response__free_unpacked(resp, NULL);
}

static void test_every_method_answered(void **state)
{
        struct env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;

        start_stub(e, NULL);
        c = connect_stub(e);
        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                const struct agent_method *m = agent_method_get(id);
                struct ttrpc_reply r;
                char name[256];

                assert_non_null(m);
                assert_int_equal(ttrpc_client_call(c, m->service, m->method, NULL, 0, &r), 0);
                assert_int_equal(r.code, 0);
                assert_string_equal(r.message, "");
                snprintf(name, sizeof(name), "%s/%s", m->service, m->method);
                assert_int_equal(harness_record_count(e->record, name, NULL), 1);
                ttrpc_reply_done(&r);
        }
        assert_int_equal(harness_record_lines(e->record), _AGENT_METHOD_MAX);
}

static void test_payloads(void **state)
{
        struct env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        struct ttrpc_reply r;
        uint8_t req[128];
        char data[256];
        size_t n;

        start_stub(e, "--exit-status", "3", NULL);
        c = connect_stub(e);

        n = pack_read_stream("exec-7", req, sizeof(req));
        assert_int_equal(ttrpc_client_call(c, AGENT, "ReadStdout", req, n, &r), 0);
        read_stream_data(&r, data, sizeof(data));
        assert_string_equal(data, "stdout-of-exec-7");
        ttrpc_reply_done(&r);
        assert_int_equal(ttrpc_client_call(c, AGENT, "ReadStderr", req, n, &r), 0);
        read_stream_data(&r, data, sizeof(data));
        assert_string_equal(data, "stderr-of-exec-7");
        ttrpc_reply_done(&r);

        assert_int_equal(ttrpc_client_call(c, AGENT, "GetGuestDetails", NULL, 0, &r), 0);
        {
                Grpc__GuestDetailsResponse *g;

                g = grpc__guest_details_response__unpack(NULL, r.payload_len, r.payload);
                assert_non_null(g);
                assert_int_equal(g->mem_block_size_bytes, 128u << 20);
                assert_non_null(g->agent_details);
                assert_string_equal(g->agent_details->version, "stub-agent 0.1");
                grpc__guest_details_response__free_unpacked(g, NULL);
        }
        ttrpc_reply_done(&r);

        assert_int_equal(ttrpc_client_call(c, AGENT, "WaitProcess", NULL, 0, &r), 0);
        {
                Grpc__WaitProcessResponse *w;

                w = grpc__wait_process_response__unpack(NULL, r.payload_len, r.payload);
                assert_non_null(w);
                assert_int_equal(w->status, 3);
                grpc__wait_process_response__free_unpacked(w, NULL);
        }
        ttrpc_reply_done(&r);

        assert_int_equal(ttrpc_client_call(c, "grpc.Health", "Check", NULL, 0, &r), 0);
        {
                Grpc__HealthCheckResponse *h;

                h = grpc__health_check_response__unpack(NULL, r.payload_len, r.payload);
                assert_non_null(h);
                assert_int_equal(h->status, GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
                grpc__health_check_response__free_unpacked(h, NULL);
        }
        ttrpc_reply_done(&r);
}

static void test_record_lines(void **state)
{
        struct env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        _cleanup_free_ char *text = NULL;
        const uint8_t payload[] = { 0x08, 0x01 }; /* GuestDetailsRequest{mem_block_size: true} */
        /* Stream 45: Request{service: AGENT, method: "GetGuestDetails\0"}. */
        static const uint8_t nul_name_frame[] = "\0\0\0\x25\0\0\0\x2d\x01\0"
                                                "\x0a\x11grpc.AgentService"
                                                "\x12\x10GetGuestDetails\0";
        char sha[65], expect[512];
        struct ttrpc_reply r;

        start_stub(e, NULL);
        c = connect_stub(e);
        assert_int_equal(ttrpc_client_send(c, 41, AGENT, "GetGuestDetails", payload, sizeof(payload)), 0);
        assert_int_equal(ttrpc_client_recv(c, &r), 0);
        assert_int_equal(r.stream_id, 41);
        ttrpc_reply_done(&r);

        /* Unknown methods reach a real agent too: recorded, answered UNIMPLEMENTED. */
        assert_int_equal(ttrpc_client_send(c, 43, AGENT, "NoSuchMethod", NULL, 0), 0);
        assert_int_equal(ttrpc_client_recv(c, &r), 0);
        assert_int_equal(r.code, 12);
        ttrpc_reply_done(&r);

        /* Names are recorded from the envelope's bytes: an embedded NUL shows. */
        assert_int_equal(ttrpc_client_send_raw(c, nul_name_frame, sizeof(nul_name_frame) - 1), 0);
        assert_int_equal(ttrpc_client_recv(c, &r), 0);
        assert_int_equal(r.code, 12);
        ttrpc_reply_done(&r);

        assert_true(harness_read_file(e->record, &text) > 0);
        harness_sha256_hex(payload, sizeof(payload), sha);
        snprintf(expect, sizeof(expect), "41 %s/GetGuestDetails %s\n", AGENT, sha);
        harness_sha256_hex("", 0, sha);
        snprintf(expect + strlen(expect), sizeof(expect) - strlen(expect),
                 "43 %s/NoSuchMethod %s\n45 %s/GetGuestDetails\\x00 %s\n", AGENT, sha, AGENT, sha);
        assert_string_equal(text, expect);
}

static void test_fail(void **state)
{
        struct env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        struct ttrpc_reply r;

        start_stub(e, "--fail", "CreateSandbox", "--fail", "grpc.AgentService/StartContainer=9", NULL);
        c = connect_stub(e);
        assert_int_equal(ttrpc_client_call(c, AGENT, "CreateSandbox", NULL, 0, &r), 0);
        assert_int_equal(r.code, 13);
        assert_non_null(strstr(r.message, "CreateSandbox"));
        ttrpc_reply_done(&r);
        assert_int_equal(ttrpc_client_call(c, AGENT, "StartContainer", NULL, 0, &r), 0);
        assert_int_equal(r.code, 9);
        ttrpc_reply_done(&r);
        assert_int_equal(ttrpc_client_call(c, AGENT, "RemoveContainer", NULL, 0, &r), 0);
        assert_int_equal(r.code, 0);
        ttrpc_reply_done(&r);
}

#define N_INFLIGHT 200

/* Send n ReadStdout requests on streams 1, 3, ... with exec ids "exec-<i>". */
static void send_read_burst(struct ttrpc_client *c, uint32_t n)
{
        for (uint32_t i = 0; i < n; i++) {
                uint8_t req[128];
                char exec_id[32];
                size_t len;

                snprintf(exec_id, sizeof(exec_id), "exec-%u", i);
                len = pack_read_stream(exec_id, req, sizeof(req));
                assert_int_equal(ttrpc_client_send(c, 2 * i + 1, AGENT, "ReadStdout", req, len), 0);
        }
}

/* Receive one answer of such a burst, check it belongs to its stream, return its index. */
static uint32_t recv_read_answer(struct ttrpc_client *c, uint32_t n, bool *seen)
{
        struct ttrpc_reply r;
        char data[64], expect[64];
        uint32_t i;

        assert_int_equal(ttrpc_client_recv(c, &r), 0);
        assert_int_equal(r.code, 0);
        assert_true(r.stream_id % 2 == 1 && r.stream_id < 2 * n);
        i = r.stream_id / 2;
        assert_false(seen[i]);
        seen[i] = true;
        read_stream_data(&r, data, sizeof(data));
        snprintf(expect, sizeof(expect), "stdout-of-exec-%u", i);
        assert_string_equal(data, expect);
        ttrpc_reply_done(&r);
        return i;
}

static void test_batch_reorder(void **state)
{
        struct env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        bool seen[N_INFLIGHT] = { false };

        /* Nothing is answered before all N_INFLIGHT have arrived; then newest
         * first, so only stream ids can tell the answers apart. */
        start_stub(e, "--batch", "200", "--reorder", NULL);
        c = connect_stub(e);
        send_read_burst(c, N_INFLIGHT);
        for (uint32_t k = 0; k < N_INFLIGHT; k++)
                assert_int_equal(recv_read_answer(c, N_INFLIGHT, seen), N_INFLIGHT - 1 - k);
        assert_int_equal(harness_record_count(e->record, AGENT "/ReadStdout", NULL), N_INFLIGHT);
}

static void test_batches_in_turn(void **state)
{
        struct env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        bool seen[10] = { false };
        const uint32_t order[10] = { 4, 3, 2, 1, 0, 9, 8, 7, 6, 5 };

        start_stub(e, "--batch", "5", "--reorder", NULL);
        c = connect_stub(e);
        send_read_burst(c, 10);
        for (uint32_t k = 0; k < 10; k++)
                assert_int_equal(recv_read_answer(c, 10, seen), order[k]);
}

static void test_delay_in_flight(void **state)
{
        struct env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        bool seen[N_INFLIGHT] = { false };

        /* Held by a delay instead: all answered, each on its own stream; the
         * order depends on the clock, so it is not checked. */
        start_stub(e, "--delay-ms", "200", "--reorder", NULL);
        c = connect_stub(e);
        send_read_burst(c, N_INFLIGHT);
        for (uint32_t k = 0; k < N_INFLIGHT; k++)
                (void)recv_read_answer(c, N_INFLIGHT, seen);
        assert_int_equal(harness_record_count(e->record, AGENT "/ReadStdout", NULL), N_INFLIGHT);
}

#define N_CLIENTS 100
#define CALLS_PER_CLIENT 10

struct client_job {
        const struct env *e;
        unsigned index;
        int result; /* 0, or the first -errno or bad code seen */
};

static void *client_main(void *p)
{
        struct client_job *job = p;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;

        job->result = ttrpc_client_connect(job->e->address, &c);
        if (job->result < 0)
                return NULL;
        for (unsigned k = 0; k < CALLS_PER_CLIENT; k++) {
                uint8_t req[128];
                char exec_id[32], data[64];
                struct ttrpc_reply r;
                size_t n;
                int k2;

                Grpc__ReadStreamRequest rs = GRPC__READ_STREAM_REQUEST__INIT;
                Grpc__ReadStreamResponse *resp;

                /* No cmocka assertions off the main thread: record the failure instead. */
                snprintf(exec_id, sizeof(exec_id), "c%u-k%u", job->index, k);
                rs.exec_id = exec_id;
                n = grpc__read_stream_request__pack(&rs, req);
                k2 = ttrpc_client_call(c, AGENT, "ReadStdout", req, n, &r);
                if (k2 < 0) {
                        job->result = k2;
                        return NULL;
                }
                resp = grpc__read_stream_response__unpack(NULL, r.payload_len, r.payload);
                snprintf(data, sizeof(data), "%.*s", resp ? (int)resp->data.len : 0,
                         resp ? (const char *)resp->data.data : "");
                if (resp)
                        grpc__read_stream_response__free_unpacked(resp, NULL);
                if (r.code != 0 || strncmp(data, "stdout-of-", 10) != 0 ||
                    strcmp(data + 10, exec_id) != 0)
                        job->result = -EBADMSG;
                ttrpc_reply_done(&r);
                if (job->result < 0)
                        return NULL;
        }
        return NULL;
}

static void test_concurrent_clients(void **state)
{
        struct env *e = *state;
        pthread_t t[N_CLIENTS];
        struct client_job jobs[N_CLIENTS];

        start_stub(e, NULL);
        for (unsigned i = 0; i < N_CLIENTS; i++) {
                jobs[i] = (struct client_job){ .e = e, .index = i };
                assert_int_equal(pthread_create(&t[i], NULL, client_main, &jobs[i]), 0);
        }
        for (unsigned i = 0; i < N_CLIENTS; i++)
                assert_int_equal(pthread_join(t[i], NULL), 0);
        for (unsigned i = 0; i < N_CLIENTS; i++)
                assert_int_equal(jobs[i].result, 0);
        assert_int_equal(harness_record_lines(e->record), N_CLIENTS * CALLS_PER_CLIENT);
}

static void test_oversized_frame_closes_one_connection(void **state)
{
        struct env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *good = NULL, *bad = NULL;
        const uint8_t header[TTRPC_HEADER_SIZE] = { 0x00, 0x40, 0x00, 0x01, 0, 0, 0, 1, 1, 0 };
        struct ttrpc_reply r;

        start_stub(e, NULL);
        good = connect_stub(e);
        bad = connect_stub(e);
        assert_int_equal(ttrpc_client_send_raw(bad, header, sizeof(header)), 0);
        assert_int_equal(ttrpc_client_wait_closed(bad), 0);
        assert_int_equal(ttrpc_client_call(good, AGENT, "GetGuestDetails", NULL, 0, &r), 0);
        assert_int_equal(r.code, 0);
        ttrpc_reply_done(&r);
        assert_true(harness_alive(e->stub));
}

static void test_sigterm(void **state)
{
        struct env *e = *state;
        struct stat st;
        int status;

        start_stub(e, NULL);
        status = harness_stop(&e->stub, SIGTERM);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_int_equal(stat(e->sock, &st), -1);
}

static void test_restart_on_stale_socket(void **state)
{
        struct env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        struct ttrpc_reply r;

        /* Killed outright, the stub leaves its socket behind; a new one takes over. */
        start_stub(e, NULL);
        harness_stop(&e->stub, SIGKILL);
        start_stub(e, NULL);
        c = connect_stub(e);
        assert_int_equal(ttrpc_client_call(c, AGENT, "GetGuestDetails", NULL, 0, &r), 0);
        assert_int_equal(r.code, 0);
        ttrpc_reply_done(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_every_method_answered, setup, teardown),
                cmocka_unit_test_setup_teardown(test_payloads, setup, teardown),
                cmocka_unit_test_setup_teardown(test_record_lines, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fail, setup, teardown),
                cmocka_unit_test_setup_teardown(test_batch_reorder, setup, teardown),
                cmocka_unit_test_setup_teardown(test_batches_in_turn, setup, teardown),
                cmocka_unit_test_setup_teardown(test_delay_in_flight, setup, teardown),
                cmocka_unit_test_setup_teardown(test_concurrent_clients, setup, teardown),
                cmocka_unit_test_setup_teardown(test_oversized_frame_closes_one_connection, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sigterm, setup, teardown),
                cmocka_unit_test_setup_teardown(test_restart_on_stale_socket, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
