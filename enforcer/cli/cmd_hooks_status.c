/* SPDX-License-Identifier: Apache-2.0 */
/* ccgate hooks status: which eBPF hooks are pinned and active, and why not (bpf/guard.h). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "guard.h"

#ifndef BPF_MISSING
#define BPF_MISSING "the bpf build option"
#endif

static void status_usage(FILE *f)
{
        fprintf(f,
                "Usage: ccgate hooks status [--pin-dir DIR] [--require HOOK,...]\n"
                "\n"
                "Show which hooks are pinned and attached, with their settings, and why the\n"
                "LSM hooks are not active when they are not. Reads the pins: needs no running\n"
                "ccgate.\n"
                "\n"
                "Options:\n"
                "      --pin-dir DIR         bpffs directory (default " GUARD_PIN_DIR ")\n"
                "  -r, --require LIST        exit 1 unless every hook named is active\n"
                "                            (connect_unix, lsm_unix_inode, lsm_exec,\n"
                "                            lsm_ptrace, lsm_proc_mem, lsm_vsock, all)\n"
                "  -h, --help                this text\n"
                "\n"
                "Exit status: 0 shown (and requirements met), 1 a required hook is not\n"
                "active or the pins cannot be read, 2 usage error.\n");
}

static int hooks_parse_list(const char *s, unsigned *ret)
{
        char buf[256], *save = NULL;
        unsigned bits = 0;

        if (strlen(s) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, s);
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int h;

                if (strcmp(t, "all") == 0) {
                        bits |= GUARD_HOOKS_ALL;
                        continue;
                }
                for (h = 0; h < _GUARD_HOOK_MAX; h++)
                        if (strcmp(t, guard_hook_name((enum guard_hook)h)) == 0)
                                break;
                if (h == _GUARD_HOOK_MAX)
                        return -EINVAL;
                bits |= GUARD_HOOK_BIT(h);
        }
        *ret = bits;
        return 0;
}

void cmd_hooks_print(const struct guard_status *st)
{
        for (int h = 0; h < _GUARD_HOOK_MAX; h++) {
                bool on = st->active & GUARD_HOOK_BIT(h);

                printf("%-16s %s", guard_hook_name((enum guard_hook)h), on ? "active" : "inactive");
                if (on && h == GUARD_HOOK_CONNECT_UNIX)
                        printf("  socket %s (match=%s), allowed cgroup id %llu, attached at cgroup id %llu",
                               st->agent_socket, guard_match_name(st->match),
                               (unsigned long long)st->ccgate_cgroup_id,
                               (unsigned long long)st->scope_cgroup_id);
                printf("\n");
        }
        if (!(st->active & GUARD_HOOKS_LSM) && st->lsm_reason[0])
                printf("BPF LSM: %s\n", st->lsm_reason);
}

int cmd_hooks_status(int argc, char **argv)
{
        enum { OPT_PIN_DIR = 256 };
        static const struct option longopts[] = {
                { "pin-dir", required_argument, NULL, OPT_PIN_DIR },
                { "require", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *pin_dir = NULL;
        unsigned required = 0;
        struct guard_status st;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "r:h", longopts, NULL)) >= 0) {
                switch (c) {
                case OPT_PIN_DIR: pin_dir = optarg; break;
                case 'r':
                        if (hooks_parse_list(optarg, &required) < 0) {
                                fprintf(stderr, "ccgate hooks status: --require: unknown hook in "
                                                "'%s'\n", optarg);
                                return 2;
                        }
                        break;
                case 'h': status_usage(stdout); return 0;
                default: status_usage(stderr); return 2;
                }
        }
        if (optind < argc) {
                status_usage(stderr);
                return 2;
        }
        r = guard_status(pin_dir, &st);
        if (r < 0) {
                if (r == -EOPNOTSUPP && !HAVE_BPF)
                        fprintf(stderr, "ccgate hooks status: ccgate was built without BPF "
                                        "(missing: %s)\n", BPF_MISSING);
                else
                        fprintf(stderr, "ccgate hooks status: %s\n", strerror(-r));
                return 1;
        }
        cmd_hooks_print(&st);
        if ((st.active & required) != required) {
                for (int h = 0; h < _GUARD_HOOK_MAX; h++)
                        if ((required & ~st.active) & GUARD_HOOK_BIT(h))
                                fprintf(stderr, "ccgate hooks status: required hook %s is not "
                                                "active\n", guard_hook_name((enum guard_hook)h));
                return 1;
        }
        return 0;
}
