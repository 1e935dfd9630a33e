/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading audit logs back: bounded line reading, chain order of rotated files,
 * and verification of the hash chain. Used by the CLI and tests, not by the
 * request path, so jansson's allocations are fine here.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#define AUDIT_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* Room for one whole longest line plus what follows it in the same read. */
#define READER_BUF (2u * AUDIT_LINE_MAX)

struct audit_reader {
        int fd;
        unsigned long line;
        size_t start, end;
        bool eof;
        char buf[READER_BUF];
};

int audit_reader_open(const char *path, struct audit_reader **ret)
{
        struct audit_reader *r;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        r = malloc(sizeof(*r));
        if (!r) {
                safe_close(fd);
                return -ENOMEM;
        }
        r->fd = fd;
        r->line = 0;
        r->start = r->end = 0;
        r->eof = false;
        *ret = r;
        return 0;
}

struct audit_reader *audit_reader_free(struct audit_reader *r)
{
        if (r) {
                safe_close(r->fd);
                free(r);
        }
        return NULL;
}

int audit_reader_next(struct audit_reader *r, const char **ret_line, size_t *ret_len,
                      unsigned long *ret_lineno)
{
        for (;;) {
                char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
                size_t have = r->end - r->start;
                ssize_t n;

                if (nl) {
                        *ret_line = r->buf + r->start;
                        *ret_len = (size_t)(nl - (r->buf + r->start));
                        *ret_lineno = ++r->line;
                        r->start += *ret_len + 1;
                        return *ret_len + 1 > AUDIT_LINE_MAX ? -E2BIG : 1;
                }
                if (have > AUDIT_LINE_MAX) {
                        *ret_lineno = r->line + 1;
                        return -E2BIG;
                }
                if (r->eof) {
                        if (have == 0)
                                return 0;
                        *ret_line = r->buf + r->start;
                        *ret_len = have;
                        *ret_lineno = ++r->line;
                        r->start = r->end;
                        return -EBADMSG;
                }
                memmove(r->buf, r->buf + r->start, have);
                r->start = 0;
                r->end = have;
                n = read(r->fd, r->buf + r->end, sizeof(r->buf) - r->end);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        r->eof = true;
                r->end += (size_t)n;
        }
}

static void problem_set(struct audit_problem *p, const char *file, unsigned long line,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void problem_set(struct audit_problem *p, const char *file, unsigned long line,
                        const char *fmt, ...)
{
        va_list ap;

        p->file = file;
        p->line = line;
        va_start(ap, fmt);
        vsnprintf(p->message, sizeof(p->message), fmt, ap);
        va_end(ap);
}

static const char *const record_types[] = { "genesis", "start", "decision", "stop" };

int audit_record_parse(const char *line, size_t len, struct json_t **ret, struct audit_record *rec,
                       char *why, size_t why_len)
{
        json_error_t jerr;
        json_t *j, *v, *seq, *type, *prev;
        const char *t = NULL;

        j = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
        if (!j) {
                snprintf(why, why_len, "not JSON: %s (column %d)", jerr.text, jerr.column);
                return -EBADMSG;
        }
        v = json_object_get(j, "v");
        seq = json_object_get(j, "seq");
        type = json_object_get(j, "type");
        prev = json_object_get(j, "prev");
        if (!json_is_object(j))
                snprintf(why, why_len, "not an audit record: not a JSON object");
        else if (!json_is_integer(v) || json_integer_value(v) != 1)
                snprintf(why, why_len, "not an audit record: \"v\" is not 1");
        else if (!json_is_integer(seq) || json_integer_value(seq) < 0)
                snprintf(why, why_len, "not an audit record: no \"seq\"");
        else if (!json_is_string(type))
                snprintf(why, why_len, "not an audit record: no \"type\"");
        else if (!json_is_string(prev) || json_string_length(prev) != AUDIT_HASH_HEX ||
                 strspn(json_string_value(prev), "0123456789abcdef") != AUDIT_HASH_HEX)
                snprintf(why, why_len, "not an audit record: \"prev\" is not a SHA-256");
        else {
                for (size_t i = 0; i < ELEMENTSOF(record_types); i++)
                        if (strcmp(json_string_value(type), record_types[i]) == 0)
                                t = record_types[i];
                if (!t)
                        snprintf(why, why_len, "not an audit record: unknown type \"%s\"",
                                 json_string_value(type));
        }
        if (!t) {
                json_decref(j);
                return -EBADMSG;
        }
        *rec = (struct audit_record){
                .seq = (uint64_t)json_integer_value(seq),
                .type = t,
        };
        memcpy(rec->prev, json_string_value(prev), sizeof(rec->prev));
        *ret = j;
        return 0;
}

/* Read the first record of a file: its seq, or that the file is empty. */
static int first_seq(const char *path, uint64_t *ret, bool *ret_empty, struct audit_problem *p)
{
        _cleanup_(audit_reader_freep) struct audit_reader *r = NULL;
        struct audit_record rec;
        const char *line;
        unsigned long lineno = 1;
        char why[256];
        size_t len;
        json_t *j;
        int k;

        k = audit_reader_open(path, &r);
        if (k < 0) {
                problem_set(p, path, 0, "cannot open: %s", strerror(-k));
                return k;
        }
        k = audit_reader_next(r, &line, &len, &lineno);
        if (k == 0) {
                *ret_empty = true;
                *ret = UINT64_MAX;
                return 0;
        }
        if (k == -E2BIG || k == -EBADMSG) {
                problem_set(p, path, lineno, "%s", k == -E2BIG ? "line too long to be a record"
                                                               : "cut: the line has no newline");
                return -EBADMSG;
        }
        if (k < 0) {
                problem_set(p, path, lineno, "cannot read: %s", strerror(-k));
                return k;
        }
        if (audit_record_parse(line, len, &j, &rec, why, sizeof(why)) < 0) {
                problem_set(p, path, lineno, "%s", why);
                return -EBADMSG;
        }
        json_decref(j);
        *ret_empty = false;
        *ret = rec.seq;
        return 0;
}

int audit_files_order(char *const *paths, size_t n_paths, size_t *order,
                      struct audit_problem *problem)
{
        _cleanup_free_ uint64_t *seqs = NULL;
        int r;

        seqs = calloc(n_paths ? n_paths : 1, sizeof(*seqs));
        if (!seqs)
                return -ENOMEM;
        for (size_t i = 0; i < n_paths; i++) {
                bool empty;

                r = first_seq(paths[i], &seqs[i], &empty, problem);
                if (r < 0)
                        return r;
                order[i] = i;
        }
        /* Insertion sort: a handful of files, and stable for the empty ones. */
        for (size_t i = 1; i < n_paths; i++) {
                size_t k = order[i], j = i;

                while (j > 0 && seqs[order[j - 1]] > seqs[k]) {
                        order[j] = order[j - 1];
                        j--;
                }
                order[j] = k;
        }
        for (size_t i = 1; i < n_paths; i++)
                if (seqs[order[i]] != UINT64_MAX && seqs[order[i]] == seqs[order[i - 1]]) {
                        problem_set(problem, paths[order[i]], 1,
                                    "starts at seq %" PRIu64 " like %s: the same records twice",
                                    seqs[order[i]], paths[order[i - 1]]);
                        return -EBADMSG;
                }
        return 0;
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
