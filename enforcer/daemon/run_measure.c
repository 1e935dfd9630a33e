/* SPDX-License-Identifier: Apache-2.0 */
/* ccgate run's runtime measurement: the extender, the event log, Start and Stop (run_measure.h). */
#include "run_measure.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aa_client.h"
#include "log.h"
#include "measure_log.h"

static int open_kind(const struct run_options *o, const char *kind, struct measure_extender *ext,
                     char *why, size_t why_len)
{
        if (strcmp(kind, "aa") == 0)
                return aa_extender_open(o->aa_socket ? o->aa_socket : AA_DEFAULT_SOCKET,
                                        o->measure_has_pcr, o->measure_pcr, 0, ext, why, why_len);
        if (strcmp(kind, "tpm") == 0)
                return measure_tpm_open(o->tpm_tcti ? o->tpm_tcti : MEASURE_TPM_TCTI,
                                        o->measure_has_pcr ? o->measure_pcr : MEASURE_DEFAULT_PCR,
                                        ext, why, why_len);
        if (strcmp(kind, "rtmr") == 0)
                return measure_rtmr_open(o->rtmr_dir ? o->rtmr_dir : MEASURE_RTMR_DIR,
                                         o->measure_has_rtmr ? o->measure_rtmr
                                                             : MEASURE_DEFAULT_RTMR,
                                         ext, why, why_len);
        snprintf(why, why_len, "unknown extender '%s'", kind);
        return -EINVAL;
}

/*
 * For auto: a device TCTI whose device does not exist is no TPM, said without
 * asking tpm2-tss (which would print its errors on every start of a guest
 * without one). Other TCTIs are tried.
 */
static bool tpm_device_present(const char *tcti)
{
        const char *path;
        size_t n;
        char buf[256];

        if (strncmp(tcti, "device:", 7) != 0)
                return true;
        path = tcti + 7;
        n = strcspn(path, ",");
        if (n == 0 || n >= sizeof(buf))
                return true;
        memcpy(buf, path, n);
        buf[n] = '\0';
        return access(buf, F_OK) == 0;
}

/* What auto finds first: the agent listening, a TPM that answers, an RTMR attribute. */
static int choose_auto(const struct run_options *o, struct measure_extender *ext, bool skip_aa)
{
        static const char *const kinds[] = { "tpm", "rtmr" };
        char why[256];

        if (!skip_aa && aa_present(o->aa_socket ? o->aa_socket : AA_DEFAULT_SOCKET))
                return open_kind(o, "aa", ext, why, sizeof(why)) < 0 ? 0 : 1;
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
                if (i == 0 && !tpm_device_present(o->tpm_tcti ? o->tpm_tcti : MEASURE_TPM_TCTI)) {
                        log_info("runtime measurement: no TPM device (%s)",
                                 o->tpm_tcti ? o->tpm_tcti : MEASURE_TPM_TCTI);
                        continue;
                }
                if (open_kind(o, kinds[i], ext, why, sizeof(why)) >= 0)
                        return 1;
                log_info("runtime measurement: no %s: %s", kinds[i], why);
        }
        return 0;
}

int run_measure_choose(const struct run_options *o, struct run_measure *rm)
{
        const char *kind = o->measure ? o->measure : "auto";
        char why[256];
        int r;

        *rm = (struct run_measure){ 0 };
        if (strcmp(kind, "none") == 0) {
                log_notice("runtime measurement: none (--measure none)");
                return 0;
        }
        if (strcmp(kind, "auto") == 0) {
                r = choose_auto(o, &rm->ext, false);
                rm->auto_aa = r > 0 && strncmp(rm->ext.name, "aa", 2) == 0;
                if (r == 0)
                        log_warning(0, "runtime measurement: no attestation agent, TPM or TDX "
                                       "RTMR found: nothing of this run is measured");
                else
                        log_notice("runtime measurement into %s (--measure auto)", rm->ext.name);
                return r;
        }
        r = open_kind(o, kind, &rm->ext, why, sizeof(why));
        if (r < 0) {
                log_error(0, "runtime measurement (--measure %s): %s", kind, why);
                return r;
        }
        log_notice("runtime measurement into %s", rm->ext.name);
        return 1;
}

const char *run_measure_name(const struct run_measure *rm)
{
        return rm->ext.extend || rm->active ? (rm->active ? rm->m.ext.name : rm->ext.name) : "none";
}

/* Beside the audit log: DIR/events.BASE, which `audit verify DIR/BASE*` does not take up. */
static int default_log_path(const char *audit, char *buf, size_t len)
{
        const char *slash = strrchr(audit, '/');
        int n;

        if (slash)
                n = snprintf(buf, len, "%.*s/events.%s", (int)(slash - audit), audit, slash + 1);
        else
                n = snprintf(buf, len, "events.%s", audit);
        return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int run_measure_start(const struct run_options *o, struct run_measure *rm, struct audit_log *audit,
                      const struct measure_start_info *info)
{
        struct measure_config c = { .every = o->measure_every, .every_n = o->measure_every_n };
        struct measure_start_info start;
        char boot[MEASURE_BOOT_ID_MAX + 1];
        int r;

        if (!rm->ext.extend)
                return 0;
        if (o->measure_log)
                snprintf(rm->log_path, sizeof(rm->log_path), "%s", o->measure_log);
        else if (default_log_path(o->audit_path, rm->log_path, sizeof(rm->log_path)) < 0) {
                log_error(0, "runtime measurement off: the event log's name is too long");
                goto unmeasured;
        }
        r = measure_boot_id(boot);
        if (r < 0) {
                log_error(r, "runtime measurement off: cannot read this boot's id "
                             "(/proc/sys/kernel/random/boot_id) for the event log");
                goto unmeasured;
        }
        c.log_path = rm->log_path;
        c.boot = boot;
        for (;;) {
                r = measure_init(&rm->m, &c, &rm->ext);
                if (r < 0) {
                        log_error(r, "runtime measurement off: cannot open the event log %s",
                                  rm->log_path);
                        rm->failed = true;
                        return 0;
                }
                rm->active = true;
                /* The extender's name moved into the measurer with it. */
                start = *info;
                start.extender = rm->m.ext.name;
                r = measure_event(&rm->m, audit, MEASURE_OP_START, &start, NULL, NULL);
                if (r >= 0) {
                        log_notice("measured the start into %s (event log %s)", rm->m.ext.name,
                                   rm->log_path);
                        return 0;
                }
                log_error(r, "runtime measurement: %s", rm->m.error);
                /* The agent's event log is off by default (NOT_ENABLED): auto goes on
                 * to the registers ccgate can extend itself. Nothing was extended. */
                if (!rm->auto_aa || r != -EOPNOTSUPP)
                        return 0;
                rm->auto_aa = false;
                measure_done(&rm->m);
                rm->active = false;
                if (choose_auto(o, &rm->ext, true) == 0) {
                        log_warning(0, "runtime measurement: no TPM or TDX RTMR either: nothing "
                                       "of this run is measured");
                        rm->failed = true;
                        return 0;
                }
                log_notice("runtime measurement into %s instead (--measure auto)", rm->ext.name);
        }

unmeasured:
        measure_extender_done(&rm->ext);
        rm->failed = true;
        return 0;
}

bool run_measure_failed(const struct run_measure *rm)
{
        return rm->failed || (rm->active && rm->m.failed);
}

void run_measure_stop(struct run_measure *rm, struct audit_log *audit)
{
        uint64_t seq;
        char head[AUDIT_HASH_HEX + 1];
        int r;

        if (!rm->active || rm->m.failed)
                return;
        r = measure_event(&rm->m, audit, MEASURE_OP_STOP, NULL, NULL, NULL);
        if (r < 0) {
                log_error(r, "runtime measurement: %s", rm->m.error);
                return;
        }
        audit_head(audit, &seq, head);
        log_notice("measured the audit log's end %" PRIu64 ":%s into %s", seq, head,
                   rm->m.ext.name);
}

void run_measure_done(struct run_measure *rm)
{
        if (rm->active)
                measure_done(&rm->m);
        else
                measure_extender_done(&rm->ext);
        rm->active = false;
}
