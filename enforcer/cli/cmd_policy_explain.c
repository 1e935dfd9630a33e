/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `ccgate policy explain FILE REQUEST.json`: how one request would be decided,
 * offline: the rule, its reason, what the host would be told, what would change.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent_api.h"
#include "cleanup.h"
#include "commands.h"
#include "gate.h"
#include "pbjson.h"
#include "policy.h"
#include "policy_inspect.h"

static void protobuf_c_message_freep(ProtobufCMessage **m)
{
        if (*m)
                protobuf_c_message_free_unpacked(*m, NULL);
}

static void explain_usage(FILE *f)
{
        fputs("Usage: ccgate policy explain [OPTIONS] FILE REQUEST.json\n"
              "\n"
              "Decide one agent request offline against the policy in FILE and print the\n"
              "decision, the rule id and its reason, and what the host would be told.\n"
              "\n"
              "REQUEST.json is an object:\n"
              "  \"request\"  the request message name, e.g. \"ExecProcessRequest\" (required)\n"
              "  \"method\"   the method, e.g. \"ReadStderr\"; needed when a message is shared\n"
              "  \"message\"  the request's fields by their .proto names (default: empty)\n"
              "  \"comment\", \"expect\"  free text and the expected outcome (ignored here)\n"
              "  \"state\"    what earlier allowed requests established (optional):\n"
              "             {\"sandbox_created\": true,\n"
              "              \"containers\": [{\"container_id\": ID, \"container\": NAME}\n"
              "                             | {\"container_id\": ID, \"sandbox\": true}],\n"
              "              \"execs\": [{\"container_id\": ID, \"exec_id\": ID,\n"
              "                         \"exec\": EXEC-RULE-ID}]}\n"
              "\n"
              "Options:\n"
              "  -h, --help      show this help\n"
              "\n"
              "Exit status: 0 the request is allowed, 1 it is denied or the policy is\n"
              "invalid, 2 usage errors or a request that does not fit the schema.\n",
              f);
}


/* The method a REQUEST.json names. */
static const struct agent_method *explain_method(const json_t *j)
{
        const char *name = json_string_value(json_object_get(j, "request"));
        const char *method = json_string_value(json_object_get(j, "method"));
        enum agent_method_id ids[4];
        size_t n;

        if (!name) {
                fprintf(stderr, "ccgate policy explain: \"request\" must name a request message\n");
                return NULL;
        }
        n = agent_methods_by_request_name(name, ids, ELEMENTSOF(ids));
        if (n == 0) {
                fprintf(stderr, "ccgate policy explain: unknown request \"%s\"\n", name);
                return NULL;
        }
        for (size_t i = 0; i < n && i < ELEMENTSOF(ids); i++) {
                const struct agent_method *m = agent_method_get(ids[i]);
                if (!method ? n == 1 : strcmp(m->method, method) == 0)
                        return m;
        }
        if (!method)
                fprintf(stderr, "ccgate policy explain: %s is taken by more than one method; say "
                                "which with \"method\"\n", name);
        else
                fprintf(stderr, "ccgate policy explain: %s is not a method taking %s\n", method,
                        name);
        return NULL;
}

static int explain_state(const struct policy *p, const json_t *st, struct policy_state *s)
{
        const json_t *v;
        size_t i;
        int r;

        if (!st)
                return 0;
        if (!json_is_object(st))
                return -EINVAL;
        if (json_is_true(json_object_get(st, "sandbox_created"))) {
                struct policy_effect e = { .kind = POLICY_EFFECT_SANDBOX_CREATED };
                policy_state_apply(s, &e);
        }
        json_array_foreach(json_object_get(st, "containers"), i, v) {
                const char *cid = json_string_value(json_object_get(v, "container_id"));
                const char *name = json_string_value(json_object_get(v, "container"));
                bool sandbox = json_is_true(json_object_get(v, "sandbox"));
                if (!cid || (!name && !sandbox))
                        return -EINVAL;
                r = policy_state_bind_named(p, s, cid, sandbox ? NULL : name);
                if (r < 0) {
                        fprintf(stderr, "ccgate policy explain: state: no container %s%s%s\n",
                                sandbox ? "with sandbox: true" : "\"", sandbox ? "" : name,
                                sandbox ? "" : "\"");
                        return r;
                }
        }
        json_array_foreach(json_object_get(st, "execs"), i, v) {
                const char *cid = json_string_value(json_object_get(v, "container_id"));
                const char *eid = json_string_value(json_object_get(v, "exec_id"));
                const char *rule = json_string_value(json_object_get(v, "exec"));
                if (!cid || !eid || !rule)
                        return -EINVAL;
                r = policy_state_exec_named(p, s, cid, eid, rule);
                if (r < 0) {
                        fprintf(stderr, "ccgate policy explain: state: no exec entry \"%s\"\n",
                                rule);
                        return r;
                }
        }
        return 0;
}

static void print_decision(const struct policy *p, const struct agent_method *m,
                           const struct decision *d)
{
        char msg[GATE_MESSAGE_MAX];
        bool forwarded = d->verdict == VERDICT_ALLOW || d->drain ||
                         policy_mode(p) == POLICY_MODE_AUDIT;

        printf("request:  %s (%s/%s)\n", m->request_name, m->service, m->method);
        printf("decision: %s\n", verdict_to_string(d->verdict));
        printf("rule:     %s\n", d->rule_id);
        printf("reason:   %s\n", d->reason);
        printf("mode:     %s\n", policy_mode_to_string(policy_mode(p)));
        if (d->drain)
                printf("drain:    forwarded; the output is discarded and the host gets an empty "
                       "answer\n");
        else if (d->verdict == VERDICT_DENY && forwarded)
                printf("audit:    forwarded anyway (audit mode); recorded as would-deny\n");
        if (d->verdict == VERDICT_DENY && !forwarded) {
                gate_denial_message(msg, sizeof(msg), m->request_name, d->rule_id, d->reason);
                printf("host sees: PERMISSION_DENIED: %s\n", msg);
        }
        /* Effects only happen to what reaches the agent (and then only on OK). */
        if (d->drain || !forwarded)
                return;
        switch (d->effect.kind) {
        case POLICY_EFFECT_BIND_CONTAINER:
                printf("on OK:    container %s is bound to policy container #%u\n",
                       d->effect.container_id, d->effect.entry);
                break;
        case POLICY_EFFECT_UNBIND_CONTAINER:
                printf("on OK:    container %s is forgotten\n", d->effect.container_id);
                break;
        case POLICY_EFFECT_ADD_EXEC:
                printf("on OK:    exec %s in container %s is recorded\n", d->effect.exec_id,
                       d->effect.container_id);
                break;
        case POLICY_EFFECT_SANDBOX_CREATED:
                printf("on OK:    the sandbox is recorded as created\n");
                break;
        case POLICY_EFFECT_SANDBOX_DESTROYED:
                printf("on OK:    the sandbox and its containers are forgotten\n");
                break;
        default:
                break;
        }
}

static int explain(const char *policy_path, const char *request_path)
{
        _cleanup_(policy_freep) struct policy *p = NULL;
        _cleanup_(policy_state_freep) struct policy_state *s = NULL;
        _cleanup_(json_decrefp) json_t *j = NULL;
        _cleanup_(protobuf_c_message_freep) ProtobufCMessage *msg = NULL;
        const struct agent_method *m;
        json_t *body, *empty = NULL, *value;
        json_error_t jerr;
        const char *key;
        struct decision d;
        char err[512];
        int r;

        if (cmd_load_policy(policy_path, &p) < 0)
                return 1;
        j = json_load_file(request_path, JSON_REJECT_DUPLICATES, &jerr);
        if (!j || !json_is_object(j)) {
                fprintf(stderr, "%s:%d:%d: %s\n", request_path, j ? 1 : jerr.line,
                        j ? 1 : jerr.column, j ? "expected a JSON object" : jerr.text);
                return 2;
        }
        json_object_foreach(j, key, value) {
                static const char *const known[] = { "request", "method", "message", "state",
                                                     "comment", "expect" };
                bool ok = false;
                for (size_t i = 0; i < ELEMENTSOF(known) && !ok; i++)
                        ok = strcmp(key, known[i]) == 0;
                if (!ok) {
                        fprintf(stderr, "%s: unknown key \"%s\"; see --help\n", request_path, key);
                        return 2;
                }
        }
        m = explain_method(j);
        if (!m)
                return 2;
        body = json_object_get(j, "message");
        if (!body)
                body = empty = json_object();
        r = pbjson_to_message(m->request, body, &msg, err, sizeof(err));
        json_decref(empty);
        if (r < 0) {
                fprintf(stderr, "%s: message: %s\n", request_path, err);
                return 2;
        }
        s = policy_state_new();
        if (!s) {
                fprintf(stderr, "ccgate policy explain: out of memory\n");
                return 2;
        }
        if (explain_state(p, json_object_get(j, "state"), s) < 0) {
                fprintf(stderr, "%s: \"state\" does not fit the form shown by --help\n",
                        request_path);
                return 2;
        }
        r = policy_decide(p, s, m, msg, &d);
        if (r < 0) {
                fprintf(stderr, "ccgate policy explain: the request could not be decided: %s\n",
                        strerror(-r));
                return 1;
        }
        print_decision(p, m, &d);
        return d.verdict == VERDICT_ALLOW ? 0 : 1;
}

int cmd_policy_explain(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'h': explain_usage(stdout); return 0;
                default: explain_usage(stderr); return 2;
                }
        }
        if (argc - optind != 2) {
                fprintf(stderr, "ccgate policy explain: expected FILE and REQUEST.json\n");
                explain_usage(stderr);
                return 2;
        }
        return explain(argv[optind], argv[optind + 1]);
}
