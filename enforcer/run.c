/* SPDX-License-Identifier: Apache-2.0 */
/* ccgate run: the daemon. Parses options, loads what it needs once, serves. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "addr.h"
#include "attest.h"
#include "audit.h"
#include "cleanup.h"
#include "commands.h"
#include "gate.h"
#include "guard.h"
#include "log.h"
#include "policy.h"
#include "proxy.h"

struct run_options {
        const char *listen;
        const char *agent;
        const char *policy_path;
        const char *audit_path;
        const char *tee;
        const char *tee_report; /* fixture report bytes (tests, offline checks) */
        bool tee_required;
        enum audit_sync audit_sync;
        unsigned audit_sync_ms;
        uint64_t audit_rotate_bytes;
        unsigned max_connections;
        unsigned max_inflight;
        unsigned frame_timeout_s;
};

static void run_usage(FILE *f)
{
        fprintf(f,
                "Usage: ccgate run --listen ADDR --agent ADDR --policy FILE --audit-log FILE\n"
                "                  [--tee none] [OPTIONS]\n"
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
                "  -p, --policy FILE       the tenant's YAML policy. A policy that does not load\n"
                "                          is reported here and every request is then denied\n"
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
                "      --max-connections N host connections served at once (default %u)\n"
                "      --max-inflight N    requests in flight per connection (default %u)\n"
                "      --frame-timeout S   close a host connection that leaves one frame\n"
                "                          unfinished for S seconds (default %u)\n"
                "      --log-level LEVEL   error, warning, notice, info (default) or debug\n"
                "  -h, --help              show this help\n"
                "\n"
                "Signals: SIGTERM and SIGINT stop the daemon after closing every connection.\n"
                "Exit status: 0 after an orderly stop, 1 when serving failed, 2 on usage errors.\n",
                PROXY_DEFAULT_MAX_CONNECTIONS, PROXY_DEFAULT_MAX_INFLIGHT,
                PROXY_DEFAULT_FRAME_TIMEOUT_S);
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
               OPT_FRAME_TIMEOUT, OPT_TEE_REQUIRED, OPT_TEE_REPORT };
        static const struct option longopts[] = {
                { "listen", required_argument, NULL, 'l' },
                { "agent", required_argument, NULL, 'a' },
                { "policy", required_argument, NULL, 'p' },
                { "audit-log", required_argument, NULL, 'o' },
                { "audit-sync", required_argument, NULL, OPT_SYNC },
                { "audit-rotate", required_argument, NULL, OPT_ROTATE },
                { "tee", required_argument, NULL, OPT_TEE },
                { "tee-required", no_argument, NULL, OPT_TEE_REQUIRED },
                { "tee-report", required_argument, NULL, OPT_TEE_REPORT },
                { "max-connections", required_argument, NULL, OPT_MAXCONN },
                { "max-inflight", required_argument, NULL, OPT_MAXINFLIGHT },
                { "log-level", required_argument, NULL, OPT_LOGLEVEL },
                { "frame-timeout", required_argument, NULL, OPT_FRAME_TIMEOUT },
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
        };
        optind = 0;
        while ((c = getopt_long(argc, argv, "l:a:p:o:h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'l': o->listen = optarg; break;
                case 'a': o->agent = optarg; break;
                case 'p': o->policy_path = optarg; break;
                case 'o': o->audit_path = optarg; break;
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
        if (!o->listen || !o->agent || !o->policy_path || !o->audit_path) {
                fprintf(stderr, "ccgate run: --listen, --agent, --policy and --audit-log are "
                                "required. Try 'ccgate run --help'.\n");
                return -EINVAL;
        }
        if (!o->tee)
                o->tee = "auto";
        return 1;
}

static int sha256_hex(const uint8_t *data, size_t len, char *ret, size_t ret_len)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        if (ret_len < 65 || EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
                return -EIO;
        for (unsigned i = 0; i < n; i++)
                snprintf(ret + 2 * i, 3, "%02x", md[i]);
        return 0;
}

/* The pinned hooks that are active now, as "connect_unix,lsm_exec" or "none". */
static void hooks_active(char *buf, size_t len)
{
        struct guard_status st;
        size_t n = 0;

        snprintf(buf, len, "none");
        if (guard_status(NULL, &st) < 0 || st.active == 0)
                return;
        buf[0] = '\0';
        for (int h = 0; h < _GUARD_HOOK_MAX; h++) {
                if (!(st.active & GUARD_HOOK_BIT(h)))
                        continue;
                int k = snprintf(buf + n, len - n, "%s%s", n ? "," : "",
                                 guard_hook_name((enum guard_hook)h));
                if (k < 0 || (size_t)k >= len - n)
                        break;
                n += (size_t)k;
        }
}

static int stop_signals(void)
{
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        /* Writes to a vanished peer must fail with EPIPE, not kill the daemon. */
        if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
                return -errno;
        r = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        return r < 0 ? -errno : r;
}

int cmd_run(int argc, char **argv)
{
        _cleanup_(policy_freep) struct policy *policy = NULL;
        _cleanup_(audit_closep) struct audit_log *audit = NULL;
        _cleanup_close_ int listen_fd = -1, stop_fd = -1;
        struct sock_address listen_addr;
        struct proxy_config config = { 0 };
        struct policy_error perr = { 0 };
        const char *deny_all = NULL;
        char digest[65] = "none";
        char buf[128];
        struct run_options o;
        struct attest_result att = { 0 };
        char hooks[128];
        struct gate gate;
        int r;

        r = run_parse(argc, argv, &o);
        if (r <= 0)
                return r == 0 ? 0 : 2;
        if (addr_parse(o.listen, &listen_addr) < 0) {
                fprintf(stderr, "ccgate run: --listen: '%s' is not unix:/PATH, vsock:PORT or "
                                "vsock:CID:PORT\n", o.listen);
                return 2;
        }
        if (addr_parse(o.agent, &config.agent) < 0) {
                fprintf(stderr, "ccgate run: --agent: '%s' is not unix:/PATH or vsock:CID:PORT\n",
                        o.agent);
                return 2;
        }
        config.max_connections = o.max_connections;
        config.max_inflight = o.max_inflight;
        config.frame_timeout_s = o.frame_timeout_s;

        r = policy_load_file(o.policy_path, &policy, &perr);
        if (r < 0) {
                /* Fail closed but stay up: the host learns why from every denial. */
                if (perr.line > 0)
                        log_error(0, "%s:%u:%u: %s", perr.file, perr.line, perr.column, perr.message);
                else
                        log_error(0, "%s: %s", o.policy_path, perr.message);
                log_error(0, "the policy did not load: every request will be denied");
                deny_all = "the policy did not load";
        } else {
                size_t len;
                const uint8_t *text = policy_text(policy, &len);

                r = sha256_hex(text, len, digest, sizeof(digest));
                if (r < 0) {
                        log_error(r, "computing the policy digest");
                        return 1;
                }
        }

        if (policy) {
                size_t len;
                const uint8_t *text = policy_text(policy, &len);

                r = attest_verify_policy(&(struct attest_config){
                                                 .tee = attest_tee_from_string(o.tee),
                                                 .binding = ATTEST_BINDING_DIRECT,
                                                 .report_file = o.tee_report,
                                         },
                                         text, len, &att);
                if (r < 0) {
                        log_error(r, "checking the policy against the TEE report");
                        return 1;
                }
                if (!att.bound && !att.dev_mode) {
                        log_error(0, "the policy is not attested: %s", att.reason);
                        if (o.tee_required)
                                return 1;
                        log_error(0, "every request will be denied");
                        deny_all = att.reason;
                }
        }

        /* Which eBPF hooks guard the agent is part of every audit log's genesis. */
        hooks_active(hooks, sizeof(hooks));
        log_notice("active eBPF hooks: %s", hooks);

        r = audit_open(&(struct audit_options){
                               .path = o.audit_path,
                               .sync = o.audit_sync,
                               .sync_interval_ms = o.audit_sync_ms,
                               .rotate_bytes = o.audit_rotate_bytes,
                               .policy_digest = digest,
                               .tee = o.tee,
                               .hooks = hooks,
                       },
                       &audit);
        if (r < 0) {
                /* Nothing may be decided unrecorded, so nothing can be served. */
                log_error(r, "cannot open the audit log %s", o.audit_path);
                return 1;
        }

        stop_fd = stop_signals();
        if (stop_fd < 0) {
                log_error(stop_fd, "setting up signals");
                return 1;
        }
        listen_fd = addr_listen(&listen_addr, 128);
        if (listen_fd < 0) {
                log_error(listen_fd, "cannot listen on %s", o.listen);
                return 1;
        }

        r = gate_init(&gate, policy, audit, deny_all);
        if (r < 0) {
                log_error(r, "setting up the gate");
                return 1;
        }

        log_notice("listening on %s, agent at %s", addr_to_string(&listen_addr, buf, sizeof(buf)),
                   o.agent);
        log_notice("policy %s sha256:%s", o.policy_path, digest);
        if (policy && policy_mode(policy) == POLICY_MODE_AUDIT)
                log_warning(0, "POLICY IN AUDIT MODE: requests the policy denies are FORWARDED "
                               "and only recorded");
        if (att.bound)
                log_notice("policy digest attested by %s (%s)", att.tee_name, att.source);
        if (strcmp(o.tee, "none") == 0)
                log_warning(0, "NO TEE (--tee none): the policy is not bound to any attestation; "
                               "development only");

        r = proxy_run(&config, listen_fd, stop_fd, &gate);
        log_notice("stopped: %" PRIu64 " allowed, %" PRIu64 " denied, %" PRIu64
                   " forwarded in audit mode", gate.n_allowed, gate.n_denied, gate.n_would_deny);
        gate_done(&gate);
        if (r < 0) {
                log_error(r, "serving failed");
                return 1;
        }
        return 0;
}
