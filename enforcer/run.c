/* SPDX-License-Identifier: Apache-2.0 */
/* ccgate run: the daemon. Parses options, loads what it needs once, serves. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "addr.h"
#include "attest.h"
#include "audit.h"
#include "cleanup.h"
#include "commands.h"
#include "fileio.h"
#include "gate.h"
#include "guard.h"
#include "log.h"
#include "policy.h"
#include "proxy.h"
#include "sandbox.h"

struct run_options {
        const char *listen;
        const char *agent;
        const char *policy_path;
        const char *initdata_path;
        bool policy_from_host;
        const char *audit_path;
        const char *tee;
        const char *tee_report; /* fixture report bytes (tests, offline checks) */
        const char *cgroup;     /* the cgroup v2 directory to move into at start */
        const char *pin_dir;    /* where the eBPF hooks are pinned (NULL: GUARD_PIN_DIR) */
        bool no_sandbox;        /* keep capabilities and every system call (debugging) */
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
                "                          document's digest (algorithm named in it)\n"
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
                "                          unfinished for S seconds (default %u)\n"
                "      --log-level LEVEL   error, warning, notice, info (default) or debug\n"
                "  -h, --help              show this help\n"
                "\n"
                "Signals: SIGTERM and SIGINT stop the daemon after closing every connection.\n"
                "SIGHUP is ignored: the policy is loaded once and sealed, never reloaded.\n"
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
               OPT_FRAME_TIMEOUT, OPT_TEE_REQUIRED, OPT_TEE_REPORT, OPT_INITDATA,
               OPT_FROM_HOST, OPT_CGROUP, OPT_PIN_DIR, OPT_NO_SANDBOX };
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

/* What run serves with, however the policy arrived. */
struct run_policy {
        struct policy *policy;  /* NULL: none (yet) */
        const char *deny_all;   /* set: every request is denied with this reason */
        const char *deny_rule;  /* ... and this rule id */
        char digest[2 * ATTEST_DIGEST_MAX + 1]; /* of the policy; "none" without one */
        struct attest_config attest;
        struct attest_result att; /* the verdict, or (from host) the measurement */
        char why[512];            /* storage for deny_all */
};

static void run_policy_done(struct run_policy *rp)
{
        rp->policy = policy_free(rp->policy);
}

/* What the audit log names as the TEE: the one whose report was read, not
 * what --tee asked for ("auto"). */
static const char *audit_tee(const struct attest_result *att)
{
        if (att->have_report)
                return att->tee_name;
        return att->dev_mode ? "none" : "unknown";
}

static void report_policy_error(const struct policy_error *e, const char *fallback)
{
        if (e->line > 0)
                log_error(0, "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
        else
                log_error(0, "%s: %s", e->file[0] ? e->file : fallback, e->message);
}

/*
 * --initdata: the document's digest is what the TEE holds; the policy is its
 * [data] "ccgate.yaml". Returns 0 (with deny_all set when it cannot be used)
 * or -errno when the check itself failed.
 */
static int load_initdata(const struct run_options *o, struct run_policy *rp)
{
        _cleanup_free_ uint8_t *doc = NULL;
        struct attest_initdata init = { 0 };
        struct policy_error perr = { 0 };
        char name[PATH_MAX + 32];
        size_t len = 0;
        int r;

        r = read_file_bounded(o->initdata_path, ATTEST_INPUT_MAX, &doc, &len);
        if (r < 0) {
                log_error(r, "cannot read the initdata document %s", o->initdata_path);
                rp->deny_all = "the initdata document could not be read";
                rp->deny_rule = GATE_RULE_POLICY_INVALID;
                return 0;
        }
        r = attest_initdata_parse(doc, len, &init, rp->why, sizeof(rp->why));
        if (r == -EBADMSG) {
                log_error(0, "%s: %s", o->initdata_path, rp->why);
                rp->deny_all = "the initdata document is invalid";
                rp->deny_rule = GATE_RULE_POLICY_INVALID;
                return 0;
        }
        if (r < 0)
                return r;
        snprintf(name, sizeof(name), "%s [data] " ATTEST_INITDATA_POLICY_KEY, o->initdata_path);
        r = policy_load_buffer(name, (const uint8_t *)init.policy, init.policy_len, &rp->policy,
                               &perr);
        attest_initdata_done(&init);
        if (r < 0) {
                report_policy_error(&perr, name);
                rp->deny_all = "the policy did not load";
                rp->deny_rule = GATE_RULE_POLICY_INVALID;
                return 0;
        }
        return attest_verify_policy(&rp->attest, doc, len, &rp->att);
}

/* Load the policy the options name and check it against the TEE. 0 or -errno. */
static int load_policy(const struct run_options *o, struct run_policy *rp)
{
        struct policy_error perr = { 0 };
        const uint8_t *text;
        size_t len;
        int r;

        snprintf(rp->digest, sizeof(rp->digest), "none");
        rp->attest = (struct attest_config){
                .tee = attest_tee_from_string(o->tee),
                .binding = o->initdata_path ? ATTEST_BINDING_INITDATA : ATTEST_BINDING_DIRECT,
                .report_file = o->tee_report,
        };

        if (o->policy_from_host) {
                /* Measure now; the policy is matched when SetPolicyRequest brings it. */
                r = attest_measure(&rp->attest, &rp->att);
                if (r < 0)
                        return r;
                if (!rp->att.have_report && !rp->att.dev_mode) {
                        log_error(0, "no TEE report: %s", rp->att.reason);
                        log_error(0, "no SetPolicyRequest can be accepted: every request "
                                     "will be denied");
                }
                return 0;
        }

        if (o->initdata_path) {
                r = load_initdata(o, rp);
                if (r < 0 || rp->deny_all)
                        return r;
        } else {
                r = policy_load_file(o->policy_path, &rp->policy, &perr);
                if (r < 0) {
                        /* Fail closed but stay up: the host learns why from every denial. */
                        report_policy_error(&perr, o->policy_path);
                        log_error(0, "the policy did not load: every request will be denied");
                        rp->deny_all = "the policy did not load";
                        rp->deny_rule = GATE_RULE_POLICY_INVALID;
                        return 0;
                }
                text = policy_text(rp->policy, &len);
                r = attest_verify_policy(&rp->attest, text, len, &rp->att);
                if (r < 0)
                        return r;
        }

        text = policy_text(rp->policy, &len);
        r = attest_digest_hex(ATTEST_HASH_SHA256, text, len, rp->digest, sizeof(rp->digest));
        if (r < 0)
                return r;
        if (!rp->att.bound && !rp->att.dev_mode) {
                log_error(0, "the policy is not attested: %s", rp->att.reason);
                snprintf(rp->why, sizeof(rp->why), "%s", rp->att.reason);
                rp->deny_all = rp->why;
                rp->deny_rule = GATE_RULE_ATTESTATION;
        }
        return 0;
}

/* The pinned hooks that are active now, as "connect_unix,lsm_exec" or "none". */
static void hooks_active(const struct guard_status *st, char *buf, size_t len)
{
        size_t n = 0;

        snprintf(buf, len, "none");
        if (st->active == 0)
                return;
        buf[0] = '\0';
        for (int h = 0; h < _GUARD_HOOK_MAX; h++) {
                if (!(st->active & GUARD_HOOK_BIT(h)))
                        continue;
                int k = snprintf(buf + n, len - n, "%s%s", n ? "," : "",
                                 guard_hook_name((enum guard_hook)h));
                if (k < 0 || (size_t)k >= len - n)
                        break;
                n += (size_t)k;
        }
}

/*
 * Move into ccgate's own cgroup: the one connect_unix lets reach the agent.
 * Without --cgroup and without that hook, stay where we are. A cgroup that is
 * not the allowed one is reported: the hook then refuses our agent
 * connections, and the host gets UNAVAILABLE (closed, never open).
 */
static int enter_cgroup(const char *dir, const struct guard_status *st)
{
        bool guarded = st->active & GUARD_HOOK_BIT(GUARD_HOOK_CONNECT_UNIX);
        char root[PATH_MAX], path[PATH_MAX];
        const char *name = "ccgate";
        uint64_t id;
        int r;

        if (!dir && !guarded)
                return 0;
        if (dir) {
                const char *slash = strrchr(dir, '/');
                size_t n = (size_t)(slash - dir);

                if (n >= sizeof(root) || slash[1] == '\0')
                        return -EINVAL;
                memcpy(root, dir, n);
                root[n] = '\0';
                name = slash + 1;
        }
        r = guard_cgroup_enter(dir ? (root[0] ? root : "/") : NULL, name, path, sizeof(path));
        if (r < 0) {
                log_error(r, "cannot move into the cgroup %s", dir ? dir : "ccgate");
                return r;
        }
        log_notice("running in cgroup %s", path);
        if (!guarded)
                return 0;
        r = guard_cgroup_id(path, &id);
        if (r < 0)
                return r;
        if (id != st->ccgate_cgroup_id)
                log_error(0, "agent_guard lets only cgroup id %" PRIu64 " reach the agent, and %s "
                             "is %" PRIu64 ": agent connections will be refused",
                          st->ccgate_cgroup_id, path, id);
        return 0;
}

/* Give up what serving does not need. Returns 0 or -errno (already logged). */
static int enter_sandbox(bool disabled)
{
        int r;

        if (disabled) {
                log_warning(0, "NO SANDBOX (--no-sandbox): capabilities kept, no seccomp filter");
                return 0;
        }
        r = sandbox_drop_capabilities();
        if (r < 0)
                return log_error(r, "dropping capabilities");
        r = sandbox_seccomp();
        if (r == -EOPNOTSUPP) {
                log_warning(0, "seccomp filter not installed: this is a sanitizer build");
                log_notice("sandbox: no capabilities, no_new_privs");
                return 0;
        }
        if (r < 0)
                return log_error(r, "installing the seccomp filter");
        log_notice("sandbox: no capabilities, no_new_privs, seccomp allowlist");
        return 0;
}

/*
 * Each host connection holds two descriptors (host and agent). Raise the soft
 * limit toward what --max-connections needs; when the hard limit is lower,
 * say so: the proxy then pauses accepting while descriptors are short.
 */
static void raise_fd_limit(unsigned max_connections)
{
        rlim_t want = (rlim_t)max_connections * 2u + 64u;
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
                log_warning(errno, "reading RLIMIT_NOFILE");
                return;
        }
        if (rl.rlim_cur >= want)
                return;
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                log_warning(errno, "raising RLIMIT_NOFILE to %llu", (unsigned long long)rl.rlim_cur);
        if (rl.rlim_cur < want)
                log_warning(0, "%u connections need about %llu descriptors and the limit is %llu: "
                               "accepting pauses when they run out",
                            max_connections, (unsigned long long)want,
                            (unsigned long long)rl.rlim_cur);
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
        /* Writes to a vanished peer must fail with EPIPE, not kill the daemon.
         * SIGHUP is no reload: the policy is loaded once and sealed. */
        if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || signal(SIGHUP, SIG_IGN) == SIG_ERR)
                return -errno;
        r = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        return r < 0 ? -errno : r;
}

int cmd_run(int argc, char **argv)
{
        _cleanup_(run_policy_done) struct run_policy rp = { 0 };
        _cleanup_(audit_closep) struct audit_log *audit = NULL;
        _cleanup_close_ int listen_fd = -1, stop_fd = -1;
        struct sock_address listen_addr;
        struct proxy_config config = { 0 };
        char buf[128];
        struct run_options o;
        char hooks[128], missing[128];
        struct guard_status guard;
        struct gate gate;
        char head_hash[AUDIT_HASH_HEX + 1];
        uint64_t head_seq;
        int r, stopped;

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

        /* Which eBPF hooks guard the agent: the policy may require some, and
         * every audit log's genesis names them. */
        if (guard_status(o.pin_dir, &guard) < 0)
                guard = (struct guard_status){ 0 };
        hooks_active(&guard, hooks, sizeof(hooks));
        log_notice("active eBPF hooks: %s", hooks);
        if (enter_cgroup(o.cgroup, &guard) < 0)
                return 1;

        r = load_policy(&o, &rp);
        if (r < 0) {
                log_error(r, "checking the policy against the TEE report");
                return 1;
        }
        /* Loading (YAML tree, regex compilation) used heap that is free now;
         * give it back rather than carry it for the guest's lifetime. */
        (void)malloc_trim(0);
        if (rp.policy && !rp.deny_all &&
            policy_hooks_missing(rp.policy, hooks, missing, sizeof(missing)) > 0) {
                log_error(0, "the policy requires eBPF hooks that are not active: %s "
                             "(see 'ccgate hooks install')", missing);
                snprintf(rp.why, sizeof(rp.why),
                         "the policy requires eBPF hooks that are not active: %s", missing);
                rp.deny_all = rp.why;
                rp.deny_rule = GATE_RULE_HOOKS;
        }
        if ((rp.deny_all && strcmp(rp.deny_rule, GATE_RULE_ATTESTATION) == 0) ||
            (o.policy_from_host && !rp.att.have_report && !rp.att.dev_mode)) {
                if (o.tee_required)
                        return 1;
        }
        if (rp.deny_all)
                log_error(0, "every request will be denied: %s", rp.deny_all);

        r = audit_open(&(struct audit_options){
                               .path = o.audit_path,
                               .sync = o.audit_sync,
                               .sync_interval_ms = o.audit_sync_ms,
                               .rotate_bytes = o.audit_rotate_bytes,
                               .policy_digest = rp.digest,
                               .tee = audit_tee(&rp.att),
                               .hooks = hooks,
                       },
                       &audit);
        if (r < 0) {
                /* Nothing may be decided unrecorded, so nothing can be served. */
                log_error(r, "cannot open the audit log %s", o.audit_path);
                return 1;
        }

        raise_fd_limit(config.max_connections);
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

        r = gate_init(&gate, rp.policy, audit, rp.deny_all);
        gate.deny_all_rule = rp.deny_rule;
        if (r >= 0 && o.policy_from_host)
                r = gate_await_policy(&gate, &rp.attest, &rp.att, hooks);
        if (r < 0) {
                log_error(r, "setting up the gate");
                return 1;
        }

        log_notice("listening on %s, agent at %s", addr_to_string(&listen_addr, buf, sizeof(buf)),
                   o.agent);
        if (o.policy_from_host)
                log_notice("no policy yet: waiting for an attested SetPolicyRequest from the host");
        else
                log_notice("policy %s sha256:%s", o.policy_path ? o.policy_path : o.initdata_path,
                           rp.digest);
        if (rp.policy && policy_mode(rp.policy) == POLICY_MODE_AUDIT)
                log_warning(0, "POLICY IN AUDIT MODE: requests the policy denies are FORWARDED "
                               "and only recorded");
        if (rp.att.bound)
                log_notice("policy digest attested by %s (%s)", rp.att.tee_name, rp.att.source);
        if (strcmp(o.tee, "none") == 0)
                log_warning(0, "NO TEE (--tee none): the policy is not bound to any attestation; "
                               "development only");

        if (enter_sandbox(o.no_sandbox) < 0) {
                gate_done(&gate);
                return 1;
        }
        r = proxy_run(&config, listen_fd, stop_fd, &gate);
        log_notice("stopped: %" PRIu64 " allowed, %" PRIu64 " denied, %" PRIu64
                   " forwarded in audit mode", gate.n_allowed, gate.n_denied, gate.n_would_deny);
        gate_done(&gate);
        stopped = audit_stop(audit);
        if (stopped < 0) {
                log_error(stopped, "cannot write the audit log's stop record");
        } else {
                audit_head(audit, &head_seq, head_hash);
                log_notice("audit log %s ends at %" PRIu64 ":%s (an --anchor for "
                           "'ccgate audit verify')", o.audit_path, head_seq, head_hash);
        }
        if (r < 0) {
                log_error(r, "serving failed");
                return 1;
        }
        return stopped < 0 ? 1 : 0;
}
