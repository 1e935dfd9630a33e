/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-gen-corpus SOURCE_ROOT OUTDIR: write the seed corpora of the fuzz targets
 * into OUTDIR/<target>/ (tests/fuzz/corpus/ is what it wrote, checked in):
 *
 *   fuzz-ttrpc-frame     the example pods' request sequences as ttRPC streams
 *                        (the JSON files in examples/NAME/requests/ encoded as the kata shim
 *                        would), one frame per method, and malformed frames
 *   fuzz-request-decide  the same sequences for each gate set-up, with agent
 *                        answers, errors and in-flight requests; SetPolicy
 *                        delivery; requests the gate must refuse to decode
 *   fuzz-policy-load     the example and fixture policies
 *   fuzz-audit-verify    audit logs a gate wrote deciding those sequences (their
 *                        decision and outcome records): whole, rotated, a tail,
 *                        each kind of damage, and outcome records that follow up
 *                        the wrong decision in a chain that is otherwise intact
 *
 * While writing the gate's logs it checks each example request's decision in
 * sequence against the "expect" of its JSON, so the corpus is known to reach
 * the allowed paths (a drift fails the `fuzz-gen-corpus` test).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "agent.pb-c.h"
#include "agent_api.h"
#include "audit.h"
#include "cleanup.h"
#include "fileio.h"
#include "gate.h"
#include "pbjson.h"
#include "policy.h"
#include "ttrpc.h"
#include "ttrpc_msg.h"

#define MAX_EXAMPLE_REQUESTS 64u

struct buf {
        uint8_t *p;
        size_t len, cap;
};

static void die(const char *what, int error)
{
        fprintf(stderr, "fuzz-gen-corpus: %s%s%s\n", what, error ? ": " : "",
                error ? strerror(error < 0 ? -error : error) : "");
        exit(1);
}

static void buf_add(struct buf *b, const void *p, size_t n)
{
        if (b->len + n > b->cap) {
                size_t cap = b->cap ? b->cap : 4096;

                while (cap < b->len + n)
                        cap *= 2;
                b->p = realloc(b->p, cap);
                if (!b->p)
                        die("realloc", ENOMEM);
                b->cap = cap;
        }
        if (n)
                memcpy(b->p + b->len, p, n);
        b->len += n;
}

static void buf_done(struct buf *b)
{
        free(b->p);
        *b = (struct buf){ 0 };
}

static const char *out_root;

static void write_file(const char *target, const char *name, int prefix, const void *p, size_t n)
{
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", out_root, target);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                die(path, errno);
        snprintf(path, sizeof(path), "%s/%s/%s", out_root, target, name);
        f = fopen(path, "we");
        if (!f)
                die(path, errno);
        if (prefix >= 0)
                fputc(prefix, f);
        if (n && fwrite(p, 1, n, f) != n)
                die(path, EIO);
        if (fclose(f) != 0)
                die(path, errno);
}

static void add_frame(struct buf *b, uint32_t sid, uint8_t type, uint8_t flags, const void *payload,
                      size_t len)
{
        struct ttrpc_header h = { .length = (uint32_t)len, .stream_id = sid, .type = type,
                                  .flags = flags };
        uint8_t hdr[TTRPC_HEADER_SIZE];

        ttrpc_header_encode(&h, hdr);
        buf_add(b, hdr, sizeof(hdr));
        buf_add(b, payload, len);
}

struct envelope_opts {
        size_t n_metadata;
        bool unknown_field; /* a field 15 the envelope schema does not have */
        int64_t timeout_nano;
};

static void add_request(struct buf *b, uint32_t sid, uint8_t flags, const char *service,
                        const char *method, const void *payload, size_t len,
                        const struct envelope_opts *o)
{
        Ttrpc__Request env = TTRPC__REQUEST__INIT;
        Ttrpc__KeyValue kv[80], *kvp[80];
        struct buf packed = { 0 };
        size_t n;

        env.service = (char *)service;
        env.method = (char *)method;
        env.payload.data = (uint8_t *)payload;
        env.payload.len = len;
        if (o) {
                env.timeout_nano = o->timeout_nano;
                env.n_metadata = o->n_metadata < 80 ? o->n_metadata : 80;
                for (size_t i = 0; i < env.n_metadata; i++) {
                        kv[i] = (Ttrpc__KeyValue)TTRPC__KEY_VALUE__INIT;
                        kv[i].key = i % 2 ? "containerd-namespace" : "x-request-id";
                        kv[i].value = i % 2 ? "k8s.io" : "42";
                        kvp[i] = &kv[i];
                }
                env.metadata = kvp;
        }
        n = ttrpc__request__get_packed_size(&env);
        packed.p = malloc(n + 2);
        if (!packed.p)
                die("malloc", ENOMEM);
        packed.cap = n + 2;
        packed.len = ttrpc__request__pack(&env, packed.p);
        if (o && o->unknown_field) {
                packed.p[packed.len++] = 0x78; /* field 15, varint */
                packed.p[packed.len++] = 0x01;
        }
        add_frame(b, sid, TTRPC_TYPE_REQUEST, flags, packed.p, packed.len);
        buf_done(&packed);
}

static void add_message(struct buf *b, uint32_t sid, uint8_t flags, const struct agent_method *m,
                        const ProtobufCMessage *msg)
{
        size_t n = msg ? protobuf_c_message_get_packed_size(msg) : 0;
        uint8_t *p = malloc(n ? n : 1);

        if (!p)
                die("malloc", ENOMEM);
        if (msg)
                protobuf_c_message_pack(msg, p);
        add_request(b, sid, flags, m->service, m->method, p, n, NULL);
        free(p);
}

static void add_response(struct buf *b, uint32_t sid, int32_t code)
{
        uint8_t frame[512];
        ssize_t n = ttrpc_response_frame(sid, code, code ? "agent said no" : NULL, NULL, 0, frame,
                                         sizeof(frame));

        if (n < 0)
                die("ttrpc_response_frame", (int)n);
        buf_add(b, frame, (size_t)n);
}

/* ---- The example pods' requests ---- */

struct example_request {
        char file[300];
        const struct agent_method *method;
        ProtobufCMessage *message;
        bool allow;
        char rule[128];
};

struct example {
        const char *name;
        int setup; /* fuzz-request-decide set-up index of its policy */
        struct example_request req[MAX_EXAMPLE_REQUESTS];
        size_t n;
};

static struct example examples[] = {
        { .name = "web", .setup = 0 },
        { .name = "locked", .setup = 1 },
        { .name = "sidecar", .setup = 2 },
};

static const struct agent_method *method_of(const json_t *j)
{
        const char *name = json_string_value(json_object_get(j, "request"));
        const char *method = json_string_value(json_object_get(j, "method"));
        enum agent_method_id ids[4];
        size_t n = name ? agent_methods_by_request_name(name, ids, ELEMENTSOF(ids)) : 0;

        for (size_t i = 0; i < n && i < ELEMENTSOF(ids); i++) {
                const struct agent_method *m = agent_method_get(ids[i]);

                if (!method || strcmp(m->method, method) == 0)
                        return m;
        }
        return NULL;
}

/*
 * The text with every occurrence of from replaced by to (same length). The
 * examples' refused CreateContainer requests reuse the id of the container they
 * vary, which in a sequence is already taken, and a request to a removed
 * container names one the sequence still has: they get a fresh id, so that
 * they are refused for what they show (image, args, ...) as in their JSON.
 */
static void replace_all(char *text, const char *from, const char *to)
{
        size_t n = strlen(from);

        if (n == 0 || strlen(to) != n)
                die("replace_all", EINVAL);
        for (char *p = strstr(text, from); p; p = strstr(p + n, from))
                memcpy(p, to, n);
}

static void example_load(const char *root, struct example *e)
{
        struct dirent **names = NULL;
        char dir[4096];
        int n;

        snprintf(dir, sizeof(dir), "%s/examples/%s/requests", root, e->name);
        n = scandir(dir, &names, NULL, alphasort);
        if (n < 0)
                die(dir, errno);
        for (int i = 0; i < n; i++) {
                struct example_request *r = &e->req[e->n];
                _cleanup_free_ uint8_t *text = NULL;
                char path[4352], why[256];
                const json_t *expect;
                json_error_t jerr;
                json_t *j;
                size_t len;
                int k;

                if (!strstr(names[i]->d_name, ".json") || e->n == MAX_EXAMPLE_REQUESTS) {
                        free(names[i]);
                        continue;
                }
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
                snprintf(r->file, sizeof(r->file), "%s/%s", e->name, names[i]->d_name);
                free(names[i]);
                k = read_file_bounded(path, 1u << 20, &text, &len);
                if (k < 0)
                        die(path, k);
                for (int pass = 0; pass < 2; pass++) {
                        const char *cid;

                        j = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
                        if (!j)
                                die(path, EINVAL);
                        expect = json_object_get(j, "expect");
                        r->allow = strcmp(json_string_value(json_object_get(expect, "decision")) ?: "",
                                          "allow") == 0;
                        cid = json_string_value(json_object_get(json_object_get(j, "message"),
                                                                "container_id"));
                        if (pass == 1 || r->allow || !cid || strlen(cid) != 64 ||
                            (strcmp(json_string_value(json_object_get(j, "request")) ?: "",
                                    "CreateContainerRequest") != 0 &&
                             strcmp(json_string_value(json_object_get(expect, "rule")) ?: "",
                                    "unknown-container-id") != 0))
                                break;
                        {
                                char from[65], to[65], tag[9];

                                memcpy(from, cid, sizeof(from));
                                memcpy(to, cid, sizeof(to));
                                snprintf(tag, sizeof(tag), "dead%04x", (unsigned)e->n & 0xffffu);
                                memcpy(to, tag, 8);
                                json_decref(j);
                                text = realloc(text, len + 1);
                                if (!text)
                                        die("realloc", ENOMEM);
                                text[len] = '\0';
                                replace_all((char *)text, from, to);
                        }
                }
                r->method = method_of(j);
                if (!r->method)
                        die(path, ENOENT);
                if (pbjson_to_message(r->method->request, json_object_get(j, "message"),
                                      &r->message, why, sizeof(why)) < 0)
                        die(why, EINVAL);
                snprintf(r->rule, sizeof(r->rule), "%s",
                         json_string_value(json_object_get(expect, "rule")) ?: "");
                json_decref(j);
                e->n++;
        }
        free(names);
}

/* The example's requests as one connection's stream; flags per request from flags_of. */
static void example_stream(const struct example *e, struct buf *b, uint8_t (*flags_of)(size_t))
{
        for (size_t i = 0; i < e->n; i++)
                add_message(b, 2 * (uint32_t)i + 1, flags_of ? flags_of(i) : 0, e->req[i].method,
                            e->req[i].message);
}

/* ---- Running a gate over a stream, as the fuzz target does, for the audit logs ---- */

static struct policy *load_policy(const char *root, const char *rel)
{
        struct policy_error err;
        struct policy *p = NULL;
        char path[4096];
        int r;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        r = policy_load_file(path, &p, &err);
        if (r < 0)
                die(err.message, r);
        return p;
}

/* Decide e's requests in order (OK answers); check each against its "expect". */
static int gate_run(const struct policy *p, const struct example *e, const char *log_path,
                    uint64_t rotate_bytes)
{
        char digest[AUDIT_HASH_HEX + 1];
        struct audit_options ao = {
                .path = log_path,
                .sync = AUDIT_SYNC_INTERVAL,
                .sync_interval_ms = 3600000,
                .rotate_bytes = rotate_bytes,
                .policy_digest = digest,
                .tee = "none",
        };
        const uint8_t *text;
        size_t text_len;
        uint8_t ok[64], frame[256];
        struct audit_log *audit = NULL;
        struct gate g;
        ssize_t n;
        int r, failures = 0;

        n = ttrpc_response_frame(1, TTRPC_CODE_OK, NULL, NULL, 0, frame, sizeof(frame));
        if (n < (ssize_t)TTRPC_HEADER_SIZE || (size_t)n - TTRPC_HEADER_SIZE > sizeof(ok))
                die("response frame", EINVAL);
        memcpy(ok, frame + TTRPC_HEADER_SIZE, (size_t)n - TTRPC_HEADER_SIZE);

        /* As ccgate run records the policy it enforces. */
        text = policy_text(p, &text_len);
        r = audit_sha256_hex(text, text_len, digest);
        if (r < 0)
                die("audit_sha256_hex", r);
        r = audit_open(&ao, &audit);
        if (r < 0)
                die(log_path, r);
        r = gate_init(&g, p, audit, NULL);
        if (r < 0)
                die("gate_init", r);
        for (size_t i = 0; i < e->n; i++) {
                const struct example_request *x = &e->req[i];
                struct buf b = { 0 };
                struct gate_result o;
                struct gate_answered ans;
                char needle[160];
                bool allowed;

                add_message(&b, 2 * (uint32_t)i + 1, 0, x->method, x->message);
                r = gate_request(&g, 1, 2 * (uint32_t)i + 1, b.p + TTRPC_HEADER_SIZE,
                                 b.len - TTRPC_HEADER_SIZE, true, &o);
                buf_done(&b);
                if (r < 0)
                        die("gate_request", r);
                allowed = o.action == GATE_FORWARD;
                snprintf(needle, sizeof(needle), ": %s: ", x->rule);
                if (allowed != x->allow ||
                    (!allowed && o.action == GATE_REPLY && !strstr(o.message, needle))) {
                        fprintf(stderr, "%s in sequence: expected %s (%s), got %s: %s\n", x->file,
                                x->allow ? "allow" : "deny", x->rule,
                                o.action == GATE_FORWARD ? "forward"
                                : o.action == GATE_FORWARD_DRAIN ? "drain" : "reply",
                                o.message);
                        failures++;
                }
                if (o.action != GATE_REPLY) {
                        r = gate_answer(&g, o.ticket, ok, (size_t)n - TTRPC_HEADER_SIZE, &ans);
                        if (r < 0)
                                die("gate_answer", r);
                }
        }
        gate_done(&g);
        audit_close(audit);
        return failures;
}

/* ---- The corpora ---- */

static uint8_t flags_ok(size_t i)
{
        (void)i;
        return 0;
}

/* Every third state change fails at the agent, every fifth is never answered. */
static uint8_t flags_mixed(size_t i)
{
        return i % 3 == 2 ? 1 : i % 5 == 4 ? 2 : 0;
}

static void frame_corpus(void)
{
        static const char T[] = "fuzz-ttrpc-frame";
        const struct envelope_opts unknown = { .unknown_field = true };
        const struct envelope_opts meta = { .n_metadata = 3, .timeout_nano = 1000000000 };
        const struct envelope_opts too_much_meta = { .n_metadata = TTRPC_MAX_METADATA + 1 };
        static const uint8_t garbage[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };
        static const uint8_t unknown_agent_field[] = { 0xf8, 0x3f, 0x01 }; /* field 1023 */
        bool seen[_AGENT_METHOD_MAX] = { false };
        struct buf b = { 0 };
        char name[128];
        uint8_t hdr[TTRPC_HEADER_SIZE];

        for (size_t k = 0; k < ELEMENTSOF(examples); k++) {
                example_stream(&examples[k], &b, flags_ok);
                snprintf(name, sizeof(name), "seq-%s", examples[k].name);
                write_file(T, name, (int)k, b.p, b.len);
                buf_done(&b);
                /* One frame per method, chunked differently. */
                for (size_t i = 0; i < examples[k].n; i++) {
                        const struct example_request *x = &examples[k].req[i];

                        if (seen[x->method->id])
                                continue;
                        seen[x->method->id] = true;
                        add_message(&b, 1, 0, x->method, x->message);
                        snprintf(name, sizeof(name), "one-%s", x->method->method);
                        write_file(T, name, (int)(x->method->id * 37u % 256u), b.p, b.len);
                        buf_done(&b);
                }
        }

        add_request(&b, 1, 0, "grpc.AgentService", "NoSuchMethod", NULL, 0, NULL);
        add_request(&b, 3, 0, "grpc.NoSuchService", "ExecProcess", NULL, 0, NULL);
        add_request(&b, 5, 0, "grpc.Health", "Check", NULL, 0, &meta);
        add_request(&b, 7, 0, "grpc.AgentService", "GetGuestDetails", NULL, 0, &unknown);
        add_request(&b, 9, 0, "grpc.AgentService", "GetGuestDetails", NULL, 0, &too_much_meta);
        add_request(&b, 11, 0, "grpc.AgentService", "ExecProcess", garbage, sizeof(garbage), NULL);
        add_request(&b, 13, 0, "grpc.AgentService", "ReadStdout", unknown_agent_field,
                    sizeof(unknown_agent_field), NULL);
        write_file(T, "refused-requests", 5, b.p, b.len);
        buf_done(&b);

        add_response(&b, 1, TTRPC_CODE_OK);
        add_response(&b, 3, TTRPC_CODE_PERMISSION_DENIED);
        add_frame(&b, 5, TTRPC_TYPE_DATA, TTRPC_FLAG_REMOTE_CLOSED, "data", 4);
        add_frame(&b, 7, TTRPC_TYPE_RESPONSE, 0, garbage, sizeof(garbage));
        write_file(T, "responses-and-data", 6, b.p, b.len);
        buf_done(&b);

        /* A header announcing more than TTRPC_MAX_PAYLOAD, and an unknown type. */
        ttrpc_header_encode(&(struct ttrpc_header){ .length = TTRPC_MAX_PAYLOAD + 1,
                                                    .stream_id = 1, .type = 1 }, hdr);
        write_file(T, "oversized", 7, hdr, sizeof(hdr));
        ttrpc_header_encode(&(struct ttrpc_header){ .length = 0, .stream_id = 1, .type = 9 }, hdr);
        write_file(T, "bad-type", 8, hdr, sizeof(hdr));

        /* A frame cut in its payload (by half, by its last byte), and one in its header. */
        add_message(&b, 1, 0, examples[0].req[0].method, examples[0].req[0].message);
        write_file(T, "cut-payload", 9, b.p, b.len / 2);
        write_file(T, "cut-last-byte", 11, b.p, b.len - 1);
        write_file(T, "cut-header", 10, b.p, 7);
        buf_done(&b);
}

static void decide_corpus(const char *root)
{
        static const char T[] = "fuzz-request-decide";
        static const char *const demo_calls[] = { "GetGuestDetails", "ExecProcess", "CopyFile",
                                                  "UpdateInterface", "ReadStdout", "SetPolicy" };
        const struct envelope_opts unknown = { .unknown_field = true };
        static const uint8_t garbage[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };
        static const uint8_t unknown_agent_field[] = { 0xf8, 0x3f, 0x01 };
        _cleanup_free_ uint8_t *demo_policy = NULL;
        Grpc__SetPolicyRequest sp = GRPC__SET_POLICY_REQUEST__INIT;
        const struct agent_method *set_policy = agent_method_get(AGENT_SET_POLICY);
        struct buf b = { 0 };
        char name[128], path[4096];
        size_t demo_len;
        uint32_t sid;
        int r;

        for (size_t k = 0; k < ELEMENTSOF(examples); k++) {
                example_stream(&examples[k], &b, flags_ok);
                snprintf(name, sizeof(name), "seq-%s", examples[k].name);
                write_file(T, name, examples[k].setup, b.p, b.len);
                buf_done(&b);
                example_stream(&examples[k], &b, flags_mixed);
                snprintf(name, sizeof(name), "seq-%s-agent-errors", examples[k].name);
                write_file(T, name, examples[k].setup, b.p, b.len);
                buf_done(&b);
        }
        /* web in audit mode; web when attestation failed */
        example_stream(&examples[0], &b, flags_ok);
        write_file(T, "seq-web-audit-mode", 3, b.p, b.len);
        write_file(T, "seq-web-deny-all", 6, b.p, b.len);
        buf_done(&b);

        /* Creates held in flight, answered later by the agent: OK, error, garbage. */
        sid = 1;
        for (size_t i = 0; i < 3; i++)
                add_message(&b, sid += 2, 3, examples[0].req[i].method, examples[0].req[i].message);
        add_response(&b, 1, TTRPC_CODE_OK);
        add_response(&b, 3, TTRPC_CODE_INTERNAL);
        add_frame(&b, 5, TTRPC_TYPE_RESPONSE, 0, garbage, sizeof(garbage));
        for (size_t i = 0; i < examples[0].n; i++)
                add_message(&b, sid += 2, i < 3 ? 3 : 0, examples[0].req[i].method,
                            examples[0].req[i].message);
        write_file(T, "web-inflight", 0, b.p, b.len);
        buf_done(&b);

        /* What the gate must refuse before any policy is consulted. */
        add_request(&b, 1, 0, "grpc.AgentService", "NoSuchMethod", NULL, 0, NULL);
        add_request(&b, 3, 0, "grpc.AgentService", "GetGuestDetails", NULL, 0, &unknown);
        add_request(&b, 5, 0, "grpc.AgentService", "ExecProcess", garbage, sizeof(garbage), NULL);
        add_request(&b, 7, 0, "grpc.AgentService", "ReadStdout", unknown_agent_field,
                    sizeof(unknown_agent_field), NULL);
        add_frame(&b, 9, TTRPC_TYPE_REQUEST, 0, garbage, sizeof(garbage));
        add_request(&b, 11, 0, "grpc.Health", "Check", NULL, 0, NULL);
        write_file(T, "refused", 0, b.p, b.len);
        buf_done(&b);

        /* The demo's calls: empty requests of each method. */
        for (size_t i = 0; i < ELEMENTSOF(demo_calls); i++)
                add_request(&b, 2 * (uint32_t)i + 1, 0, "grpc.AgentService", demo_calls[i], NULL, 0,
                            NULL);
        write_file(T, "demo-calls", 4, b.p, b.len);
        write_file(T, "no-policy", 7, b.p, b.len);
        buf_done(&b);

        /* A policy delivered by SetPolicyRequest (dev mode): a broken one, then the demo's. */
        snprintf(path, sizeof(path), "%s/examples/demo/policy.yaml", root);
        r = read_file_bounded(path, 1u << 20, &demo_policy, &demo_len);
        if (r < 0)
                die(path, r);
        sp.policy = "version: 1\nrequests: [\n";
        add_message(&b, 1, 0, set_policy, &sp.base);
        sp.policy = malloc(demo_len + 1);
        if (!sp.policy)
                die("malloc", ENOMEM);
        memcpy(sp.policy, demo_policy, demo_len);
        sp.policy[demo_len] = '\0';
        add_message(&b, 3, 0, set_policy, &sp.base);
        free(sp.policy);
        for (size_t i = 0; i < ELEMENTSOF(demo_calls); i++)
                add_request(&b, 2 * (uint32_t)i + 5, 0, "grpc.AgentService", demo_calls[i], NULL,
                            0, NULL);
        write_file(T, "await-setpolicy", 5, b.p, b.len);
        buf_done(&b);
}

static void policy_corpus(const char *root)
{
        static const char T[] = "fuzz-policy-load";
        static const char *const dirs[] = { "tests/policy/fixtures/good",
                                            "tests/policy/fixtures/bad",
                                            "tests/integration/policies" };
        static const char *const ex[] = { "web", "locked", "sidecar", "demo" };
        char path[4096], name[512];

        for (size_t i = 0; i < ELEMENTSOF(ex); i++) {
                _cleanup_free_ uint8_t *text = NULL;
                size_t len;
                int r;

                snprintf(path, sizeof(path), "%s/examples/%s/policy.yaml", root, ex[i]);
                r = read_file_bounded(path, 1u << 20, &text, &len);
                if (r < 0)
                        die(path, r);
                snprintf(name, sizeof(name), "example-%s.yaml", ex[i]);
                write_file(T, name, -1, text, len);
        }
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                struct dirent **names = NULL;
                char dir[4096];
                int n;

                snprintf(dir, sizeof(dir), "%s/%s", root, dirs[i]);
                n = scandir(dir, &names, NULL, alphasort);
                if (n < 0)
                        die(dir, errno);
                for (int k = 0; k < n; k++) {
                        _cleanup_free_ uint8_t *text = NULL;
                        size_t len;

                        if (strstr(names[k]->d_name, ".yaml") &&
                            snprintf(path, sizeof(path), "%s/%s", dir, names[k]->d_name) > 0 &&
                            read_file_bounded(path, 1u << 20, &text, &len) == 0) {
                                snprintf(name, sizeof(name), "%s-%s",
                                         strrchr(dirs[i], '/') + 1, names[k]->d_name);
                                write_file(T, name, -1, text, len);
                        }
                        free(names[k]);
                }
                free(names);
        }
}

/* Lines of a log as offsets, for the damaged variants. */
struct lines {
        size_t start[256];
        size_t n;
};

static void lines_of(const struct buf *b, struct lines *l)
{
        l->n = 0;
        for (size_t i = 0; i < b->len && l->n < ELEMENTSOF(l->start); i++)
                if (i == 0 || b->p[i - 1] == '\n')
                        l->start[l->n++] = i;
}

static size_t line_end(const struct buf *b, const struct lines *l, size_t i)
{
        return i + 1 < l->n ? l->start[i + 1] : b->len;
}

static void read_into(const char *path, struct buf *b)
{
        _cleanup_free_ uint8_t *p = NULL;
        size_t len;
        int r;

        r = read_file_bounded(path, 16u << 20, &p, &len);
        if (r < 0)
                die(path, r);
        buf_add(b, p, len);
}

/* Line k of b, the prev of every later line recomputed: an intact chain again. */
static void rechain_after(struct buf *b, size_t k)
{
        struct lines l;

        lines_of(b, &l);
        for (size_t i = k + 1; i < l.n; i++) {
                size_t end = line_end(b, &l, i);
                uint8_t *prev = memmem(b->p + l.start[i], end - l.start[i], "\"prev\":\"", 8);
                char hash[AUDIT_HASH_HEX + 1];

                if (!prev || audit_sha256_hex(b->p + l.start[i - 1],
                                              line_end(b, &l, i - 1) - l.start[i - 1] - 1,
                                              hash) < 0)
                        die("rechain", EINVAL);
                memcpy(prev + 8, hash, AUDIT_HASH_HEX);
        }
}

/*
 * The first outcome record of b follows up another request: its stream id two
 * more (a stream of its connection with no such decision), or its decision_seq
 * 0 (the genesis record). The chain after it is recomputed.
 */
static void outcome_misdirected(struct buf *b, bool stream)
{
        const char *key = stream ? "\"stream\":" : "\"decision_seq\":";
        struct buf out = { 0 };
        struct lines l;

        lines_of(b, &l);
        for (size_t i = 0; i < l.n; i++) {
                size_t end = line_end(b, &l, i), at;
                uint8_t *k;
                char *num_end, num[24];
                unsigned long v;

                if (!memmem(b->p + l.start[i], end - l.start[i], "\"type\":\"outcome\"", 16))
                        continue;
                k = memmem(b->p + l.start[i], end - l.start[i], key, strlen(key));
                if (!k)
                        break;
                at = (size_t)(k - b->p) + strlen(key);
                v = strtoul((const char *)b->p + at, &num_end, 10);
                snprintf(num, sizeof(num), "%lu", stream ? v + 2 : 0);
                buf_add(&out, b->p, at);
                buf_add(&out, num, strlen(num));
                buf_add(&out, num_end, b->len - (size_t)((uint8_t *)num_end - b->p));
                rechain_after(&out, i);
                buf_done(b);
                *b = out;
                return;
        }
        die("no outcome record to misdirect", EINVAL);
}

static int audit_corpus(const char *root, const char *tmp)
{
        static const char T[] = "fuzz-audit-verify";
        struct policy *web = load_policy(root, "examples/web/policy.yaml");
        struct policy *locked = load_policy(root, "examples/locked/policy.yaml");
        struct policy *sidecar = load_policy(root, "examples/sidecar/policy.yaml");
        struct buf log = { 0 }, b = { 0 };
        char path[4096], rotated[4200];
        struct lines l;
        int failures = 0;

        /* Each example decided in sequence: the expectations hold, and the logs are seeds. */
        snprintf(path, sizeof(path), "%s/locked.log", tmp);
        failures += gate_run(locked, &examples[1], path, 0);
        snprintf(path, sizeof(path), "%s/sidecar.log", tmp);
        failures += gate_run(sidecar, &examples[2], path, 0);
        read_into(path, &b);
        write_file(T, "sidecar", 0, b.p, b.len);
        buf_done(&b);
        snprintf(path, sizeof(path), "%s/web.log", tmp);
        failures += gate_run(web, &examples[0], path, 0);
        read_into(path, &log);
        write_file(T, "web", 0, log.p, log.len);
        write_file(T, "web-closed", 2, log.p, log.len);
        lines_of(&log, &l);
        if (l.n < 8)
                die("the web log is too short", EINVAL);

        /* A tail (--partial), and a tail without it. */
        write_file(T, "web-tail-partial", 1, log.p + l.start[4], log.len - l.start[4]);
        write_file(T, "web-tail", 0, log.p + l.start[4], log.len - l.start[4]);

        /* A record edited (a decision flipped), removed, two swapped, the end cut. */
        buf_add(&b, log.p, log.len);
        {
                uint8_t *d = memmem(b.p + l.start[5], line_end(&b, &l, 5) - l.start[5],
                                    "\"deny\"", 6);
                uint8_t *a = memmem(b.p + l.start[5], line_end(&b, &l, 5) - l.start[5],
                                    "\"allow\"", 7);

                if (a)
                        memcpy(a, "\"alloW\"", 7);
                else if (d)
                        memcpy(d, "\"dEny\"", 6);
                else
                        b.p[l.start[5] + 2] ^= 1;
        }
        write_file(T, "web-edited", 0, b.p, b.len);
        buf_done(&b);
        buf_add(&b, log.p, l.start[3]);
        buf_add(&b, log.p + l.start[4], log.len - l.start[4]);
        write_file(T, "web-removed", 0, b.p, b.len);
        buf_done(&b);
        buf_add(&b, log.p, l.start[3]);
        buf_add(&b, log.p + l.start[4], line_end(&log, &l, 4) - l.start[4]);
        buf_add(&b, log.p + l.start[3], l.start[4] - l.start[3]);
        buf_add(&b, log.p + l.start[5], log.len - l.start[5]);
        write_file(T, "web-swapped", 0, b.p, b.len);
        buf_done(&b);
        write_file(T, "web-cut", 0, log.p, log.len - 20);
        /* Chains that verify record by record, with an outcome that follows up
         * the wrong decision: another stream's, or none that was forwarded. */
        buf_add(&b, log.p, log.len);
        outcome_misdirected(&b, true);
        write_file(T, "web-outcome-other-stream", 0, b.p, b.len);
        buf_done(&b);
        buf_add(&b, log.p, log.len);
        outcome_misdirected(&b, false);
        write_file(T, "web-outcome-no-decision", 0, b.p, b.len);
        buf_done(&b);
        write_file(T, "web-closed-cut-stop", 2, log.p, l.start[l.n - 1]);
        write_file(T, "empty", 0, NULL, 0);
        buf_add(&b, log.p, log.len);
        buf_add(&b, "{\"v\":1,\"seq\":", 13);
        write_file(T, "web-not-json", 0, b.p, b.len);
        buf_done(&b);

        /* Rotated: the files in reverse order, which verification must sort. */
        snprintf(path, sizeof(path), "%s/rot.log", tmp);
        failures += gate_run(web, &examples[0], path, 16384);
        for (int i = 3; i >= 1; i--) {
                snprintf(rotated, sizeof(rotated), "%s.%d", path, i);
                if (access(rotated, F_OK) == 0) {
                        read_into(rotated, &b);
                        buf_add(&b, "\x1e\n", 2);
                }
        }
        read_into(path, &b);
        write_file(T, "web-rotated", 2, b.p, b.len);
        buf_done(&b);

        /* The same records twice (a rotated file copied back as live). */
        buf_add(&b, log.p, log.len);
        buf_add(&b, "\x1e\n", 2);
        buf_add(&b, log.p, log.len);
        write_file(T, "web-twice", 0, b.p, b.len);
        buf_done(&b);

        buf_done(&log);
        policy_free(web);
        policy_free(locked);
        policy_free(sidecar);
        return failures;
}

int main(int argc, char **argv)
{
        char tmp[] = "/tmp/ccgate-gen-corpus-XXXXXX";
        char cmd[128];
        int failures;

        if (argc != 3) {
                fprintf(stderr, "usage: fuzz-gen-corpus SOURCE_ROOT OUTDIR\n");
                return 2;
        }
        out_root = argv[2];
        if (mkdir(out_root, 0755) < 0 && errno != EEXIST)
                die(out_root, errno);
        if (!mkdtemp(tmp))
                die("mkdtemp", errno);

        for (size_t k = 0; k < ELEMENTSOF(examples); k++)
                example_load(argv[1], &examples[k]);

        frame_corpus();
        decide_corpus(argv[1]);
        policy_corpus(argv[1]);
        failures = audit_corpus(argv[1], tmp);

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
        if (system(cmd) != 0)
                die("rm", EIO);
        for (size_t k = 0; k < ELEMENTSOF(examples); k++)
                for (size_t i = 0; i < examples[k].n; i++)
                        protobuf_c_message_free_unpacked(examples[k].req[i].message, NULL);
        if (failures) {
                fprintf(stderr, "fuzz-gen-corpus: %d example request(s) not decided as expected "
                        "in sequence\n", failures);
                return 1;
        }
        return 0;
}
