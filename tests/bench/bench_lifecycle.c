/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_lifecycle: decisions per second over the traffic corpus's whole pod
 * lifecycles (tests/corpus), no sockets. Each lifecycle's policy is what
 * `ccgate policy generate` makes from its pod.yaml; each step is the request
 * kata's runtime sends, in order, answered OK by a pretend agent so that the
 * state moves as it does in a real pod. Two levels:
 *   decide  policy_decide() on the decoded messages, effects applied
 *   gate    gate_request() on each envelope (decode, decide, the audit record
 *           to a real file) and gate_answer() with an OK: ccgate's whole
 *           per-request work but the socket I/O
 * A pass is one lifecycle from a fresh state; its time is summed over the
 * passes. "kata10" is the Deployment lifecycle against a policy generated from
 * the same Deployment with ten containers (nine copies of its container before
 * it): the policy size kata users meet.
 *
 * Usage: bench_lifecycle SOURCE_ROOT LAYOUTS_DIR TMPDIR time PASSES
 *        bench_lifecycle SOURCE_ROOT LAYOUTS_DIR TMPDIR count gate|decide PASSES
 *        bench_lifecycle SOURCE_ROOT LAYOUTS_DIR TMPDIR digest SIZE N
 * "time" prints one JSON document (kata10's also with its policy load time) and
 * writes TMPDIR/kata10/policy.{yaml,frames} for tools/bench's socket rows; "count" only runs PASSES passes of every
 * lifecycle at that level (for callgrind: the difference of two counts is the
 * instructions of the passes alone) and prints the decisions made; "digest"
 * times the audit record's payload digest over SIZE bytes (best of N).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "bench_util.h"
#include "cleanup.h"
#include "corpus_gen.h"
#include "gate.h"
#include "pbjson.h"
#include "policy.h"
#include "policy_error.h"
#include "policy_state.h"

#define KATA_CONTAINERS 10
#define MAX_STEPS 256

static const char *const lifecycles[] = {
        "web/go-shim-ipv4.json",         "web/runtime-rs-ipv4.json",
        "web/go-shim-dual-stack.json",   "sidecar/go-shim-ipv4.json",
        "sidecar/runtime-rs-ipv4.json",  "locked/go-shim-ipv4.json",
        "volumes/go-shim-dual-stack.json", "volumes/runtime-rs-dual-stack.json",
        "emptydir/go-shim-ipv4.json",    "deployment/go-shim-ipv4.json",
        "deployment/runtime-rs-ipv4.json",
};

struct step {
        const struct agent_method *method;
        ProtobufCMessage *message; /* malloc-owned */
        uint8_t *env;              /* the ttRPC envelope */
        size_t env_len;
};

struct lc {
        char name[160];
        struct policy *policy;
        char *policy_text;
        size_t policy_len;
        struct step steps[MAX_STEPS];
        size_t n;
};

static const char *source_root, *layouts_dir, *tmpdir;

static void lc_done(struct lc *l)
{
        for (size_t i = 0; i < l->n; i++) {
                protobuf_c_message_free_unpacked(l->steps[i].message, NULL);
                free(l->steps[i].env);
        }
        policy_free(l->policy);
        free(l->policy_text);
}

static const struct agent_method *method_of(const json_t *step)
{
        const char *name = json_string_value(json_object_get(step, "request"));
        const char *method = json_string_value(json_object_get(step, "method"));
        enum agent_method_id ids[4];
        size_t n = name ? agent_methods_by_request_name(name, ids, 4) : 0;

        for (size_t i = 0; i < n && i < 4; i++) {
                const struct agent_method *m = agent_method_get(ids[i]);

                if (!method || strcmp(m->method, method) == 0)
                        return m;
        }
        return NULL;
}

/*
 * As tests/generate/test_generate_corpus.c corrects the corpus: the volumes
 * pod's configMap is mounted ro, as kubelet mounts it.
 */
static void patch_message(const char *file, size_t index, json_t *msg)
{
        json_t *mounts, *m, *o;
        size_t i, k;

        if (!((strcmp(file, "volumes/go-shim-dual-stack.json") == 0 && index == 35) ||
              (strcmp(file, "volumes/runtime-rs-dual-stack.json") == 0 && index == 33)))
                return;
        mounts = json_object_get(json_object_get(msg, "OCI"), "Mounts");
        json_array_foreach(mounts, i, m) {
                if (strcmp(json_string_value(json_object_get(m, "destination")), "/etc/app") != 0)
                        continue;
                json_array_foreach(json_object_get(m, "options"), k, o)
                        if (strcmp(json_string_value(o), "rw") == 0)
                                json_array_set_new(json_object_get(m, "options"), k,
                                                   json_string("ro"));
        }
}

static int load_steps(const json_t *doc, const char *file, struct lc *l)
{
        const json_t *steps = json_object_get(doc, "steps"), *s;
        size_t i;

        json_array_foreach(steps, i, s) {
                struct step *st = &l->steps[l->n];
                _cleanup_(json_decrefp) json_t *msg = json_deep_copy(json_object_get(s, "message"));
                uint8_t *payload;
                size_t len;
                char err[256];

                if (l->n == MAX_STEPS || !(st->method = method_of(s)))
                        return -EINVAL;
                if (!msg)
                        msg = json_object();
                if (!msg)
                        return -ENOMEM;
                patch_message(file, i, msg);
                if (pbjson_to_message(st->method->request, msg, &st->message, err,
                                      sizeof(err)) < 0) {
                        fprintf(stderr, "bench_lifecycle: %s step %zu: %s\n", l->name, i, err);
                        return -EINVAL;
                }
                len = protobuf_c_message_get_packed_size(st->message);
                payload = malloc(len ? len : 1);
                if (!payload)
                        return -ENOMEM;
                protobuf_c_message_pack(st->message, payload);
                if (bench_request_envelope(st->method->service, st->method->method, payload, len,
                                           &st->env, &st->env_len) < 0) {
                        free(payload);
                        return -ENOMEM;
                }
                free(payload);
                l->n++;
        }
        return 0;
}

/* Generate and load the policy for the lifecycle at path (pod.yaml beside it). */
static int lc_load(const char *name, const char *file, const char *path, struct lc *l)
{
        _cleanup_(json_decrefp) json_t *doc = NULL;
        struct gen_output out = { 0 };
        struct policy_error err = { 0 };
        json_error_t jerr;
        char why[1024];

        snprintf(l->name, sizeof(l->name), "%s", name);
        doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!doc) {
                fprintf(stderr, "bench_lifecycle: %s: %s\n", path, jerr.text);
                return -EINVAL;
        }
        if (corpus_generate(path, doc, layouts_dir, GEN_LOGS_ALLOW, &out, &err) < 0 ||
            policy_load_buffer(name, (const uint8_t *)out.policy, out.policy_len, &l->policy,
                               &err) < 0) {
                policy_error_format(&err, why, sizeof(why));
                fprintf(stderr, "bench_lifecycle: %s: %s\n", name, why);
                gen_output_done(&out);
                return -EINVAL;
        }
        l->policy_text = malloc(out.policy_len + 1);
        if (!l->policy_text) {
                gen_output_done(&out);
                return -ENOMEM;
        }
        memcpy(l->policy_text, out.policy, out.policy_len);
        l->policy_len = out.policy_len;
        gen_output_done(&out);
        return load_steps(doc, file, l);
}

/* The Deployment with its container repeated: nine copies named redis-1..9 before it. */
static int kata10_prepare(char *ret_path, size_t cap)
{
        char src[4096], dir[2048], dst[4096];
        _cleanup_free_ char *pod = NULL, *lcj = NULL;
        const char *marker = "      containers:\n", *at, *block;
        FILE *f;
        long n;

        snprintf(src, sizeof(src), "%s/tests/corpus/deployment/pod.yaml", source_root);
        if (bench_read_file(src, &pod) < 0)
                return -EIO;
        at = strstr(pod, marker);
        if (!at)
                return -EINVAL;
        block = at + strlen(marker); /* the one container, to the end of the file */
        if (strncmp(block, "        - name: redis\n", 22) != 0)
                return -EINVAL;
        snprintf(dir, sizeof(dir), "%s/kata10", tmpdir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        snprintf(dst, sizeof(dst), "%s/pod.yaml", dir);
        f = fopen(dst, "we");
        if (!f)
                return -errno;
        fwrite(pod, 1, (size_t)(block - pod), f);
        for (int i = 1; i < KATA_CONTAINERS; i++)
                fprintf(f, "        - name: redis-%d\n%s", i, block + 22);
        fputs(block, f);
        if (fclose(f) != 0)
                return -EIO;
        snprintf(src, sizeof(src), "%s/tests/corpus/deployment/go-shim-ipv4.json", source_root);
        if ((n = bench_read_file(src, &lcj)) < 0)
                return -EIO;
        if ((size_t)snprintf(ret_path, cap, "%s/go-shim-ipv4.json", dir) >= cap)
                return -ENAMETOOLONG;
        return bench_write_file(ret_path, lcj, (size_t)n);
}

/* ---- passes ------------------------------------------------------------------- */

struct tally {
        size_t decisions, allowed, denied;
        uint64_t ns;
};

static int pass_decide(const struct lc *l, struct tally *t)
{
        _cleanup_(policy_state_freep) struct policy_state *s = policy_state_new();
        uint64_t t0;

        if (!s)
                return -ENOMEM;
        t0 = bench_now_ns();
        for (size_t i = 0; i < l->n; i++) {
                struct decision d;

                if (policy_decide(l->policy, s, l->steps[i].method, l->steps[i].message, &d) < 0)
                        return -EIO;
                if (d.effect.kind != POLICY_EFFECT_NONE)
                        (void)policy_state_apply(s, &d.effect);
                t->allowed += d.verdict == VERDICT_ALLOW || d.drain;
                t->denied += !(d.verdict == VERDICT_ALLOW || d.drain);
        }
        t->ns += bench_now_ns() - t0;
        t->decisions += l->n;
        return 0;
}

static int pass_gate(const struct lc *l, struct audit_log *audit, struct tally *t)
{
        struct gate g;
        uint32_t stream = 1;
        uint64_t t0;
        int r;

        r = gate_init(&g, l->policy, audit, NULL);
        if (r < 0)
                return r;
        t0 = bench_now_ns();
        for (size_t i = 0; i < l->n; i++, stream += 2) {
                struct gate_result o;
                struct gate_answered ans;

                r = gate_request(&g, 1, stream, l->steps[i].env, l->steps[i].env_len, true, &o);
                if (r < 0)
                        break;
                if (o.action == GATE_REPLY) {
                        fprintf(stderr, "bench_lifecycle: %s step %zu: %s\n", l->name, i,
                                o.message);
                        t->denied++;
                } else {
                        t->allowed++;
                        (void)gate_answer(&g, o.ticket, NULL, 0, &ans); /* OK, nothing else */
                }
                (void)gate_idle(&g);
        }
        t->ns += bench_now_ns() - t0;
        t->decisions += l->n;
        gate_done(&g);
        return r < 0 ? r : 0;
}

static int open_audit(const struct lc *l, struct audit_log **ret)
{
        char path[4096], digest[AUDIT_HASH_HEX + 1];

        snprintf(path, sizeof(path), "%s/audit-lifecycle.log", tmpdir);
        (void)unlink(path);
        if (audit_sha256_hex(l->policy_text, l->policy_len, digest) < 0)
                return -EIO;
        return audit_open(&(struct audit_options){ .path = path,
                                                   .sync = AUDIT_SYNC_INTERVAL,
                                                   .sync_interval_ms = 1000,
                                                   .policy_digest = digest,
                                                   .tee = "none" },
                          ret);
}

static int run_passes(const struct lc *l, bool gate, size_t passes, struct tally *t)
{
        _cleanup_(audit_closep) struct audit_log *audit = NULL;
        int r = 0;

        if (gate && (r = open_audit(l, &audit)) < 0)
                return r;
        for (size_t p = 0; p < passes && r >= 0; p++)
                r = gate ? pass_gate(l, audit, t) : pass_decide(l, t);
        return r;
}

static json_t *tally_json(const struct tally *t, size_t passes)
{
        return json_pack("{s:I, s:I, s:I, s:f, s:f}", "decisions", (json_int_t)t->decisions,
                         "allowed_per_pass", (json_int_t)(t->allowed / (passes ? passes : 1)),
                         "denied_per_pass", (json_int_t)(t->denied / (passes ? passes : 1)),
                         "seconds", (double)t->ns / 1e9,
                         "decisions_per_s", t->ns ? (double)t->decisions * 1e9 / (double)t->ns : 0.0);
}

static json_t *lc_json(const struct lc *l, size_t passes)
{
        struct tally d = { 0 }, g = { 0 };

        if (run_passes(l, false, passes, &d) < 0 || run_passes(l, true, passes, &g) < 0)
                return NULL;
        return json_pack("{s:s, s:I, s:I, s:o, s:o}", "lifecycle", l->name, "steps",
                         (json_int_t)l->n, "policy_bytes", (json_int_t)l->policy_len, "decide",
                         tally_json(&d, passes), "gate", tally_json(&g, passes));
}

/*
 * For the socket rows of tools/bench: the lifecycle's policy as generated
 * (PREFIX.yaml) and its requests as whole ttRPC frames (PREFIX.frames, stream
 * ids 0: bench_client stamps them).
 */
static int write_artifacts(const struct lc *l, const char prefix[static 4096])
{
        char path[4200];
        FILE *f;
        int r;

        snprintf(path, sizeof(path), "%s.yaml", prefix);
        if ((r = bench_write_file(path, l->policy_text, l->policy_len)) < 0)
                return r;
        snprintf(path, sizeof(path), "%s.frames", prefix);
        f = fopen(path, "we");
        if (!f)
                return -errno;
        for (size_t i = 0; i < l->n; i++) {
                ProtobufCMessage *m = l->steps[i].message;
                size_t len = protobuf_c_message_get_packed_size(m);
                _cleanup_free_ uint8_t *payload = malloc(len ? len : 1), *frame = NULL;
                size_t flen;

                if (!payload)
                        r = -ENOMEM;
                else {
                        protobuf_c_message_pack(m, payload);
                        r = bench_request_frame(l->steps[i].method->service,
                                                l->steps[i].method->method, payload, len, 0,
                                                &frame, &flen);
                }
                if (r < 0 || fwrite(frame, 1, flen, f) != flen) {
                        fclose(f);
                        return r < 0 ? r : -EIO;
                }
        }
        return fclose(f) == 0 ? 0 : -EIO;
}

/* policy_load_buffer() of the lifecycle's policy text, n times: YAML to compiled form. */
static json_t *kata10_load(const struct lc *l, size_t n)
{
        _cleanup_free_ uint64_t *samples = calloc(n ? n : 1, sizeof(*samples));
        struct bench_stats st;

        if (!samples || n == 0)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                struct policy *p = NULL;
                struct policy_error err = { 0 };
                uint64_t t0 = bench_now_ns();

                if (policy_load_buffer("kata10", (const uint8_t *)l->policy_text, l->policy_len, &p,
                                       &err) < 0)
                        return NULL;
                samples[i] = bench_now_ns() - t0;
                policy_free(p);
        }
        bench_stats_compute(samples, n, &st);
        return bench_stats_json(&st);
}

/* The audit record's payload digest (audit_sha256_hex) over size bytes: the best of n. */
static int digest_speed(size_t size, size_t n)
{
        _cleanup_free_ uint8_t *buf = malloc(size ? size : 1);
        char hex[AUDIT_HASH_HEX + 1];
        uint64_t best = UINT64_MAX;

        if (!buf || n == 0)
                return 1;
        memset(buf, 0x5a, size);
        for (size_t i = 0; i < n; i++) {
                uint64_t t0 = bench_now_ns(), t;

                if (audit_sha256_hex(buf, size, hex) < 0)
                        return 1;
                t = bench_now_ns() - t0;
                if (t < best)
                        best = t;
        }
        printf("{\"bytes\": %zu, \"best_ns\": %" PRIu64 ", \"mb_per_s\": %.1f}\n", size, best,
               best ? (double)size * 1e3 / (double)best : 0.0);
        return 0;
}

int main(int argc, char **argv)
{
        static struct lc all[sizeof(lifecycles) / sizeof(lifecycles[0]) + 1];
        size_t n_lc = 0, passes;
        bool count;
        char path[4096];
        int r = 0;

        if (argc < 6 ||
            (strcmp(argv[4], "time") != 0 && strcmp(argv[4], "count") != 0 &&
             strcmp(argv[4], "digest") != 0) ||
            (strcmp(argv[4], "count") == 0 && argc < 7)) {
                fprintf(stderr, "usage: bench_lifecycle SOURCE_ROOT LAYOUTS_DIR TMPDIR "
                                "time PASSES | count gate|decide PASSES | digest SIZE N\n");
                return 2;
        }
        if (strcmp(argv[4], "digest") == 0 && argc >= 7)
                return digest_speed(strtoul(argv[5], NULL, 10), strtoul(argv[6], NULL, 10));
        source_root = argv[1];
        layouts_dir = argv[2];
        tmpdir = argv[3];
        count = strcmp(argv[4], "count") == 0;
        passes = strtoul(argv[count ? 6 : 5], NULL, 10);

        for (size_t i = 0; i < sizeof(lifecycles) / sizeof(lifecycles[0]) && r >= 0; i++) {
                snprintf(path, sizeof(path), "%s/tests/corpus/%s", source_root, lifecycles[i]);
                r = lc_load(lifecycles[i], lifecycles[i], path, &all[n_lc++]);
        }
        if (r >= 0 && (r = kata10_prepare(path, sizeof(path))) >= 0)
                r = lc_load("kata10: deployment/go-shim-ipv4.json, 10 containers",
                            "deployment/go-shim-ipv4.json", path,
                            &all[n_lc++]);
        if (r < 0) {
                fprintf(stderr, "bench_lifecycle: loading the corpus: %s\n", strerror(-r));
                goto out;
        }

        if (count) {
                bool gate = strcmp(argv[5], "gate") == 0;
                struct tally t = { 0 };

                for (size_t i = 0; i < n_lc && r >= 0; i++)
                        r = run_passes(&all[i], gate, passes, &t);
                printf("{\"decisions\": %zu}\n", t.decisions);
        } else {
                json_t *doc = json_array();

                for (size_t i = 0; i < n_lc; i++) {
                        json_t *j = lc_json(&all[i], passes);

                        if (!j) {
                                r = -EIO;
                                break;
                        }
                        json_array_append_new(doc, j);
                }
                json_t *load = kata10_load(&all[n_lc - 1], passes);

                if (load)
                        json_object_set_new(json_array_get(doc, n_lc - 1), "load", load);
                snprintf(path, sizeof(path), "%s/kata10/policy", tmpdir);
                if (r >= 0 && (r = write_artifacts(&all[n_lc - 1], path)) < 0)
                        fprintf(stderr, "bench_lifecycle: %s: %s\n", path, strerror(-r));
                if (r >= 0) {
                        json_dumpf(doc, stdout, JSON_INDENT(2));
                        putchar('\n');
                }
                json_decref(doc);
        }
out:
        for (size_t i = 0; i < n_lc; i++)
                lc_done(&all[i]);
        snprintf(path, sizeof(path), "%s/audit-lifecycle.log", tmpdir);
        (void)unlink(path);
        return r < 0 ? 1 : 0;
}
