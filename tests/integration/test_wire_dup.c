/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 18 item 1, end to end: a non-repeated embedded message sent twice.
 * protobuf (the agent's rust-protobuf, Go, Python) merges the two copies and
 * keeps the first copy's scalars unless the second sets them; protobuf-c 1.4,
 * which ccgate decides on, keeps the second copy's, 0/false when it is absent.
 * So process{Terminal: true, ...} followed by process{Cwd: "/", ...} was decided as
 * no terminal under examples/web (whose policy never allows one) and acted on
 * as a terminal. The strict wire check now refuses any message in which a
 * non-repeated field occurs twice; here that is shown through ccgate (a real
 * process) to the recording stub agent, which must never see the request.
 *
 * Each case brings examples/web's pod up with its own request files (the
 * sandbox, the pause container, nginx), shows that the policy denies the
 * terminal when it is sent plainly, then sends the two-copy encoding, and last
 * shows the honest request still allowed.
 *
 * Usage: test_wire_dup exec|create
 * Environment: CCGATE, STUB_AGENT, POLICY_DIR (= examples/), EXAMPLES_DIR.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent.pb-c.h"
#include "agent_api.h"
#include "gate_env.h"
#include "harness.h"
#include "oci.pb-c.h"
#include "pbjson.h"
#include "ttrpc.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

/* A growing byte string. */
struct bytes {
        uint8_t *b;
        size_t len, cap;
};

static void bytes_put(struct bytes *s, const void *p, size_t n)
{
        if (s->cap - s->len < n) {
                s->cap = (s->len + n) * 2;
                s->b = realloc(s->b, s->cap);
                assert_non_null(s->b);
        }
        memcpy(s->b + s->len, p, n);
        s->len += n;
}

static void bytes_varint(struct bytes *s, uint64_t v)
{
        uint8_t b[10];
        size_t n = 0;

        do {
                b[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
                v >>= 7;
        } while (v);
        bytes_put(s, b, n);
}

/* Field `number` of wire type 2 holding body[0..len). */
static void bytes_field(struct bytes *s, uint32_t number, const uint8_t *body, size_t len)
{
        bytes_varint(s, (uint64_t)number << 3 | 2);
        bytes_varint(s, len);
        bytes_put(s, body, len);
}

static void bytes_message(struct bytes *s, const ProtobufCMessage *m)
{
        size_t n = protobuf_c_message_get_packed_size(m);
        uint8_t *p = malloc(n ? n : 1);

        assert_non_null(p);
        assert_int_equal(protobuf_c_message_pack(m, p), n);
        bytes_put(s, p, n);
        free(p);
}

static uint32_t field_number(const ProtobufCMessageDescriptor *d, const char *name)
{
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, name);

        assert_non_null(f);
        return f->id;
}

/* The "message" of examples/web/requests/<name>.json, as protobuf-c reads it. */
static ProtobufCMessage *example_message(const char *name, const ProtobufCMessageDescriptor *d,
                                         json_t **ret_body)
{
        const char *dir = getenv("EXAMPLES_DIR");
        char path[PATH_MAX], err[256];
        ProtobufCMessage *m = NULL;
        json_error_t jerr;
        json_t *j, *body;

        assert_non_null(dir);
        snprintf(path, sizeof(path), "%s/web/requests/%s.json", dir, name);
        j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!j)
                fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
        body = json_incref(json_object_get(j, "message"));
        json_decref(j);
        assert_non_null(body);
        if (pbjson_to_message(d, body, &m, err, sizeof(err)) < 0)
                fail_msg("%s: %s", path, err);
        if (ret_body)
                *ret_body = body;
        else
                json_decref(body);
        return m;
}

/* A call whose answer must have `code` and (when given) a message naming rule;
 * returns whether the agent saw it (its bytes, by digest). */
static bool call(struct gate_env *e, struct ttrpc_client *c, const char *method,
                 const uint8_t *buf, size_t len, int32_t code, const char *rule)
{
        struct ttrpc_reply r;
        char sha[65];
        long lines, before, seen;

        harness_sha256_hex(buf, len, sha);
        gate_env_barrier(c);
        lines = harness_record_lines(e->record);
        before = gate_env_seen(e, method, sha);
        assert_int_equal(ttrpc_client_call(c, AGENT_SERVICE, method, buf, len, &r), 0);
        print_message("%s: %d '%s'\n", method, r.code, r.message);
        if (r.code != code || (rule && !strstr(r.message, rule)))
                fail_msg("%s: got %d '%s', want %d (%s)", method, r.code, r.message, code,
                         rule ? rule : "");
        ttrpc_reply_done(&r);
        gate_env_barrier(c);
        seen = gate_env_seen(e, method, sha) - before;
        /* Nothing else reached the agent but the barrier after it, and maybe it. */
        assert_true(seen == 0 || seen == 1);
        assert_int_equal(harness_record_lines(e->record), lines + 1 + seen);
        return seen > 0;
}

static void send_example(struct gate_env *e, struct ttrpc_client *c, const char *name,
                         const ProtobufCMessageDescriptor *d, const char *method)
{
        ProtobufCMessage *m = example_message(name, d, NULL);
        struct bytes s = { 0 };

        bytes_message(&s, m);
        protobuf_c_message_free_unpacked(m, NULL);
        assert_true(call(e, c, method, s.b, s.len, TTRPC_CODE_OK, NULL));
        free(s.b);
}

static struct ttrpc_client *web_up(struct gate_env *e, bool with_nginx)
{
        struct ttrpc_client *c;

        gate_env_start_stub(e, NULL);
        gate_env_start_gate(e, "web/policy.yaml", NULL);
        c = gate_env_connect(e);
        send_example(e, c, "01-create-sandbox", &grpc__create_sandbox_request__descriptor,
                     "CreateSandbox");
        send_example(e, c, "02-create-pause", &grpc__create_container_request__descriptor,
                     "CreateContainer");
        if (with_nginx)
                send_example(e, c, "03-create-nginx", &grpc__create_container_request__descriptor,
                             "CreateContainer");
        return c;
}

/*
 * The second copy of p: its scalars and strings (Cwd, NoNewPrivileges, the
 * user's ids, ...) but no terminal, and none of its repeated fields or
 * capabilities. protobuf-c takes the second copy's scalars and appends
 * repeated fields, so it sees p without a terminal; protobuf merges, and sees
 * p as it is, terminal and all.
 */
static void second_process(struct bytes *s, uint32_t number, const Grpc__Process *p)
{
        Grpc__Process q = *p;
        Grpc__User u = GRPC__USER__INIT;
        struct bytes body = { 0 };

        q.terminal = false;
        q.n_args = q.n_env = q.n_rlimits = 0;
        q.capabilities = NULL;
        if (p->user) {
                u.uid = p->user->uid;
                u.gid = p->user->gid;
                u.username = p->user->username;
                q.user = &u;
        }
        bytes_message(&body, &q.base);
        bytes_field(s, number, body.b, body.len);
        free(body.b);
}

/* ExecProcessRequest{..., process{the liveness probe, Terminal: true}, process{Cwd: "/", ...}}. */
static void test_exec(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = web_up(e, true);
        Grpc__ExecProcessRequest *req;
        struct bytes plain = { 0 }, twice = { 0 };

        req = (Grpc__ExecProcessRequest *)example_message(
                "04-exec-liveness", &grpc__exec_process_request__descriptor, NULL);
        req->process->terminal = true;

        /* The policy's answer to a terminal, sent plainly. */
        bytes_message(&plain, &req->base);
        assert_false(call(e, c, "ExecProcess", plain.b, plain.len, TTRPC_CODE_PERMISSION_DENIED,
                          "is blocked by policy"));

        /* The same, then a second process: one field twice, at the top level. */
        bytes_put(&twice, plain.b, plain.len);
        second_process(&twice, field_number(&grpc__exec_process_request__descriptor, "process"),
                       req->process);
        assert_false(call(e, c, "ExecProcess", twice.b, twice.len, TTRPC_CODE_PERMISSION_DENIED,
                          "ExecProcessRequest is blocked by policy: undecodable-request"));

        /* The probe as kubelet sends it is still served. */
        req->process->terminal = false;
        plain.len = 0;
        bytes_message(&plain, &req->base);
        assert_true(call(e, c, "ExecProcess", plain.b, plain.len, TTRPC_CODE_OK, NULL));

        protobuf_c_message_free_unpacked(&req->base, NULL);
        free(plain.b);
        free(twice.b);
}

/* CreateContainerRequest{..., OCI{..., Process{nginx's, Terminal: true}, Process{Cwd, ...}}}:
 * the field twice one level down. */
static void test_create(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = web_up(e, false);
        Grpc__CreateContainerRequest *req;
        Grpc__Spec *spec;
        struct bytes plain = { 0 }, oci = { 0 }, twice = { 0 };

        req = (Grpc__CreateContainerRequest *)example_message(
                "03-create-nginx", &grpc__create_container_request__descriptor, NULL);
        assert_non_null(req->oci);
        assert_non_null(req->oci->process);
        req->oci->process->terminal = true;

        bytes_message(&plain, &req->base);
        assert_false(call(e, c, "CreateContainer", plain.b, plain.len,
                          TTRPC_CODE_PERMISSION_DENIED, "is blocked by policy"));

        /* The request without its spec, then the spec with a second Process. */
        spec = req->oci;
        req->oci = NULL;
        bytes_message(&twice, &req->base);
        bytes_message(&oci, &spec->base);
        second_process(&oci, field_number(&grpc__spec__descriptor, "Process"), spec->process);
        bytes_field(&twice, field_number(&grpc__create_container_request__descriptor, "OCI"),
                    oci.b, oci.len);
        req->oci = spec;
        assert_false(call(e, c, "CreateContainer", twice.b, twice.len,
                          TTRPC_CODE_PERMISSION_DENIED,
                          "CreateContainerRequest is blocked by policy: undecodable-request"));

        /* nginx as the shim creates it is still allowed. */
        req->oci->process->terminal = false;
        plain.len = 0;
        bytes_message(&plain, &req->base);
        assert_true(call(e, c, "CreateContainer", plain.b, plain.len, TTRPC_CODE_OK, NULL));

        protobuf_c_message_free_unpacked(&req->base, NULL);
        free(plain.b);
        free(oci.b);
        free(twice.b);
}

int main(int argc, char **argv)
{
#define T(f) cmocka_unit_test_setup_teardown(f, gate_env_setup, gate_env_teardown)
        static const struct {
                const char *name;
                struct CMUnitTest test;
        } cases[] = {
                { "exec", T(test_exec) },
                { "create", T(test_create) },
        };
#undef T

        signal(SIGPIPE, SIG_IGN);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (argc == 2 && strcmp(argv[1], cases[i].name) == 0)
                        return _cmocka_run_group_tests(cases[i].name, &cases[i].test, 1, NULL, NULL);
        fprintf(stderr, "usage: %s exec|create\n", argv[0]);
        return 2;
}
