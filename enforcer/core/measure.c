/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime measurer: audit head durable, extend, event log, measure record (measure.h). */
#include "measure.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "measure_log.h"

void measure_extender_done(struct measure_extender *e)
{
        if (e->close)
                e->close(e->ctx);
        e->close = NULL;
        e->ctx = NULL;
        e->extend = NULL;
}

int measure_every_parse(const char *s, enum measure_every *ret, uint64_t *ret_n)
{
        const char *num;
        enum measure_every every;
        char *end;
        unsigned long long v;

        if (!s)
                return -EINVAL;
        if (strcmp(s, "stop") == 0) {
                *ret = MEASURE_EVERY_STOP;
                *ret_n = 0;
                return 0;
        }
        if (strncmp(s, "records=", 8) == 0) {
                every = MEASURE_EVERY_RECORDS;
                num = s + 8;
        } else if (strncmp(s, "ms=", 3) == 0) {
                every = MEASURE_EVERY_MS;
                num = s + 3;
        } else
                return -EINVAL;
        if (*num < '1' || *num > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(num, &end, 10);
        if (errno || *end || v > UINT32_MAX)
                return -EINVAL;
        *ret = every;
        *ret_n = v;
        return 0;
}

static uint64_t now_ms(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int measure_init(struct measurer *m, const struct measure_config *c, struct measure_extender *ext)
{
        int r;

        *m = (struct measurer){ .ext = *ext };
        *ext = (struct measure_extender){ 0 };
        if (!c || !c->log_path || !c->boot || (int)c->every < 0 || c->every >= _MEASURE_EVERY_MAX ||
            !m->ext.extend) {
                measure_done(m);
                return -EINVAL;
        }
        m->every = c->every;
        m->every_n = c->every_n;
        m->last_ns = now_ms();
        r = measure_log_open(c->log_path, c->boot, &m->log);
        if (r < 0) {
                measure_done(m);
                return r;
        }
        return 0;
}

void measure_done(struct measurer *m)
{
        measure_extender_done(&m->ext);
        m->log = measure_log_close(m->log);
}

static int fail(struct measurer *m, int r, bool broken, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(struct measurer *m, int r, bool broken, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(m->error, sizeof(m->error), fmt, ap);
        va_end(ap);
        if (broken)
                m->failed = true;
        return r;
}

int measure_event(struct measurer *m, struct audit_log *audit, enum measure_op op,
                  const struct measure_start_info *info, const char *policy, const char *mode)
{
        char content[MEASURE_CONTENT_MAX + 1], text[MEASURE_TEXT_MAX + 1];
        char head[AUDIT_HASH_HEX + 1], line_sha[AUDIT_HASH_HEX + 1];
        uint8_t d256[MEASURE_SHA256_LEN], d384[MEASURE_SHA384_LEN];
        const char *name = measure_op_name(op), *why = NULL;
        uint64_t seq, n;
        int len, r;

        if (!m || !m->log || !audit || !name)
                return -EINVAL;
        /* The head the event names must be on disk before the register says so. */
        if (op != MEASURE_OP_STOP) {
                r = audit_flush(audit);
                if (r >= 0)
                        r = audit_sync(audit, true);
                if (r < 0)
                        return fail(m, r, false, "the audit log could not be synced: %s",
                                    strerror(-r));
        }
        audit_head(audit, &seq, head);
        len = measure_content(op, info, policy, mode, seq, head, content, sizeof(content));
        if (len < 0)
                return fail(m, len, false, "the %s event could not be built", name);
        len = measure_text(MEASURE_DOMAIN, name, content, text, sizeof(text));
        if (len < 0)
                return fail(m, len, false, "the %s event could not be built", name);
        if ((r = measure_digest(MEASURE_ALG_SHA256, text, (size_t)len, d256)) < 0 ||
            (r = measure_digest(MEASURE_ALG_SHA384, text, (size_t)len, d384)) < 0)
                return fail(m, r, false, "the %s event could not be digested", name);

        r = m->ext.extend(m->ext.ctx,
                          &(struct measure_extend_args){ .domain = MEASURE_DOMAIN,
                                                         .operation = name, .content = content,
                                                         .sha256 = d256, .sha384 = d384 },
                          &why);
        if (r < 0)
                return fail(m, r, true, "extending %s with the %s event failed: %s", m->ext.name,
                            name, why ? why : strerror(-r));
        n = measure_log_next(m->log);
        r = measure_log_append(m->log, m->ext.name, name, content, line_sha);
        if (r < 0)
                return fail(m, r, true, "%s was extended with the %s event, but the event log "
                            "could not be written: %s", m->ext.name, name, strerror(-r));
        m->n_events++;
        m->measured_head = true;
        m->measured_seq = seq;
        m->last_ns = now_ms();
        if (op == MEASURE_OP_STOP)
                return 0;
        r = audit_measure(audit, &(struct audit_measure_event){ .n = n, .operation = name,
                                                                 .reg = m->ext.name,
                                                                 .event_sha256 = line_sha });
        if (r < 0)
                return fail(m, r, false, "the measure record of event %" PRIu64
                            " could not be written: %s", n, strerror(-r));
        return 0;
}

int measure_tick(struct measurer *m, struct audit_log *audit)
{
        uint64_t seq;
        char head[AUDIT_HASH_HEX + 1];
        bool due;
        int r;

        if (!m || !m->log || !audit)
                return -EINVAL;
        audit_head(audit, &seq, head);
        /* The measure record of the last event is the only record since: nothing new. */
        if (m->measured_head && seq <= m->measured_seq + 1)
                return 0;
        switch (m->every) {
        case MEASURE_EVERY_RECORDS:
                due = !m->measured_head || seq - m->measured_seq >= m->every_n + 1;
                break;
        case MEASURE_EVERY_MS:
                due = now_ms() - m->last_ns >= m->every_n;
                break;
        default:
                due = false;
                break;
        }
        if (!due)
                return 0;
        r = measure_event(m, audit, MEASURE_OP_AUDIT_HEAD, NULL, NULL, NULL);
        return r < 0 ? r : 1;
}
