/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TPM 2.0 extender: PCR_Extend of the SHA-256 bank through tpm2-tss's
 * system API (measure.h). SAPI, not ESYS: ESYS links libcrypto for sessions
 * ccgate does not use (a PCR extend takes the empty password), and that is
 * megabytes of ccgate's resident memory.
 */
#include "measure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tss2/tss2_rc.h>
#include <tss2/tss2_sys.h>
#include <tss2/tss2_tctildr.h>

/* PCRs a TPM 2.0 (PC Client) has: 0-23. */
#define TPM_PCR_COUNT 24u

struct tpm_ctx {
        TSS2_TCTI_CONTEXT *tcti;
        TSS2_SYS_CONTEXT *sys;
        unsigned pcr;
        char why[192];
};

static void tpm_disconnect(struct tpm_ctx *t)
{
        if (t->sys) {
                Tss2_Sys_Finalize(t->sys);
                free(t->sys);
                t->sys = NULL;
        }
        if (t->tcti)
                Tss2_TctiLdr_Finalize(&t->tcti);
}

static void tpm_close(void *p)
{
        struct tpm_ctx *t = p;

        if (!t)
                return;
        tpm_disconnect(t);
        free(t);
}

static int tpm_connect(const char *tcti, struct tpm_ctx *t, char *why, size_t why_len)
{
        TSS2_RC rc;

        rc = Tss2_TctiLdr_Initialize(tcti, &t->tcti);
        if (rc != TSS2_RC_SUCCESS) {
                snprintf(why, why_len, "no TPM at %s: %s", tcti, Tss2_RC_Decode(rc));
                return -ENODEV;
        }
        TSS2_ABI_VERSION abi = TSS2_ABI_VERSION_CURRENT;
        size_t size = Tss2_Sys_GetContextSize(0);

        t->sys = calloc(1, size);
        if (!t->sys)
                return -ENOMEM;
        rc = Tss2_Sys_Initialize(t->sys, size, t->tcti, &abi);
        if (rc != TSS2_RC_SUCCESS) {
                free(t->sys);
                t->sys = NULL;
                snprintf(why, why_len, "the TPM at %s does not answer: %s", tcti, Tss2_RC_Decode(rc));
                return -EIO;
        }
        return 0;
}

/* The empty password: PCRs 0-15 need no authorization value. */
static const TSS2L_SYS_AUTH_COMMAND tpm_password = {
        .count = 1,
        .auths = { { .sessionHandle = TPM2_RH_PW } },
};

static int tpm_extend(void *p, const struct measure_extend_args *a, const char **why)
{
        struct tpm_ctx *t = p;
        TPML_DIGEST_VALUES d = { .count = 1 };
        TSS2L_SYS_AUTH_RESPONSE rsp = { 0 };
        TSS2_RC rc;

        d.digests[0].hashAlg = TPM2_ALG_SHA256;
        memcpy(d.digests[0].digest.sha256, a->sha256, MEASURE_SHA256_LEN);
        rc = Tss2_Sys_PCR_Extend(t->sys, t->pcr, &tpm_password, &d, &rsp);
        if (rc != TSS2_RC_SUCCESS) {
                snprintf(t->why, sizeof(t->why), "TPM2_PCR_Extend of PCR %u: %s", t->pcr,
                         Tss2_RC_Decode(rc));
                *why = t->why;
                return -EIO;
        }
        return 0;
}

int measure_tpm_open(const char *tcti, unsigned pcr, struct measure_extender *ret, char *why,
                     size_t why_len)
{
        struct tpm_ctx *t;
        int r;

        if (!tcti || pcr >= TPM_PCR_COUNT) {
                snprintf(why, why_len, "PCR %u: a TPM has PCRs 0 to %u", pcr, TPM_PCR_COUNT - 1);
                return -EINVAL;
        }
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->pcr = pcr;
        r = tpm_connect(tcti, t, why, why_len);
        if (r < 0) {
                tpm_close(t);
                return r;
        }
        *ret = (struct measure_extender){ .extend = tpm_extend, .close = tpm_close, .ctx = t };
        snprintf(ret->name, sizeof(ret->name), "tpm:pcr%u", pcr);
        return 0;
}
