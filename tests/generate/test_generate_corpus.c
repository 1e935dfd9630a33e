/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generated policies against the traffic corpus: for every lifecycle of tests/corpus,
 * the policy generated from its pod.yaml (and the image layouts mkimages.py built)
 * decides every recorded step, with the state the earlier steps leave, as
 * policy_decide() does in the gate. Then every mutation of mutations.json is decided
 * with the state of its unmutated step.
 *
 * Every step must be allowed (or, for a read, drained) and every mutation denied.
 *
 * Usage: test-generate-corpus SOURCE_ROOT LAYOUTS_DIR [--report]
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent_api.h"
#include "corpus.h"
#include "corpus_gen.h"
#include "pbjson.h"
#include "policy.h"
#include "policy_error.h"

static const char *source_root, *layouts_dir;
static bool report;

/* --- lifecycles ------------------------------------------------------------------ */

static int decide(const struct policy *p, struct policy_state *s, const struct agent_method *m,
                  const json_t *msg, bool apply, struct decision *d, char *why, size_t why_len)
{
        ProtobufCMessage *pb = NULL;
        char err[256];
        int r;

        if (pbjson_to_message(m->request, msg, &pb, err, sizeof(err)) < 0) {
                snprintf(why, why_len, "message does not decode: %s", err);
                return -EINVAL;
        }
        r = policy_decide(p, s, m, pb, d);
        protobuf_c_message_free_unpacked(pb, NULL);
        if (r < 0) {
                snprintf(why, why_len, "policy_decide: %s", strerror(-r));
                return r;
        }
        if (apply && d->effect.kind != POLICY_EFFECT_NONE)
                (void)policy_state_apply(s, &d->effect);
        return 0;
}

static bool passes(const struct decision *d)
{
        /* A drained read is forwarded and the process does not block: the pod works. */
        return d->verdict == VERDICT_ALLOW || d->drain;
}

struct lifecycle {
        char rel[128]; /* "web/go-shim-ipv4.json" */
        json_t *doc;
        struct policy *policy;
};

static int load_lifecycle(const char *rel, struct lifecycle *lc, char *why, size_t why_len)
{
        char path[4096];
        json_error_t jerr;
        struct gen_output out = { 0 };
        struct policy_error err = { 0 };

        snprintf(lc->rel, sizeof(lc->rel), "%s", rel);
        snprintf(path, sizeof(path), "%s/tests/corpus/%s", source_root, rel);
        lc->doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!lc->doc) {
                snprintf(why, why_len, "%s: %s", rel, jerr.text);
                return -EINVAL;
        }
        if (corpus_generate(path, lc->doc, layouts_dir, GEN_LOGS_ALLOW, &out, &err) < 0 ||
            policy_load_buffer(rel, (const uint8_t *)out.policy, out.policy_len, &lc->policy, &err) < 0) {
                policy_error_format(&err, why, why_len);
                gen_output_done(&out);
                return -EINVAL;
        }
        if (report)
                printf("=== %s: generated, %zu bytes, %zu warnings\n", rel, out.policy_len,
                       out.n_warnings);
        gen_output_done(&out);
        return 0;
}

static void lifecycle_done(struct lifecycle *lc)
{
        json_decref(lc->doc);
        policy_free(lc->policy);
}

/* Walk every step; returns the number of failures (printed). */
static unsigned walk(const struct lifecycle *lc)
{
        const json_t *steps = json_object_get(lc->doc, "steps"), *step;
        struct policy_state *s = policy_state_new();
        unsigned failures = 0;
        size_t i;

        assert_non_null(s);
        json_array_foreach(steps, i, step) {
                const struct agent_method *m = corpus_step_method(step);
                const json_t *msg = json_object_get(step, "message");
                struct decision d;
                char why[512];

                if (!m || decide(lc->policy, s, m, msg, true, &d, why, sizeof(why)) < 0) {
                        print_error("%s step %zu: %s\n", lc->rel, i, m ? why : "unknown method");
                        failures++;
                        continue;
                }
                if (passes(&d))
                        continue;
                print_error("%s step %zu (%s): denied by %s: %s\n", lc->rel, i, m->method,
                            d.rule_id, d.reason);
                failures++;
        }
        policy_state_free(s);
        return failures;
}

static const char *const lifecycles[] = {
        "web/go-shim-ipv4.json",       "web/runtime-rs-ipv4.json",
        "web/go-shim-dual-stack.json", "sidecar/go-shim-ipv4.json",
        "sidecar/runtime-rs-ipv4.json", "locked/go-shim-ipv4.json",
        "volumes/go-shim-dual-stack.json", "volumes/runtime-rs-dual-stack.json",
        "emptydir/go-shim-ipv4.json",  "deployment/go-shim-ipv4.json",
        "deployment/runtime-rs-ipv4.json",
};

static void test_lifecycles(void **state)
{
        unsigned failures = 0;

        (void)state;
        for (size_t k = 0; k < sizeof(lifecycles) / sizeof(lifecycles[0]); k++) {
                struct lifecycle lc = { 0 };
                char why[1024];

                if (load_lifecycle(lifecycles[k], &lc, why, sizeof(why)) < 0) {
                        print_error("%s: %s\n", lifecycles[k], why);
                        failures++;
                        continue;
                }
                failures += walk(&lc);
                lifecycle_done(&lc);
        }
        assert_int_equal(failures, 0);
}

/* --- mutations --------------------------------------------------------------------- */

/* Decide one mutation with the state of its unmutated step; 1 when it was not denied. */
static unsigned one_mutation(const struct lifecycle *lc, const json_t *mu, size_t index)
{
        const json_t *steps = json_object_get(lc->doc, "steps"), *step;
        const char *path = json_string_value(json_object_get(mu, "path"));
        const char *op = json_string_value(json_object_get(mu, "op"));
        int at = (int)json_integer_value(json_object_get(mu, "step"));
        struct policy_state *s = policy_state_new();
        const struct agent_method *m;
        struct decision d;
        char why[512];
        unsigned bad = 0;
        json_t *msg;

        assert_non_null(s);
        for (int i = 0; i < at; i++) {
                step = json_array_get(steps, (size_t)i);
                m = corpus_step_method(step);
                assert_non_null(m);
                assert_int_equal(decide(lc->policy, s, m, json_object_get(step, "message"), true,
                                        &d, why, sizeof(why)),
                                 0);
        }
        step = json_array_get(steps, (size_t)at);
        m = corpus_step_method(step);
        msg = json_deep_copy(json_object_get(step, "message"));
        if (!msg)
                msg = json_object();
        if (!m || corpus_mutate(msg, path, op, json_object_get(mu, "value")) < 0 ||
            decide(lc->policy, s, m, msg, false, &d, why, sizeof(why)) < 0) {
                print_error("mutation %zu (%s step %d %s): cannot apply or decide\n", index,
                            lc->rel, at, path ? path : "?");
                bad = 1;
                goto out;
        }
        /* A drained read gives the host nothing: refused too. */
        if (report)
                printf("  mutation %zu %s step %d %s %s: %s %s\n", index, lc->rel, at, op, path,
                       d.verdict == VERDICT_DENY ? "denied" : "ALLOWED", d.rule_id);
        if (d.verdict != VERDICT_DENY) {
                print_error("mutation %zu (%s step %d %s %s): allowed by %s, expected denied\n",
                            index, lc->rel, at, op, path, d.rule_id);
                bad = 1;
        }
out:
        json_decref(msg);
        policy_state_free(s);
        return bad;
}

static void test_mutations(void **state)
{
        char path[4096], why[1024];
        json_error_t jerr;
        json_t *doc;
        const json_t *mu;
        unsigned failures = 0;
        size_t i;
        struct lifecycle cache[sizeof(lifecycles) / sizeof(lifecycles[0])] = { 0 };

        (void)state;
        snprintf(path, sizeof(path), "%s/tests/corpus/mutations.json", source_root);
        doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        assert_non_null(doc);
        json_array_foreach(json_object_get(doc, "mutations"), i, mu) {
                const char *file = json_string_value(json_object_get(mu, "file"));
                struct lifecycle *lc = NULL;
                for (size_t k = 0; k < sizeof(lifecycles) / sizeof(lifecycles[0]); k++)
                        if (file && strcmp(lifecycles[k], file) == 0) {
                                lc = &cache[k];
                                if (!lc->doc && load_lifecycle(file, lc, why, sizeof(why)) < 0) {
                                        print_error("%s: %s\n", file, why);
                                        failures++;
                                        lc = NULL;
                                }
                        }
                if (!lc) {
                        print_error("mutation %zu: no lifecycle %s\n", i, file ? file : "?");
                        failures++;
                        continue;
                }
                failures += one_mutation(lc, mu, i);
        }
        printf("mutations: %zu\n", json_array_size(json_object_get(doc, "mutations")));
        for (size_t k = 0; k < sizeof(cache) / sizeof(cache[0]); k++)
                lifecycle_done(&cache[k]);
        json_decref(doc);
        assert_int_equal(failures, 0);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lifecycles),
                cmocka_unit_test(test_mutations),
        };

        if (argc < 3) {
                fprintf(stderr, "usage: %s SOURCE_ROOT LAYOUTS_DIR [--report]\n", argv[0]);
                return 2;
        }
        source_root = argv[1];
        layouts_dir = argv[2];
        report = argc > 3 && strcmp(argv[3], "--report") == 0;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
