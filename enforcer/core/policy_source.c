/* SPDX-License-Identifier: Apache-2.0 */
/* The one way in for a policy: read, attest, load, check hooks, seal (policy_source.h). */
#include "policy_source.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

void policy_source_init(struct policy_source *s, const struct attest_config *attest,
                        const struct attest_result *measured, const char *active_hooks)
{
        *s = (struct policy_source){ .attest = attest, .measured = measured,
                                     .hooks = active_hooks };
}

static int refuse(struct policy_verdict *v, enum gate_refusal r, int error, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int refuse(struct policy_verdict *v, enum gate_refusal r, int error, const char *fmt, ...)
{
        va_list ap;

        v->refusal = r;
        va_start(ap, fmt);
        vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
        va_end(ap);
        return error;
}

/* The bytes that are attested: the file's, or the initdata document's. */
static int read_input(enum policy_origin o, const char *name, uint8_t **ret, size_t *ret_len,
                      struct policy_verdict *v)
{
        enum attest_initdata_form form;
        int r;

        if (o == POLICY_ORIGIN_FILE) {
                r = policy_read_file(name, ret, ret_len, &v->error);
                if (r < 0)
                        return refuse(v, GATE_REFUSE_POLICY_INVALID, 0, "the policy did not load");
                return 1;
        }
        /* The TOML, its gzip or kata's block device: the document's bytes are attested. */
        r = attest_initdata_read(name, ret, ret_len, &form, v->error.message,
                                 sizeof(v->error.message));
        if (r < 0) {
                snprintf(v->error.file, sizeof(v->error.file), "%s", name);
                return refuse(v, GATE_REFUSE_POLICY_INVALID, 0,
                              "the initdata document could not be read");
        }
        return 1;
}

/* Whether the TEE vouches for these bytes (dev mode: nothing is, explicitly). */
static int attest(const struct policy_source *s, enum policy_origin o, const uint8_t *buf,
                  size_t len, struct policy_verdict *v)
{
        int r;

        if (o == POLICY_ORIGIN_HOST)
                r = attest_check_setpolicy(s->attest, s->measured, buf, len, &v->att);
        else
                r = attest_match(s->measured,
                                 o == POLICY_ORIGIN_INITDATA ? ATTEST_BINDING_INITDATA
                                                             : ATTEST_BINDING_DIRECT,
                                 buf, len, &v->att);
        if (r < 0)
                return refuse(v, o == POLICY_ORIGIN_HOST ? GATE_REFUSE_SETPOLICY_CHECK
                                                         : GATE_REFUSE_ATTESTATION,
                              r, "the policy could not be checked against the TEE report");
        if (!v->att.bound && !v->att.dev_mode)
                return refuse(v, GATE_REFUSE_ATTESTATION, 0, "%s", v->att.reason);
        return 1;
}

/* The policy text an initdata document carries, as a copy the caller frees. */
static int initdata_policy(const char *name, const uint8_t *doc, size_t len, uint8_t **ret,
                           size_t *ret_len, struct policy_verdict *v)
{
        struct attest_initdata init = { 0 };
        char why[256] = "";
        int r;

        r = attest_initdata_parse(doc, len, &init, why, sizeof(why));
        if (r == -EBADMSG) {
                snprintf(v->error.file, sizeof(v->error.file), "%s", name);
                snprintf(v->error.message, sizeof(v->error.message), "%s", why);
                return refuse(v, GATE_REFUSE_POLICY_INVALID, 0, "the initdata document is invalid");
        }
        if (r < 0)
                return refuse(v, GATE_REFUSE_POLICY_INVALID, r,
                              "the initdata document could not be read");
        *ret = (uint8_t *)TAKE_PTR(init.policy);
        *ret_len = init.policy_len;
        attest_initdata_done(&init);
        return 1;
}

int policy_source_take(struct policy_source *s, enum policy_origin o, const char *name,
                       const uint8_t *bytes, size_t len, struct policy_verdict *ret)
{
        _cleanup_free_ uint8_t *input = NULL, *carried = NULL;
        _cleanup_(policy_freep) struct policy *p = NULL;
        const uint8_t *text;
        size_t text_len;
        char missing[128], where[PATH_MAX + 32];
        int r;

        *ret = (struct policy_verdict){ .refusal = _GATE_REFUSAL_INVALID };
        snprintf(ret->digest, sizeof(ret->digest), "none");
        if (s->sealed || (int)o < 0 || o >= _POLICY_ORIGIN_MAX || !name)
                return refuse(ret, GATE_REFUSE_POLICY_INVALID, -EINVAL, "no policy can be taken");

        if (!bytes) {
                r = read_input(o, name, &input, &len, ret);
                if (r <= 0)
                        return r;
                bytes = input;
        }
        text = bytes;
        text_len = len;
        snprintf(where, sizeof(where), "%s", name);
        if (o == POLICY_ORIGIN_INITDATA) {
                /* The document names its own digest algorithm: it is read strictly
                 * first, as attesting it needs that. */
                r = initdata_policy(name, bytes, len, &carried, &text_len, ret);
                if (r <= 0)
                        return r;
                text = carried;
                snprintf(where, sizeof(where), "%s [data] " ATTEST_INITDATA_POLICY_KEY, name);
        }
        /* What the audit log names as the policy, in force or refused for the TEE's
         * verdict or its hooks; "none" again when it does not load. */
        r = attest_digest_hex(ATTEST_HASH_SHA256, text, text_len, ret->digest,
                              sizeof(ret->digest));
        if (r < 0) {
                snprintf(ret->digest, sizeof(ret->digest), "none");
                return refuse(ret, o == POLICY_ORIGIN_HOST ? GATE_REFUSE_SETPOLICY_DIGEST
                                                           : GATE_REFUSE_POLICY_INVALID,
                              r, "the policy could not be digested");
        }
        /* The policy is not parsed before the TEE has vouched for it. */
        r = attest(s, o, bytes, len, ret);
        if (r <= 0)
                return r;
        r = policy_load_buffer(where, text, text_len, &p, &ret->error);
        if (r < 0) {
                snprintf(ret->digest, sizeof(ret->digest), "none");
                if (o != POLICY_ORIGIN_HOST)
                        return refuse(ret, GATE_REFUSE_POLICY_INVALID, 0, "the policy did not load");
                /* Where, not what: the message could quote the policy. */
                return refuse(ret, GATE_REFUSE_SETPOLICY_INVALID, 0,
                              "the delivered policy is attested but does not load "
                              "(line %u, column %u)", ret->error.line, ret->error.column);
        }
        if (policy_hooks_missing(p, s->hooks, missing, sizeof(missing)) > 0)
                return refuse(ret, GATE_REFUSE_HOOKS, 0, "the %s requires eBPF hooks that are not "
                              "active: %s", o == POLICY_ORIGIN_HOST ? "delivered policy" : "policy",
                              missing);
        if (policy_requires_measurement(p) && !s->measuring)
                return refuse(ret, GATE_REFUSE_MEASUREMENT, 0, "the %s requires runtime "
                              "measurement (require_measurement) and no extender works",
                              o == POLICY_ORIGIN_HOST ? "delivered policy" : "policy");

        if (ret->att.dev_mode)
                snprintf(ret->reason, sizeof(ret->reason),
                         "policy sha256:%s accepted WITHOUT attestation (--tee none); sealed",
                         ret->digest);
        else
                snprintf(ret->reason, sizeof(ret->reason),
                         "policy sha256:%s accepted: its digest matches the %s report; sealed",
                         ret->digest, ret->att.tee_name);
        s->sealed = true;
        ret->policy = TAKE_PTR(p);
        return 0;
}

void policy_source_unseal(struct policy_source *s)
{
        s->sealed = false;
}
