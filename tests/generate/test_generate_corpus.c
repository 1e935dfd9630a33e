/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generated policies against the traffic corpus: for every lifecycle of tests/corpus,
 * the policy generated from its pod.yaml (and the image layouts mkimages.py built)
 * decides every recorded step, with the state the earlier steps leave, as
 * policy_decide() does in the gate. Then every mutation of mutations.json is decided
 * with the state of its unmutated step.
 *
 * Two walks per lifecycle: the messages as recorded, where today's policy language
 * must deny exactly the steps listed in raw_denials[] (each for a language feature
 * other issues add), and the messages with those features' fields taken out
 * (language_gaps[]), where every step must be allowed. When the language gains a
 * feature, the first walk fails until its entries go: the lists stay true.
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
#include "corpus_gen.h"
#include "pbjson.h"
#include "policy.h"
#include "policy_error.h"

static const char *source_root, *layouts_dir;
static bool report;

/* --- what today's language cannot allow, and the steps it therefore denies ------- */

/*
 * A field of kata's messages the policy language cannot allow yet: the walk with
 * gaps removes it, so that everything else about the generated policy is tested.
 */
struct gap {
        const char *name;
        const char *needs; /* the issue that adds it */
        void (*remove)(json_t *msg, const char *request);
};

static const struct gap language_gaps[] = {
        { NULL, NULL, NULL }, /* none left: the language allows every field kata sends */
};

/* The steps the recorded messages make today's language deny: file, step, rule. */
static const struct raw_denial {
        const char *file;
        int step;
        const char *rule;
        const char *gap;
} raw_denials[] = {
        { NULL, 0, NULL, NULL },
};

/* --- lifecycles ------------------------------------------------------------------ */

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

/* The step's message with the gaps removed (patched) or as recorded; a new reference. */
static json_t *message_of(const json_t *step, bool patched)
{
        json_t *msg = json_deep_copy(json_object_get(step, "message"));
        const char *request = json_string_value(json_object_get(step, "request"));

        if (!msg)
                msg = json_object();
        for (size_t g = 0; patched && language_gaps[g].remove; g++)
                language_gaps[g].remove(msg, request);
        return msg;
}

/* Decide msg; apply the effect as an OK answer would when apply is set. */
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

static const struct raw_denial *expected_denial(const char *file, int step)
{
        for (size_t i = 0; raw_denials[i].file; i++)
                if (strcmp(raw_denials[i].file, file) == 0 && raw_denials[i].step == step)
                        return &raw_denials[i];
        return NULL;
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
static unsigned walk(const struct lifecycle *lc, bool patched)
{
        const json_t *steps = json_object_get(lc->doc, "steps"), *step;
        struct policy_state *s = policy_state_new();
        unsigned failures = 0;
        size_t i;

        assert_non_null(s);
        json_array_foreach(steps, i, step) {
                const struct agent_method *m = method_of(step);
                json_t *msg = message_of(step, patched);
                const struct raw_denial *want = patched ? NULL : expected_denial(lc->rel, (int)i);
                struct decision d;
                char why[512];
                bool ok;

                if (!m || decide(lc->policy, s, m, msg, true, &d, why, sizeof(why)) < 0) {
                        print_error("%s step %zu: %s\n", lc->rel, i, m ? why : "unknown method");
                        failures++;
                        json_decref(msg);
                        continue;
                }
                json_decref(msg);
                ok = passes(&d);
                if (report && !ok)
                        printf("  %s step %zu %s: denied %s (%s)%s\n", lc->rel, i,
                               m->method, d.rule_id, d.reason, patched ? " [gaps removed]" : "");
                if (ok && !want)
                        continue;
                if (!ok && want && strcmp(want->rule, d.rule_id) == 0)
                        continue;
                print_error("%s step %zu (%s): %s %s%s%s\n", lc->rel, i, m->method,
                            ok ? "allowed" : "denied by", ok ? "" : d.rule_id,
                            want ? ", expected denied by " : "", want ? want->rule : "");
                failures++;
        }
        policy_state_free(s);
        return failures;
}

/* --- mutations --------------------------------------------------------------------- */

/* One step of a mutation path: a field name, an array index or a map key. */
struct path_step {
        char name[128];
        long index; /* -1: name is a field or key */
};

/* OCI.Process.Args[0], OCI.Annotations["io.kubernetes.cri.container-name"]. */
static int parse_path(const char *p, struct path_step *steps, size_t max, size_t *n)
{
        *n = 0;
        while (*p) {
                struct path_step *s = &steps[*n];
                if (*n == max)
                        return -E2BIG;
                if (*p == '.')
                        p++;
                if (p[0] == '[' && p[1] == '"') {
                        const char *end = strstr(p + 2, "\"]");
                        if (!end || (size_t)(end - p - 2) >= sizeof(s->name))
                                return -EINVAL;
                        snprintf(s->name, sizeof(s->name), "%.*s", (int)(end - p - 2), p + 2);
                        s->index = -1;
                        p = end + 2;
                } else if (*p == '[') {
                        char *end;
                        s->index = strtol(p + 1, &end, 10);
                        if (*end != ']')
                                return -EINVAL;
                        p = end + 1;
                } else {
                        size_t len = strcspn(p, ".[");
                        if (!len || len >= sizeof(s->name))
                                return -EINVAL;
                        snprintf(s->name, sizeof(s->name), "%.*s", (int)len, p);
                        s->index = -1;
                        p += len;
                }
                (*n)++;
        }
        return 0;
}

/* set: replace or create; add: append to an array or create a missing key; remove. */
static int mutate(json_t *msg, const char *path, const char *op, const json_t *value)
{
        struct path_step steps[16];
        json_t *node = msg, *next;
        size_t n;

        if (parse_path(path, steps, 16, &n) < 0 || n == 0)
                return -EINVAL;
        for (size_t i = 0; i + 1 < n; i++) {
                if (steps[i].index >= 0) {
                        next = json_array_get(node, (size_t)steps[i].index);
                } else {
                        next = json_object_get(node, steps[i].name);
                        if (!next) {
                                next = json_object();
                                json_object_set_new(node, steps[i].name, next);
                        }
                }
                if (!next)
                        return -ENOENT;
                node = next;
        }
        if (strcmp(op, "remove") == 0)
                return steps[n - 1].index >= 0 ? json_array_remove(node, (size_t)steps[n - 1].index)
                                               : json_object_del(node, steps[n - 1].name);
        if (strcmp(op, "add") == 0 && steps[n - 1].index < 0) {
                json_t *a = json_object_get(node, steps[n - 1].name);
                if (json_is_array(a))
                        return json_array_append(a, (json_t *)value);
                if (!a)
                        return json_object_set(node, steps[n - 1].name, (json_t *)value);
                return -EEXIST;
        }
        if (strcmp(op, "set") != 0)
                return -EINVAL;
        if (steps[n - 1].index >= 0)
                return (size_t)steps[n - 1].index < json_array_size(node)
                               ? json_array_set(node, (size_t)steps[n - 1].index, (json_t *)value)
                               : json_array_append(node, (json_t *)value);
        return json_object_set(node, steps[n - 1].name, (json_t *)value);
}

/*
 * Mutations marked "needs" (fields today's language cannot check) that a generated
 * policy still lets through; every other mutation must be denied.
 */
static const struct allowed_mutation {
        const char *file;
        int step;
        const char *path;
} allowed_needs[] = {
        { NULL, 0, NULL },
};

static bool allowed_by_design(const char *file, int step, const char *path)
{
        for (size_t i = 0; allowed_needs[i].file; i++)
                if (strcmp(allowed_needs[i].file, file) == 0 && allowed_needs[i].step == step &&
                    strcmp(allowed_needs[i].path, path) == 0)
                        return true;
        return false;
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
                failures += walk(&lc, false);
                failures += walk(&lc, true);
                lifecycle_done(&lc);
        }
        assert_int_equal(failures, 0);
}

/* Decide one mutation with the state of its unmutated step; 1 when it was not as expected. */
static unsigned one_mutation(const struct lifecycle *lc, const json_t *mu, size_t index,
                             unsigned *n_needs_denied)
{
        const json_t *steps = json_object_get(lc->doc, "steps"), *step;
        const char *path = json_string_value(json_object_get(mu, "path"));
        const char *op = json_string_value(json_object_get(mu, "op"));
        const char *needs = json_string_value(json_object_get(mu, "needs"));
        int at = (int)json_integer_value(json_object_get(mu, "step"));
        struct policy_state *s = policy_state_new();
        const struct agent_method *m;
        struct decision d;
        char why[512];
        unsigned bad = 0;
        json_t *msg;
        bool refused, expect_refused;

        assert_non_null(s);
        for (int i = 0; i < at; i++) {
                step = json_array_get(steps, (size_t)i);
                m = method_of(step);
                msg = message_of(step, true);
                assert_non_null(m);
                assert_int_equal(decide(lc->policy, s, m, msg, true, &d, why, sizeof(why)), 0);
                json_decref(msg);
        }
        step = json_array_get(steps, (size_t)at);
        m = method_of(step);
        msg = message_of(step, true);
        if (!m || !path || !op || mutate(msg, path, op, json_object_get(mu, "value")) < 0 ||
            decide(lc->policy, s, m, msg, false, &d, why, sizeof(why)) < 0) {
                print_error("mutation %zu (%s step %d %s): cannot apply or decide\n", index,
                            lc->rel, at, path ? path : "?");
                bad = 1;
                goto out;
        }
        /* A drained read gives the host nothing: refused too. */
        refused = d.verdict == VERDICT_DENY;
        expect_refused = !needs || !allowed_by_design(lc->rel, at, path);
        if (needs && refused)
                (*n_needs_denied)++;
        if (report)
                printf("  mutation %zu %s step %d %s %s%s: %s %s\n", index, lc->rel, at, op, path,
                       needs ? " [needs]" : "", refused ? "denied" : "ALLOWED", d.rule_id);
        if (refused != expect_refused) {
                print_error("mutation %zu (%s step %d %s %s%s): %s by %s, expected %s\n", index,
                            lc->rel, at, op, path, needs ? ", needs" : "",
                            refused ? "denied" : "allowed", d.rule_id,
                            expect_refused ? "denied" : "allowed (allowed_needs[])");
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
        unsigned failures = 0, n_needs_denied = 0, n_needs = 0;
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
                n_needs += json_object_get(mu, "needs") != NULL;
                failures += one_mutation(lc, mu, i, &n_needs_denied);
        }
        printf("mutations: %zu, of which %u need the language work; %u of those are denied "
               "anyway\n", json_array_size(json_object_get(doc, "mutations")), n_needs,
               n_needs_denied);
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
