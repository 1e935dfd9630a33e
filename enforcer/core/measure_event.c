/* SPDX-License-Identifier: Apache-2.0 */
/* Runtime measurement events: content, text, the agent's digest, replay, log lines (measure_event.h). */
#include "measure_event.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <nettle/nettle-meta.h>
#include <nettle/sha2.h>

#include "cleanup.h"
#include "hex.h"

/* The attestation agent's tagged event id: ASCII "AAEL", written little-endian. */
#define MEASURE_AAEL_TAG 0x4141454cu

static const char *const op_names[_MEASURE_OP_MAX] = {
        [MEASURE_OP_START] = "Start",
        [MEASURE_OP_SET_POLICY] = "SetPolicy",
        [MEASURE_OP_AUDIT_HEAD] = "AuditHead",
        [MEASURE_OP_STOP] = "Stop",
};

const char *measure_op_name(enum measure_op op)
{
        return (int)op >= 0 && op < _MEASURE_OP_MAX ? op_names[op] : NULL;
}

enum measure_op measure_op_from_name(const char *name)
{
        for (int i = 0; name && i < _MEASURE_OP_MAX; i++)
                if (strcmp(name, op_names[i]) == 0)
                        return (enum measure_op)i;
        return _MEASURE_OP_INVALID;
}

size_t measure_alg_len(enum measure_alg alg)
{
        switch (alg) {
        case MEASURE_ALG_SHA256: return MEASURE_SHA256_LEN;
        case MEASURE_ALG_SHA384: return MEASURE_SHA384_LEN;
        default: return 0;
        }
}

static const struct nettle_hash *alg_md(enum measure_alg alg)
{
        switch (alg) {
        case MEASURE_ALG_SHA256: return &nettle_sha256;
        case MEASURE_ALG_SHA384: return &nettle_sha384;
        default: return NULL;
        }
}

/* Room for either context, aligned as nettle's own structs are. */
union hash_ctx {
        struct sha256_ctx s256;
        struct sha512_ctx s512;
};

static bool head_valid(const char *h)
{
        return h && strnlen(h, 65) == 64 && hex_is_lower(h, 64);
}

/* Compact JSON, keys in insertion order: the same bytes for the same values. */
static int dump(const json_t *j, char *ret, size_t cap)
{
        size_t n;

        if (!j)
                return -ENOMEM;
        n = json_dumpb(j, ret, cap, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (n == 0)
                return -EINVAL;
        if (n >= cap)
                return -E2BIG;
        ret[n] = '\0';
        return (int)n;
}

static int add_str(json_t *o, const char *key, const char *v)
{
        if (!v || !*v || strlen(v) > 256)
                return -EINVAL;
        return json_object_set_new(o, key, json_string(v)) == 0 ? 0 : -EINVAL;
}

int measure_content(enum measure_op op, const struct measure_start_info *info, const char *policy,
                    const char *mode, uint64_t audit_seq, const char *audit_head, char *ret,
                    size_t cap)
{
        _cleanup_(json_decrefp) json_t *o = json_object();
        int r = 0;

        if (!o)
                return -ENOMEM;
        if (!head_valid(audit_head) || audit_seq > (uint64_t)INT64_MAX || cap == 0)
                return -EINVAL;
        switch (op) {
        case MEASURE_OP_START:
                if (!info)
                        return -EINVAL;
                if ((r = add_str(o, "version", info->version)) < 0 ||
                    (r = add_str(o, "policy", info->policy)) < 0 ||
                    (r = add_str(o, "mode", info->mode)) < 0 ||
                    (r = add_str(o, "hooks", info->hooks)) < 0 ||
                    (r = add_str(o, "tee", info->tee)) < 0 ||
                    (r = add_str(o, "extender", info->extender)) < 0)
                        return r;
                break;
        case MEASURE_OP_SET_POLICY:
                if ((r = add_str(o, "policy", policy)) < 0 || (r = add_str(o, "mode", mode)) < 0)
                        return r;
                break;
        case MEASURE_OP_AUDIT_HEAD:
        case MEASURE_OP_STOP:
                break;
        default:
                return -EINVAL;
        }
        if (json_object_set_new(o, "audit_seq", json_integer((json_int_t)audit_seq)) < 0 ||
            add_str(o, "audit_head", audit_head) < 0)
                return -ENOMEM;
        return dump(o, ret, cap < MEASURE_CONTENT_MAX + 1 ? cap : MEASURE_CONTENT_MAX + 1);
}

static bool word_valid(const char *s)
{
        size_t n = strnlen(s, 65);

        return n > 0 && n <= 64 && strcspn(s, " \n") == n;
}

int measure_text(const char *domain, const char *operation, const char *content, char *ret,
                 size_t cap)
{
        int n;

        if (!domain || !operation || !content || !word_valid(domain) || !word_valid(operation) ||
            strchr(content, '\n'))
                return -EINVAL;
        n = snprintf(ret, cap, "%s %s %s", domain, operation, content);
        if (n < 0)
                return -EINVAL;
        if ((size_t)n >= cap || (size_t)n > MEASURE_TEXT_MAX)
                return -E2BIG;
        return n;
}

static void le32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
}

int measure_digest(enum measure_alg alg, const char *text, size_t len, uint8_t *ret)
{
        const struct nettle_hash *md = alg_md(alg);
        union hash_ctx ctx;
        uint8_t hdr[8];

        if (!md || len > UINT32_MAX)
                return -EINVAL;
        le32(hdr, MEASURE_AAEL_TAG);
        le32(hdr + 4, (uint32_t)len);
        md->init(&ctx);
        md->update(&ctx, sizeof(hdr), hdr);
        md->update(&ctx, len, (const uint8_t *)text);
        md->digest(&ctx, md->digest_size, ret);
        return 0;
}

int measure_extend(enum measure_alg alg, uint8_t *reg, const uint8_t *digest)
{
        const struct nettle_hash *md = alg_md(alg);
        size_t n = measure_alg_len(alg);
        uint8_t buf[2 * MEASURE_DIGEST_MAX];
        union hash_ctx ctx;

        if (!md)
                return -EINVAL;
        memcpy(buf, reg, n);
        memcpy(buf + n, digest, n);
        md->init(&ctx);
        md->update(&ctx, 2 * n, buf);
        md->digest(&ctx, md->digest_size, reg);
        return 0;
}

int measure_event_line(uint64_t n, const char *boot, const char *time, const char *reg,
                       const char *operation, const char *content, char *ret, size_t cap)
{
        _cleanup_(json_decrefp) json_t *o = json_object();
        uint8_t d256[MEASURE_SHA256_LEN], d384[MEASURE_SHA384_LEN];
        char text[MEASURE_TEXT_MAX + 1], h256[65], h384[97];
        int len, r;

        if (!o)
                return -ENOMEM;
        if (!boot || !time || !reg || !content || n > (uint64_t)INT64_MAX)
                return -EINVAL;
        len = measure_text(MEASURE_DOMAIN, operation, content, text, sizeof(text));
        if (len < 0)
                return len;
        if ((r = measure_digest(MEASURE_ALG_SHA256, text, (size_t)len, d256)) < 0 ||
            (r = measure_digest(MEASURE_ALG_SHA384, text, (size_t)len, d384)) < 0)
                return r;
        (void)hex_encode(d256, sizeof(d256), h256, sizeof(h256));
        (void)hex_encode(d384, sizeof(d384), h384, sizeof(h384));
        if (json_object_set_new(o, "v", json_integer(1)) < 0 ||
            json_object_set_new(o, "n", json_integer((json_int_t)n)) < 0 ||
            add_str(o, "boot", boot) < 0 || add_str(o, "time", time) < 0 ||
            add_str(o, "register", reg) < 0 || add_str(o, "domain", MEASURE_DOMAIN) < 0 ||
            add_str(o, "operation", operation) < 0 ||
            json_object_set_new(o, "content", json_string(content)) < 0 ||
            add_str(o, "sha256", h256) < 0 || add_str(o, "sha384", h384) < 0)
                return -EINVAL;
        return dump(o, ret, cap < MEASURE_LINE_MAX ? cap : MEASURE_LINE_MAX);
}

static int bad(char *why, size_t why_len, const char *msg)
{
        snprintf(why, why_len, "%s", msg);
        return -EBADMSG;
}

static const char *str_of(const json_t *o, const char *key, size_t max)
{
        const json_t *v = json_object_get(o, key);

        if (!json_is_string(v) || json_string_length(v) > max ||
            strlen(json_string_value(v)) != json_string_length(v))
                return NULL;
        return json_string_value(v);
}

static bool hex_to(const char *s, uint8_t *ret, size_t n)
{
        if (!s || strlen(s) != 2 * n || !hex_is_lower(s, 2 * n))
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned v;

                if (sscanf(s + 2 * i, "%2x", &v) != 1)
                        return false;
                ret[i] = (uint8_t)v;
        }
        return true;
}

/*
 * The content's audit head (every operation has one) and policy. It must be
 * exactly what measure_content() makes of those values: one meaning, one text.
 */
static int parse_content(struct measure_logged *e, const char *content, char *why, size_t why_len)
{
        _cleanup_(json_decrefp) json_t *c = NULL;
        struct measure_start_info info = { 0 };
        char again[MEASURE_CONTENT_MAX + 1];
        const json_t *seq;
        const char *head, *policy = NULL, *mode = NULL;
        json_error_t err;

        c = json_loads(content, JSON_REJECT_DUPLICATES, &err);
        if (!json_is_object(c))
                return bad(why, why_len, "the content is not a JSON object");
        seq = json_object_get(c, "audit_seq");
        head = str_of(c, "audit_head", 64);
        if (!json_is_integer(seq) || json_integer_value(seq) < 0 || !head_valid(head))
                return bad(why, why_len, "the content has no audit_seq and audit_head");
        if (e->op == MEASURE_OP_START || e->op == MEASURE_OP_SET_POLICY) {
                policy = str_of(c, "policy", 96);
                mode = str_of(c, "mode", 16);
                if (!policy || !mode)
                        return bad(why, why_len, "the content has no policy and mode");
        }
        if (e->op == MEASURE_OP_START)
                info = (struct measure_start_info){
                        .version = str_of(c, "version", 256), .policy = policy, .mode = mode,
                        .hooks = str_of(c, "hooks", 256), .tee = str_of(c, "tee", 256),
                        .extender = str_of(c, "extender", 256),
                };
        if (measure_content(e->op, &info, policy, mode, (uint64_t)json_integer_value(seq), head,
                            again, sizeof(again)) < 0 ||
            strcmp(again, content) != 0)
                return bad(why, why_len, "the content is not what its operation has, in its "
                                         "canonical form");
        e->has_audit = true;
        e->audit_seq = (uint64_t)json_integer_value(seq);
        memcpy(e->audit_head, head, 65);
        snprintf(e->policy, sizeof(e->policy), "%s", policy ? policy : "");
        return 0;
}

int measure_event_parse(const char *line, size_t len, struct measure_logged *ret, char *why,
                        size_t why_len)
{
        _cleanup_(json_decrefp) json_t *o = NULL;
        struct measure_logged e = { 0 };
        uint8_t d[MEASURE_DIGEST_MAX];
        const char *boot, *reg, *domain, *op, *content;
        const json_t *v, *n;
        json_error_t err;
        int r;

        if (len > MEASURE_LINE_MAX)
                return bad(why, why_len, "longer than any event");
        o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
        if (!json_is_object(o)) {
                snprintf(why, why_len, "not JSON: %s (column %d)", err.text, err.column);
                return -EBADMSG;
        }
        v = json_object_get(o, "v");
        n = json_object_get(o, "n");
        if (!json_is_integer(v) || json_integer_value(v) != 1)
                return bad(why, why_len, "not a version 1 event (\"v\")");
        if (!json_is_integer(n) || json_integer_value(n) < 0)
                return bad(why, why_len, "no event number (\"n\")");
        boot = str_of(o, "boot", MEASURE_BOOT_ID_MAX);
        reg = str_of(o, "register", MEASURE_REGISTER_NAME_MAX);
        domain = str_of(o, "domain", 64);
        op = str_of(o, "operation", 64);
        content = str_of(o, "content", MEASURE_CONTENT_MAX);
        if (!boot || !*boot || !reg || !*reg || !domain || !op || !content ||
            !str_of(o, "time", 64) || json_object_size(o) != 10)
                return bad(why, why_len, "an event has exactly v, n, boot, time, register, "
                                         "domain, operation, content, sha256, sha384");
        if (strcmp(domain, MEASURE_DOMAIN) != 0)
                return bad(why, why_len, "not a ccgate event (\"domain\")");
        e.op = measure_op_from_name(op);
        if ((int)e.op < 0)
                return bad(why, why_len, "unknown operation");
        e.n = (uint64_t)json_integer_value(n);
        memcpy(e.boot, boot, strlen(boot) + 1);
        memcpy(e.reg, reg, strlen(reg) + 1);
        r = measure_text(domain, op, content, e.text, sizeof(e.text));
        if (r < 0)
                return bad(why, why_len, "the event text is not valid (a newline, or too long)");
        e.text_len = (size_t)r;
        if (!hex_to(str_of(o, "sha256", 64), e.sha256, sizeof(e.sha256)) ||
            !hex_to(str_of(o, "sha384", 96), e.sha384, sizeof(e.sha384)))
                return bad(why, why_len, "sha256 and sha384 must be lowercase hex digests");
        if (measure_digest(MEASURE_ALG_SHA256, e.text, e.text_len, d) < 0 ||
            memcmp(d, e.sha256, sizeof(e.sha256)) != 0 ||
            measure_digest(MEASURE_ALG_SHA384, e.text, e.text_len, d) < 0 ||
            memcmp(d, e.sha384, sizeof(e.sha384)) != 0)
                return bad(why, why_len, "the digests are not those of the event's text");
        r = parse_content(&e, content, why, why_len);
        if (r < 0)
                return r;
        *ret = e;
        return 0;
}
