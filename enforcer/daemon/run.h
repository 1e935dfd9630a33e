/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgate run, the daemon: given parsed options, set everything up once (the
 * eBPF hooks' status, the cgroup, the policy and its attestation, the audit
 * log, the listener, the sandbox), serve until SIGTERM/SIGINT, and close the
 * audit log with its stop record. The command line is the CLI's
 * (enforcer/cli/cmd_run.c); this logs what goes wrong, once.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "audit.h"
#include "measure.h"

struct run_options {
        const char *listen;       /* as given, for the log */
        const char *agent;
        struct sock_address listen_addr;
        struct sock_address agent_addr;
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
        size_t memory_budget;   /* host frames buffered over all connections (proxy_mem.c) */
        /* Runtime measurement (run_measure.h); NULL strings take the defaults. */
        const char *measure;     /* "auto" (NULL), "aa", "tpm", "rtmr", "none" */
        const char *measure_log; /* NULL: DIR/events.BASE of the audit log */
        enum measure_every measure_every;
        uint64_t measure_every_n;
        bool measure_has_pcr, measure_has_rtmr;
        unsigned measure_pcr, measure_rtmr;
        const char *aa_socket, *tpm_tcti, *rtmr_dir;
};

/*
 * Serve as o says until a stop signal. Returns 0 after an orderly stop, or
 * -errno when ccgate could not start or serving failed (already logged).
 */
int run_daemon(const struct run_options *o);
