/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gate on its own (no sockets): every way a request frame's payload turns
 * into a result, each with its rule id, its audit record, and whether it may
 * reach the agent; the policy delivered by SetPolicyRequest; the holds on what
 * a forwarded request would create; and what becomes of a forwarded request
 * (answered, drained, abandoned, refused for capacity), each with its outcome
 * record.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent.pb-c.h"
#include "attest.h"
#include "audit.h"
#include "gate.h"
#include "policy_source.h"
#include "ttrpc.h"
#include "ttrpc_msg.h"
#include "ttrpc.pb-c.h"

#define AGENT "grpc.AgentService"

static const char policy_yaml[] =
        "version: 1\n"
        "requests:\n"
        "  GuestDetailsRequest: allow\n"
        "  CreateSandboxRequest: allow\n"
        "  ExecProcessRequest:\n"
        "    decision: deny\n"
        "    id: no-exec\n"
        "    reason: the host may not run commands\n";

struct fixture {
        char dir[64];
        char log_path[96];
        struct audit_log *audit;
        struct policy *policy;
        struct gate gate;
        uint8_t payload[4096];
        size_t payload_len;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        struct policy_error err;

        assert_non_null(f);
        snprintf(f->dir, sizeof(f->dir), "/tmp/ccgate-gate-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->log_path, sizeof(f->log_path), "%s/audit.log", f->dir);
        assert_int_equal(audit_open(&(struct audit_options){ .path = f->log_path,
                                                             .sync = AUDIT_SYNC_EVERY,
                                                             .policy_digest = "none",
                                                             .tee = "none" },
                                    &f->audit),
                         0);
        assert_int_equal(policy_load_buffer("test.yaml", (const uint8_t *)policy_yaml,
                                            strlen(policy_yaml), &f->policy, &err),
                         0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        char cmd[128];

        gate_done(&f->gate);
        audit_close(f->audit);
        policy_free(f->policy);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        assert_int_equal(system(cmd), 0);
        free(f);
        return 0;
}

/* A ttRPC Request envelope around an agent request's bytes. */
static void envelope(struct fixture *f, const char *service, const char *method,
                     const uint8_t *body, size_t body_len)
{
        Ttrpc__Request req = TTRPC__REQUEST__INIT;

        req.service = (char *)service;
        req.method = (char *)method;
        req.payload.data = (uint8_t *)body;
        req.payload.len = body_len;
        assert_true(ttrpc__request__get_packed_size(&req) <= sizeof(f->payload));
        f->payload_len = ttrpc__request__pack(&req, f->payload);
}

static void request(struct fixture *f, const char *method, const ProtobufCMessage *m)
{
        uint8_t body[2048];
        size_t n = 0;

        if (m) {
                assert_true(protobuf_c_message_get_packed_size(m) <= sizeof(body));
                n = protobuf_c_message_pack(m, body);
        }
        envelope(f, AGENT, method, body, n);
}

static struct gate_result decide(struct fixture *f, uint32_t stream)
{
        struct gate_result o;

        (void)gate_request(&f->gate, 1, stream, f->payload, f->payload_len, true, &o);
        return o;
}

/* The last record of the audit log, parsed. */
static json_t *last_record(struct fixture *f)
{
        char line[16384], last[16384] = "";
        FILE *fp = fopen(f->log_path, "re");
        json_t *j;

        assert_non_null(fp);
        while (fgets(line, sizeof(line), fp))
                memcpy(last, line, sizeof(line));
        fclose(fp);
        j = json_loads(last, 0, NULL);
        assert_non_null(j);
        return j;
}

static void expect_record(struct fixture *f, const char *decision, const char *rule, bool forwarded)
{
        json_t *j = last_record(f);

        assert_string_equal(json_string_value(json_object_get(j, "type")), "decision");
        assert_string_equal(json_string_value(json_object_get(j, "decision")), decision);
        assert_string_equal(json_string_value(json_object_get(j, "rule")), rule);
        assert_int_equal(json_is_true(json_object_get(j, "forwarded")), forwarded);
        json_decref(j);
}

static void expect_denied(struct fixture *f, uint32_t stream, const char *message)
{
        struct gate_result o = decide(f, stream);

        assert_int_equal(o.action, GATE_REPLY);
        assert_int_equal(o.code, TTRPC_CODE_PERMISSION_DENIED);
        assert_string_equal(o.message, message);
}

static void test_fail_closed_paths(void **state)
{
        struct fixture *f = *state;
        static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
        static const uint8_t unknown_field[] = { 0xa8, 0x1f, 0x01 }; /* field 501, varint 1 */
        static const uint8_t truncated[] = { 0x0a, 0x05, 'a' };      /* string of 5, 1 present */

        assert_int_equal(gate_init(&f->gate, f->policy, f->audit, NULL), 0);

        memcpy(f->payload, garbage, sizeof(garbage));
        f->payload_len = sizeof(garbage);
        expect_denied(f, 1, "Request is blocked by policy: malformed-request: the ttRPC request "
                            "envelope does not decode");
        expect_record(f, "deny", GATE_RULE_MALFORMED, false);

        envelope(f, AGENT, "NoSuchMethod", NULL, 0);
        expect_denied(f, 3, "Request is blocked by policy: unknown-method: the service or method "
                            "is not part of the agent API");
        expect_record(f, "deny", GATE_RULE_UNKNOWN_METHOD, false);

        envelope(f, "grpc.NoSuchService", "GetGuestDetails", NULL, 0);
        expect_denied(f, 5, "Request is blocked by policy: unknown-method: the service or method "
                            "is not part of the agent API");

        envelope(f, AGENT, "GetGuestDetails", truncated, sizeof(truncated));
        expect_denied(f, 7, "GuestDetailsRequest is blocked by policy: undecodable-request: the "
                            "request payload is not a valid encoding of its message");
        expect_record(f, "deny", GATE_RULE_UNDECODABLE, false);

        envelope(f, AGENT, "GetGuestDetails", unknown_field, sizeof(unknown_field));
        expect_denied(f, 9, "GuestDetailsRequest is blocked by policy: unknown-field: the request "
                            "carries fields the agent API schema does not know");
        expect_record(f, "deny", GATE_RULE_UNKNOWN_FIELD, false);

        request(f, "ExecProcess", NULL);
        expect_denied(f, 11, "ExecProcessRequest is blocked by policy: no-exec: the host may not "
                             "run commands");
        expect_record(f, "deny", "no-exec", false);

        request(f, "GetGuestDetails", NULL);
        assert_int_equal(decide(f, 13).action, GATE_FORWARD);
        expect_record(f, "allow", "requests.GuestDetailsRequest", true);
        assert_int_equal(f->gate.n_allowed, 1);
        assert_int_equal(f->gate.n_denied, 6);
}

static void test_without_policy_or_attestation(void **state)
{
        struct fixture *f = *state;

        assert_int_equal(gate_init(&f->gate, NULL, f->audit, NULL), 0);
        request(f, "GetGuestDetails", NULL);
        expect_denied(f, 1, "GuestDetailsRequest is blocked by policy: no-policy: no attested "
                            "policy is loaded");
        gate_done(&f->gate);

        assert_int_equal(gate_init(&f->gate, f->policy, f->audit, "HOST_DATA differs"), 0);
        expect_denied(f, 3, "GuestDetailsRequest is blocked by policy: attestation: HOST_DATA "
                            "differs");
        expect_record(f, "deny", GATE_RULE_ATTESTATION, false);
        f->gate.deny_all_rule = GATE_RULE_HOOKS;
        expect_denied(f, 5, "GuestDetailsRequest is blocked by policy: required-hooks: HOST_DATA "
                            "differs");
}

static void test_sandbox_held_until_answered(void **state)
{
        struct fixture *f = *state;
        struct gate_result first, second;
        struct gate_answered ans;
        /* Response{status: {code: 2}} and an OK response (no status). */
        static const uint8_t failed[] = { 0x0a, 0x02, 0x08, 0x02 };
        static const uint8_t cut[] = { 0x0a, 0x05, 0x08 };

        assert_int_equal(gate_init(&f->gate, f->policy, f->audit, NULL), 0);
        request(f, "CreateSandbox", NULL);
        first = decide(f, 1);
        assert_int_equal(first.action, GATE_FORWARD);
        assert_int_equal(first.effect.kind, POLICY_EFFECT_SANDBOX_CREATED);

        /* In flight: a second one is refused. */
        expect_denied(f, 3, "CreateSandboxRequest is blocked by policy: sandbox-once: the sandbox "
                            "was already created; it is created once per VM");
        /* The agent fails the first: the hold goes, a new one is forwarded. */
        assert_int_equal(gate_answer(&f->gate, first.ticket, failed, sizeof(failed), &ans), 0);
        assert_int_equal(ans.code, 2);
        second = decide(f, 5);
        assert_int_equal(second.action, GATE_FORWARD);
        /* That one is lost with the agent: the hold goes too. */
        assert_int_equal(gate_abandon(&f->gate, second.ticket, GATE_ABANDON_AGENT_LOST, NULL), 0);
        second = decide(f, 7);
        assert_int_equal(second.action, GATE_FORWARD);
        /* An undecodable answer is no OK. */
        assert_true(gate_answer(&f->gate, second.ticket, cut, sizeof(cut), &ans) < 0);
        second = decide(f, 9);
        assert_int_equal(second.action, GATE_FORWARD);
        /* OK: created, once. */
        assert_int_equal(gate_answer(&f->gate, second.ticket, NULL, 0, &ans), 0);
        assert_true(ans.decoded);
        assert_int_equal(ans.code, 0);
        expect_denied(f, 11, "CreateSandboxRequest is blocked by policy: sandbox-once: the "
                             "sandbox was already created; it is created once per VM");
}

/* The TEE measured at start: SNP HOST_DATA = SHA-256 of text. */
static void measured_for(const char *text, struct attest_result *m)
{
        uint8_t d[ATTEST_DIGEST_MAX];
        size_t n;

        *m = (struct attest_result){ .have_report = true, .tee = ATTEST_TEE_SNP,
                                     .format = ATTEST_FORMAT_SNP_REPORT };
        snprintf(m->tee_name, sizeof(m->tee_name), "snp");
        snprintf(m->source, sizeof(m->source), "test");
        assert_int_equal(attest_digest(ATTEST_HASH_SHA256, text, strlen(text), d, &n), 0);
        assert_int_equal(n, ATTEST_SNP_HOST_DATA_LEN);
        memcpy(m->field, d, n);
        m->field_len = n;
}

static void set_policy(struct fixture *f, const char *text)
{
        Grpc__SetPolicyRequest m = GRPC__SET_POLICY_REQUEST__INIT;

        m.policy = (char *)text;
        request(f, "SetPolicy", &m.base);
}

static void test_setpolicy(void **state)
{
        struct fixture *f = *state;
        struct attest_config c = { .tee = ATTEST_TEE_SNP, .binding = ATTEST_BINDING_DIRECT };
        struct attest_result measured;
        struct gate_result o;
        static const char needs_hooks[] = "version: 1\nrequire_hooks: [lsm_exec]\n";
        static const char broken[] = "version: 1\nrequests: [\n";
        char digest[2 * ATTEST_DIGEST_MAX + 1];
        json_t *j;

        measured_for(policy_yaml, &measured);
        assert_int_equal(gate_init(&f->gate, NULL, f->audit, NULL), 0);
        assert_int_equal(gate_await_policy(&f->gate, &c, &measured, "connect_unix"), 0);

        request(f, "GetGuestDetails", NULL);
        expect_denied(f, 1, "GuestDetailsRequest is blocked by policy: no-policy: no policy yet: "
                            "the host has not delivered an attested policy (SetPolicyRequest)");

        /* Not the attested bytes: refused, and the gate keeps waiting. */
        set_policy(f, needs_hooks);
        o = decide(f, 3);
        assert_int_equal(o.code, TTRPC_CODE_PERMISSION_DENIED);
        assert_non_null(strstr(o.message, ": attestation: SetPolicy refused: "));
        expect_record(f, "deny", GATE_RULE_ATTESTATION, false);
        assert_null(f->gate.policy);

        /* Attested but not loadable, or needing hooks that are not there: refused. */
        measured_for(broken, &measured);
        set_policy(f, broken);
        expect_denied(f, 5, "SetPolicyRequest is blocked by policy: setpolicy-invalid: the "
                            "delivered policy is attested but does not load (line 3, column 1)");
        measured_for(needs_hooks, &measured);
        set_policy(f, needs_hooks);
        expect_denied(f, 7, "SetPolicyRequest is blocked by policy: required-hooks: the delivered "
                            "policy requires eBPF hooks that are not active: lsm_exec");
        assert_null(f->gate.policy);

        /* The attested policy: answered OK here, never forwarded, then enforced. */
        measured_for(policy_yaml, &measured);
        set_policy(f, policy_yaml);
        o = decide(f, 9);
        assert_int_equal(o.action, GATE_REPLY);
        assert_int_equal(o.code, TTRPC_CODE_OK);
        assert_string_equal(o.message, "");
        expect_record(f, "allow", GATE_RULE_SETPOLICY, false);
        assert_non_null(f->gate.policy);
        assert_null(f->gate.await_attest);

        request(f, "GetGuestDetails", NULL);
        assert_int_equal(decide(f, 11).action, GATE_FORWARD);
        assert_int_equal(attest_digest_hex(ATTEST_HASH_SHA256, policy_yaml, strlen(policy_yaml),
                                           digest, sizeof(digest)),
                         0);
        j = last_record(f);
        assert_string_equal(json_string_value(json_object_get(j, "policy")), digest);
        json_decref(j);

        /* Sealed: another SetPolicy is an ordinary request, which this policy denies. */
        set_policy(f, policy_yaml);
        expect_denied(f, 13, "SetPolicyRequest is blocked by policy: default-deny: the policy "
                             "does not list SetPolicyRequest");
}

static void test_await_needs_no_policy(void **state)
{
        struct fixture *f = *state;
        struct attest_config c = { .tee = ATTEST_TEE_SNP };
        struct attest_result measured = { 0 };

        assert_int_equal(gate_init(&f->gate, f->policy, f->audit, NULL), 0);
        assert_int_equal(gate_await_policy(&f->gate, &c, &measured, "none"), -EINVAL);
        gate_done(&f->gate);
        assert_int_equal(gate_init(&f->gate, NULL, f->audit, "no report"), 0);
        assert_int_equal(gate_await_policy(&f->gate, &c, &measured, "none"), -EINVAL);
}

/* With --audit-sync MS, the tick makes an idle log durable once MS have passed. */
static void test_tick_syncs_idle_log(void **state)
{
        struct fixture *f = *state;
        Grpc__GuestDetailsRequest gd = GRPC__GUEST_DETAILS_REQUEST__INIT;
        struct timespec ts = { 0, 5 * 1000 * 1000 };

        audit_close(f->audit);
        assert_int_equal(audit_open(&(struct audit_options){ .path = f->log_path,
                                                             .sync = AUDIT_SYNC_INTERVAL,
                                                             .sync_interval_ms = 1,
                                                             .policy_digest = "none",
                                                             .tee = "none" },
                                    &f->audit),
                         0);
        assert_int_equal(gate_init(&f->gate, f->policy, f->audit, NULL), 0);
        gate_tick(&f->gate);
        request(f, "GetGuestDetails", &gd.base);
        assert_int_equal(decide(f, 1).action, GATE_FORWARD);
        /* Within the interval of the fsync the start record had: nothing synced yet. */
        while (!audit_pending(f->audit))
                assert_int_equal(decide(f, 1).action, GATE_FORWARD);
        nanosleep(&ts, NULL);
        gate_tick(&f->gate);
        assert_false(audit_pending(f->audit));
        assert_false(f->gate.audit_sync_failed);
}

/* Every record of the audit log once the outcome records still pending are written. */
static json_t *all_records(struct fixture *f)
{
        char line[16384];
        json_t *all = json_array();
        FILE *fp;

        assert_int_equal(gate_tick(&f->gate), 0);
        fp = fopen(f->log_path, "re");
        assert_non_null(fp);
        while (fgets(line, sizeof(line), fp)) {
                json_t *j = json_loads(line, 0, NULL);

                assert_non_null(j);
                json_array_append_new(all, j);
        }
        fclose(fp);
        return all;
}

static const char *str_of(const json_t *j, const char *key)
{
        return json_string_value(json_object_get(j, key));
}

/* Record i of all (negative: from the end). */
static const json_t *nth(const json_t *all, long i)
{
        const json_t *j = json_array_get(all, i < 0 ? json_array_size(all) + (size_t)i : (size_t)i);

        assert_non_null(j);
        return j;
}

static void expect_outcome(const json_t *j, uint32_t stream, const json_t *decision,
                           const char *outcome, long code, const char *why)
{
        assert_string_equal(str_of(j, "type"), "outcome");
        assert_int_equal(json_integer_value(json_object_get(j, "stream")), stream);
        assert_int_equal(json_integer_value(json_object_get(j, "conn")), 1);
        assert_string_equal(str_of(decision, "type"), "decision");
        assert_true(json_is_true(json_object_get(decision, "forwarded")));
        assert_int_equal(json_integer_value(json_object_get(decision, "stream")), stream);
        assert_int_equal(json_integer_value(json_object_get(j, "decision_seq")),
                         json_integer_value(json_object_get(decision, "seq")));
        assert_string_equal(str_of(j, "outcome"), outcome);
        if (code < 0)
                assert_true(json_is_null(json_object_get(j, "code")));
        else
                assert_int_equal(json_integer_value(json_object_get(j, "code")), code);
        if (why)
                assert_string_equal(str_of(j, "why"), why);
        else
                assert_true(json_is_null(json_object_get(j, "why")));
}

/* The status code of a frame the gate made, as the host reads it. */
static int32_t frame_code(const struct gate_frame *fr)
{
        struct ttrpc_header h;
        int32_t code = -1;

        assert_int_equal(ttrpc_header_parse(fr->data, fr->len, &h), 0);
        assert_int_equal(h.type, TTRPC_TYPE_RESPONSE);
        assert_int_equal(h.length + TTRPC_HEADER_SIZE, fr->len);
        assert_int_equal(ttrpc_response_code(fr->data + TTRPC_HEADER_SIZE, h.length, &code), 0);
        return code;
}

/*
 * Each forwarded request gets exactly one outcome record, after its decision
 * and in the order things happened: answered (with the agent's code), a
 * denied read drained (the host gets OK, no data), never sent (the agent
 * unavailable: 14), abandoned when the host is gone (no code).
 */
static void test_outcomes(void **state)
{
        struct fixture *f = *state;
        static const uint8_t failed[] = { 0x0a, 0x02, 0x08, 0x02 }; /* status{code: 2} */
        struct gate_result o[5];
        struct gate_answered ans;
        struct gate_frame reply;
        char *paths[] = { f->log_path };
        struct audit_verify_report rep;
        struct audit_problem prob;
        json_t *all;

        assert_int_equal(gate_init(&f->gate, f->policy, f->audit, NULL), 0);
        request(f, "GetGuestDetails", NULL);
        o[0] = decide(f, 1);
        assert_int_equal(o[0].action, GATE_FORWARD);
        assert_int_equal(gate_answer(&f->gate, o[0].ticket, NULL, 0, &ans), 0);
        assert_int_equal(ans.action, GATE_PASS);

        /* ReadStdout is not listed: denied, and drained (no containers to own the pipe). */
        request(f, "ReadStdout", NULL);
        o[1] = decide(f, 3);
        assert_int_equal(o[1].action, GATE_FORWARD_DRAIN);
        assert_int_equal(gate_answer(&f->gate, o[1].ticket, NULL, 0, &ans), 0);
        assert_int_equal(ans.action, GATE_REPLACE);
        assert_int_equal(frame_code(&ans.frame), TTRPC_CODE_OK);
        o[2] = decide(f, 5);
        assert_int_equal(o[2].action, GATE_FORWARD_DRAIN);
        assert_int_equal(gate_answer(&f->gate, o[2].ticket, failed, sizeof(failed), &ans), 0);
        assert_int_equal(ans.action, GATE_PASS); /* errors (EOF) pass through */

        request(f, "GetGuestDetails", NULL);
        o[3] = decide(f, 7);
        assert_int_equal(gate_abandon(&f->gate, o[3].ticket, GATE_ABANDON_AGENT_UNAVAILABLE, &reply),
                         0);
        assert_int_equal(frame_code(&reply), TTRPC_CODE_UNAVAILABLE);
        o[4] = decide(f, 9);
        assert_int_equal(gate_abandon(&f->gate, o[4].ticket, GATE_ABANDON_HOST_CLOSED, NULL), 0);
        assert_int_equal(f->gate.in_flight, 0);
        assert_int_equal(f->gate.n_answered, 3);
        assert_int_equal(f->gate.n_abandoned, 2);

        /* genesis, then decision and outcome by turns */
        all = all_records(f);
        assert_int_equal(json_array_size(all), 11);
        expect_outcome(nth(all, 2), 1, nth(all, 1), "answered", 0, NULL);
        assert_string_equal(str_of(nth(all, 2), "request"), "GuestDetailsRequest");
        expect_outcome(nth(all, 4), 3, nth(all, 3), "answered", 0, NULL);
        assert_string_equal(str_of(nth(all, 4), "request"), "ReadStreamRequest");
        expect_outcome(nth(all, 6), 5, nth(all, 5), "answered", 2, NULL);
        expect_outcome(nth(all, 8), 7, nth(all, 7), "not-forwarded", TTRPC_CODE_UNAVAILABLE,
                       "agent-unavailable");
        expect_outcome(nth(all, 10), 9, nth(all, 9), "abandoned", -1, "host-closed");
        json_decref(all);
        /* ...and the verifier agrees that each follows up its decision. */
        assert_int_equal(audit_verify(paths, 1, NULL, &rep, &prob), 0);
        assert_int_equal(rep.n_records, 11);
}

/*
 * No room for one more in flight, on the connection or in the gate: what would
 * be forwarded is refused (8) and recorded so, with rule capacity; what is
 * denied anyway is denied as before.
 */
static void test_capacity(void **state)
{
        struct fixture *f = *state;
        struct gate_result a, b, o;
        struct gate_answered ans;
        json_t *all;

        assert_int_equal(gate_init(&f->gate, f->policy, f->audit, NULL), 0);
        assert_int_equal(gate_limit_tickets(&f->gate, 2), 0);
        request(f, "GetGuestDetails", NULL);
        a = decide(f, 1);
        b = decide(f, 3);
        assert_int_equal(a.action, GATE_FORWARD);
        assert_int_equal(b.action, GATE_FORWARD);
        o = decide(f, 5);
        assert_int_equal(o.action, GATE_REPLY);
        assert_int_equal(o.code, TTRPC_CODE_RESOURCE_EXHAUSTED);
        assert_string_equal(o.message, "GuestDetailsRequest could not be served: capacity: too "
                                       "many requests in flight");
        assert_int_equal(frame_code(&o.reply), TTRPC_CODE_RESOURCE_EXHAUSTED);
        expect_record(f, "deny", GATE_RULE_CAPACITY, false);
        assert_int_equal(gate_answer(&f->gate, a.ticket, NULL, 0, &ans), 0);
        o = decide(f, 7);
        assert_int_equal(o.action, GATE_FORWARD);

        /* The caller's own room. */
        (void)gate_request(&f->gate, 1, 9, f->payload, f->payload_len, false, &o);
        assert_int_equal(o.code, TTRPC_CODE_RESOURCE_EXHAUSTED);
        assert_string_equal(o.message, "GuestDetailsRequest could not be served: capacity: too "
                                       "many requests in flight on this connection");
        expect_record(f, "deny", GATE_RULE_CAPACITY, false);
        request(f, "ExecProcess", NULL);
        (void)gate_request(&f->gate, 1, 11, f->payload, f->payload_len, false, &o);
        assert_int_equal(o.code, TTRPC_CODE_PERMISSION_DENIED);
        expect_record(f, "deny", "no-exec", false);

        /* A refusal has no outcome record: only the two forwarded and answered... */
        assert_int_equal(gate_abandon(&f->gate, b.ticket, GATE_ABANDON_STOPPING, NULL), 0);
        all = all_records(f);
        {
                size_t outcomes = 0, i;
                json_t *j;

                json_array_foreach(all, i, j)
                        outcomes += strcmp(str_of(j, "type"), "outcome") == 0;
                assert_int_equal(outcomes, 2);
        }
        json_decref(all);
        assert_int_equal(f->gate.in_flight, 1);
}

static void write_text(const char *path, const char *text)
{
        FILE *fp = fopen(path, "we");

        assert_non_null(fp);
        assert_int_equal(fputs(text, fp) >= 0, 1);
        assert_int_equal(fclose(fp), 0);
}

/*
 * The one way in for a policy, for each origin: what it refuses and with which
 * of the gate's refusals, that nothing is parsed before the TEE vouched for it,
 * and that it gives out one policy, once.
 */
static void test_policy_source(void **state)
{
        struct fixture *f = *state;
        struct attest_config direct = { .tee = ATTEST_TEE_SNP, .binding = ATTEST_BINDING_DIRECT };
        struct attest_config initdata = { .tee = ATTEST_TEE_SNP,
                                          .binding = ATTEST_BINDING_INITDATA };
        static const char needs_hooks[] = "version: 1\nrequire_hooks: [lsm_exec]\n";
        static const char broken[] = "version: 1\nrequests: [\n";
        static const char doc[] = "algorithm = \"sha256\"\nversion = \"0.1.0\"\n\n[data]\n"
                                  "\"ccgate.yaml\" = \"version: 1\\nmode: audit\\n\"\n";
        char path[128], digest[2 * ATTEST_DIGEST_MAX + 1];
        struct attest_result measured;
        struct policy_source src;
        struct policy_verdict v;

        /* A file: read, attested, loaded, sealed. */
        snprintf(path, sizeof(path), "%s/policy.yaml", f->dir);
        write_text(path, policy_yaml);
        measured_for(policy_yaml, &measured);
        policy_source_init(&src, &direct, &measured, "none");
        assert_int_equal(policy_source_take(&src, POLICY_ORIGIN_FILE, path, NULL, 0, &v), 0);
        assert_non_null(v.policy);
        assert_true(v.att.bound);
        assert_int_equal(attest_digest_hex(ATTEST_HASH_SHA256, policy_yaml, strlen(policy_yaml),
                                           digest, sizeof(digest)),
                         0);
        assert_string_equal(v.digest, digest);
        v.policy = policy_free(v.policy);
        assert_int_equal(policy_source_take(&src, POLICY_ORIGIN_FILE, path, NULL, 0, &v), -EINVAL);
        assert_null(v.policy);

        /* Not readable; not loading (attested); not attested, and then not parsed. */
        policy_source_init(&src, &direct, &measured, "none");
        assert_int_equal(policy_source_take(&src, POLICY_ORIGIN_FILE, "/nonexistent/policy.yaml",
                                            NULL, 0, &v),
                         0);
        assert_int_equal(v.refusal, GATE_REFUSE_POLICY_INVALID);
        assert_non_null(strstr(v.error.message, "cannot read"));
        assert_string_equal(v.digest, "none");
        write_text(path, broken);
        measured_for(broken, &measured);
        assert_int_equal(policy_source_take(&src, POLICY_ORIGIN_FILE, path, NULL, 0, &v), 0);
        assert_int_equal(v.refusal, GATE_REFUSE_POLICY_INVALID);
        assert_string_equal(v.reason, "the policy did not load");
        assert_int_equal(v.error.line, 3);
        measured_for(policy_yaml, &measured);
        assert_int_equal(policy_source_take(&src, POLICY_ORIGIN_FILE, path, NULL, 0, &v), 0);
        assert_int_equal(v.refusal, GATE_REFUSE_ATTESTATION);
        assert_non_null(strstr(v.reason, "policy not attested: snp HOST_DATA is "));
        assert_int_equal(v.error.line, 0); /* never parsed */
        assert_null(v.policy);

        /* Hooks it requires that are not active. */
        write_text(path, needs_hooks);
        measured_for(needs_hooks, &measured);
        policy_source_init(&src, &direct, &measured, "connect_unix");
        assert_int_equal(policy_source_take(&src, POLICY_ORIGIN_FILE, path, NULL, 0, &v), 0);
        assert_int_equal(v.refusal, GATE_REFUSE_HOOKS);
        assert_string_equal(v.reason, "the policy requires eBPF hooks that are not active: "
                                      "lsm_exec");

        /* The host's bytes, under SetPolicy's own check (initdata binding: refused). */
        policy_source_init(&src, &direct, &measured, "lsm_exec");
        assert_int_equal(policy_source_take(&src, POLICY_ORIGIN_HOST, "SetPolicyRequest",
                                            (const uint8_t *)needs_hooks, strlen(needs_hooks), &v),
                         0);
        assert_non_null(v.policy);
        assert_non_null(strstr(v.reason, "accepted: its digest matches the snp report; sealed"));
        v.policy = policy_free(v.policy);
        policy_source_init(&src, &initdata, &measured, "none");
        assert_int_equal(policy_source_take(&src, POLICY_ORIGIN_HOST, "SetPolicyRequest",
                                            (const uint8_t *)needs_hooks, strlen(needs_hooks), &v),
                         0);
        assert_int_equal(v.refusal, GATE_REFUSE_ATTESTATION);
        assert_non_null(strstr(v.reason, "SetPolicy refused: the policy is bound through initdata"));

        /* An initdata document: its digest is what the TEE holds; the policy rides in it. */
        snprintf(path, sizeof(path), "%s/initdata.toml", f->dir);
        write_text(path, doc);
        measured_for(doc, &measured);
        policy_source_init(&src, &initdata, &measured, "none");
        assert_int_equal(policy_source_take(&src, POLICY_ORIGIN_INITDATA, path, NULL, 0, &v), 0);
        assert_non_null(v.policy);
        assert_int_equal(policy_mode(v.policy), POLICY_MODE_AUDIT);
        v.policy = policy_free(v.policy);
        write_text(path, "algorithm = \"md5\"\n");
        policy_source_init(&src, &initdata, &measured, "none");
        assert_int_equal(policy_source_take(&src, POLICY_ORIGIN_INITDATA, path, NULL, 0, &v), 0);
        assert_int_equal(v.refusal, GATE_REFUSE_POLICY_INVALID);
        assert_string_equal(v.reason, "the initdata document is invalid");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_fail_closed_paths, setup, teardown),
                cmocka_unit_test_setup_teardown(test_without_policy_or_attestation, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sandbox_held_until_answered, setup, teardown),
                cmocka_unit_test_setup_teardown(test_setpolicy, setup, teardown),
                cmocka_unit_test_setup_teardown(test_await_needs_no_policy, setup, teardown),
                cmocka_unit_test_setup_teardown(test_tick_syncs_idle_log, setup, teardown),
                cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
                cmocka_unit_test_setup_teardown(test_policy_source, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
