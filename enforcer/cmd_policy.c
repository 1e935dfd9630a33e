/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `ccgate policy check FILE` and `ccgate policy explain FILE REQUEST.json`:
 * the tenant's tools for reading what a policy lets the host do, and for
 * asking how one request would be decided, offline.
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
#include "policy_error.h"
#include "policy_inspect.h"

static void protobuf_c_message_freep(ProtobufCMessage **m)
{
        if (*m)
                protobuf_c_message_free_unpacked(*m, NULL);
}

static const char *const stream_names[_POLICY_STREAM_MAX] = { "stdout", "stderr", "stdin",
                                                              "tty_resize" };

static void check_usage(FILE *f)
{
        fputs("Usage: ccgate policy check [OPTIONS] FILE\n"
              "\n"
              "Validate a policy and print what it lets the host do: the decision for every\n"
              "agent request, each container the pod may run with the commands the host may\n"
              "execute in it and the streams it may use, and where files may be copied.\n"
              "Warnings name combinations that make clients hang or rules that can never\n"
              "apply (for example: exec allowed while WaitProcess or the exec's streams are\n"
              "denied, as in azure-cli-extensions issue 8432).\n"
              "\n"
              "Errors are reported as FILE:LINE:COLUMN: what was expected.\n"
              "\n"
              "Options:\n"
              "  -q, --quiet     print nothing but errors and warnings\n"
              "      --strict    treat warnings as failures (exit status 1)\n"
              "  -h, --help      show this help\n"
              "\n"
              "Exit status: 0 the policy is valid, 1 it is not (or has warnings under\n"
              "--strict), 2 usage errors.\n",
              f);
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

static int load_policy(const char *path, struct policy **ret)
{
        struct policy_error err = { 0 };
        char msg[1024];
        int r = policy_load_file(path, ret, &err);

        if (r < 0) {
                policy_error_format(&err, msg, sizeof(msg));
                fprintf(stderr, "%s\n", msg);
        }
        return r;
}

static void print_streams(const char *indent, const enum verdict *v)
{
        printf("%sstreams:", indent);
        for (unsigned k = 0; k < _POLICY_STREAM_MAX; k++)
                printf(" %s %s%s", stream_names[k], verdict_to_string(v[k]),
                       v[k] == VERDICT_DENY && k <= POLICY_STREAM_STDERR ? " (drained)" : "");
        printf("\n");
}

static void print_argv(const struct policy *p, size_t i, size_t j, size_t n)
{
        char buf[256];

        for (size_t k = 0; k < n; k++)
                if (policy_describe_argv(p, i, j, k, buf, sizeof(buf)) == 0)
                        printf(" %s", buf);
        printf("\n");
}

static bool is_container_scoped(enum agent_method_id id)
{
        return id == AGENT_CREATE_CONTAINER || id == AGENT_EXEC_PROCESS ||
               policy_is_container_request(id);
}

/* Each request name once, in the table's order. */
static bool first_of_name(int id)
{
        const struct agent_method *m = agent_method_get((enum agent_method_id)id);

        for (int j = 0; j < id; j++)
                if (strcmp(agent_method_get((enum agent_method_id)j)->request_name,
                           m->request_name) == 0)
                        return false;
        return true;
}

static void print_requests(const struct policy *p)
{
        bool any_unlisted = false;

        printf("Requests (anything not listed is denied):\n");
        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                const struct agent_method *m = agent_method_get((enum agent_method_id)id);
                struct policy_request_info ri;

                if (!first_of_name(id) || policy_request_info(p, m->id, &ri) < 0)
                        continue;
                if (!ri.listed) {
                        any_unlisted = true;
                        continue;
                }
                printf("  %-5s %-38s %s: %s", verdict_to_string(ri.verdict), m->request_name,
                       ri.rule_id, ri.reason);
                if (ri.n_fields)
                        printf(" [%zu field rule%s]", ri.n_fields, ri.n_fields == 1 ? "" : "s");
                if (ri.verdict == VERDICT_ALLOW && policy_has_containers(p) &&
                    is_container_scoped(m->id))
                        printf(" [only as the containers below allow]");
                if (ri.verdict == VERDICT_ALLOW && m->id == AGENT_COPY_FILE)
                        printf(" [only where copy_file allows]");
                printf("\n");
        }
        if (!any_unlisted)
                return;
        printf("  deny  by default-deny:");
        for (int id = 0; id < _AGENT_METHOD_MAX; id++) {
                const struct agent_method *m = agent_method_get((enum agent_method_id)id);
                struct policy_request_info ri;
                if (first_of_name(id) && policy_request_info(p, m->id, &ri) == 0 && !ri.listed)
                        printf(" %s", m->request_name);
        }
        printf("\n");
}

static void print_containers(const struct policy *p)
{
        if (!policy_has_containers(p)) {
                printf("Containers: no containers section; container requests are decided by "
                       "the table alone\n");
                return;
        }
        printf("Containers:\n");
        for (size_t i = 0; i < policy_n_containers(p); i++) {
                struct policy_container_info ci;

                if (policy_container_info(p, i, &ci) < 0)
                        continue;
                printf("  %s%s (rule %s): %s\n", ci.name, ci.sandbox ? " [sandbox]" : "",
                       ci.rule_id, ci.reason);
                printf("    image: %s\n    args:", ci.image);
                print_argv(p, i, SIZE_MAX, ci.n_args);
                print_streams("    ", ci.streams);
                if (ci.n_execs == 0)
                        printf("    exec: none\n");
                for (size_t j = 0; j < ci.n_execs; j++) {
                        struct policy_exec_info ei;
                        if (policy_exec_info(p, i, j, &ei) < 0)
                                continue;
                        printf("    exec %s%s: %s\n      argv:", ei.rule_id,
                               ei.terminal ? " [terminal]" : "", ei.reason);
                        print_argv(p, i, j, ei.n_argv);
                        print_streams("      ", ei.streams);
                }
        }
}

static void print_copies(const struct policy *p)
{
        printf("CopyFile destinations:%s\n", policy_n_copy_rules(p) ? "" : " none");
        for (size_t i = 0; i < policy_n_copy_rules(p); i++) {
                struct policy_copy_info cp;
                if (policy_copy_info(p, i, &cp) < 0)
                        continue;
                printf("  %s (%s%s%s%s%s): %s\n", cp.rule_id, cp.file ? "file" : "",
                       cp.file && (cp.directory || cp.symlink) ? ", " : "",
                       cp.directory ? "directory" : "", cp.directory && cp.symlink ? ", " : "",
                       cp.symlink ? "symlink" : "", cp.reason);
        }
}

static bool allowed(const struct policy *p, enum agent_method_id id)
{
        struct policy_request_info ri;
        return policy_request_info(p, id, &ri) == 0 && ri.verdict == VERDICT_ALLOW;
}

static unsigned warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static unsigned warn(const char *fmt, ...)
{
        va_list ap;

        fputs("warning: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return 1;
}

static unsigned warn_exec(const struct policy *p, const struct policy_container_info *ci,
                          const struct policy_exec_info *ei)
{
        unsigned n = 0;

        if (!allowed(p, AGENT_EXEC_PROCESS))
                return warn("exec %s in %s can never run: ExecProcessRequest is denied",
                            ei->rule_id, ci->name);
        if (!allowed(p, AGENT_WAIT_PROCESS))
                n += warn("exec %s in %s is allowed but WaitProcessRequest is denied: the "
                          "client waits for it forever",
                          ei->rule_id, ci->name);
        if (ei->streams[POLICY_STREAM_STDOUT] == VERDICT_DENY ||
            ei->streams[POLICY_STREAM_STDERR] == VERDICT_DENY || !allowed(p, AGENT_READ_STDOUT))
                n += warn("exec %s in %s is allowed but its output is refused: reads are "
                          "drained and the client sees no output",
                          ei->rule_id, ci->name);
        if (ei->streams[POLICY_STREAM_STDIN] == VERDICT_DENY || !allowed(p, AGENT_CLOSE_STDIN))
                n += warn("exec %s in %s is allowed but closing its stdin is refused: runtimes "
                          "close stdin after starting a process and may fail or hang (see "
                          "azure-cli-extensions issue 8432)",
                          ei->rule_id, ci->name);
        if (ei->terminal && (ei->streams[POLICY_STREAM_STDIN] == VERDICT_DENY ||
                             ei->streams[POLICY_STREAM_TTY_RESIZE] == VERDICT_DENY ||
                             !allowed(p, AGENT_WRITE_STDIN) || !allowed(p, AGENT_TTY_WIN_RESIZE)))
                n += warn("exec %s in %s has a terminal but its input or resizing is refused: an "
                          "interactive client hangs",
                          ei->rule_id, ci->name);
        return n;
}

static void print_required_hooks(const struct policy *p)
{
        const char *sep = "";

        printf("required eBPF hooks: ");
        for (size_t h = 0; policy_hook_names[h]; h++) {
                if (!policy_requires_hook(p, policy_hook_names[h]))
                        continue;
                printf("%s%s", sep, policy_hook_names[h]);
                sep = ", ";
        }
        printf("%s\n", *sep ? " (without them every request is denied)" : "none");
}

static unsigned check_warnings(const struct policy *p)
{
        bool sandbox = false;
        unsigned n = 0;

        if (policy_mode(p) == POLICY_MODE_AUDIT)
                n += warn("mode is audit: requests the policy denies are still forwarded to the "
                          "agent");
        if (!policy_has_containers(p) && allowed(p, AGENT_CREATE_CONTAINER))
                n += warn("CreateContainerRequest is allowed without a containers section: the "
                          "host may run any container, image and command");
        if (!policy_has_containers(p) && allowed(p, AGENT_EXEC_PROCESS))
                n += warn("ExecProcessRequest is allowed without a containers section: the host "
                          "may run any command in any container");
        if (allowed(p, AGENT_COPY_FILE) && policy_n_copy_rules(p) == 0)
                n += warn("CopyFileRequest is allowed but there are no copy_file rules: every "
                          "copy is denied");
        if (!allowed(p, AGENT_COPY_FILE) && policy_n_copy_rules(p) > 0)
                n += warn("copy_file rules can never apply: CopyFileRequest is denied");
        if (allowed(p, AGENT_SET_POLICY))
                n += warn("SetPolicyRequest is allowed: the host may replace the policy inside "
                          "the agent");
        for (size_t i = 0; i < policy_n_containers(p); i++) {
                struct policy_container_info ci;
                if (policy_container_info(p, i, &ci) < 0)
                        continue;
                sandbox |= ci.sandbox;
                for (size_t j = 0; j < ci.n_execs; j++) {
                        struct policy_exec_info ei;
                        if (policy_exec_info(p, i, j, &ei) == 0)
                                n += warn_exec(p, &ci, &ei);
                }
        }
        if (policy_has_containers(p) && !sandbox && allowed(p, AGENT_CREATE_CONTAINER))
                n += warn("no container has \"sandbox: true\": the pod's pause container will be "
                          "denied and the pod cannot start");
        return n;
}

int cmd_policy_check(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "quiet", no_argument, NULL, 'q' },
                { "strict", no_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(policy_freep) struct policy *p = NULL;
        bool quiet = false, strict = false;
        unsigned warnings;
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) >= 0) {
                switch (c) {
                case 'q': quiet = true; break;
                case 's': strict = true; break;
                case 'h': check_usage(stdout); return 0;
                default: check_usage(stderr); return 2;
                }
        }
        if (argc - optind != 1) {
                fprintf(stderr, "ccgate policy check: expected one FILE\n");
                check_usage(stderr);
                return 2;
        }
        if (load_policy(argv[optind], &p) < 0)
                return 1;
        if (!quiet) {
                printf("%s: valid policy, version 1, mode %s\n", argv[optind],
                       policy_mode_to_string(policy_mode(p)));
                print_required_hooks(p);
                printf("\n");
                print_requests(p);
                printf("\n");
                print_containers(p);
                printf("\n");
                print_copies(p);
        }
        fflush(stdout);
        warnings = check_warnings(p);
        return strict && warnings ? 1 : 0;
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

        if (load_policy(policy_path, &p) < 0)
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
