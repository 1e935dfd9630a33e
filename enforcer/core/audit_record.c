/* SPDX-License-Identifier: Apache-2.0 */
/* Audit records: each one a JSON line built without allocating, hash-chained (audit.h). */

#include "audit_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <nettle/sha2.h>

#include "config.h"
#include "hex.h"
#include "pb_access.h"

static void line_raw(struct line *l, const char *s, size_t n)
{
        if (l->overflow || n > l->cap - l->len) {
                l->overflow = true;
                return;
        }
        memcpy(l->p + l->len, s, n);
        l->len += n;
}

static void line_str(struct line *l, const char *s)
{
        line_raw(l, s, strlen(s));
}

/* Decimal, without printf: every record has several numbers. */
static void line_u64(struct line *l, uint64_t v)
{
        char b[20];
        size_t i = sizeof(b);

        do {
                b[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        line_raw(l, b + i, sizeof(b) - i);
}

/* v as exactly width digits (zero-padded, the low digits kept). */
static void put_digits(char *out, unsigned long v, size_t width)
{
        while (width > 0) {
                out[--width] = (char)('0' + v % 10);
                v /= 10;
        }
}

/* True for the bytes a JSON string carries as they are: printable ASCII but " and \. */
static bool json_plain(unsigned char c)
{
        return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];
        size_t len;
        unsigned char lo = 0x80, hi = 0xbf;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                len = 2;
        else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                if (c == 0xe0)
                        lo = 0xa0;
                else if (c == 0xed)
                        hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                if (c == 0xf0)
                        lo = 0x90;
                else if (c == 0xf4)
                        hi = 0x8f;
        } else
                return 0;
        if (n < len || s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i < len; i++)
                if (s[i] < 0x80 || s[i] > 0xbf)
                        return 0;
        return len;
}

/*
 * Append s[0..n) as a JSON string. Host bytes may be anything: control bytes
 * are escaped, bytes that are not UTF-8 become U+FFFD (the JSON must stay
 * valid for every reader), and input past max bytes is cut at a character
 * boundary. Returns true when it was cut.
 */
static bool line_json_string(struct line *l, const char *s, size_t n, size_t max)
{
        const unsigned char *u = (const unsigned char *)s;
        bool cut = false;
        size_t i = 0;

        line_raw(l, "\"", 1);
        while (i < n) {
                size_t k, step, run = 0;
                char esc[8];

                /* A run of bytes that need nothing, in one copy: most of every string. */
                while (i + run < n && json_plain(u[i + run]))
                        run++;
                if (run > 0) {
                        if (run > max - i) {
                                line_raw(l, s + i, max - i);
                                cut = true;
                                break;
                        }
                        line_raw(l, s + i, run);
                        i += run;
                        continue;
                }
                k = utf8_seq_len(u + i, n - i);
                step = k ? k : 1;

                if (i + step > max) {
                        cut = true;
                        break;
                }
                if (k == 0)
                        line_raw(l, "\\ufffd", 6);
                else if (k > 1)
                        line_raw(l, s + i, k);
                else if (u[i] == '"' || u[i] == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char)u[i];
                        line_raw(l, esc, 2);
                } else if (u[i] == '\n')
                        line_raw(l, "\\n", 2);
                else if (u[i] == '\t')
                        line_raw(l, "\\t", 2);
                else if (u[i] == '\r')
                        line_raw(l, "\\r", 2);
                else if (u[i] < 0x20 || u[i] == 0x7f) {
                        memcpy(esc, "\\u00", 4);
                        esc[4] = "0123456789abcdef"[u[i] >> 4];
                        esc[5] = "0123456789abcdef"[u[i] & 15];
                        line_raw(l, esc, 6);
                } else
                        line_raw(l, s + i, 1);
                i += step;
        }
        line_raw(l, "\"", 1);
        return cut;
}

/* ,"key":"value" or ,"key":null; a NUL-terminated value is read at most max+1 bytes far. */
static bool line_field_cstr(struct line *l, const char *key, const char *v, size_t max)
{
        line_raw(l, ",\"", 2);
        line_str(l, key);
        line_raw(l, "\":", 2);
        if (!v || !*v) {
                line_raw(l, "null", 4);
                return false;
        }
        return line_json_string(l, v, strnlen(v, max + 1), max);
}

static bool line_field_bytes(struct line *l, const char *key, const char *v, size_t n, size_t max)
{
        line_raw(l, ",\"", 2);
        line_str(l, key);
        line_raw(l, "\":", 2);
        if (!v) {
                line_raw(l, "null", 4);
                return false;
        }
        return line_json_string(l, v, n, max);
}

static void line_field_u64(struct line *l, const char *key, uint64_t v)
{
        line_raw(l, ",\"", 2);
        line_str(l, key);
        line_raw(l, "\":", 2);
        line_u64(l, v);
}

/* The hot-path digest: nettle's SHA-256 (SHA-NI where the CPU has it), its
 * context on the stack, nothing allocated. */
static int fast_sha256_hex(const void *buf, size_t len, char ret[AUDIT_HASH_HEX + 1])
{
        unsigned char d[SHA256_DIGEST_SIZE];
        struct sha256_ctx ctx;

        sha256_init(&ctx);
        sha256_update(&ctx, len, buf);
        sha256_digest(&ctx, sizeof(d), d);
        (void)hex_encode(d, sizeof(d), ret, AUDIT_HASH_HEX + 1);
        return 0;
}

int audit_sha256_hex(const void *buf, size_t len, char ret[AUDIT_HASH_HEX + 1])
{
        return fast_sha256_hex(buf, len, ret);
}

static void line_begin(struct audit_log *log, struct line *l, uint64_t seq, const char *type,
                const struct timespec *time)
{
        struct timespec ts;
        struct tm tm;
        char t[64];

        if (time)
                ts = *time;
        else
                (void)clock_gettime(CLOCK_REALTIME, &ts);
        (void)gmtime_r(&ts.tv_sec, &tm);
        /* RFC 3339 with nanoseconds, "2026-12-02T21:30:00.123456789Z": without printf
         * for the years a clock shows; the host sets the guest's clock, so any other
         * year is printed as it always was. */
        if (tm.tm_year + 1900 >= 0 && tm.tm_year + 1900 <= 9999) {
                memcpy(t, "0000-00-00T00:00:00.000000000Z", 31);
                put_digits(t, (unsigned long)(tm.tm_year + 1900), 4);
                put_digits(t + 5, (unsigned long)(tm.tm_mon + 1), 2);
                put_digits(t + 8, (unsigned long)tm.tm_mday, 2);
                put_digits(t + 11, (unsigned long)tm.tm_hour, 2);
                put_digits(t + 14, (unsigned long)tm.tm_min, 2);
                put_digits(t + 17, (unsigned long)tm.tm_sec, 2);
                put_digits(t + 20, (unsigned long)ts.tv_nsec, 9);
        } else {
                snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
        }

        *l = (struct line){ .p = log->buf + log->pend_len,
                            .cap = AUDIT_LINE_MAX - 1 /* room for '\n' */ };
        line_str(l, "{\"v\":1,\"seq\":");
        line_u64(l, seq);
        line_str(l, ",\"time\":\"");
        line_str(l, t);
        line_str(l, "\",\"type\":\"");
        line_str(l, type);
        line_raw(l, "\"", 1);
}

static int line_end(struct audit_log *log, struct line *l)
{
        line_str(l, ",\"prev\":\"");
        line_str(l, log->head);
        line_str(l, "\"}");
        if (l->overflow)
                return -ENOBUFS; /* the bounds above make this a programming error */
        l->p[l->len++] = '\n';
        return 0;
}

static const char *verdict_name(enum verdict v)
{
        switch (v) {
        case VERDICT_ALLOW: return "allow";
        case VERDICT_DENY: return "deny";
        default: return NULL;
        }
}

static const char *mode_name(enum policy_mode m)
{
        switch (m) {
        case POLICY_MODE_ENFORCE: return "enforce";
        case POLICY_MODE_AUDIT: return "audit";
        default: return NULL;
        }
}

int audit_append(struct audit_log *log, const struct audit_event *ev)
{
        const char *decision, *mode, *cut[8];
        char digest[AUDIT_HASH_HEX + 1];
        size_t n_cut = 0;
        struct line l;
        int r;

        if (!log || !ev)
                return -EINVAL;
        if (!log->started)
                return -EPIPE; /* after audit_stop(): the stop record is the last */
        decision = verdict_name(ev->verdict);
        mode = mode_name(ev->mode);
        if (!decision || !mode || (!ev->payload && ev->payload_len > 0))
                return -EINVAL;
        /* What happened before this request goes before its record. */
        r = audit_encode_queued(log);
        if (r < 0)
                return r;

        r = fast_sha256_hex(ev->payload ? (const void *)ev->payload : "", ev->payload_len, digest);
        if (r < 0)
                return r;

        line_begin(log, &l, log->next_seq, "decision", NULL);
        line_field_u64(&l, "conn", ev->conn_id);
        line_field_u64(&l, "stream", ev->stream_id);
        if (line_field_bytes(&l, "service", ev->service, ev->service_len, AUDIT_NAME_MAX))
                cut[n_cut++] = "service";
        if (line_field_bytes(&l, "method", ev->method, ev->method_len, AUDIT_NAME_MAX))
                cut[n_cut++] = "method";
        if (line_field_cstr(&l, "request", ev->request_name, AUDIT_NAME_MAX))
                cut[n_cut++] = "request";
        if (line_field_cstr(&l, "container_id", pb_str_of(ev->request, "container_id", 0),
                            AUDIT_NAME_MAX))
                cut[n_cut++] = "container_id";
        if (line_field_cstr(&l, "exec_id", pb_str_of(ev->request, "exec_id", 0), AUDIT_NAME_MAX))
                cut[n_cut++] = "exec_id";
        line_str(&l, ",\"decision\":\"");
        line_str(&l, decision);
        line_str(&l, ev->forwarded ? "\",\"forwarded\":true" : "\",\"forwarded\":false");
        line_str(&l, ",\"mode\":\"");
        line_str(&l, mode);
        line_raw(&l, "\"", 1);
        if (line_field_cstr(&l, "rule", ev->rule_id, AUDIT_NAME_MAX))
                cut[n_cut++] = "rule";
        if (line_field_cstr(&l, "reason", ev->reason, AUDIT_REASON_MAX))
                cut[n_cut++] = "reason";
        line_str(&l, ",\"policy\":");
        line_str(&l, log->policy);
        line_str(&l, ",\"tee\":");
        line_str(&l, log->tee);
        line_str(&l, ",\"request_sha256\":\"");
        line_str(&l, digest);
        line_raw(&l, "\"", 1);
        line_field_u64(&l, "request_bytes", ev->payload_len);
        if (n_cut > 0) {
                line_str(&l, ",\"truncated\":[");
                for (size_t i = 0; i < n_cut; i++) {
                        if (i > 0)
                                line_raw(&l, ",", 1);
                        line_raw(&l, "\"", 1);
                        line_str(&l, cut[i]);
                        line_raw(&l, "\"", 1);
                }
                line_raw(&l, "]", 1);
        }
        r = line_end(log, &l);
        if (r < 0)
                return r;
        return audit_commit(log, &l, log->next_seq, false);
}

/* genesis, start and stop: what is running, not what it decided. */
int audit_lifecycle(struct audit_log *log, const char *type)
{
        struct line l;
        int r;

        line_begin(log, &l, log->next_seq, type, NULL);
        line_str(&l, ",\"policy\":");
        line_str(&l, log->policy);
        line_str(&l, ",\"tee\":");
        line_str(&l, log->tee);
        if (strcmp(type, "stop") != 0) {
                line_str(&l, ",\"ccgate_version\":");
                (void)line_json_string(&l, CCGATE_VERSION, strlen(CCGATE_VERSION), AUDIT_NAME_MAX);
                line_str(&l, ",\"hooks\":");
                line_str(&l, log->hooks);
                line_str(&l, ",\"measure\":");
                line_str(&l, log->measure);
        }
        r = line_end(log, &l);
        if (r < 0)
                return r;
        return audit_commit(log, &l, log->next_seq, true);
}

/* A runtime measurement event, chained by its event log line's digest. */
int audit_measure(struct audit_log *log, const struct audit_measure_event *ev)
{
        struct line l;
        int r;

        if (!log || !ev || !ev->operation || !ev->reg || !ev->event_sha256 ||
            strnlen(ev->event_sha256, AUDIT_HASH_HEX + 1) != AUDIT_HASH_HEX ||
            !hex_is_lower(ev->event_sha256, AUDIT_HASH_HEX))
                return -EINVAL;
        if (!log->started)
                return -EPIPE;
        r = audit_encode_queued(log);
        if (r < 0)
                return r;
        line_begin(log, &l, log->next_seq, "measure", NULL);
        line_field_u64(&l, "event", ev->n);
        (void)line_field_cstr(&l, "operation", ev->operation, AUDIT_NAME_MAX);
        (void)line_field_cstr(&l, "register", ev->reg, AUDIT_NAME_MAX);
        line_str(&l, ",\"event_sha256\":\"");
        line_str(&l, ev->event_sha256);
        line_raw(&l, "\"", 1);
        r = line_end(log, &l);
        if (r < 0)
                return r;
        return audit_commit(log, &l, log->next_seq, true);
}

/* ---- Opening ---- */
bool audit_digest_valid(const char *d)
{
        size_t n = strnlen(d, 97);

        return strcmp(d, "none") == 0 || ((n == 64 || n == 96) && hex_is_lower(d, n));
}

bool audit_tee_valid(const char *t)
{
        size_t n = strnlen(t, AUDIT_TEE_MAX + 1);

        if (n == 0 || n > AUDIT_TEE_MAX)
                return false;
        return strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Render a trusted option into a JSON string literal kept for every record. */
int audit_render_option(char *ret, size_t cap, const char *v, size_t max)
{
        struct line l = { .p = ret, .cap = cap - 1 };

        if (line_json_string(&l, v, strlen(v), max) || l.overflow)
                return -EINVAL;
        ret[l.len] = '\0';
        return 0;
}

int audit_set_policy(struct audit_log *log, const char *policy_digest)
{
        char rendered[sizeof(log->policy)];
        int r;

        if (!log || !policy_digest || !audit_digest_valid(policy_digest))
                return -EINVAL;
        r = audit_render_option(rendered, sizeof(rendered), policy_digest, 96);
        if (r < 0)
                return r;
        memcpy(log->policy, rendered, sizeof(rendered));
        return 0;
}

/* ---- Outcome records ---- */

static const char *outcome_name(enum audit_outcome o)
{
        switch (o) {
        case AUDIT_OUTCOME_ANSWERED: return "answered";
        case AUDIT_OUTCOME_NOT_FORWARDED: return "not-forwarded";
        case AUDIT_OUTCOME_ABANDONED: return "abandoned";
        default: return NULL;
        }
}

/* Encode one queued event after the pending records and chain it. */
static int encode_outcome(struct audit_log *log, const struct audit_queued *q)
{
        const struct audit_outcome_event *ev = &q->ev;
        char hash[AUDIT_HASH_HEX + 1];
        struct line l;
        int r;

        if (AUDIT_PENDING_MAX - log->pend_len < AUDIT_OUTCOME_LINE_MAX) {
                /* Full: write what is pending (rare: a burst of answers with no
                 * request in between, or the agent lost with many in flight). */
                r = audit_commit(log, NULL, 0, false);
                if (r < 0)
                        return r;
        }
        line_begin(log, &l, log->next_seq, "outcome", &q->time);
        l.cap = AUDIT_OUTCOME_LINE_MAX - 1;
        line_field_u64(&l, "conn", ev->conn_id);
        line_field_u64(&l, "stream", ev->stream_id);
        (void)line_field_cstr(&l, "request", ev->request_name, AUDIT_NAME_MAX);
        line_field_u64(&l, "decision_seq", ev->decision_seq);
        line_str(&l, ",\"outcome\":\"");
        line_str(&l, outcome_name(ev->outcome));
        line_str(&l, "\",\"code\":");
        if (ev->has_code) {
                if (ev->code < 0)
                        line_raw(&l, "-", 1);
                line_u64(&l, ev->code < 0 ? (uint64_t)(-(int64_t)ev->code) : (uint64_t)ev->code);
        } else
                line_str(&l, "null");
        (void)line_field_cstr(&l, "why", ev->why, AUDIT_NAME_MAX);
        r = line_end(log, &l);
        if (r < 0)
                return r;
        r = audit_sha256_hex(l.p, l.len - 1, hash);
        if (r < 0)
                return r;
        /* Chained now, written with the next record. */
        log->pend_len += l.len;
        log->head_seq = log->next_seq++;
        memcpy(log->head, hash, sizeof(hash));
        return 0;
}

int audit_encode_queued(struct audit_log *log)
{
        size_t done = 0;
        int r = 0;

        while (done < log->n_queued) {
                r = encode_outcome(log, &log->queue[done]);
                if (r < 0)
                        break;
                done++;
        }
        if (done > 0) {
                memmove(log->queue, log->queue + done,
                        (log->n_queued - done) * sizeof(log->queue[0]));
                log->n_queued -= done;
        }
        return r;
}

int audit_prepare(struct audit_log *log)
{
        return log ? audit_encode_queued(log) : -EINVAL;
}

int audit_outcome(struct audit_log *log, const struct audit_outcome_event *ev)
{
        struct audit_queued *q;
        int r;

        if (!log || !ev || !outcome_name(ev->outcome) ||
            (ev->outcome == AUDIT_OUTCOME_ANSWERED) != !ev->why)
                return -EINVAL;
        if (!log->started)
                return -EPIPE;
        if (log->n_queued == AUDIT_QUEUE_MAX) {
                r = audit_encode_queued(log);
                if (r < 0)
                        return r;
        }
        q = &log->queue[log->n_queued++];
        q->ev = *ev;
        (void)clock_gettime(CLOCK_REALTIME, &q->time);
        return 0;
}
