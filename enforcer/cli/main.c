/* SPDX-License-Identifier: Apache-2.0 */
/* ccgate: the commands[] table, --help and --version; each command is a file of its own. */
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "commands.h"
#include "config.h"

struct command {
        const char *group; /* "policy", or NULL for a top-level verb */
        const char *verb;
        int (*run)(int argc, char **argv);
        const char *summary;
};

static const struct command commands[] = {
        { NULL, "run", cmd_run, "serve: decide every agent request against the policy" },
        { "policy", "check", cmd_policy_check, "validate a policy and summarise what the host may do" },
        { "policy", "explain", cmd_policy_explain, "decide one request offline and say which rule and why" },
        { "policy", "digest", cmd_policy_digest, "print what the host puts into HOST_DATA / MRCONFIGID for a policy" },
        { "policy", "generate", cmd_policy_generate, "write the policy for a pod from its Kubernetes YAML" },
        { "audit", "verify", cmd_audit_verify, "check the audit log's hash chain across rotated files" },
        { "audit", "show", cmd_audit_show, "print audit records as a table or JSON lines, filtered" },
        { "hooks", "install", cmd_hooks_install, "load and pin the eBPF hooks that keep others off the agent" },
        { "hooks", "status", cmd_hooks_status, "show which eBPF hooks are active, and why not" },
        { "hooks", "remove", cmd_hooks_remove, "detach and unpin the eBPF hooks" },
};

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: ccgate COMMAND [ARGS...]\n"
                "\n"
                "ccgate is the policy gate between the untrusted host's ttRPC control plane\n"
                "and the kata agent inside a confidential VM. Every request is decided\n"
                "against the tenant's attested YAML policy before the agent sees it.\n"
                "\n"
                "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                char name[64];
                snprintf(name, sizeof(name), "%s%s%s", commands[i].group ? commands[i].group : "",
                         commands[i].group ? " " : "", commands[i].verb);
                fprintf(f, "  %-16s %s\n", name, commands[i].summary);
        }
        fprintf(f,
                "\n"
                "Run 'ccgate COMMAND --help' for the options of one command.\n"
                "Exit status: 0 success, 1 a check or verdict failed, 2 usage or input error.\n");
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("ccgate %s\n", CCGATE_VERSION);
                return 0;
        }

        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                const struct command *c = &commands[i];

                if (!c->group) {
                        if (strcmp(argv[1], c->verb) == 0)
                                return c->run(argc - 1, argv + 1);
                        continue;
                }
                if (strcmp(argv[1], c->group) == 0 && argc >= 3 && strcmp(argv[2], c->verb) == 0)
                        return c->run(argc - 2, argv + 2);
        }

        fprintf(stderr, "ccgate: unknown command '%s%s%s'\n\n", argv[1], argc >= 3 ? " " : "",
                argc >= 3 ? argv[2] : "");
        usage(stderr);
        return 2;
}
