/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The examples decide the requests a kata shim sends for their pods as their
 * READMEs say: every examples/NAME/requests/FILE.json carries the request, the
 * state before it and what the policy must decide ("expect").
 * Usage: test-policy-examples SOURCE_ROOT
 */
#include <dirent.h>
#include <stdbool.h>
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
#include "example_state.h"
#include "pbjson.h"
#include "policy.h"
#include "policy_error.h"
#include "policy_inspect.h"

static const char *source_root;

static const struct agent_method *method_of(const json_t *j)
{
        const char *name = json_string_value(json_object_get(j, "request"));
        const char *method = json_string_value(json_object_get(j, "method"));
        enum agent_method_id ids[4];
        size_t n = name ? agent_methods_by_request_name(name, ids, 4) : 0;

        for (size_t i = 0; i < n && i < 4; i++) {
                const struct agent_method *m = agent_method_get(ids[i]);
                if (!method || strcmp(m->method, method) == 0)
                        return m;
        }
        return NULL;
}

/* Decide one fixture; returns a failure description or NULL. */
static const char *run_fixture(const struct policy *p, const char *path, char *why, size_t len)
{
        json_error_t jerr;
        json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        ProtobufCMessage *msg = NULL;
        struct policy_state *s = policy_state_new();
        const struct agent_method *m;
        const json_t *expect;
        struct decision d;
        char err[256];
        const char *ret = NULL;

        if (!j || !s) {
                snprintf(why, len, "%s: %s", path, j ? "ENOMEM" : jerr.text);
                ret = why;
                goto out;
        }
        m = method_of(j);
        expect = json_object_get(j, "expect");
        if (!m || !expect) {
                snprintf(why, len, "%s: no method or expect", path);
                ret = why;
                goto out;
        }
        if (pbjson_to_message(m->request, json_object_get(j, "message"), &msg, err, sizeof(err)) <
            0) {
                snprintf(why, len, "%s: message: %s", path, err);
                ret = why;
                goto out;
        }
        if (example_state_load(p, json_object_get(j, "state"), s) < 0) {
                snprintf(why, len, "%s: state does not fit the policy", path);
                ret = why;
                goto out;
        }
        if (policy_decide(p, s, m, msg, &d) < 0) {
                snprintf(why, len, "%s: policy_decide failed", path);
                ret = why;
                goto out;
        }
        if (strcmp(verdict_to_string(d.verdict),
                   json_string_value(json_object_get(expect, "decision"))) != 0 ||
            strcmp(d.rule_id, json_string_value(json_object_get(expect, "rule"))) != 0 ||
            d.drain != json_is_true(json_object_get(expect, "drain"))) {
                snprintf(why, len, "%s: got %s (%s)%s: %s", path, verdict_to_string(d.verdict),
                         d.rule_id, d.drain ? " drained" : "", d.reason);
                ret = why;
        }
out:
        if (msg)
                protobuf_c_message_free_unpacked(msg, NULL);
        policy_state_free(s);
        json_decref(j);
        return ret;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static void run_example(const char *name)
{
        char path[4096], dir[2048], why[8192];
        struct policy *p = NULL;
        struct policy_error err = { 0 };
        struct dirent **entries = NULL;
        unsigned failures = 0;
        int n;

        snprintf(path, sizeof(path), "%s/examples/%s/policy.yaml", source_root, name);
        if (policy_load_file(path, &p, &err) < 0) {
                policy_error_format(&err, why, sizeof(why));
                fail_msg("%s", why);
        }
        snprintf(dir, sizeof(dir), "%s/examples/%s/requests", source_root, name);
        n = scandir(dir, &entries, NULL, by_name);
        assert_true(n > 2);
        for (int i = 0; i < n; i++) {
                const char *f = entries[i]->d_name;
                size_t l = strlen(f);
                if (l > 5 && strcmp(f + l - 5, ".json") == 0) {
                        snprintf(path, sizeof(path), "%s/%s", dir, f);
                        if (run_fixture(p, path, why, sizeof(why))) {
                                print_error("%s\n", why);
                                failures++;
                        }
                }
                free(entries[i]);
        }
        free(entries);
        policy_free(p);
        assert_int_equal(failures, 0);
}

static void test_web(void **state)
{
        (void)state;
        run_example("web");
}

static void test_locked(void **state)
{
        (void)state;
        run_example("locked");
}

static void test_sidecar(void **state)
{
        (void)state;
        run_example("sidecar");
}

static void test_volumes(void **state)
{
        (void)state;
        run_example("volumes");
}

/* A bad fixture's "# loader: LINE:COLUMN: message" line: the loader's exact error. */
static bool expected_error(const char *path, char *ret, size_t len)
{
        char line[1024];
        bool found = false;
        FILE *f = fopen(path, "re");

        if (!f)
                return false;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "# loader: ", 10) == 0) {
                        line[strcspn(line, "\n")] = '\0';
                        snprintf(ret, len, "%s:%s", path, line + 10);
                        found = true;
                }
        fclose(f);
        return found;
}

/* The loader agrees with the JSON Schema on the fixtures validate_schema.py checks;
 * a bad one fails with exactly the error its "# loader:" line gives. */
static void load_dir(const char *kind, bool want_ok)
{
        char dir[2048], path[4096], msg[1024];
        struct dirent **entries = NULL;
        unsigned failures = 0, seen = 0;
        int n;

        snprintf(dir, sizeof(dir), "%s/tests/policy/fixtures/%s", source_root, kind);
        n = scandir(dir, &entries, NULL, by_name);
        assert_true(n > 2);
        for (int i = 0; i < n; i++) {
                const char *f = entries[i]->d_name;
                size_t l = strlen(f);
                if (l > 5 && strcmp(f + l - 5, ".yaml") == 0) {
                        struct policy *p = NULL;
                        struct policy_error err = { 0 };
                        int r;

                        snprintf(path, sizeof(path), "%s/%s", dir, f);
                        r = policy_load_file(path, &p, &err);
                        seen++;
                        if ((r == 0) != want_ok) {
                                policy_error_format(&err, msg, sizeof(msg));
                                print_error("%s: %s\n", path, r == 0 ? "loaded" : msg);
                                failures++;
                        } else if (!want_ok) {
                                char want[sizeof(msg) + sizeof(path)];

                                policy_error_format(&err, msg, sizeof(msg));
                                if (!expected_error(path, want, sizeof(want))) {
                                        print_error("%s: no \"# loader: ...\" line\n", path);
                                        failures++;
                                } else if (strcmp(msg, want) != 0) {
                                        print_error("%s:\n  got:  %s\n  want: %s\n", path, msg, want);
                                        failures++;
                                }
                        }
                        policy_free(p);
                }
                free(entries[i]);
        }
        free(entries);
        assert_true(seen >= 2);
        assert_int_equal(failures, 0);
}

static void test_fixtures(void **state)
{
        (void)state;
        load_dir("good", true);
        load_dir("bad", false);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_web),
                cmocka_unit_test(test_locked),
                cmocka_unit_test(test_sidecar),
                cmocka_unit_test(test_volumes),
                cmocka_unit_test(test_fixtures),
        };

        if (argc != 2) {
                fprintf(stderr, "usage: %s SOURCE_ROOT\n", argv[0]);
                return 2;
        }
        source_root = argv[1];
        return cmocka_run_group_tests(tests, NULL, NULL);
}
