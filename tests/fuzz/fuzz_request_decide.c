/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request path as the proxy drives it: a host's stream of request frames
 * through gate_request() (envelope and agent request decoded in the gate's
 * arena, decided against a fixed policy, audited), with the agent's answers
 * given back as gate_answer() / gate_abandon(). Each input gets a fresh gate
 * and audit log; the policies are loaded once.
 *
 * Input: byte 0 picks the gate's set-up (low 3 bits, see `setups`); the rest
 * is a ttRPC stream. Request frames go to the gate (stream ids must be odd and
 * increasing, as the proxy requires; anything else ends the connection). The
 * low 2 flag bits of a request frame say what the agent does with a forwarded
 * request: 0 answers OK, 1 answers an error, 2 never answers (the agent is
 * lost), 3 keeps it in flight. A response frame is the agent's answer to the
 * oldest request still in flight, its payload as given. A data frame ends the
 * connection, and what is still in flight is abandoned.
 *
 * Oracles: the gate fails closed (whatever does not decode, or names no known
 * method, is answered with PERMISSION_DENIED), its denials have the documented
 * shape and carry nothing from the request, only reads are drained, set-ups
 * that allow nothing allow nothing, and the audit log it wrote verifies with a
 * decision record for every request and an outcome record for every one
 * forwarded.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "agent_api.h"
#include "agent_request.h"
#include "attest.h"
#include "audit.h"
#include "fileio.h"
#include "fuzz.h"
#include "gate.h"
#include "policy.h"
#include "ttrpc.h"
#include "ttrpc_msg.h"

#define MAX_FRAMES 256u
#define MAX_INFLIGHT 16u

enum setup_kind {
        SETUP_POLICY,   /* a loaded policy */
        SETUP_AWAIT,    /* no policy: wait for an attested SetPolicyRequest (dev mode) */
        SETUP_DENY_ALL, /* attestation failed: deny everything */
        SETUP_NONE,     /* no policy and no way to get one */
};

struct setup {
        const char *name;
        enum setup_kind kind;
        const char *path;  /* under the source root */
        bool audit_mode;   /* load the file with `mode: audit` instead of enforce */
        struct policy *policy;
};

/* Indexed by the input's first byte & 7. */
static struct setup setups[8] = {
        { "web", SETUP_POLICY, "examples/web/policy.yaml", false, NULL },
        { "locked", SETUP_POLICY, "examples/locked/policy.yaml", false, NULL },
        { "sidecar", SETUP_POLICY, "examples/sidecar/policy.yaml", false, NULL },
        { "web-audit", SETUP_POLICY, "examples/web/policy.yaml", true, NULL },
        { "demo", SETUP_POLICY, "examples/demo/policy.yaml", false, NULL },
        { "await", SETUP_AWAIT, NULL, false, NULL },
        { "deny-all", SETUP_DENY_ALL, "examples/web/policy.yaml", false, NULL },
        { "none", SETUP_NONE, NULL, false, NULL },
};

static char log_path[128];
static struct attest_config dev_attest = { .tee = ATTEST_TEE_NONE };
static struct attest_result dev_measured;
static uint8_t ok_answer[64];
static size_t ok_answer_len;
static uint8_t error_answer[128];
static size_t error_answer_len;

static bool all_ascii(const uint8_t *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (p[i] >= 0x80)
                        return false;
        return true;
}

static void load_setup(struct setup *s)
{
        _cleanup_free_ uint8_t *text = NULL;
        struct policy_error err;
        char path[4096];
        size_t len;
        int r;

        if (!s->path)
                return;
        snprintf(path, sizeof(path), "%s/%s", fuzz_source_root(), s->path);
        r = read_file_bounded(path, 1u << 20, &text, &len);
        if (r < 0)
                fuzz_die(path, r);
        /* The denial oracle assumes rule ids and reasons are ASCII, as the examples are. */
        if (!all_ascii(text, len))
                fuzz_die("policy is not ASCII", 0);
        if (s->audit_mode) {
                uint8_t *m = memmem(text, len, "\nmode: enforce\n", 15);

                if (!m)
                        fuzz_die("no `mode: enforce` line to turn into audit mode", 0);
                memcpy(m, "\nmode:   audit\n", 15);
        }
        r = policy_load_buffer(s->path, text, len, &s->policy, &err);
        if (r < 0)
                fuzz_die(err.message, r);
        if (policy_mode(s->policy) != (s->audit_mode ? POLICY_MODE_AUDIT : POLICY_MODE_ENFORCE))
                fuzz_die("policy mode", 0);
}

static size_t answer_payload(int32_t code, uint8_t *out, size_t cap)
{
        uint8_t frame[256];
        ssize_t n;

        n = ttrpc_response_frame(1, code, code ? "agent error" : NULL, NULL, 0, frame,
                                 sizeof(frame));
        if (n < (ssize_t)TTRPC_HEADER_SIZE || (size_t)n - TTRPC_HEADER_SIZE > cap)
                fuzz_die("response frame", 0);
        memcpy(out, frame + TTRPC_HEADER_SIZE, (size_t)n - TTRPC_HEADER_SIZE);
        return (size_t)n - TTRPC_HEADER_SIZE;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        int r;

        (void)argc;
        (void)argv;
        for (size_t i = 0; i < ELEMENTSOF(setups); i++)
                load_setup(&setups[i]);
        r = attest_measure(&dev_attest, &dev_measured);
        if (r < 0 || !dev_measured.dev_mode)
                fuzz_die("attest_measure(--tee none)", r);
        snprintf(log_path, sizeof(log_path), "%s/audit.log", fuzz_scratch_dir());
        ok_answer_len = answer_payload(TTRPC_CODE_OK, ok_answer, sizeof(ok_answer));
        error_answer_len = answer_payload(TTRPC_CODE_INTERNAL, error_answer, sizeof(error_answer));
        return 0;
}

/* What the request is, decoded independently of the gate (with malloc). */
struct reference {
        bool decodes;                /* envelope and agent request both decode */
        const struct agent_method *method;
};

static struct reference reference_decode(const uint8_t *payload, size_t len)
{
        struct reference ref = { 0 };
        Ttrpc__Request *env = NULL;
        ProtobufCMessage *msg = NULL;

        if (ttrpc_request_decode(payload, len, NULL, &env) < 0)
                return ref;
        ref.method = agent_method_lookup(env->service, strlen(env->service), env->method,
                                         strlen(env->method));
        if (ref.method &&
            agent_request_decode(ref.method, env->payload.data, env->payload.len, NULL, &msg) == 0)
                ref.decodes = true;
        agent_request_free(msg, NULL);
        ttrpc__request__free_unpacked(env, NULL);
        return ref;
}

static void check_result(const struct setup *s, bool policy_from_host, const struct reference *ref,
                         const struct gate_result *o)
{
        size_t mlen = strnlen(o->message, sizeof(o->message));
        const char *name = ref->method ? ref->method->request_name : "Request";

        FUZZ_CHECK(o->action >= 0 && o->action < _GATE_ACTION_MAX);
        FUZZ_CHECK(o->effect.kind >= 0 && o->effect.kind < _POLICY_EFFECT_MAX);
        FUZZ_CHECK(strnlen(o->effect.container_id, sizeof(o->effect.container_id)) <= POLICY_ID_MAX);
        FUZZ_CHECK(strnlen(o->effect.exec_id, sizeof(o->effect.exec_id)) <= POLICY_ID_MAX);

        /* Fail closed: what cannot be decoded is never forwarded. */
        if (!ref->decodes)
                FUZZ_CHECK(o->action == GATE_REPLY && o->code == TTRPC_CODE_PERMISSION_DENIED);
        /* Set-ups that allow nothing. */
        if (s->kind == SETUP_DENY_ALL || s->kind == SETUP_NONE ||
            (s->kind == SETUP_AWAIT && !policy_from_host &&
             !(ref->method && ref->method->id == AGENT_SET_POLICY)))
                FUZZ_CHECK(o->action == GATE_REPLY && o->code == TTRPC_CODE_PERMISSION_DENIED);
        /* Only stream reads are drained, and a drain changes nothing. */
        if (o->action == GATE_FORWARD_DRAIN) {
                FUZZ_CHECK(ref->method && (ref->method->id == AGENT_READ_STDOUT ||
                                           ref->method->id == AGENT_READ_STDERR));
                FUZZ_CHECK(o->effect.kind == POLICY_EFFECT_NONE);
        }
        if (o->action != GATE_REPLY)
                return;

        FUZZ_CHECK(o->effect.kind == POLICY_EFFECT_NONE);
        FUZZ_CHECK(mlen < sizeof(o->message));
        if (o->code == TTRPC_CODE_OK) {
                /* Only a delivered policy is answered OK by ccgate itself. */
                FUZZ_CHECK(s->kind == SETUP_AWAIT && ref->method &&
                           ref->method->id == AGENT_SET_POLICY);
                return;
        }
        FUZZ_CHECK(o->code == TTRPC_CODE_PERMISSION_DENIED);
        /* "<Name> is blocked by policy: <rule>: <reason>" */
        FUZZ_CHECK(strncmp(o->message, name, strlen(name)) == 0);
        FUZZ_CHECK(strncmp(o->message + strlen(name), " is blocked by policy: ",
                           strlen(" is blocked by policy: ")) == 0);
        /* Rule ids and reasons come from the (ASCII) policy or the gate, never the host. */
        if (!policy_from_host)
                for (size_t i = 0; i < mlen; i++)
                        FUZZ_CHECK(o->message[i] >= 0x20 && o->message[i] < 0x7f);
}

struct run {
        struct gate gate;
        const struct setup *setup;
        bool policy_from_host;
        struct gate_ticket *inflight[MAX_INFLIGHT];
        size_t n_inflight;
        uint64_t n_requests, n_forwarded;
};

static void agent_answers(struct run *run, struct gate_ticket *t, const uint8_t *payload,
                          size_t len)
{
        struct gate_answered ans;
        int r = gate_answer(&run->gate, t, payload, len, &ans);

        FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOSPC);
        FUZZ_CHECK(ans.action == GATE_PASS || ans.action == GATE_REPLACE);
        if (ans.action == GATE_REPLACE)
                FUZZ_CHECK(ans.decoded && ans.code == TTRPC_CODE_OK && ans.frame.len > 0);
}

static void agent_lost(struct run *run, struct gate_ticket *t, enum gate_abandon why)
{
        struct gate_frame reply;

        FUZZ_CHECK(gate_abandon(&run->gate, t, why, &reply) == 0);
        FUZZ_CHECK(why == GATE_ABANDON_HOST_CLOSED ? reply.len == 0 : reply.len > 0);
}

static void request_frame(struct run *run, const struct ttrpc_frame *f)
{
        struct reference ref = reference_decode(f->payload, f->header.length);
        struct gate_result o;
        int r;

        r = gate_request(&run->gate, 1, f->header.stream_id, f->payload, f->header.length,
                         run->n_inflight < MAX_INFLIGHT, &o);
        run->n_requests++;
        /* An internal error is a denial too, but none is expected on any input. */
        FUZZ_CHECK(r == 0);
        check_result(run->setup, run->policy_from_host, &ref, &o);
        if (o.action == GATE_REPLY && o.code == TTRPC_CODE_OK)
                run->policy_from_host = true;

        if (o.action == GATE_REPLY)
                return;
        run->n_forwarded++;
        switch (f->header.flags & 3u) {
        case 0:
                agent_answers(run, o.ticket, ok_answer, ok_answer_len);
                break;
        case 1:
                agent_answers(run, o.ticket, error_answer, error_answer_len);
                break;
        case 2:
                agent_lost(run, o.ticket, GATE_ABANDON_AGENT_LOST);
                break;
        default:
                run->inflight[run->n_inflight++] = o.ticket; /* room was asked for */
                break;
        }
}

static void response_frame(struct run *run, const struct ttrpc_frame *f)
{
        struct gate_ticket *t;

        if (run->n_inflight == 0)
                return;
        t = run->inflight[0];
        memmove(&run->inflight[0], &run->inflight[1],
                (run->n_inflight - 1) * sizeof(run->inflight[0]));
        run->n_inflight--;
        agent_answers(run, t, f->payload, f->header.length);
}

static void verify_log(uint64_t n_requests, uint64_t n_forwarded)
{
        char *paths[] = { log_path };
        struct audit_verify_options vo = { .closed = true };
        struct audit_verify_report rep;
        struct audit_problem prob;
        int r;

        r = audit_verify(paths, 1, &vo, &rep, &prob);
        if (r < 0)
                fprintf(stderr, "audit log: %s:%lu: %s\n", prob.file, prob.line, prob.message);
        FUZZ_CHECK(r == 0);
        /* genesis + one record per request + one per forwarded request's outcome + stop */
        FUZZ_CHECK(rep.n_records == n_requests + n_forwarded + 2);
        FUZZ_CHECK(rep.from_genesis && rep.clean_stop);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct audit_options ao = {
                .path = log_path,
                .sync = AUDIT_SYNC_INTERVAL,
                .sync_interval_ms = 3600u * 1000u,
                .policy_digest = "none",
                .tee = "none",
        };
        struct audit_log *audit = NULL;
        struct run run = { 0 };
        uint32_t last_sid = 0;
        size_t off = 1;
        int r;

        if (size < 1)
                return 0;
        run.setup = &setups[data[0] & 7u];

        (void)unlink(log_path);
        r = audit_open(&ao, &audit);
        if (r < 0)
                fuzz_die("audit_open", r);
        r = gate_init(&run.gate, run.setup->policy, audit,
                      run.setup->kind == SETUP_DENY_ALL ? "the TEE report does not match" : NULL);
        if (r < 0)
                fuzz_die("gate_init", r);
        if (run.setup->kind == SETUP_AWAIT) {
                r = gate_await_policy(&run.gate, &dev_attest, &dev_measured, "none");
                FUZZ_CHECK(r == 0);
        }

        for (unsigned i = 0; i < MAX_FRAMES; i++) {
                struct ttrpc_frame f;

                if (ttrpc_header_parse(data + off, size - off, &f.header) < 0 ||
                    size - off - TTRPC_HEADER_SIZE < f.header.length)
                        break; /* the proxy would wait for more, or close */
                f.payload = data + off + TTRPC_HEADER_SIZE;
                off += TTRPC_HEADER_SIZE + f.header.length;

                if (f.header.type == TTRPC_TYPE_RESPONSE) {
                        response_frame(&run, &f);
                        continue;
                }
                if (f.header.type != TTRPC_TYPE_REQUEST || (f.header.stream_id & 1u) == 0 ||
                    f.header.stream_id <= last_sid)
                        break; /* the proxy closes the connection */
                last_sid = f.header.stream_id;
                request_frame(&run, &f);
        }

        /* The connection is gone: what is still in flight is never answered. */
        for (size_t i = 0; i < run.n_inflight; i++)
                agent_lost(&run, run.inflight[i], GATE_ABANDON_HOST_CLOSED);
        FUZZ_CHECK(run.gate.in_flight == 0);
        gate_done(&run.gate);
        audit_close(audit);
        verify_log(run.n_requests, run.n_forwarded);
        return 0;
}
