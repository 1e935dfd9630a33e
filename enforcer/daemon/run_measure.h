/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgate run's runtime measurement: which extender (--measure), opened once
 * at start before the sandbox, the event log beside the audit log, and the
 * Start and Stop events. Logs what goes wrong, once.
 */
#pragma once

#include <stdbool.h>

#include "audit.h"
#include "measure.h"
#include "run.h"

struct run_measure {
        struct measure_extender ext; /* chosen, not yet handed to the measurer */
        struct measurer m;
        bool active;                 /* m is set up */
        bool failed;                 /* an extender was chosen but the event log could not be set up */
        bool auto_aa;                /* --measure auto chose the attestation agent */
        char log_path[4096];
};

/*
 * Choose and open the extender --measure names ("auto": the attestation agent
 * when it listens, else the TPM, else a TDX RTMR, else none). Returns 1 with an
 * extender, 0 with none, -errno when the one named explicitly cannot be
 * opened (logged: ccgate does not start).
 */
int run_measure_choose(const struct run_options *o, struct run_measure *rm);

/* The extender's name for the audit log's genesis: "tpm:pcr13" or "none". */
const char *run_measure_name(const struct run_measure *rm);

/*
 * Set the measurer up on the event log and measure the Start event. What fails
 * is logged and leaves ccgate unmeasured (run_measure_failed()), which a policy
 * with require_measurement turns into denials: ccgate serves either way.
 */
int run_measure_start(const struct run_options *o, struct run_measure *rm, struct audit_log *audit,
                      const struct measure_start_info *info);

/* After audit_stop(): the Stop event, naming the stop record. */
void run_measure_stop(struct run_measure *rm, struct audit_log *audit);

void run_measure_done(struct run_measure *rm);

/* An extender was chosen and nothing is being measured (or no longer completely). */
bool run_measure_failed(const struct run_measure *rm);
