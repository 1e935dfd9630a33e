/* SPDX-License-Identifier: Apache-2.0 */
/* ccgate hooks install: load and pin the eBPF hooks (bpf/guard.h). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "guard.h"

#ifndef BPF_MISSING
#define BPF_MISSING "the bpf build option"
#endif

static void install_usage(FILE *f)
{
        fprintf(f,
                "Usage: ccgate hooks install --agent ADDR [OPTIONS]\n"
                "\n"
                "Load ccgate's eBPF hooks and pin them, so that they stay in force when\n"
                "ccgate restarts. Installing again with the same settings reuses the pinned\n"
                "hooks; with other settings the programs are replaced without a gap.\n"
                "`ccgate run` reports the active hooks at start and in the audit genesis.\n"
                "\n"
                "Hooks:\n"
                "  connect_unix     only ccgate's cgroup may connect to the agent's socket\n"
                "                   (cgroup connect_unix, Linux >= 6.7). Matches the socket\n"
                "                   by name; another name for the same inode (a symlink or\n"
                "                   hard link to the socket file) is not seen: lsm_unix_inode\n"
                "                   closes that where BPF LSM is active.\n"
                "  lsm_unix_inode   the same by socket inode (BPF LSM)\n"
                "  lsm_exec         no exec inside a container's mount namespace by a task\n"
                "                   outside the containers' cgroups, except the agent\n"
                "  lsm_ptrace       ptrace, /proc/<pid>/{mem,environ,ns,root,...} and\n"
                "                   process_vm_* of container processes: agent and the\n"
                "                   same container only\n"
                "  lsm_proc_mem     opening /proc/<pid>/{mem,environ} of them, likewise\n"
                "  lsm_vsock        AF_VSOCK sockets: ccgate only\n"
                "LSM hooks need a kernel with BPF LSM active; without it they are reported\n"
                "as inactive, with the kernel's reason, and install still succeeds.\n"
                "\n"
                "Options:\n"
                "  -a, --agent ADDR          the agent's socket: unix:/path, /path or\n"
                "                            unix:@name (abstract)\n"
                "  -c, --ccgate-cgroup DIR   ccgate's cgroup v2 directory (default: ccgate\n"
                "                            under the cgroup2 mount; created if missing)\n"
                "      --agent-cgroup DIR    the agent's cgroup (LSM hooks)\n"
                "      --containers-cgroup DIR  the cgroup all containers live under (LSM)\n"
                "      --scope-cgroup DIR    attach connect_unix here instead of the root\n"
                "                            of the hierarchy (tests)\n"
                "  -m, --match name|path     name (default): any path ending in the\n"
                "                            socket's name; path: the exact path only\n"
                "      --no-lsm              install connect_unix only\n"
                "      --pin-dir DIR         bpffs directory (default " GUARD_PIN_DIR ")\n"
                "  -h, --help                this text\n"
                "\n"
                "Exit status: 0 installed, 1 could not install, 2 usage error.\n");
}

/* "unix:/p" and "/p" -> "/p"; "unix:@n" and "@n" -> "@n"; else NULL. */
static const char *hooks_agent_socket(const char *addr)
{
        if (strncmp(addr, "unix:", 5) == 0)
                addr += 5;
        return addr[0] == '/' || (addr[0] == '@' && addr[1]) ? addr : NULL;
}

int cmd_hooks_install(int argc, char **argv)
{
        enum { OPT_AGENT_CG = 256, OPT_CONTAINERS_CG, OPT_SCOPE_CG, OPT_NO_LSM, OPT_PIN_DIR };
        static const struct option longopts[] = {
                { "agent", required_argument, NULL, 'a' },
                { "ccgate-cgroup", required_argument, NULL, 'c' },
                { "agent-cgroup", required_argument, NULL, OPT_AGENT_CG },
                { "containers-cgroup", required_argument, NULL, OPT_CONTAINERS_CG },
                { "scope-cgroup", required_argument, NULL, OPT_SCOPE_CG },
                { "match", required_argument, NULL, 'm' },
                { "no-lsm", no_argument, NULL, OPT_NO_LSM },
                { "pin-dir", required_argument, NULL, OPT_PIN_DIR },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct guard_config cfg = { .match = GUARD_MATCH_NAME, .hooks = GUARD_HOOKS_ALL };
        char cgroup[PATH_MAX];
        const char *pin_dir = NULL, *agent = NULL;
        struct guard_status st;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "a:c:m:h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'a': agent = optarg; break;
                case 'c': cfg.ccgate_cgroup = optarg; break;
                case OPT_AGENT_CG: cfg.agent_cgroup = optarg; break;
                case OPT_CONTAINERS_CG: cfg.containers_cgroup = optarg; break;
                case OPT_SCOPE_CG: cfg.scope_cgroup = optarg; break;
                case OPT_NO_LSM: cfg.hooks = GUARD_HOOK_BIT(GUARD_HOOK_CONNECT_UNIX); break;
                case OPT_PIN_DIR: pin_dir = optarg; break;
                case 'm':
                        cfg.match = guard_match_from_name(optarg);
                        if (cfg.match < 0) {
                                fprintf(stderr, "ccgate hooks install: --match: expected name or "
                                                "path, got '%s'\n", optarg);
                                return 2;
                        }
                        break;
                case 'h': install_usage(stdout); return 0;
                default: install_usage(stderr); return 2;
                }
        }
        if (optind < argc || !agent) {
                install_usage(stderr);
                return 2;
        }
        cfg.agent_socket = hooks_agent_socket(agent);
        if (!cfg.agent_socket) {
                fprintf(stderr, "ccgate hooks install: --agent: expected unix:/path or unix:@name, "
                                "got '%s'\n", agent);
                return 2;
        }
        if (!cfg.ccgate_cgroup) {
                r = guard_cgroup2_root(cgroup, sizeof(cgroup));
                if (r < 0) {
                        fprintf(stderr, "ccgate hooks install: no cgroup2 mount: %s\n", strerror(-r));
                        return 1;
                }
                if (strlen(cgroup) + sizeof("/ccgate") > sizeof(cgroup))
                        return 1;
                strcat(cgroup, "/ccgate");
                if (mkdir(cgroup, 0755) < 0 && errno != EEXIST) {
                        fprintf(stderr, "ccgate hooks install: mkdir %s: %m\n", cgroup);
                        return 1;
                }
                cfg.ccgate_cgroup = cgroup;
        }

        r = guard_install(&cfg, pin_dir, &st);
        if (r < 0) {
                if (r == -EOPNOTSUPP && !HAVE_BPF)
                        fprintf(stderr, "ccgate hooks install: ccgate was built without BPF "
                                        "(missing: %s)\n", BPF_MISSING);
                else
                        fprintf(stderr, "ccgate hooks install: %s\n", strerror(-r));
                return 1;
        }
        cmd_hooks_print(&st);
        return 0;
}
