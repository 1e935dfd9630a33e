/* SPDX-License-Identifier: Apache-2.0 */
/* ccgate run: its options and --help; the daemon itself is enforcer/daemon/run.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aa_client.h"
#include "addr.h"
#include "attest.h"
#include "audit.h"
#include "commands.h"
#include "guard.h"
#include "log.h"
#include "measure.h"
#include "proxy.h"
#include "run.h"

static void run_usage(FILE *f)
{
        fprintf(f,
                "Usage: ccgate run --listen ADDR --agent ADDR --audit-log FILE\n"
                "                  (--policy FILE | --initdata FILE | --policy-from-host)\n"
                "                  [--tee auto|snp|tdx|none] [OPTIONS]\n"
                "\n"
                "Serve the agent API to the host through the policy gate. Every ttRPC request\n"
                "that arrives on the listen address is decoded, decided against the policy and\n"
                "recorded in the audit log before it is forwarded on a connection of its own to\n"
                "the agent. Denied requests are answered by ccgate with PERMISSION_DENIED (7)\n"
                "and never reach the agent.\n"
                "\n"
                "Addresses:\n"
                "  unix:/path/to.sock      a unix socket (unix:@name for the abstract namespace)\n"
                "  vsock:PORT              listen on a vsock port (any CID)\n"
                "  vsock:CID:PORT          connect to a vsock CID and port\n"
                "\n"
                "Options:\n"
                "  -l, --listen ADDR       where the host connects (kata: vsock:1024)\n"
                "  -a, --agent ADDR        where the agent listens; must come from the measured\n"
                "                          image, never from the host's kernel command line\n"
                "Where the policy comes from (exactly one):\n"
                "  -p, --policy FILE       the tenant's YAML policy; the TEE field holds its\n"
                "                          SHA-256 (SNP HOST_DATA) or SHA-384 (TDX MRCONFIGID)\n"
                "      --initdata FILE     a CoCo initdata TOML document carrying the policy as\n"
                "                          [data] \"ccgate.yaml\"; the TEE field holds the\n"
                "                          document's digest (algorithm named in it). FILE may\n"
                "                          also be its gzip or the block device kata attaches.\n"
                "                          Under a real TEE launched by stock kata, the only\n"
                "                          source whose digest can match\n"
                "      --policy-from-host  start without a policy and accept the first\n"
                "                          SetPolicyRequest whose policy digest the TEE field\n"
                "                          holds (kata's boot-time path). ccgate answers it\n"
                "                          itself; until then every request is denied\n"
                "  A policy is loaded once and sealed: later SetPolicyRequests are decided by\n"
                "  the policy like any request and never replace it. A policy that does not\n"
                "  load is reported here and every request is then denied.\n"
                "\n"
                "Other options:\n"
                "  -o, --audit-log FILE    the hash-chained audit log (appended, or created)\n"
                "      --audit-sync MODE   'every' (fsync each record, the default) or a number\n"
                "                          of milliseconds between fsyncs\n"
                "      --audit-rotate SIZE rotate the log past SIZE bytes (suffixes K, M, G);\n"
                "                          0 (the default) never rotates\n"
                "      --tee KIND          where the policy digest is attested: 'auto' (the\n"
                "                          default: configfs-tsm, then /dev/sev-guest and\n"
                "                          /dev/tdx_guest), 'snp', 'tdx', or 'none' (no TEE,\n"
                "                          development only; recorded in every audit record).\n"
                "                          When the attested field does not match the policy,\n"
                "                          or no report can be read, every request is denied\n"
                "                          with the reason\n"
                "      --tee-required      exit with status 1 instead of serving denials when\n"
                "                          the policy is not attested\n"
                "      --tee-report FILE   take the TEE report from FILE (raw SNP report, TDX\n"
                "                          TDREPORT or quote) instead of the hardware\n"
                "      --cgroup DIR        move into this cgroup v2 directory at start (created\n"
                "                          if missing). Default: when the connect_unix hook is\n"
                "                          active, ccgate under the cgroup2 mount, the cgroup\n"
                "                          'ccgate hooks install' lets reach the agent\n"
                "      --pin-dir DIR       where 'ccgate hooks install' pinned the hooks\n"
                "                          (default " GUARD_PIN_DIR ")\n"
                "      --no-sandbox        keep capabilities and skip the seccomp filter (for\n"
                "                          debuggers and valgrind; logged loudly). By default,\n"
                "                          once set up, ccgate drops every capability, sets\n"
                "                          no_new_privs and allows itself only the system\n"
                "                          calls of serving: anything else kills it\n"
                "      --max-connections N host connections served at once (default %u)\n"
                "      --max-inflight N    requests in flight per connection (default %u)\n"
                "      --frame-timeout S   close a host connection that leaves one frame\n"
                "                          unfinished for S seconds (default %u); after a\n"
                "                          protocol error, the longest the answers still due\n"
                "                          are waited for\n"
                "      --memory-budget SIZE  bytes of host frames ccgate buffers over all\n"
                "                          connections (suffixes K, M, G; default 64M, at\n"
                "                          least 8M). A buffer over 64 KiB (a large frame)\n"
                "                          may use three quarters of it; past half, reads\n"
                "                          take only what a frame needs. A connection that\n"
                "                          cannot get memory waits, unread, in turn; its\n"
                "                          frame timeout runs on\n"
                "Runtime measurement (the start, each accepted SetPolicy and the audit log's\n"
                "head, extended into a TEE register; see ccgate(8)):\n"
                "      --measure KIND      'auto' (the default: the attestation agent if it\n"
                "                          listens, else a TPM, else a TDX RTMR, else none),\n"
                "                          'aa', 'tpm', 'rtmr' or 'none'. An extender named\n"
                "                          here that cannot be opened stops ccgate\n"
                "      --measure-audit WHEN  measure the audit log's head 'records=N' (once N\n"
                "                          records were written), 'ms=N' (when N ms passed\n"
                "                          and records were written) or only at 'stop';\n"
                "                          checked once a second (default ms=10000). Always\n"
                "                          at stop\n"
                "      --measure-log FILE  the event log a verifier replays (default\n"
                "                          events.NAME beside the audit log NAME)\n"
                "      --measure-pcr N     the TPM PCR (default %u); with --measure aa, the\n"
                "                          RegisterIndex the agent is asked to extend\n"
                "                          (default: the agent's own)\n"
                "      --measure-rtmr N    the TDX RTMR (default %u)\n"
                "      --aa-socket ADDR    the attestation agent (default\n"
                "                          " AA_DEFAULT_SOCKET ")\n"
                "      --tpm-tcti CONF     the tpm2-tss TCTI (default " MEASURE_TPM_TCTI ")\n"
                "      --rtmr-dir DIR      the kernel's measurement registers (default\n"
                "                          " MEASURE_RTMR_DIR ")\n"
                "\n"
                "      --log-level LEVEL   error, warning, notice, info (default) or debug\n"
                "  -h, --help              show this help\n"
                "\n"
                "Signals: SIGTERM and SIGINT stop the daemon after closing every connection.\n"
                "SIGHUP is ignored: the policy is loaded once and sealed, never reloaded.\n"
                "Exit status: 0 after an orderly stop, 1 when serving failed, 2 on usage errors.\n",
                PROXY_DEFAULT_MAX_CONNECTIONS, PROXY_DEFAULT_MAX_INFLIGHT,
                PROXY_DEFAULT_FRAME_TIMEOUT_S, MEASURE_DEFAULT_PCR, MEASURE_DEFAULT_RTMR);
}

static int parse_unsigned(const char *s, unsigned long long max, unsigned long long *ret)
{
        char *end;
        unsigned long long v;

        if (!*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0' || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_size(const char *s, uint64_t *ret)
{
        char num[32];
        size_t n = strlen(s);
        unsigned long long v, mult = 1;

        if (n == 0 || n >= sizeof(num))
                return -EINVAL;
        memcpy(num, s, n + 1);
        switch (num[n - 1]) {
        case 'K': mult = 1ull << 10; break;
        case 'M': mult = 1ull << 20; break;
        case 'G': mult = 1ull << 30; break;
        default: break;
        }
        if (mult > 1)
                num[n - 1] = '\0';
        if (parse_unsigned(num, UINT64_MAX, &v) < 0 || __builtin_mul_overflow(v, mult, &v))
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Returns 1 to go on, 0 after --help, -EINVAL on a usage error (already reported). */
static int run_parse(int argc, char **argv, struct run_options *o)
{
        enum { OPT_SYNC = 256, OPT_ROTATE, OPT_TEE, OPT_MAXCONN, OPT_MAXINFLIGHT, OPT_LOGLEVEL,
               OPT_FRAME_TIMEOUT, OPT_MEMORY_BUDGET, OPT_TEE_REQUIRED, OPT_TEE_REPORT, OPT_INITDATA,
               OPT_FROM_HOST, OPT_CGROUP, OPT_PIN_DIR, OPT_NO_SANDBOX, OPT_MEASURE,
               OPT_MEASURE_AUDIT, OPT_MEASURE_LOG, OPT_MEASURE_PCR, OPT_MEASURE_RTMR,
               OPT_AA_SOCKET, OPT_TPM_TCTI, OPT_RTMR_DIR };
        static const struct option longopts[] = {
                { "listen", required_argument, NULL, 'l' },
                { "agent", required_argument, NULL, 'a' },
                { "policy", required_argument, NULL, 'p' },
                { "initdata", required_argument, NULL, OPT_INITDATA },
                { "policy-from-host", no_argument, NULL, OPT_FROM_HOST },
                { "audit-log", required_argument, NULL, 'o' },
                { "audit-sync", required_argument, NULL, OPT_SYNC },
                { "audit-rotate", required_argument, NULL, OPT_ROTATE },
                { "tee", required_argument, NULL, OPT_TEE },
                { "tee-required", no_argument, NULL, OPT_TEE_REQUIRED },
                { "tee-report", required_argument, NULL, OPT_TEE_REPORT },
                { "cgroup", required_argument, NULL, OPT_CGROUP },
                { "pin-dir", required_argument, NULL, OPT_PIN_DIR },
                { "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
                { "max-connections", required_argument, NULL, OPT_MAXCONN },
                { "max-inflight", required_argument, NULL, OPT_MAXINFLIGHT },
                { "log-level", required_argument, NULL, OPT_LOGLEVEL },
                { "frame-timeout", required_argument, NULL, OPT_FRAME_TIMEOUT },
                { "memory-budget", required_argument, NULL, OPT_MEMORY_BUDGET },
                { "measure", required_argument, NULL, OPT_MEASURE },
                { "measure-audit", required_argument, NULL, OPT_MEASURE_AUDIT },
                { "measure-log", required_argument, NULL, OPT_MEASURE_LOG },
                { "measure-pcr", required_argument, NULL, OPT_MEASURE_PCR },
                { "measure-rtmr", required_argument, NULL, OPT_MEASURE_RTMR },
                { "aa-socket", required_argument, NULL, OPT_AA_SOCKET },
                { "tpm-tcti", required_argument, NULL, OPT_TPM_TCTI },
                { "rtmr-dir", required_argument, NULL, OPT_RTMR_DIR },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        unsigned long long v;
        int c;

        *o = (struct run_options){
                .audit_sync = AUDIT_SYNC_EVERY,
                .max_connections = PROXY_DEFAULT_MAX_CONNECTIONS,
                .max_inflight = PROXY_DEFAULT_MAX_INFLIGHT,
                .frame_timeout_s = PROXY_DEFAULT_FRAME_TIMEOUT_S,
                .memory_budget = PROXY_DEFAULT_MEMORY_BUDGET,
                .measure_every = MEASURE_EVERY_MS,
                .measure_every_n = 10000,
        };
        optind = 0;
        while ((c = getopt_long(argc, argv, "l:a:p:o:h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'l': o->listen = optarg; break;
                case 'a': o->agent = optarg; break;
                case 'p': o->policy_path = optarg; break;
                case 'o': o->audit_path = optarg; break;
                case OPT_INITDATA: o->initdata_path = optarg; break;
                case OPT_FROM_HOST: o->policy_from_host = true; break;
                case OPT_PIN_DIR: o->pin_dir = optarg; break;
                case OPT_NO_SANDBOX: o->no_sandbox = true; break;
                case OPT_CGROUP:
                        if (optarg[0] != '/') {
                                fprintf(stderr, "ccgate run: --cgroup: expected an absolute "
                                                "cgroup v2 directory, got '%s'\n", optarg);
                                return -EINVAL;
                        }
                        o->cgroup = optarg;
                        break;
                case OPT_SYNC:
                        if (strcmp(optarg, "every") == 0) {
                                o->audit_sync = AUDIT_SYNC_EVERY;
                        } else if (parse_unsigned(optarg, 60000, &v) == 0 && v > 0) {
                                o->audit_sync = AUDIT_SYNC_INTERVAL;
                                o->audit_sync_ms = (unsigned)v;
                        } else {
                                fprintf(stderr, "ccgate run: --audit-sync: expected 'every' or "
                                                "1..60000 milliseconds, got '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case OPT_ROTATE:
                        if (parse_size(optarg, &o->audit_rotate_bytes) < 0) {
                                fprintf(stderr, "ccgate run: --audit-rotate: expected a size "
                                                "like 64M, got '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case OPT_TEE:
                        if (attest_tee_from_string(optarg) < 0) {
                                fprintf(stderr, "ccgate run: --tee: expected auto, snp, tdx or "
                                                "none, got '%s'\n", optarg);
                                return -EINVAL;
                        }
                        o->tee = optarg;
                        break;
                case OPT_TEE_REQUIRED:
                        o->tee_required = true;
                        break;
                case OPT_TEE_REPORT:
                        o->tee_report = optarg;
                        break;
                case OPT_MAXCONN:
                case OPT_MAXINFLIGHT:
                        if (parse_unsigned(optarg, 65536, &v) < 0 || v == 0) {
                                fprintf(stderr, "ccgate run: --%s: expected 1..65536, got '%s'\n",
                                        c == OPT_MAXCONN ? "max-connections" : "max-inflight",
                                        optarg);
                                return -EINVAL;
                        }
                        if (c == OPT_MAXCONN)
                                o->max_connections = (unsigned)v;
                        else
                                o->max_inflight = (unsigned)v;
                        break;
                case OPT_MEMORY_BUDGET: {
                        uint64_t bytes;

                        if (parse_size(optarg, &bytes) < 0 || bytes < PROXY_MIN_MEMORY_BUDGET ||
                            bytes > SIZE_MAX / 2) {
                                fprintf(stderr, "ccgate run: --memory-budget: expected a size of "
                                                "at least 8M, like 64M, got '%s'\n", optarg);
                                return -EINVAL;
                        }
                        o->memory_budget = (size_t)bytes;
                        break;
                }
                case OPT_FRAME_TIMEOUT:
                        if (parse_unsigned(optarg, 3600, &v) < 0 || v == 0) {
                                fprintf(stderr, "ccgate run: --frame-timeout: expected 1..3600 "
                                                "seconds, got '%s'\n", optarg);
                                return -EINVAL;
                        }
                        o->frame_timeout_s = (unsigned)v;
                        break;
                case OPT_LOGLEVEL: {
                        enum log_level l = log_level_from_string(optarg);

                        if (l < 0) {
                                fprintf(stderr, "ccgate run: --log-level: unknown level '%s'\n",
                                        optarg);
                                return -EINVAL;
                        }
                        log_set_level(l);
                        break;
                }
                case OPT_MEASURE:
                        if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "aa") != 0 &&
                            strcmp(optarg, "tpm") != 0 && strcmp(optarg, "rtmr") != 0 &&
                            strcmp(optarg, "none") != 0) {
                                fprintf(stderr, "ccgate run: --measure: expected auto, aa, tpm, "
                                                "rtmr or none, got '%s'\n", optarg);
                                return -EINVAL;
                        }
                        o->measure = optarg;
                        break;
                case OPT_MEASURE_AUDIT:
                        if (measure_every_parse(optarg, &o->measure_every,
                                                &o->measure_every_n) < 0) {
                                fprintf(stderr, "ccgate run: --measure-audit: expected "
                                                "records=N, ms=N or stop, got '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case OPT_MEASURE_LOG: o->measure_log = optarg; break;
                case OPT_AA_SOCKET: o->aa_socket = optarg; break;
                case OPT_TPM_TCTI: o->tpm_tcti = optarg; break;
                case OPT_RTMR_DIR: o->rtmr_dir = optarg; break;
                case OPT_MEASURE_PCR:
                case OPT_MEASURE_RTMR:
                        if (parse_unsigned(optarg, c == OPT_MEASURE_PCR ? 23 : 3, &v) < 0) {
                                fprintf(stderr, "ccgate run: --%s: expected %s, got '%s'\n",
                                        c == OPT_MEASURE_PCR ? "measure-pcr" : "measure-rtmr",
                                        c == OPT_MEASURE_PCR ? "a PCR 0..23" : "an RTMR 0..3",
                                        optarg);
                                return -EINVAL;
                        }
                        if (c == OPT_MEASURE_PCR) {
                                o->measure_has_pcr = true;
                                o->measure_pcr = (unsigned)v;
                        } else {
                                o->measure_has_rtmr = true;
                                o->measure_rtmr = (unsigned)v;
                        }
                        break;
                case 'h':
                        run_usage(stdout);
                        return 0;
                default:
                        fprintf(stderr, "Try 'ccgate run --help'.\n");
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "ccgate run: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        if (!o->listen || !o->agent || !o->audit_path) {
                fprintf(stderr, "ccgate run: --listen, --agent and --audit-log are required. "
                                "Try 'ccgate run --help'.\n");
                return -EINVAL;
        }
        if (!!o->policy_path + !!o->initdata_path + o->policy_from_host != 1) {
                fprintf(stderr, "ccgate run: give exactly one of --policy FILE, --initdata FILE "
                                "and --policy-from-host. Try 'ccgate run --help'.\n");
                return -EINVAL;
        }
        if (!o->tee)
                o->tee = "auto";
        return 1;
}

int cmd_run(int argc, char **argv)
{
        struct run_options o;
        int r;

        r = run_parse(argc, argv, &o);
        if (r <= 0)
                return r == 0 ? 0 : 2;
        if (addr_parse(o.listen, &o.listen_addr) < 0) {
                fprintf(stderr, "ccgate run: --listen: '%s' is not unix:/PATH, vsock:PORT or "
                                "vsock:CID:PORT\n", o.listen);
                return 2;
        }
        if (addr_parse(o.agent, &o.agent_addr) < 0) {
                fprintf(stderr, "ccgate run: --agent: '%s' is not unix:/PATH or vsock:CID:PORT\n",
                        o.agent);
                return 2;
        }
        return run_daemon(&o) < 0 ? 1 : 0;
}
