/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runtime measurement events: what ccgate extends into the TEE's runtime
 * registers, and how a verifier replays them. Pure functions: no I/O.
 *
 * An event is the text "DOMAIN OPERATION CONTENT" of CoCo's attestation agent
 * (guest-components, attestation-agent/src/eventlog: an AAEL entry), with
 * DOMAIN "ccgate", an OPERATION below, and CONTENT one compact JSON object.
 * Its digest is the attestation agent's, so that the same replay serves
 * events ccgate extended itself and events it sent through the agent:
 *
 *   digest = H( le32(0x4141454c "AAEL") || le32(len(text)) || text )
 *   register' = H( register || digest )       (H: SHA-256 for a TPM PCR bank,
 *                                              SHA-384 for a TDX RTMR)
 *
 * Operations and their content (keys in this order):
 *   Start      {"version","policy","mode","hooks","tee","extender","audit_seq","audit_head"}
 *   SetPolicy  {"policy","mode","audit_seq","audit_head"}
 *   AuditHead  {"audit_seq","audit_head"}
 *   Stop       {"audit_seq","audit_head"}  (the audit log's stop record)
 * audit_seq:audit_head is the audit log's last record when the event was
 * made (an --anchor for `ccgate audit verify`), durably written before the
 * register was extended.
 *
 * The event log (measure_log.c) holds one JSON line per event:
 *   {"v":1,"n":N,"boot":BOOT_ID,"time":T,"register":R,"domain":"ccgate",
 *    "operation":OP,"content":CONTENT,"sha256":HEX,"sha384":HEX}
 * n counts from 0 per boot (the registers start again at every boot), boot is
 * /proc/sys/kernel/random/boot_id, register names where it was extended
 * ("tpm:pcr13", "rtmr:3", "aa" or "aa:pcrN").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEASURE_DOMAIN "ccgate"
#define MEASURE_CONTENT_MAX 1024u /* content of one event, without NUL */
#define MEASURE_TEXT_MAX (MEASURE_CONTENT_MAX + 64u)
#define MEASURE_SHA256_LEN 32u
#define MEASURE_SHA384_LEN 48u
#define MEASURE_DIGEST_MAX 48u
#define MEASURE_REGISTER_NAME_MAX 32u
#define MEASURE_BOOT_ID_MAX 36u /* a UUID */
/* Longest event log line. */
#define MEASURE_LINE_MAX 4096u

enum measure_op {
        MEASURE_OP_START,
        MEASURE_OP_SET_POLICY,
        MEASURE_OP_AUDIT_HEAD,
        MEASURE_OP_STOP,
        _MEASURE_OP_MAX,
        _MEASURE_OP_INVALID = -22,
};

enum measure_alg {
        MEASURE_ALG_SHA256, /* TPM 2.0 PCR, SHA-256 bank */
        MEASURE_ALG_SHA384, /* TDX RTMR */
        _MEASURE_ALG_MAX,
        _MEASURE_ALG_INVALID = -22,
};

/* "Start", "SetPolicy", "AuditHead", "Stop"; NULL when out of range. */
const char *measure_op_name(enum measure_op op);
enum measure_op measure_op_from_name(const char *name);
/* 32 or 48; 0 when out of range. */
size_t measure_alg_len(enum measure_alg alg);

/* What the Start event says about the ccgate that runs. All borrowed, NUL-terminated. */
struct measure_start_info {
        const char *version;
        const char *policy; /* hex digest or "none" (the policy comes by SetPolicy) */
        const char *mode;   /* "enforce", "audit", or "none" without a policy */
        const char *hooks;  /* "connect_unix,lsm_exec" or "none" */
        const char *tee;    /* "snp", "tdx", "none", "unknown" */
        const char *extender;
};

/*
 * Build an event's content (compact JSON, the keys in the order above) into
 * ret (MEASURE_CONTENT_MAX + 1 bytes). info is used by MEASURE_OP_START only;
 * policy and mode by MEASURE_OP_SET_POLICY. Returns the length, or -EINVAL
 * (bad arguments), -E2BIG (does not fit).
 */
int measure_content(enum measure_op op, const struct measure_start_info *info, const char *policy,
                    const char *mode, uint64_t audit_seq, const char *audit_head, char *ret,
                    size_t cap);

/*
 * The event text "ccgate OP CONTENT" into ret (MEASURE_TEXT_MAX + 1 bytes).
 * Returns its length or -EINVAL (content with a newline: the agent refuses
 * those), -E2BIG.
 */
int measure_text(const char *domain, const char *operation, const char *content, char *ret,
                 size_t cap);

/* The digest of an event text with alg (measure_alg_len(alg) bytes to ret). Returns 0 or -EIO. */
int measure_digest(enum measure_alg alg, const char *text, size_t len, uint8_t *ret);

/* register = H(register || digest), both measure_alg_len(alg) bytes. Returns 0 or -EIO. */
int measure_extend(enum measure_alg alg, uint8_t *reg, const uint8_t *digest);

/* One event log line, as read back (measure_event_parse). */
struct measure_logged {
        uint64_t n;
        char boot[MEASURE_BOOT_ID_MAX + 1];
        char reg[MEASURE_REGISTER_NAME_MAX + 1];
        enum measure_op op;
        char text[MEASURE_TEXT_MAX + 1]; /* "DOMAIN OPERATION CONTENT" */
        size_t text_len;
        uint8_t sha256[MEASURE_SHA256_LEN];
        uint8_t sha384[MEASURE_SHA384_LEN];
        bool has_audit; /* content names an audit head */
        uint64_t audit_seq;
        char audit_head[65];
        char policy[97]; /* Start, SetPolicy: the policy digest ("" otherwise) */
};

/*
 * Render one event log line (without '\n') into ret. time is RFC 3339.
 * Returns the length, or -EINVAL, -E2BIG.
 */
int measure_event_line(uint64_t n, const char *boot, const char *time, const char *reg,
                       const char *operation, const char *content, char *ret, size_t cap);

/*
 * Parse one event log line and check it: the fields, the content of its
 * operation, and both digests against the text. Returns 0 with *ret, or
 * -EBADMSG with why.
 */
int measure_event_parse(const char *line, size_t len, struct measure_logged *ret, char *why,
                        size_t why_len);
