/* SPDX-License-Identifier: Apache-2.0 */
/* ccgate run: the daemon. Loads what it needs once, serves, and closes the audit log. */
#include "run.h"

#include <errno.h>
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

#include "attest.h"
#include "cleanup.h"
#include "config.h"
#include "gate.h"
#include "guard.h"
#include "log.h"
#include "policy.h"
#include "policy_source.h"
#include "proxy.h"
#include "residency.h"
#include "run_measure.h"
#include "sandbox.h"

/* What run serves with, however the policy arrived. */
struct run_policy {
        struct attest_config attest;
        struct attest_result measured; /* the TEE report, read once at start */
        struct policy_verdict v;       /* --policy, --initdata: what the source said */
        const char *deny_all;          /* set: every request is denied with this reason */
        const char *deny_rule;         /* ... and this rule id */
};

static void run_policy_done(struct run_policy *rp)
{
        rp->v.policy = policy_free(rp->v.policy);
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
 * Read the TEE report, and take the policy the options name through the one
 * policy source (the same that takes a SetPolicyRequest under
 * --policy-from-host). Returns 0 (with deny_all set when the policy cannot be
 * used: ccgate serves denials and says why) or -errno when the check itself
 * failed.
 */
static int load_policy(const struct run_options *o, const char *hooks, bool measuring,
                       struct run_policy *rp)
{
        const char *path = o->policy_path ? o->policy_path : o->initdata_path;
        struct policy_source src;
        int r;

        rp->attest = (struct attest_config){
                .tee = attest_tee_from_string(o->tee),
                .binding = o->initdata_path ? ATTEST_BINDING_INITDATA : ATTEST_BINDING_DIRECT,
                .report_file = o->tee_report,
        };
        r = attest_measure(&rp->attest, &rp->measured);
        if (r < 0)
                return r;
        snprintf(rp->v.digest, sizeof(rp->v.digest), "none");
        if (o->policy_from_host) {
                /* The policy is matched when SetPolicyRequest brings it. */
                if (!rp->measured.have_report && !rp->measured.dev_mode) {
                        log_error(0, "no TEE report: %s", rp->measured.reason);
                        log_error(0, "no SetPolicyRequest can be accepted: every request "
                                     "will be denied");
                }
                return 0;
        }

        policy_source_init(&src, &rp->attest, &rp->measured, hooks);
        src.measuring = measuring;
        r = policy_source_take(&src, o->initdata_path ? POLICY_ORIGIN_INITDATA : POLICY_ORIGIN_FILE,
                               path, NULL, 0, &rp->v);
        if (r < 0)
                return r;
        if (rp->v.policy)
                return 0;
        /* Fail closed but stay up: the host learns why from every denial. */
        switch (rp->v.refusal) {
        case GATE_REFUSE_POLICY_INVALID:
                report_policy_error(&rp->v.error, path);
                break;
        case GATE_REFUSE_ATTESTATION:
                log_error(0, "the policy is not attested: %s", rp->v.reason);
                break;
        case GATE_REFUSE_HOOKS:
                log_error(0, "%s (see 'ccgate hooks install')", rp->v.reason);
                break;
        case GATE_REFUSE_MEASUREMENT:
                log_error(0, "%s (see --measure)", rp->v.reason);
                break;
        default:
                break;
        }
        rp->deny_all = rp->v.reason;
        rp->deny_rule = gate_refusal_rule(rp->v.refusal);
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

static void measure_failed(const char *why)
{
        log_error(0, "runtime measurement: %s", why);
}

int run_daemon(const struct run_options *o)
{
        _cleanup_(run_measure_done) struct run_measure rm = { 0 };
        _cleanup_(run_policy_done) struct run_policy rp = { 0 };
        _cleanup_(audit_closep) struct audit_log *audit = NULL;
        _cleanup_close_ int listen_fd = -1, stop_fd = -1;
        struct proxy_config config = { 0 };
        char buf[128];
        char hooks[128];
        struct guard_status guard;
        struct gate gate;
        char head_hash[AUDIT_HASH_HEX + 1];
        uint64_t head_seq;
        size_t trimmed = 0;
        int r, stopped;

        config.agent = o->agent_addr;
        config.max_connections = o->max_connections;
        config.max_inflight = o->max_inflight;
        config.frame_timeout_s = o->frame_timeout_s;
        config.memory_budget = o->memory_budget;

        /* Which eBPF hooks guard the agent: the policy may require some, and
         * every audit log's genesis names them. */
        if (guard_status_active(o->pin_dir, &guard) < 0)
                guard = (struct guard_status){ 0 };
        hooks_active(&guard, hooks, sizeof(hooks));
        log_notice("active eBPF hooks: %s", hooks);
        r = enter_cgroup(o->cgroup, &guard);
        if (r < 0)
                return r;

        r = run_measure_choose(o, &rm);
        if (r < 0)
                return r;
        r = load_policy(o, hooks, r > 0, &rp);
        if (r < 0) {
                log_error(r, "checking the policy against the TEE report");
                return r;
        }
        /* Loading (YAML tree, regex compilation) used heap that is free now;
         * give it back rather than carry it for the guest's lifetime. */
        (void)malloc_trim(0);
        if ((rp.deny_all && strcmp(rp.deny_rule, GATE_RULE_ATTESTATION) == 0) ||
            (o->policy_from_host && !rp.measured.have_report && !rp.measured.dev_mode)) {
                if (o->tee_required)
                        return -EPERM; /* logged: the policy is not attested */
        }
        if (rp.deny_all)
                log_error(0, "every request will be denied: %s", rp.deny_all);

        r = audit_open(&(struct audit_options){
                               .path = o->audit_path,
                               .sync = o->audit_sync,
                               .sync_interval_ms = o->audit_sync_ms,
                               .rotate_bytes = o->audit_rotate_bytes,
                               .policy_digest = rp.v.digest,
                               .tee = audit_tee(&rp.measured),
                               .hooks = hooks,
                               .measure = run_measure_name(&rm),
                       },
                       &audit);
        if (r < 0) {
                /* Nothing may be decided unrecorded, so nothing can be served. */
                log_error(r, "cannot open the audit log %s", o->audit_path);
                return r;
        }

        r = run_measure_start(o, &rm, audit, &(struct measure_start_info){
                                     .version = CCGATE_VERSION, .policy = rp.v.digest,
                                     .mode = !rp.v.policy ? "none"
                                             : policy_mode(rp.v.policy) == POLICY_MODE_AUDIT
                                                     ? "audit" : "enforce",
                                     .hooks = hooks, .tee = audit_tee(&rp.measured),
                                     .extender = run_measure_name(&rm) });
        if (r < 0)
                return r;
        if (run_measure_failed(&rm) && rp.v.policy && policy_requires_measurement(rp.v.policy) &&
            !rp.deny_all) {
                rp.deny_all = "the runtime measurement failed, and the policy requires it";
                rp.deny_rule = GATE_RULE_MEASUREMENT;
                log_error(0, "every request will be denied: %s", rp.deny_all);
        }

        raise_fd_limit(config.max_connections);
        stop_fd = stop_signals();
        if (stop_fd < 0) {
                log_error(stop_fd, "setting up signals");
                return stop_fd;
        }
        listen_fd = addr_listen(&o->listen_addr, 128);
        if (listen_fd < 0) {
                log_error(listen_fd, "cannot listen on %s", o->listen);
                return listen_fd;
        }

        r = gate_init(&gate, rp.v.policy, audit, rp.deny_all);
        gate.deny_all_rule = rp.deny_rule;
        if (rm.active) {
                gate.measure = &rm.m;
                gate.measure_failed = measure_failed;
        }
        if (r >= 0 && o->policy_from_host)
                r = gate_await_policy(&gate, &rp.attest, &rp.measured, hooks);
        if (r < 0) {
                log_error(r, "setting up the gate");
                return r;
        }

        log_notice("listening on %s, agent at %s", addr_to_string(&o->listen_addr, buf, sizeof(buf)),
                   o->agent);
        if (o->policy_from_host)
                log_notice("no policy yet: waiting for an attested SetPolicyRequest from the host");
        else
                log_notice("policy %s sha256:%s", o->policy_path ? o->policy_path : o->initdata_path,
                           rp.v.digest);
        if (rp.v.policy && policy_mode(rp.v.policy) == POLICY_MODE_AUDIT)
                log_warning(0, "POLICY IN AUDIT MODE: requests the policy denies are FORWARDED "
                               "and only recorded");
        if (rp.v.att.bound)
                log_notice("policy digest attested by %s (%s)", rp.v.att.tee_name,
                           rp.v.att.source);
        if (strcmp(o->tee, "none") == 0)
                log_warning(0, "NO TEE (--tee none): the policy is not bound to any attestation; "
                               "development only");

        r = enter_sandbox(o->no_sandbox);
        if (r < 0) {
                gate_done(&gate);
                return r;
        }
        r = residency_trim(&trimmed);
        if (r < 0)
                log_warning(r, "cannot give back start-up's pages (/proc/self/smaps)");
        else
                log_debug("gave back %zu KiB of start-up's read-only pages", trimmed);
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
                           "'ccgate audit verify')", o->audit_path, head_seq, head_hash);
                run_measure_stop(&rm, audit);
        }
        if (r < 0) {
                log_error(r, "serving failed");
                return r;
        }
        return stopped < 0 ? stopped : 0;
}
