/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Verifying an audit log: the hash chain across rotated files, seq by seq,
 * naming the first record that was edited, removed, reordered or cut.
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
};

static int chain_step(struct chain *c, const char *file, unsigned long lineno, const char *line,
                      size_t len, struct audit_problem *p)
{
        struct audit_record rec;
        char why[256], hash[AUDIT_HASH_HEX + 1];
        json_t *j;
        int r;

        if (audit_record_parse(line, len, &j, &rec, why, sizeof(why)) < 0) {
                problem_set(p, file, lineno, "%s", why);
                return -EBADMSG;
        }
        json_decref(j);
        r = 0;
        if ((rec.seq == 0) != (strcmp(rec.type, "genesis") == 0)) {
                problem_set(p, file, lineno, "%s record with seq %" PRIu64
                            ": only seq 0 is a genesis record", rec.type, rec.seq);
                r = -EBADMSG;
        } else if (!c->started) {
                if (rec.seq != 0 && !c->o->partial) {
                        problem_set(p, file, lineno,
                                    "the chain starts at seq %" PRIu64 ", not at its genesis "
                                    "record: earlier files are missing or the start was cut "
                                    "(--partial verifies a tail)", rec.seq);
                        r = -EBADMSG;
                }
        } else if (rec.seq != c->expected && strcmp(rec.prev, c->head) == 0) {
                /* It links to the record before it: nothing is missing, its seq was changed. */
                problem_set(p, file, lineno,
                            "seq %" PRIu64 " where %" PRIu64 " was expected, but \"prev\" links "
                            "it to the record before: its seq was changed", rec.seq, c->expected);
                r = -EBADMSG;
        } else if (rec.seq > c->expected) {
                problem_set(p, file, lineno,
                            "seq %" PRIu64 " where %" PRIu64 " was expected: %" PRIu64
                            " record(s) before this one were removed or moved",
                            rec.seq, c->expected, rec.seq - c->expected);
                r = -EBADMSG;
        } else if (rec.seq < c->expected) {
                problem_set(p, file, lineno,
                            "seq %" PRIu64 " where %" PRIu64 " was expected: records were "
                            "reordered or repeated", rec.seq, c->expected);
                r = -EBADMSG;
        }
        if (r == 0 && c->started && strcmp(rec.prev, c->head) != 0) {
                /* The seqs run on, so the previous line is not what was hashed. */
                problem_set(p, c->head_file, c->head_line,
                            "record seq %" PRIu64 " was changed after it was written: its hash "
                            "does not match \"prev\" of the next record (%s:%lu)",
                            c->expected - 1, file, lineno);
                r = -EBADMSG;
        }
        if (r == 0 && rec.seq == 0 && strcmp(rec.prev, AUDIT_ZERO_HASH) != 0) {
                problem_set(p, file, lineno, "the genesis record's \"prev\" is not all zeros");
                r = -EBADMSG;
        }
        if (r < 0)
                return r;

        r = audit_sha256_hex(line, len, hash);
        if (r < 0) {
                problem_set(p, file, lineno, "cannot hash: %s", strerror(-r));
                return r;
        }
        if (c->o->have_anchor && rec.seq == c->o->anchor_seq) {
                if (strcmp(hash, c->o->anchor_hash) != 0) {
                        problem_set(p, file, lineno,
                                    "record seq %" PRIu64 " does not match the anchor: it, or "
                                    "the records before it, were rewritten", rec.seq);
                        return -EBADMSG;
                }
                c->anchor_seen = true;
        }
        if (!c->started) {
                c->report->first_seq = rec.seq;
                c->report->from_genesis = rec.seq == 0;
                c->started = true;
        }
        c->report->n_records++;
        c->report->last_seq = rec.seq;
        c->report->clean_stop = strcmp(rec.type, "stop") == 0;
        c->expected = rec.seq + 1;
        memcpy(c->head, hash, sizeof(hash));
        c->head_file = file;
        c->head_line = lineno;
        return 0;
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
                problem_set(p, path, 0, "cannot open: %s", strerror(-k));
                return k;
        }
        for (;;) {
                k = audit_reader_next(r, &line, &len, &lineno);
                if (k == 0)
                        return 0;
                if (k == -EBADMSG) {
                        problem_set(p, path, lineno, "cut: the last line has no newline "
                                    "(truncated mid-record)");
                        return k;
                }
                if (k == -E2BIG) {
                        problem_set(p, path, lineno, "line too long to be a record");
                        return -EBADMSG;
                }
                if (k < 0) {
                        problem_set(p, path, lineno, "cannot read: %s", strerror(-k));
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
        struct chain c = { .o = o ? o : &defaults, .report = &report };
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
                problem_set(problem, paths[0], 0, "no records");
                return -EBADMSG;
        }
        if (c.o->closed && !report.clean_stop) {
                problem_set(problem, c.head_file, c.head_line,
                            "the log ends at seq %" PRIu64 ", which is not a stop record: "
                            "records were cut off the end, or ccgate did not close the log "
                            "(it is running, or was killed)", report.last_seq);
                return -EBADMSG;
        }
        if (c.o->have_anchor && !c.anchor_seen) {
                problem_set(problem, c.head_file, c.head_line,
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
