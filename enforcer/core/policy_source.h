/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One way in for the policy ccgate enforces, whatever brings it: a file
 * (--policy), a CoCo initdata document (--initdata), or the host's
 * SetPolicyRequest (--policy-from-host). policy_source_take() reads it (files),
 * attests it against the TEE measurement taken once at start (before the
 * policy is parsed; an initdata document is read strictly first, as it names
 * its digest algorithm), loads it, checks the eBPF hooks it requires, and seals the
 * source: a source gives out one policy, once. A refusal says which of the
 * gate's refusals it is, and why. No network I/O, no logging: the caller logs.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest.h"
#include "gate_refusal.h"
#include "policy.h"

enum policy_origin {
        POLICY_ORIGIN_FILE,     /* the policy's own bytes: the TEE field is their digest */
        POLICY_ORIGIN_INITDATA, /* an initdata document carrying it as [data] "ccgate.yaml" */
        POLICY_ORIGIN_HOST,     /* a SetPolicyRequest's policy, delivered at boot */
        _POLICY_ORIGIN_MAX,
        _POLICY_ORIGIN_INVALID = -22,
};

struct policy_source {
        const struct attest_config *attest;   /* borrowed */
        const struct attest_result *measured; /* borrowed: the TEE report read at start */
        const char *hooks;                    /* borrowed: active hooks, "a,b" or "none" */
        bool sealed;                          /* a policy was given out */
        bool measuring;                       /* a runtime measurement extender works */
};

struct policy_verdict {
        struct policy *policy;      /* accepted: the caller's to free; NULL when refused */
        enum gate_refusal refusal;  /* refused: which of the gate's refusals */
        char reason[640];           /* refused: why, for the host; accepted: for the audit log */
        /* SHA-256 of the policy, hex: accepted, or refused by the TEE's verdict or
         * for its hooks; "none" when it could not be read or loaded. */
        char digest[2 * ATTEST_DIGEST_MAX + 1];
        struct attest_result att;   /* the attestation verdict */
        struct policy_error error;  /* refused because it could not be read or loaded: where */
};

/* Set up a source; everything is borrowed and must outlive it. */
void policy_source_init(struct policy_source *s, const struct attest_config *attest,
                        const struct attest_result *measured, const char *active_hooks);

/*
 * Take the policy o brings: the bytes given, or (bytes NULL) the file name.
 * name also names it in load errors. Always fills *ret; returns 0, or -errno
 * when the refusal in *ret is an internal failure (the check itself failed) for
 * the caller to log, or -EINVAL for a source that is sealed already.
 */
int policy_source_take(struct policy_source *s, enum policy_origin o, const char *name,
                       const uint8_t *bytes, size_t len, struct policy_verdict *ret);

/* The policy taken could not be put in force (its record was not written):
 * the source takes one again. */
void policy_source_unseal(struct policy_source *s);
