/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attestation, the comparison side: names, digests of policies and initdata,
 * the value the host puts into the TEE's field, and the constant-time match of
 * a measurement against it (for the start-up policy and for SetPolicy).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <nettle/memops.h>
#include <nettle/sha2.h>

#include "attest.h"
#include "hex.h"

static const char *const tee_names[_ATTEST_TEE_MAX] = {
        [ATTEST_TEE_NONE] = "none",
        [ATTEST_TEE_AUTO] = "auto",
        [ATTEST_TEE_SNP] = "snp",
        [ATTEST_TEE_TDX] = "tdx",
};

static const char *const hash_names[_ATTEST_HASH_MAX] = {
        [ATTEST_HASH_SHA256] = "sha256",
        [ATTEST_HASH_SHA384] = "sha384",
        [ATTEST_HASH_SHA512] = "sha512",
};

const char *attest_tee_to_string(enum attest_tee t)
{
        if (t < 0 || t >= _ATTEST_TEE_MAX)
                return "unknown";
        return tee_names[t];
}

enum attest_tee attest_tee_from_string(const char *s)
{
        for (int i = 0; s && i < _ATTEST_TEE_MAX; i++)
                if (strcmp(s, tee_names[i]) == 0)
                        return (enum attest_tee)i;
        return _ATTEST_TEE_INVALID;
}

const char *attest_hash_to_string(enum attest_hash h)
{
        if (h < 0 || h >= _ATTEST_HASH_MAX)
                return "unknown";
        return hash_names[h];
}

/* ---- digests ---------------------------------------------------------------- */
int attest_digest(enum attest_hash h, const void *buf, size_t len, uint8_t out[ATTEST_DIGEST_MAX],
                  size_t *ret_len)
{
        const uint8_t *p = buf ? buf : (const uint8_t *)"";
        union {
                struct sha256_ctx s256;
                struct sha512_ctx s512;
        } ctx;
        size_t n;

        if (!buf && len > 0)
                return -EINVAL;
        switch (h) {
        case ATTEST_HASH_SHA256:
                n = SHA256_DIGEST_SIZE;
                sha256_init(&ctx.s256);
                sha256_update(&ctx.s256, len, p);
                sha256_digest(&ctx.s256, n, out);
                break;
        case ATTEST_HASH_SHA384:
                n = SHA384_DIGEST_SIZE;
                sha384_init(&ctx.s512);
                sha384_update(&ctx.s512, len, p);
                sha384_digest(&ctx.s512, n, out);
                break;
        case ATTEST_HASH_SHA512:
                n = SHA512_DIGEST_SIZE;
                sha512_init(&ctx.s512);
                sha512_update(&ctx.s512, len, p);
                sha512_digest(&ctx.s512, n, out);
                break;
        default:
                return -EINVAL;
        }
        *ret_len = n;
        return 0;
}

int attest_digest_hex(enum attest_hash h, const void *buf, size_t len, char *ret, size_t ret_len)
{
        uint8_t d[ATTEST_DIGEST_MAX];
        size_t n;
        int r;

        r = attest_digest(h, buf, len, d, &n);
        if (r < 0)
                return r;
        if (ret_len < 2 * n + 1)
                return -ENOBUFS;
        (void)hex_encode(d, n, ret, ret_len);
        return 0;
}

int attest_field_len(enum attest_tee tee)
{
        switch (tee) {
        case ATTEST_TEE_SNP: return ATTEST_SNP_HOST_DATA_LEN;
        case ATTEST_TEE_TDX: return ATTEST_TDX_MRCONFIGID_LEN;
        default: return -EINVAL;
        }
}

int attest_expected_field(enum attest_tee tee, enum attest_binding b, const uint8_t *buf,
                          size_t len, uint8_t out[ATTEST_FIELD_MAX], char *why, size_t why_len)
{
        uint8_t d[ATTEST_DIGEST_MAX];
        size_t dlen = 0;
        int flen = attest_field_len(tee), r;

        if (flen < 0 || (!buf && len > 0))
                return -EINVAL;
        if (b == ATTEST_BINDING_DIRECT) {
                r = attest_digest(tee == ATTEST_TEE_SNP ? ATTEST_HASH_SHA256 : ATTEST_HASH_SHA384,
                                  buf, len, d, &dlen);
        } else if (b == ATTEST_BINDING_INITDATA) {
                struct attest_initdata id;

                r = attest_initdata_parse(buf, len, &id, why, why_len);
                if (r < 0)
                        return r;
                attest_initdata_done(&id);
                /* The whole document's bytes, as kata's runtime hashes them. */
                r = attest_digest(id.algorithm, buf, len, d, &dlen);
        } else {
                return -EINVAL;
        }
        if (r < 0)
                return r;
        /* Truncate or zero-pad to the field, as kata's adjust_digest does. */
        memset(out, 0, ATTEST_FIELD_MAX);
        memcpy(out, d, dlen < (size_t)flen ? dlen : (size_t)flen);
        return flen;
}

static const char *field_name(enum attest_tee tee)
{
        return tee == ATTEST_TEE_SNP ? "HOST_DATA" : "MRCONFIGID";
}

int attest_match(const struct attest_result *measured, enum attest_binding b, const uint8_t *buf,
                 size_t len, struct attest_result *ret)
{
        struct attest_result res;
        uint8_t want[ATTEST_FIELD_MAX];
        char why[160] = "";
        int flen;

        if (!measured || !ret || (!buf && len > 0) || b < 0 || b >= _ATTEST_BINDING_MAX)
                return -EINVAL;
        res = *measured;
        res.bound = false;
        res.expected_hex[0] = '\0';
        if (res.dev_mode || !res.have_report) {
                *ret = res;
                return 0;
        }
        flen = attest_expected_field(res.tee, b, buf, len, want, why, sizeof(why));
        if (flen == -EBADMSG) {
                snprintf(res.reason, sizeof(res.reason), "policy not bound: %s", why);
                *ret = res;
                return 0;
        }
        if (flen < 0)
                return flen;
        hex_encode(want, (size_t)flen, res.expected_hex, sizeof(res.expected_hex));
        if ((size_t)flen == res.field_len && memeql_sec(want, res.field, (size_t)flen)) {
                res.bound = true;
                snprintf(res.reason, sizeof(res.reason), "policy bound: %s %s equals the %s digest",
                         res.tee_name, field_name(res.tee),
                         b == ATTEST_BINDING_DIRECT ? "policy" : "initdata");
        } else {
                /* Both values in full: 2 x 96 hex digits fit the reason with room. */
                snprintf(res.reason, sizeof(res.reason),
                         "policy not attested: %s %s is %s, the %s digest is %s", res.tee_name,
                         field_name(res.tee), res.actual_hex,
                         b == ATTEST_BINDING_DIRECT ? "policy" : "initdata", res.expected_hex);
        }
        *ret = res;
        return 0;
}

int attest_verify_policy(const struct attest_config *c, const uint8_t *buf, size_t len,
                         struct attest_result *ret)
{
        struct attest_result m;
        int r;

        if (!c || !ret || (!buf && len > 0))
                return -EINVAL;
        r = attest_measure(c, &m);
        if (r < 0)
                return r;
        return attest_match(&m, c->binding, buf, len, ret);
}

int attest_check_setpolicy(const struct attest_config *c, const struct attest_result *measured,
                           const uint8_t *policy, size_t len, struct attest_result *ret)
{
        int r;

        if (!c || !measured || !ret || (!policy && len > 0))
                return -EINVAL;
        if (c->binding == ATTEST_BINDING_INITDATA) {
                struct attest_result res = *measured;

                res.bound = false;
                res.expected_hex[0] = '\0';
                snprintf(res.reason, sizeof(res.reason),
                         "SetPolicy refused: the policy is bound through initdata");
                *ret = res;
                return 0;
        }
        r = attest_match(measured, ATTEST_BINDING_DIRECT, policy, len, ret);
        if (r >= 0 && !ret->bound && !ret->dev_mode && ret->have_report) {
                /* Keep the digests, say which path refused. */
                static const char prefix[] = "SetPolicy refused: ";
                size_t n = strnlen(ret->reason, sizeof(ret->reason) - sizeof(prefix));

                memmove(ret->reason + sizeof(prefix) - 1, ret->reason, n);
                memcpy(ret->reason, prefix, sizeof(prefix) - 1);
                ret->reason[sizeof(prefix) - 1 + n] = '\0';
        }
        return r;
}
