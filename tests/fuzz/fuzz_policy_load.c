/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy loading from YAML bytes (policy_load_buffer: the path of a policy given
 * at start and of one delivered by SetPolicyRequest), and whatever loads is then
 * inspected as `ccgate policy check` does and decides the example pods' requests
 * (examples/NAME/requests/, loaded once) in order, applying what they create.
 *
 * Oracles: a failure is a -errno with a message and a position inside the text;
 * a loaded policy keeps exactly the bytes it was given (what the attestation
 * digest covers); decisions are well formed and never an internal error.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "agent_api.h"
#include "fuzz.h"
#include "pbjson.h"
#include "policy.h"
#include "policy_inspect.h"

#define MAX_REQUESTS 128u

struct request {
        const struct agent_method *method;
        ProtobufCMessage *message;
};

static struct request requests[MAX_REQUESTS];
static size_t n_requests;

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

static void load_requests(const char *example)
{
        char dir[4096];
        struct dirent **names = NULL;
        int n;

        snprintf(dir, sizeof(dir), "%s/examples/%s/requests", fuzz_source_root(), example);
        n = scandir(dir, &names, NULL, alphasort);
        if (n < 0)
                fuzz_die(dir, errno);
        for (int i = 0; i < n; i++) {
                char path[4352], why[256];
                json_error_t jerr;
                json_t *j;
                const struct agent_method *m;

                if (!strstr(names[i]->d_name, ".json") || n_requests == MAX_REQUESTS) {
                        free(names[i]);
                        continue;
                }
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
                free(names[i]);
                j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
                if (!j)
                        fuzz_die(path, EINVAL);
                m = method_of(j);
                if (!m)
                        fuzz_die(path, ENOENT);
                if (pbjson_to_message(m->request, json_object_get(j, "message"),
                                      &requests[n_requests].message, why, sizeof(why)) < 0)
                        fuzz_die(why, EINVAL);
                requests[n_requests++].method = m;
                json_decref(j);
        }
        free(names);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        load_requests("web");
        load_requests("locked");
        load_requests("sidecar");
        if (n_requests == 0)
                fuzz_die("no example requests", 0);
        return 0;
}

static void inspect(const struct policy *p)
{
        char buf[512], missing[64];

        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                struct policy_request_info ri;

                FUZZ_CHECK(policy_request_info(p, (enum agent_method_id)id, &ri) == 0);
                if (ri.listed)
                        FUZZ_CHECK(ri.rule_id && ri.reason);
        }
        for (size_t i = 0; i < policy_n_containers(p); i++) {
                struct policy_container_info ci;

                FUZZ_CHECK(policy_container_info(p, i, &ci) == 0);
                FUZZ_CHECK(ci.name && ci.rule_id && ci.reason);
                for (size_t k = 0; k < ci.n_args; k++)
                        FUZZ_CHECK(policy_describe_argv(p, i, SIZE_MAX, k, buf, sizeof(buf)) >= 0);
                for (size_t e = 0; e < ci.n_execs; e++) {
                        struct policy_exec_info ei;

                        FUZZ_CHECK(policy_exec_info(p, i, e, &ei) == 0);
                        FUZZ_CHECK(ei.rule_id && ei.reason);
                        for (size_t k = 0; k < ei.n_argv; k++)
                                FUZZ_CHECK(policy_describe_argv(p, i, e, k, buf, sizeof(buf)) >= 0);
                }
        }
        for (size_t i = 0; i < policy_n_copy_rules(p); i++) {
                struct policy_copy_info ci;

                FUZZ_CHECK(policy_copy_info(p, i, &ci) == 0);
        }
        (void)policy_hooks_missing(p, "none", missing, sizeof(missing));
        (void)policy_hooks_missing(p, "connect_unix,lsm_exec", NULL, 0);
}

static void decide_examples(const struct policy *p)
{
        struct policy_state *s = policy_state_new();

        FUZZ_CHECK(s != NULL);
        for (size_t i = 0; i < n_requests; i++) {
                struct decision d;
                int r;

                r = policy_decide(p, s, requests[i].method, requests[i].message, &d);
                FUZZ_CHECK(r == 0);
                FUZZ_CHECK(d.verdict == VERDICT_ALLOW || d.verdict == VERDICT_DENY);
                FUZZ_CHECK(d.rule_id && d.reason);
                FUZZ_CHECK(d.effect.kind >= 0 && d.effect.kind < _POLICY_EFFECT_MAX);
                FUZZ_CHECK(!d.drain || d.verdict == VERDICT_DENY);
                if (d.verdict != VERDICT_ALLOW || d.effect.kind == POLICY_EFFECT_NONE)
                        continue;
                /* As the gate does for a forwarded request the agent answers OK. */
                r = policy_state_reserve(s, &d.effect);
                FUZZ_CHECK(r == 0 || r == -EEXIST || r == -ENOSPC);
                if (r == 0) {
                        r = policy_state_apply(s, &d.effect);
                        FUZZ_CHECK(r == 0 || r == -ENOSPC);
                }
        }
        policy_state_free(s);
}

/*
 * At least the number of line breaks libyaml sees: \n, \r, NEL, LS and PS, in
 * UTF-8 or (after a BOM) UTF-16; \r\n and stray bytes count twice, which only
 * loosens the bound.
 */
static size_t line_breaks_bound(const uint8_t *p, size_t n)
{
        bool utf16 = n >= 2 && ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == 0xfe && p[1] == 0xff));
        size_t breaks = 0;

        for (size_t i = 0; i < n; i++)
                if (p[i] == '\n' || p[i] == '\r' || p[i] == 0x85 ||
                    (!utf16 && (p[i] == 0xa8 || p[i] == 0xa9)) ||
                    (utf16 && (p[i] == 0x28 || p[i] == 0x29)))
                        breaks++;
        return breaks + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct policy *p = NULL;
        struct policy_error err;
        const uint8_t *text;
        size_t text_len, lines;
        int r;

        r = policy_load_buffer("fuzz.yaml", data, size, &p, &err);
        if (r < 0) {
                FUZZ_CHECK(p == NULL);
                FUZZ_CHECK(r == -EINVAL || r == -ENOMEM || r == -EFBIG);
                FUZZ_CHECK(strnlen(err.message, sizeof(err.message)) > 0);
                FUZZ_CHECK(strnlen(err.message, sizeof(err.message)) < sizeof(err.message));
                FUZZ_CHECK(strnlen(err.file, sizeof(err.file)) < sizeof(err.file));
                lines = line_breaks_bound(data, size);
                /* A position is inside the text (one past its last line at most). */
                FUZZ_CHECK(err.line <= lines + 1);
                FUZZ_CHECK(err.column <= size + 1);
                return 0;
        }

        text = policy_text(p, &text_len);
        FUZZ_CHECK(text_len == size && (size == 0 || memcmp(text, data, size) == 0));
        FUZZ_CHECK(policy_mode(p) == POLICY_MODE_ENFORCE || policy_mode(p) == POLICY_MODE_AUDIT);
        inspect(p);
        decide_examples(p);
        policy_free(p);
        return 0;
}
