/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Verifying an audit log: the hash chain across rotated files, seq by seq,
 * naming the first record that was edited, removed, reordered or cut; and
 * that each outcome record follows up a forwarded decision of the same run,
 * connection and stream, once.
 */
#include "audit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit_read.h"

#define AUDIT_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/*
 * The forwarded decisions of the current run that have no outcome record yet,
 * by seq: open addressing, grown as needed (its size is what is in flight, plus
 * what a log written before outcome records existed forwarded in one run).
 */
struct open_decision {
        uint64_t seq; /* +1: 0 is an empty slot */
        int64_t conn, stream;
        bool gone;    /* its outcome came: a tombstone */
};

struct open_set {
        struct open_decision *slot;
        size_t cap;  /* a power of two */
        size_t used; /* live and tombstones */
        size_t live;
};

static size_t open_home(const struct open_set *o, uint64_t seq)
{
        return (size_t)((seq * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (o->cap - 1);
}

static struct open_decision *open_find(struct open_set *o, uint64_t seq)
{
        if (o->cap == 0)
                return NULL;
        for (size_t i = open_home(o, seq), k = 0; k < o->cap; i = (i + 1) & (o->cap - 1), k++) {
                if (o->slot[i].seq == 0)
                        return NULL;
                if (o->slot[i].seq == seq + 1 && !o->slot[i].gone)
                        return &o->slot[i];
        }
        return NULL;
}

static int open_add(struct open_set *o, uint64_t seq, int64_t conn, int64_t stream)
{
        size_t i;

        if (2 * (o->used + 1) > o->cap) {
                /* Rebuilt without the tombstones, sized for what is live. */
                struct open_set bigger = { .cap = 1024 };

                while (bigger.cap < 4 * (o->live + 1))
                        bigger.cap *= 2;
                bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
                if (!bigger.slot)
                        return -ENOMEM;
                for (size_t k = 0; k < o->cap; k++)
                        if (o->slot[k].seq != 0 && !o->slot[k].gone)
                                (void)open_add(&bigger, o->slot[k].seq - 1, o->slot[k].conn,
                                               o->slot[k].stream);
                free(o->slot);
                *o = bigger;
        }
        for (i = open_home(o, seq); o->slot[i].seq != 0; i = (i + 1) & (o->cap - 1))
                ;
        o->slot[i] = (struct open_decision){ .seq = seq + 1, .conn = conn, .stream = stream };
        o->used++;
        o->live++;
        return 0;
}

static void open_clear(struct open_set *o)
{
        if (o->cap)
                memset(o->slot, 0, o->cap * sizeof(*o->slot));
        o->used = o->live = 0;
}

/* The chain so far, while reading. */
struct chain {
        const struct audit_verify_options *o;
        struct audit_verify_report *report;
        bool started;
        uint64_t expected;
        char head[AUDIT_HASH_HEX + 1];
        const char *head_file;
        unsigned long head_line;
        bool anchor_seen;
        struct open_set open; /* forwarded decisions awaiting their outcome */
};

static int64_t int_of(const json_t *j, const char *key, bool *ok)
{
        const json_t *v = json_object_get(j, key);

        if (!json_is_integer(v))
                *ok = false;
        return json_integer_value(v);
}

/*
 * What the records say about each other: an outcome follows up a forwarded
 * decision of this run on the same connection and stream, once. A run's
 * connection ids start again after a restart, so the set starts again too.
 */
static int follow_up(struct chain *c, const char *file, unsigned long lineno, const json_t *j,
                     const struct audit_record *rec, struct audit_problem *p)
{
        struct open_decision *d;
        int64_t conn, stream, ds;
        bool ok = true;

        if (strcmp(rec->type, "genesis") == 0 || strcmp(rec->type, "start") == 0) {
                open_clear(&c->open);
                return 0;
        }
        if (strcmp(rec->type, "decision") == 0) {
                if (!json_is_true(json_object_get(j, "forwarded")))
                        return 0;
                conn = int_of(j, "conn", &ok);
                stream = int_of(j, "stream", &ok);
                if (!ok) {
                        audit_problem_set(p, file, lineno, "decision record without conn and stream");
                        return -EBADMSG;
                }
                return open_add(&c->open, rec->seq, conn, stream);
        }
        if (strcmp(rec->type, "outcome") != 0)
                return 0;
        conn = int_of(j, "conn", &ok);
        stream = int_of(j, "stream", &ok);
        ds = int_of(j, "decision_seq", &ok);
        if (!ok || ds < 0) {
                audit_problem_set(p, file, lineno, "outcome record without conn, stream and decision_seq");
                return -EBADMSG;
        }
        if ((uint64_t)ds >= rec->seq) {
                audit_problem_set(p, file, lineno, "outcome record seq %" PRIu64 " follows up decision "
                            "seq %" PRId64 ", which is not before it", rec->seq, ds);
                return -EBADMSG;
        }
        if (!c->report->from_genesis && (uint64_t)ds < c->report->first_seq)
                return 0; /* --partial: its decision is in a file not given */
        d = open_find(&c->open, (uint64_t)ds);
        if (!d) {
                audit_problem_set(p, file, lineno, "outcome record seq %" PRIu64 " follows up decision "
                            "seq %" PRId64 ", which is not a forwarded decision of this run "
                            "awaiting its outcome", rec->seq, ds);
                return -EBADMSG;
        }
        if (d->conn != conn || d->stream != stream) {
                audit_problem_set(p, file, lineno, "outcome record seq %" PRIu64 " is for conn %" PRId64
                            " stream %" PRId64 ", but decision seq %" PRId64 " was conn %" PRId64
                            " stream %" PRId64, rec->seq, conn, stream, ds, d->conn, d->stream);
                return -EBADMSG;
        }
        d->gone = true;
        c->open.live--;
        return 0;
}

static int chain_step(struct chain *c, const char *file, unsigned long lineno, const char *line,
                      size_t len, struct audit_problem *p)
{
        struct audit_record rec;
        char why[256], hash[AUDIT_HASH_HEX + 1];
        json_t *j;
        int r;

        if (audit_record_parse(line, len, &j, &rec, why, sizeof(why)) < 0) {
                audit_problem_set(p, file, lineno, "%s", why);
                return -EBADMSG;
        }
        r = 0;
        if ((rec.seq == 0) != (strcmp(rec.type, "genesis") == 0)) {
                audit_problem_set(p, file, lineno, "%s record with seq %" PRIu64
                            ": only seq 0 is a genesis record", rec.type, rec.seq);
                r = -EBADMSG;
        } else if (!c->started) {
                if (rec.seq != 0 && !c->o->partial) {
                        audit_problem_set(p, file, lineno,
                                    "the chain starts at seq %" PRIu64 ", not at its genesis "
                                    "record: earlier files are missing or the start was cut "
                                    "(--partial verifies a tail)", rec.seq);
                        r = -EBADMSG;
                }
        } else if (rec.seq != c->expected && strcmp(rec.prev, c->head) == 0) {
                /* It links to the record before it: nothing is missing, its seq was changed. */
                audit_problem_set(p, file, lineno,
                            "seq %" PRIu64 " where %" PRIu64 " was expected, but \"prev\" links "
                            "it to the record before: its seq was changed", rec.seq, c->expected);
                r = -EBADMSG;
        } else if (rec.seq > c->expected) {
                audit_problem_set(p, file, lineno,
                            "seq %" PRIu64 " where %" PRIu64 " was expected: %" PRIu64
                            " record(s) before this one were removed or moved",
                            rec.seq, c->expected, rec.seq - c->expected);
                r = -EBADMSG;
        } else if (rec.seq < c->expected) {
                audit_problem_set(p, file, lineno,
                            "seq %" PRIu64 " where %" PRIu64 " was expected: records were "
                            "reordered or repeated", rec.seq, c->expected);
                r = -EBADMSG;
        }
        if (r == 0 && c->started && strcmp(rec.prev, c->head) != 0) {
                /* The seqs run on, so the previous line is not what was hashed. */
                audit_problem_set(p, c->head_file, c->head_line,
                            "record seq %" PRIu64 " was changed after it was written: its hash "
                            "does not match \"prev\" of the next record (%s:%lu)",
                            c->expected - 1, file, lineno);
                r = -EBADMSG;
        }
        if (r == 0 && rec.seq == 0 && strcmp(rec.prev, AUDIT_ZERO_HASH) != 0) {
                audit_problem_set(p, file, lineno, "the genesis record's \"prev\" is not all zeros");
                r = -EBADMSG;
        }
        if (r == 0) {
                r = audit_sha256_hex(line, len, hash);
                if (r < 0)
                        audit_problem_set(p, file, lineno, "cannot hash: %s", strerror(-r));
        }
        if (r == 0 && c->o->have_anchor && rec.seq == c->o->anchor_seq) {
                if (strcmp(hash, c->o->anchor_hash) != 0) {
                        audit_problem_set(p, file, lineno,
                                    "record seq %" PRIu64 " does not match the anchor: it, or "
                                    "the records before it, were rewritten", rec.seq);
                        r = -EBADMSG;
                } else
                        c->anchor_seen = true;
        }
        if (r == 0 && !c->started) {
                c->report->first_seq = rec.seq;
                c->report->from_genesis = rec.seq == 0;
                c->started = true;
        }
        if (r == 0)
                r = follow_up(c, file, lineno, j, &rec, p);
        json_decref(j);
        if (r < 0)
                return r;
        c->report->n_records++;
        c->report->last_seq = rec.seq;
        c->report->clean_stop = strcmp(rec.type, "stop") == 0;
        c->expected = rec.seq + 1;
        memcpy(c->head, hash, sizeof(hash));
        c->head_file = file;
        c->head_line = lineno;
        return 0;
}

static void chain_done(struct chain *c)
{
        free(c->open.slot);
}

static int verify_file(struct chain *c, const char *path, struct audit_problem *p)
{
        _cleanup_(audit_reader_freep) struct audit_reader *r = NULL;
        unsigned long lineno = 0;
        const char *line;
        size_t len;
        int k;

        k = audit_reader_open(path, &r);
        if (k < 0) {
                audit_problem_set(p, path, 0, "cannot open: %s", strerror(-k));
                return k;
        }
        for (;;) {
                k = audit_reader_next(r, &line, &len, &lineno);
                if (k == 0)
                        return 0;
                if (k == -EBADMSG) {
                        audit_problem_set(p, path, lineno, "cut: the last line has no newline "
                                    "(truncated mid-record)");
                        return k;
                }
                if (k == -E2BIG) {
                        audit_problem_set(p, path, lineno, "line too long to be a record");
                        return -EBADMSG;
                }
                if (k < 0) {
                        audit_problem_set(p, path, lineno, "cannot read: %s", strerror(-k));
                        return k;
                }
                k = chain_step(c, path, lineno, line, len, p);
                if (k < 0)
                        return k;
        }
}

int audit_verify(char *const *paths, size_t n_paths, const struct audit_verify_options *o,
                 struct audit_verify_report *ret, struct audit_problem *problem)
{
        static const struct audit_verify_options defaults = { 0 };
        _cleanup_free_ size_t *order = NULL;
        struct audit_verify_report report = { 0 };
        _cleanup_(chain_done) struct chain c = { .o = o ? o : &defaults, .report = &report };
        int r;

        *problem = (struct audit_problem){ 0 };
        if (n_paths == 0)
                return -EINVAL;
        order = calloc(n_paths, sizeof(*order));
        if (!order)
                return -ENOMEM;
        r = audit_files_order(paths, n_paths, order, problem);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_paths; i++) {
                uint64_t before = report.n_records;

                r = verify_file(&c, paths[order[i]], problem);
                if (r < 0)
                        return r;
                if (report.n_records > before)
                        report.n_files++;
        }
        if (report.n_records == 0) {
                audit_problem_set(problem, paths[0], 0, "no records");
                return -EBADMSG;
        }
        if (c.o->closed && !report.clean_stop) {
                audit_problem_set(problem, c.head_file, c.head_line,
                            "the log ends at seq %" PRIu64 ", which is not a stop record: "
                            "records were cut off the end, or ccgate did not close the log "
                            "(it is running, or was killed)", report.last_seq);
                return -EBADMSG;
        }
        if (c.o->have_anchor && !c.anchor_seen) {
                audit_problem_set(problem, c.head_file, c.head_line,
                            c.o->anchor_seq > report.last_seq
                                    ? "the log ends at seq %" PRIu64 " but the anchor names a "
                                      "later record: records were removed from the end"
                                    : "the log starts after the anchor's record (seq %" PRIu64
                                      " is the last): give the older files too",
                            report.last_seq);
                return -EBADMSG;
        }
        memcpy(report.head, c.head, sizeof(report.head));
        *ret = report;
        return 0;
}
