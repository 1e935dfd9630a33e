/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_decide() does not allocate: after one warm-up decision (PCRE2 may
 * size its backtracking frames once), deciding the example pods' requests
 * calls no malloc at all. The test binary interposes malloc and friends to
 * count calls, which sanitizers do as well: under them it is skipped.
 * Usage: test-policy-alloc SOURCE_ROOT
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent_api.h"
#include "pbjson.h"
#include "policy.h"
#include "alloc_count.h"
#include "example_state.h"
#include "policy_error.h"
#include "policy_inspect.h"


static const char *source_root;

struct fixture {
        const char *example, *file;
};

/* The hot requests: container creation, exec, stream reads, copies, node calls. */
static const struct fixture fixtures[] = {
        { "web", "03-create-nginx.json" },     { "web", "04-exec-liveness.json" },
        { "web", "05-read-probe-stdout.json" }, { "web", "06-logs-stdout.json" },
        { "web", "07-copy-resolv-conf.json" },  { "web", "08-update-interface.json" },
        { "web", "20-kubectl-exec.json" },      { "web", "29-extra-env.json" },
        { "web", "25-copy-symlink-escape.json" }, { "locked", "24-kubectl-logs-stdout.json" },
        { "sidecar", "02-create-app.json" },
};

static int one(const struct fixture *fx)
{
        char path[4096], err[256];
        struct policy *p = NULL;
        struct policy_error perr = { 0 };
        struct policy_state *s = policy_state_new();
        ProtobufCMessage *msg = NULL;
        const struct agent_method *m = NULL;
        enum agent_method_id ids[4];
        json_t *j;
        size_t i, n;
        struct decision d;
        unsigned long n_allocs;
        int failed = 1;

        snprintf(path, sizeof(path), "%s/examples/%s/policy.yaml", source_root, fx->example);
        if (!s || policy_load_file(path, &p, &perr) < 0)
                return 1;
        snprintf(path, sizeof(path), "%s/examples/%s/requests/%s", source_root, fx->example,
                 fx->file);
        j = json_load_file(path, 0, NULL);
        if (!j)
                goto out;
        n = agent_methods_by_request_name(json_string_value(json_object_get(j, "request")), ids, 4);
        for (i = 0; i < n && i < 4; i++) {
                const char *want = json_string_value(json_object_get(j, "method"));
                if (!want || strcmp(agent_method_get(ids[i])->method, want) == 0) {
                        m = agent_method_get(ids[i]);
                        break;
                }
        }
        if (!m || pbjson_to_message(m->request, json_object_get(j, "message"), &msg, err,
                                    sizeof(err)) < 0)
                goto out;
        if (example_state_load(p, json_object_get(j, "state"), s) < 0)
                goto out;

        if (policy_decide(p, s, m, msg, &d) < 0)
                goto out;
        alloc_count_start();
        for (int k = 0; k < 100; k++)
                (void)policy_decide(p, s, m, msg, &d);
        n_allocs = alloc_count_stop();
        if (n_allocs) {
                fprintf(stderr, "%s/%s: %lu allocations in 100 decisions\n", fx->example,
                        fx->file, n_allocs);
                goto out;
        }
        failed = 0;
out:
        if (msg)
                protobuf_c_message_free_unpacked(msg, NULL);
        json_decref(j);
        policy_state_free(s);
        policy_free(p);
        if (failed)
                fprintf(stderr, "FAIL %s/%s\n", fx->example, fx->file);
        return failed;
}

int main(int argc, char **argv)
{
        int failures = 0;

        if (argc != 2) {
                fprintf(stderr, "usage: %s SOURCE_ROOT\n", argv[0]);
                return 2;
        }
        if (!alloc_count_available()) {
                printf("SKIPPED: the sanitizer owns malloc, so allocations cannot be counted\n");
                return 77;
        }
        source_root = argv[1];
        for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
                failures += one(&fixtures[i]);
        printf("%s: %zu request kinds decided without allocating\n", failures ? "FAIL" : "ok",
               sizeof(fixtures) / sizeof(fixtures[0]));
        return failures ? 1 : 0;
}
