/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Audit log verification (`ccgate audit verify`) on hostile files: the bounded
 * line reader, record parsing, chain order of rotated files and the hash chain.
 * audit_verify() takes paths, so the files are memfds named by /proc/self/fd.
 *
 * Input: byte 0 holds the options (bit 0 --partial, bit 1 --closed); the rest
 * is split into up to MAX_FILES files at each "\x1e\n" (record separator and
 * newline: not part of any record, since records are JSON on one line).
 *
 * Oracles: failures are -EBADMSG with a message; a chain that verifies is
 * contiguous (last - first + 1 records), starts at the genesis unless
 * --partial, ends with a stop record under --closed, is linked line by line
 * by SHA-256 when checked again independently, has each outcome record
 * follow up a forwarded decision of its run on the same conn:stream once
 * (checked again too), and verifies again against an anchor on its own head. Each line of the first file also goes
 * through audit_record_parse() and, where it has one, its time through
 * audit_parse_time() (the `audit show` filters).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "fuzz.h"

#define MAX_FILES 4u
#define SEPARATOR "\x1e\n"
#define MAX_LINES 256u

struct files {
        int fd[MAX_FILES];
        char path[MAX_FILES][64];
        char *paths[MAX_FILES];
        size_t n;
};

static void files_add(struct files *f, const uint8_t *p, size_t len)
{
        int fd = memfd_create("audit", MFD_CLOEXEC);

        if (fd < 0)
                fuzz_die("memfd_create", errno);
        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n <= 0)
                        fuzz_die("write memfd", n < 0 ? errno : EIO);
                p += n;
                len -= (size_t)n;
        }
        f->fd[f->n] = fd;
        snprintf(f->path[f->n], sizeof(f->path[f->n]), "/proc/self/fd/%d", fd);
        f->paths[f->n] = f->path[f->n];
        f->n++;
}

static void files_close(struct files *f)
{
        for (size_t i = 0; i < f->n; i++)
                close(f->fd[i]);
        f->n = 0;
}

static bool is_hex64(const char *s)
{
        return strlen(s) == AUDIT_HASH_HEX && strspn(s, "0123456789abcdef") == AUDIT_HASH_HEX;
}

/* Read the first file line by line as `audit show` does. */
static void read_lines(const char *path)
{
        _cleanup_(audit_reader_freep) struct audit_reader *r = NULL;
        unsigned long lineno, last = 0;
        const char *line;
        size_t len;
        int k;

        FUZZ_CHECK(audit_reader_open(path, &r) == 0);
        for (unsigned i = 0; i < MAX_LINES; i++) {
                struct audit_record rec;
                struct timespec ts;
                char why[256];
                json_t *j, *t;

                k = audit_reader_next(r, &line, &len, &lineno);
                FUZZ_CHECK(k == 1 || k == 0 || k == -EBADMSG || k == -E2BIG);
                if (k == 0 || k == -E2BIG)
                        break;
                FUZZ_CHECK(lineno == last + 1);
                last = lineno;
                FUZZ_CHECK(len <= AUDIT_LINE_MAX);
                FUZZ_CHECK(memchr(line, '\n', len) == NULL);
                if (audit_record_parse(line, len, &j, &rec, why, sizeof(why)) < 0) {
                        FUZZ_CHECK(strnlen(why, sizeof(why)) > 0);
                } else {
                        FUZZ_CHECK(is_hex64(rec.prev));
                        FUZZ_CHECK(rec.type != NULL);
                        t = json_object_get(j, "time");
                        if (json_is_string(t) && audit_parse_time(json_string_value(t), &ts) == 0)
                                FUZZ_CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
                        json_decref(j);
                }
                if (k == -EBADMSG)
                        break; /* a cut last line: nothing follows */
        }
}

/* Forwarded decisions of the current run, for the outcome records that follow them up. */
#define MAX_FORWARDED 1024u

struct forwarded {
        uint64_t seq[MAX_FORWARDED];
        json_int_t conn[MAX_FORWARDED], stream[MAX_FORWARDED];
        bool answered[MAX_FORWARDED];
        size_t n;
        bool overflow; /* more than fit: outcomes are not checked again */
};

static void follow_up_check(struct forwarded *fw, const json_t *j, const struct audit_record *rec,
                            const struct audit_verify_report *rep)
{
        json_int_t conn = json_integer_value(json_object_get(j, "conn"));
        json_int_t stream = json_integer_value(json_object_get(j, "stream"));

        if (strcmp(rec->type, "genesis") == 0 || strcmp(rec->type, "start") == 0) {
                fw->n = 0;
                fw->overflow = false;
        } else if (strcmp(rec->type, "decision") == 0 &&
                   json_is_true(json_object_get(j, "forwarded"))) {
                if (fw->n == MAX_FORWARDED) {
                        fw->overflow = true;
                        return;
                }
                fw->seq[fw->n] = rec->seq;
                fw->conn[fw->n] = conn;
                fw->stream[fw->n] = stream;
                fw->answered[fw->n++] = false;
        } else if (strcmp(rec->type, "outcome") == 0 && !fw->overflow) {
                const json_t *ds = json_object_get(j, "decision_seq");
                size_t i;

                FUZZ_CHECK(json_is_integer(ds) && json_integer_value(ds) >= 0 &&
                           (uint64_t)json_integer_value(ds) < rec->seq);
                if ((uint64_t)json_integer_value(ds) < rep->first_seq)
                        return; /* --partial: its decision is not in these files */
                for (i = 0; i < fw->n; i++)
                        if (fw->seq[i] == (uint64_t)json_integer_value(ds))
                                break;
                FUZZ_CHECK(i < fw->n && !fw->answered[i]);
                FUZZ_CHECK(fw->conn[i] == conn && fw->stream[i] == stream);
                fw->answered[i] = true;
        }
}

/*
 * What verification accepted, checked again independently: in chain order, every
 * line is a record whose "prev" is the SHA-256 of the line before and whose seq
 * follows it, the last line hashes to the reported head, and each outcome
 * follows up its decision.
 */
static void check_chain(struct files *f, const struct audit_verify_report *rep)
{
        size_t order[MAX_FILES];
        struct audit_problem prob;
        char prev[AUDIT_HASH_HEX + 1] = "";
        uint64_t n = 0, seq = 0;
        static struct forwarded fw;

        fw.n = 0;
        fw.overflow = false;

        FUZZ_CHECK(audit_files_order(f->paths, f->n, order, &prob) == 0);
        for (size_t i = 0; i < f->n; i++) {
                _cleanup_(audit_reader_freep) struct audit_reader *r = NULL;
                unsigned long lineno;
                const char *line;
                size_t len;
                int k;

                FUZZ_CHECK(audit_reader_open(f->paths[order[i]], &r) == 0);
                while ((k = audit_reader_next(r, &line, &len, &lineno)) == 1) {
                        struct audit_record rec;
                        char why[256];
                        json_t *j;

                        FUZZ_CHECK(audit_record_parse(line, len, &j, &rec, why, sizeof(why)) == 0);
                        follow_up_check(&fw, j, &rec, rep);
                        json_decref(j);
                        if (n == 0) {
                                FUZZ_CHECK(rec.seq == rep->first_seq);
                                if (rec.seq == 0)
                                        FUZZ_CHECK(strspn(rec.prev, "0") == AUDIT_HASH_HEX);
                        } else {
                                FUZZ_CHECK(rec.seq == seq + 1);
                                FUZZ_CHECK(strcmp(rec.prev, prev) == 0);
                        }
                        FUZZ_CHECK((rec.seq == 0) == (strcmp(rec.type, "genesis") == 0));
                        seq = rec.seq;
                        FUZZ_CHECK(audit_sha256_hex(line, len, prev) == 0);
                        n++;
                }
                FUZZ_CHECK(k == 0);
        }
        FUZZ_CHECK(n == rep->n_records);
        FUZZ_CHECK(seq == rep->last_seq);
        FUZZ_CHECK(strcmp(prev, rep->head) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct audit_verify_options o = { 0 };
        struct audit_verify_report rep, again;
        struct audit_problem prob;
        struct files f = { .n = 0 };
        const uint8_t *p, *end;
        int r;

        if (size < 1)
                return 0;
        o.partial = data[0] & 1u;
        o.closed = data[0] & 2u;

        p = data + 1;
        end = data + size;
        while (f.n < MAX_FILES - 1) {
                const uint8_t *sep = memmem(p, (size_t)(end - p), SEPARATOR, 2);

                if (!sep)
                        break;
                files_add(&f, p, (size_t)(sep - p));
                p = sep + 2;
        }
        files_add(&f, p, (size_t)(end - p));

        read_lines(f.paths[0]);

        r = audit_verify(f.paths, f.n, &o, &rep, &prob);
        FUZZ_CHECK(r == 0 || r == -EBADMSG);
        if (r < 0) {
                FUZZ_CHECK(strnlen(prob.message, sizeof(prob.message)) > 0);
                FUZZ_CHECK(prob.file != NULL);
                files_close(&f);
                return 0;
        }

        FUZZ_CHECK(rep.n_records > 0);
        FUZZ_CHECK(rep.n_files >= 1 && rep.n_files <= f.n);
        FUZZ_CHECK(rep.first_seq <= rep.last_seq);
        FUZZ_CHECK(rep.last_seq - rep.first_seq == rep.n_records - 1);
        FUZZ_CHECK(rep.from_genesis == (rep.first_seq == 0));
        FUZZ_CHECK(o.partial || rep.from_genesis);
        FUZZ_CHECK(!o.closed || rep.clean_stop);
        FUZZ_CHECK(is_hex64(rep.head));
        check_chain(&f, &rep);

        /* The head it reports is an anchor the same files must satisfy. */
        o.have_anchor = true;
        o.anchor_seq = rep.last_seq;
        memcpy(o.anchor_hash, rep.head, sizeof(o.anchor_hash));
        r = audit_verify(f.paths, f.n, &o, &again, &prob);
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(again.n_records == rep.n_records && again.last_seq == rep.last_seq);
        FUZZ_CHECK(memcmp(again.head, rep.head, sizeof(rep.head)) == 0);

        /* ... and an anchor past the end says records were cut off. */
        o.anchor_seq = rep.last_seq + 1;
        if (o.anchor_seq != 0)
                FUZZ_CHECK(audit_verify(f.paths, f.n, &o, &again, &prob) == -EBADMSG);

        files_close(&f);
        return 0;
}
