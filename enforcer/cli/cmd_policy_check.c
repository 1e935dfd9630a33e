/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `ccgate policy check FILE`: the tenant's tool for reading what a policy lets
 * the host do, with warnings for combinations that make clients hang.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent_api.h"
#include "cleanup.h"
#include "commands.h"
#include "policy.h"
#include "policy_error.h"
#include "policy_inspect.h"

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

int cmd_load_policy(const char *path, struct policy **ret)
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
                if (ri.verdict == VERDICT_ALLOW && m->id == AGENT_CREATE_SANDBOX)
                        printf(" [only as the sandbox section allows]");
                if (ri.verdict == VERDICT_ALLOW &&
                    (m->id == AGENT_UPDATE_INTERFACE || m->id == AGENT_UPDATE_ROUTES ||
                     m->id == AGENT_ADD_ARP_NEIGHBORS))
                        printf(" [only as the network section allows]");
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

static void print_sandbox(const struct policy *p)
{
        struct policy_sandbox_info si;

        if (policy_sandbox_info(p, &si) < 0)
                return;
        printf("Sandbox: hostname %s, sandbox_pidns %s, %zu dns line matcher%s\n", si.hostname,
               si.sandbox_pidns ? "true" : "false", si.n_dns, si.n_dns == 1 ? "" : "s");
        printf("  storages:%s\n", si.n_storages ? "" : " none");
        for (size_t i = 0; i < si.n_storages; i++) {
                const char *driver, *fstype;
                char at[160];
                if (policy_sandbox_storage(p, i, &driver, &fstype, at, sizeof(at)) == 0)
                        printf("    %s (%s) at %s\n", driver, fstype, at);
        }
}

static void print_network(const struct policy *p)
{
        printf("Network: %zu route%s, %zu neighbour%s; interfaces:%s\n", policy_n_routes(p),
               policy_n_routes(p) == 1 ? "" : "s", policy_n_neighbors(p),
               policy_n_neighbors(p) == 1 ? "" : "s", policy_n_interfaces(p) ? "" : " none");
        for (size_t i = 0; i < policy_n_interfaces(p); i++) {
                struct policy_interface_info ii;
                if (policy_interface_info(p, i, &ii) == 0)
                        printf("  %s: hw_addr %s, %zu address entr%s, at least %u address%s\n",
                               ii.name, ii.hw_addr, ii.n_addresses,
                               ii.n_addresses == 1 ? "y" : "ies", ii.min_addresses,
                               ii.min_addresses == 1 ? "" : "es");
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

/* The sandbox and network sections allow nothing when absent or empty: say so where the
 * table allows their requests, which the runtimes always send. */
static unsigned warn_sections(const struct policy *p)
{
        struct policy_sandbox_info si;
        unsigned n = 0;

        if (allowed(p, AGENT_CREATE_SANDBOX) && policy_sandbox_info(p, &si) == 0 && !si.present)
                n += warn("CreateSandboxRequest is allowed without a sandbox section: only an "
                          "empty request passes, and kata's runtimes send the pod's hostname, "
                          "DNS lines and /dev/shm storage");
        if (allowed(p, AGENT_UPDATE_INTERFACE) && policy_n_interfaces(p) == 0)
                n += warn("UpdateInterfaceRequest is allowed but the network section lists no "
                          "interface: every one is denied");
        if (allowed(p, AGENT_UPDATE_ROUTES) && policy_n_routes(p) == 0)
                n += warn("UpdateRoutesRequest is allowed but the network section lists no "
                          "route: only an empty list passes");
        if (allowed(p, AGENT_ADD_ARP_NEIGHBORS) && policy_n_neighbors(p) == 0)
                n += warn("AddARPNeighborsRequest is allowed but the network section lists no "
                          "neighbour: only an empty list passes");
        return n;
}

static unsigned check_warnings(const struct policy *p)
{
        bool sandbox = false;
        unsigned n = 0;

        n += warn_sections(p);
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
        if (cmd_load_policy(argv[optind], &p) < 0)
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
                print_sandbox(p);
                printf("\n");
                print_network(p);
                printf("\n");
                print_copies(p);
        }
        fflush(stdout);
        warnings = check_warnings(p);
        return strict && warnings ? 1 : 0;
}
