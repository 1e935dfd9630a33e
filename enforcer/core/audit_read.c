/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading audit logs back: bounded line reading, one record parsed, the chain
 * order of rotated files, RFC 3339 times. Used by the CLI, the verifier and
 * tests, not by the request path, so jansson's allocations are fine here.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit_read.h"

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

void audit_problem_set(struct audit_problem *p, const char *file, unsigned long line,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

void audit_problem_set(struct audit_problem *p, const char *file, unsigned long line,
                        const char *fmt, ...)
{
        va_list ap;

        p->file = file;
        p->line = line;
        va_start(ap, fmt);
        vsnprintf(p->message, sizeof(p->message), fmt, ap);
        va_end(ap);
}

static const char *const record_types[] = { "genesis", "start", "decision", "outcome", "measure",
                                              "stop" };

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
                audit_problem_set(p, path, 0, "cannot open: %s", strerror(-k));
                return k;
        }
        k = audit_reader_next(r, &line, &len, &lineno);
        if (k == 0) {
                *ret_empty = true;
                *ret = UINT64_MAX;
                return 0;
        }
        if (k == -E2BIG || k == -EBADMSG) {
                audit_problem_set(p, path, lineno, "%s", k == -E2BIG ? "line too long to be a record"
                                                               : "cut: the line has no newline");
                return -EBADMSG;
        }
        if (k < 0) {
                audit_problem_set(p, path, lineno, "cannot read: %s", strerror(-k));
                return k;
        }
        if (audit_record_parse(line, len, &j, &rec, why, sizeof(why)) < 0) {
                audit_problem_set(p, path, lineno, "%s", why);
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
                        audit_problem_set(problem, paths[order[i]], 1,
                                    "starts at seq %" PRIu64 " like %s: the same records twice",
                                    seqs[order[i]], paths[order[i - 1]]);
                        return -EBADMSG;
                }
        return 0;
}

/* ---- Times ---- */
static bool parse_digits(const char **s, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                if ((*s)[i] < '0' || (*s)[i] > '9')
                        return false;
                v = v * 10 + ((*s)[i] - '0');
        }
        *s += n;
        *ret = v;
        return true;
}

static int days_in_month(int y, int m)
{
        static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

        return m == 2 && leap ? 29 : days[m - 1];
}

int audit_parse_time(const char *s, struct timespec *ret)
{
        struct tm tm = { 0 };
        int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
        long nsec = 0;
        time_t t;

        if (!s || !parse_digits(&s, 4, &y) || *s++ != '-' || !parse_digits(&s, 2, &mo) ||
            *s++ != '-' || !parse_digits(&s, 2, &d))
                return -EINVAL;
        if (*s) {
                if (*s != 'T' && *s != 't' && *s != ' ')
                        return -EINVAL;
                s++;
                if (!parse_digits(&s, 2, &h) || *s++ != ':' || !parse_digits(&s, 2, &mi) ||
                    *s++ != ':' || !parse_digits(&s, 2, &sec))
                        return -EINVAL;
                if (*s == '.') {
                        int digits = 0;

                        s++;
                        while (*s >= '0' && *s <= '9') {
                                if (++digits > 9)
                                        return -EINVAL;
                                nsec = nsec * 10 + (*s++ - '0');
                        }
                        if (digits == 0)
                                return -EINVAL;
                        for (; digits < 9; digits++)
                                nsec *= 10;
                }
                if (*s == 'Z' || *s == 'z')
                        s++;
                else if (*s == '+' || *s == '-') {
                        sign = *s++ == '+' ? 1 : -1;
                        if (!parse_digits(&s, 2, &oh) || *s++ != ':' || !parse_digits(&s, 2, &om) ||
                            oh > 23 || om > 59)
                                return -EINVAL;
                } else
                        return -EINVAL;
                if (*s)
                        return -EINVAL;
        }
        if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
                return -EINVAL;
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        t = timegm(&tm);
        if (t == (time_t)-1)
                return -EINVAL;
        t -= (time_t)sign * (oh * 3600 + om * 60);
        *ret = (struct timespec){ .tv_sec = t, .tv_nsec = nsec };
        return 0;
}
