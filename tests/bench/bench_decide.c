/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_decide: decision micro-benchmarks, no sockets. The web example's
 * CreateContainer (nginx, full OCI spec), ExecProcess (the liveness probe),
 * ReadStdout (kubectl logs) and CopyFile (kubelet's resolv.conf) requests,
 * decided against generated policies of 1, 20 and 100 containers in which
 * nginx is the last entry. Two levels per request:
 *   decide  policy_decide() on the decoded message: the policy decision
 *   gate    gate_request() on the ttRPC envelope: decode into the arena,
 *           decide, and append the hash-chained audit record (a real file,
 *           fsync at most once a second), i.e. all of ccgate's per-request work
 *           but the socket I/O
 *   answer  gate_answer() on the agent's (error) answer and gate_idle(), as
 *           the proxy calls them: its status read, the held state change
 *           dropped, the outcome record queued and encoded; the record is
 *           written with the next request's decision record (in "gate")
 * Every call is timed on its own (CLOCK_MONOTONIC; the timer's own cost is
 * reported, not subtracted), and malloc/calloc/realloc calls are counted by
 * interposing them in this binary. Prints one JSON document on stdout.
 *
 * Usage: bench_decide SOURCE_ROOT TMPDIR [ITERATIONS]
 */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_count.h"
#include "audit.h"
#include "bench_util.h"
#include "cleanup.h"
#include "example_state.h"
#include "gate.h"
#include "policy.h"
#include "policy_gen.h"
#include "policy_inspect.h"


#define WARMUP 2000u

struct kind {
        const char *label; /* the method */
        const char *file;  /* under examples/web/requests */
};

static const struct kind kinds[] = {
        { "CreateContainer", "03-create-nginx.json" },
        { "ExecProcess", "04-exec-liveness.json" },
        { "ReadStdout", "06-logs-stdout.json" },
        { "CopyFile", "07-copy-resolv-conf.json" },
};

static const size_t policy_sizes[] = { 1, 20, 100 };

struct run {
        const char *source_root;
        const char *tmpdir;
        size_t iterations;
        uint64_t *samples;
};

/* The decision must be the one the example expects, or we would time a denial. */
static int check_expected(const struct bench_request *req, const char *label, enum verdict v,
                          const char *rule_id)
{
        const json_t *exp = json_object_get(req->json, "expect");
        const char *want_decision = json_string_value(json_object_get(exp, "decision"));
        const char *want_rule = json_string_value(json_object_get(exp, "rule"));

        if (!want_decision || strcmp(verdict_to_string(v), want_decision) != 0 ||
            (want_rule && strcmp(rule_id, want_rule) != 0)) {
                fprintf(stderr, "bench_decide: %s: decided %s (%s), the example expects %s (%s)\n",
                        label, verdict_to_string(v), rule_id, want_decision ? want_decision : "?",
                        want_rule ? want_rule : "?");
                return -EINVAL;
        }
        return 0;
}

static json_t *level_json(struct run *run, unsigned long allocs, size_t heap_before,
                          size_t heap_after)
{
        struct bench_stats st;
        json_t *j;

        bench_stats_compute(run->samples, run->iterations, &st);
        j = bench_stats_json(&st);
        if (!j)
                return NULL;
        json_object_set_new(j, "allocs_per_op", json_real((double)allocs / (double)run->iterations));
        json_object_set_new(j, "heap_growth_bytes",
                            json_integer((json_int_t)heap_after - (json_int_t)heap_before));
        return j;
}

static json_t *bench_policy_decide(struct run *run, const struct policy *p,
                                   const struct bench_request *req)
{
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        struct decision d;
        size_t heap_before;

        if (!s || example_state_load(p, json_object_get(req->json, "state"), s) < 0)
                return NULL;
        if (policy_decide(p, s, req->method, req->message, &d) < 0 ||
            check_expected(req, req->method->method, d.verdict, d.rule_id) < 0)
                return NULL;
        for (size_t i = 0; i < WARMUP; i++)
                (void)policy_decide(p, s, req->method, req->message, &d);

        heap_before = mallinfo2().uordblks;
        alloc_count_start();
        for (size_t i = 0; i < run->iterations; i++) {
                uint64_t t0 = bench_now_ns();

                (void)policy_decide(p, s, req->method, req->message, &d);
                run->samples[i] = bench_now_ns() - t0;
        }
        return level_json(run, alloc_count_stop(), heap_before, mallinfo2().uordblks);
}

/* An agent's error answer (status{code: 2}): what it would create is dropped again. */
static const uint8_t error_answer[] = { 0x0a, 0x02, 0x08, 0x02 };

/* The agent's answer to a forwarded request, and the proxy's idle step after it. */
static void answer(struct gate *g, const struct gate_result *o)
{
        struct gate_answered ans;

        if (o->action != GATE_REPLY)
                (void)gate_answer(g, o->ticket, error_answer, sizeof(error_answer), &ans);
        (void)gate_idle(g);
}

/* One gate_request() and its answer. */
static int gate_once(struct gate *g, uint32_t stream, const uint8_t *env, size_t env_len,
                     struct gate_result *o)
{
        int r = gate_request(g, 1, stream, env, env_len, true, o);

        answer(g, o);
        return r;
}

static json_t *bench_gate(struct run *run, const struct policy *p, const char *policy_text,
                          size_t policy_len, const struct bench_request *req, json_t **ret_answer)
{
        _cleanup_(audit_closep) struct audit_log *audit = NULL;
        _cleanup_free_ uint8_t *env = NULL;
        char path[4096], digest[AUDIT_HASH_HEX + 1];
        struct gate g;
        struct gate_result o;
        size_t env_len, heap_before;
        uint32_t stream = 1;
        unsigned long allocs;
        json_t *ret = NULL;

        snprintf(path, sizeof(path), "%s/audit-bench.log", run->tmpdir);
        (void)unlink(path);
        if (audit_sha256_hex(policy_text, policy_len, digest) < 0 ||
            audit_open(&(struct audit_options){ .path = path,
                                                .sync = AUDIT_SYNC_INTERVAL,
                                                .sync_interval_ms = 1000,
                                                .policy_digest = digest,
                                                .tee = "none" },
                       &audit) < 0)
                return NULL;
        if (bench_request_envelope(req->method->service, req->method->method, req->payload,
                                   req->len, &env, &env_len) < 0 ||
            gate_init(&g, p, audit, NULL) < 0)
                return NULL;
        if (example_state_load(p, json_object_get(req->json, "state"), g.state) < 0)
                goto out;
        if (gate_once(&g, stream, env, env_len, &o) < 0 || o.action != GATE_FORWARD) {
                fprintf(stderr, "bench_decide: %s: the gate did not forward it: %s\n",
                        req->method->method, o.message);
                goto out;
        }
        for (size_t i = 0; i < WARMUP; i++)
                (void)gate_once(&g, stream += 2, env, env_len, &o);

        heap_before = mallinfo2().uordblks;
        alloc_count_start();
        for (size_t i = 0; i < run->iterations; i++) {
                uint64_t t0 = bench_now_ns();

                (void)gate_request(&g, 1, stream += 2, env, env_len, true, &o);
                run->samples[i] = bench_now_ns() - t0;
                answer(&g, &o);
        }
        allocs = alloc_count_stop();
        ret = level_json(run, allocs, heap_before, mallinfo2().uordblks);

        heap_before = mallinfo2().uordblks;
        alloc_count_start();
        for (size_t i = 0; i < run->iterations; i++) {
                uint64_t t0;

                (void)gate_request(&g, 1, stream += 2, env, env_len, true, &o);
                t0 = bench_now_ns();
                answer(&g, &o);
                run->samples[i] = bench_now_ns() - t0;
        }
        allocs = alloc_count_stop();
        *ret_answer = level_json(run, allocs, heap_before, mallinfo2().uordblks);
out:
        gate_done(&g);
        audit = audit_close(TAKE_PTR(audit));
        (void)unlink(path);
        return ret;
}

static int bench_one_policy(struct run *run, const struct policy_gen *gen, size_t n_containers,
                            json_t *results)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_(policy_freep) struct policy *p = NULL;
        struct policy_error perr = { 0 };
        size_t len = 0;

        text = policy_gen_containers(gen, n_containers, &len);
        if (!text)
                return -ENOMEM;
        if (policy_load_buffer("generated", (const uint8_t *)text, len, &p, &perr) < 0) {
                fprintf(stderr, "bench_decide: the %zu-container policy does not load: %u:%u: %s\n",
                        n_containers, perr.line, perr.column, perr.message);
                return -EINVAL;
        }
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                struct bench_request req;
                json_t *decide, *gate, *answered = NULL;

                if (bench_request_load(run->source_root, "web", kinds[k].file, &req) < 0)
                        return -EINVAL;
                decide = bench_policy_decide(run, p, &req);
                gate = decide ? bench_gate(run, p, text, len, &req, &answered) : NULL;
                bench_request_done(&req);
                if (!decide || !gate || !answered) {
                        json_decref(decide);
                        json_decref(gate);
                        return -EINVAL;
                }
                json_array_append_new(results,
                                      json_pack("{s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:o}",
                                                "request", kinds[k].label, "example",
                                                kinds[k].file, "containers",
                                                (json_int_t)n_containers, "policy_bytes",
                                                (json_int_t)len, "iterations",
                                                (json_int_t)run->iterations, "decide", decide,
                                                "gate", gate, "answer", answered));
                fprintf(stderr, "bench_decide: %s against %zu containers done\n", kinds[k].label,
                        n_containers);
        }
        return 0;
}

int main(int argc, char **argv)
{
        _cleanup_free_ char *web = NULL;
        struct policy_gen gen;
        struct run run = { 0 };
        char path[4096];
        json_t *doc, *results;
        long n;

        if (argc < 3 || argc > 4) {
                fprintf(stderr, "usage: %s SOURCE_ROOT TMPDIR [ITERATIONS]\n", argv[0]);
                return 2;
        }
        run.source_root = argv[1];
        run.tmpdir = argv[2];
        run.iterations = argc == 4 ? strtoul(argv[3], NULL, 10) : 100000;
        if (run.iterations == 0)
                return 2;
        run.samples = calloc(run.iterations, sizeof(*run.samples));
        if (!run.samples)
                return 1;

        snprintf(path, sizeof(path), "%s/examples/web/policy.yaml", run.source_root);
        n = bench_read_file(path, &web);
        if (n < 0 || policy_gen_init(&gen, web) < 0) {
                fprintf(stderr, "bench_decide: cannot use %s\n", path);
                return 1;
        }

        results = json_array();
        doc = json_pack("{s:I, s:o}", "timer_overhead_ns", (json_int_t)bench_timer_overhead_ns(),
                        "decisions", results);
        for (size_t i = 0; i < ELEMENTSOF(policy_sizes); i++)
                if (bench_one_policy(&run, &gen, policy_sizes[i], results) < 0)
                        return 1;
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(doc);
        policy_gen_done(&gen);
        free(run.samples);
        return 0;
}
