/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit log: records and their fields, the hash chain and each kind of
 * tampering, rotation, restarts, and writes that fail (short writes, a full
 * and a read-only file system).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/fs.h>

#include "agent.pb-c.h"
#include "audit.h"
#include "sample.h"

/* json_decrefp() comes with jansson.h. */

/* ---- Files ---- */

struct tmp {
        char dir[64];
        char log[96];
};

static void tmp_make(struct tmp *t)
{
        const char *base = getenv("TMPDIR");

        snprintf(t->dir, sizeof(t->dir), "%s/audit-XXXXXX", base && strlen(base) < 40 ? base : "/tmp");
        assert_non_null(mkdtemp(t->dir));
        snprintf(t->log, sizeof(t->log), "%s/audit.log", t->dir);
}

static void tmp_remove(struct tmp *t)
{
        DIR *d = opendir(t->dir);
        struct dirent *de;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        (void)unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        (void)rmdir(t->dir);
}

static char *slurp(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "re");
        char *buf;
        long n;

        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        rewind(f);
        buf = malloc((size_t)n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        buf[n] = '\0';
        fclose(f);
        if (ret_len)
                *ret_len = (size_t)n;
        return buf;
}

static void spit(const char *path, const char *buf, size_t len)
{
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
}

/* Split a file into lines (newlines kept); returns the count. */
static size_t lines_of(char *buf, char **lines, size_t max)
{
        size_t n = 0;

        for (char *p = buf; *p && n < max;) {
                char *nl = strchr(p, '\n');

                lines[n++] = p;
                if (!nl)
                        break;
                p = nl + 1;
        }
        return n;
}

/* Write lines[order[0..n)] back, each up to and including its newline. */
static void spit_lines(const char *path, char **lines, size_t n_lines, const size_t *order, size_t n)
{
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        for (size_t i = 0; i < n; i++) {
                const char *l = lines[order[i]];
                const char *nl = order[i] + 1 < n_lines ? lines[order[i] + 1] : l + strlen(l);

                assert_int_equal(fwrite(l, 1, (size_t)(nl - l), f), (size_t)(nl - l));
        }
        assert_int_equal(fclose(f), 0);
}

static json_t *line_json(const char *line)
{
        const char *nl = strchr(line, '\n');
        json_error_t e;
        json_t *j = json_loadb(line, nl ? (size_t)(nl - line) : strlen(line), 0, &e);

        if (!j)
                fail_msg("not JSON: %s: %.200s", e.text, line);
        return j;
}

/* A log of one run: genesis, n samples, stop. */
static void write_log(const char *path, size_t n, uint64_t rotate)
{
        struct audit_options o = sample_options(path, rotate);
        struct audit_log *log = NULL;

        assert_int_equal(audit_open(&o, &log), 0);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(sample_append(log, i), 0);
        audit_close(log);
}

static int verify1(const char *path, const struct audit_verify_options *o,
                   struct audit_verify_report *rep, struct audit_problem *p)
{
        char *paths[] = { (char *)path };

        return audit_verify(paths, 1, o, rep, p);
}

/* ---- Records ---- */

static void test_records(void **state)
{
        struct tmp t;
        struct audit_verify_report rep;
        struct audit_problem p;
        char *lines[32], digest[AUDIT_HASH_HEX + 1];
        _cleanup_free_ char *buf = NULL;
        size_t n, len;

        (void)state;
        tmp_make(&t);
        write_log(t.log, sample_count(), 0);
        buf = slurp(t.log, &len);
        n = lines_of(buf, lines, 32);
        assert_int_equal(n, sample_count() + 2);
        assert_int_equal(buf[len - 1], '\n');

        /* Secrets of every kind (env, argv, cwd, stdin, file data, policy body) stay out. */
        assert_null(strstr(buf, SAMPLE_SECRET));

        for (size_t i = 0; i < n; i++) {
                _cleanup_(json_decrefp) json_t *j = line_json(lines[i]);
                const char *time = json_string_value(json_object_get(j, "time"));

                assert_int_equal(json_integer_value(json_object_get(j, "seq")), i);
                assert_int_equal(json_integer_value(json_object_get(j, "v")), 1);
                assert_non_null(time);
                assert_int_equal(strlen(time), 30);
                assert_int_equal(time[29], 'Z');
                assert_int_equal(time[19], '.');
                if (i > 0) {
                        /* prev is the SHA-256 of the line before, without its newline. */
                        assert_int_equal(audit_sha256_hex(lines[i - 1],
                                                          (size_t)(lines[i] - lines[i - 1]) - 1,
                                                          digest), 0);
                        assert_string_equal(json_string_value(json_object_get(j, "prev")), digest);
                }
        }

        {
                _cleanup_(json_decrefp) json_t *g = line_json(lines[0]);

                assert_string_equal(json_string_value(json_object_get(g, "type")), "genesis");
                assert_string_equal(json_string_value(json_object_get(g, "prev")),
                                    "0000000000000000000000000000000000000000000000000000000000000000");
                assert_string_equal(json_string_value(json_object_get(g, "policy")), SAMPLE_DIGEST);
                assert_string_equal(json_string_value(json_object_get(g, "tee")), "none");
                assert_string_equal(json_string_value(json_object_get(g, "hooks")),
                                    "cgroup_connect_unix");
                assert_non_null(json_string_value(json_object_get(g, "ccgate_version")));
        }
        {
                /* Sample 1: a denied exec; ids found by field name in the decoded request. */
                _cleanup_(json_decrefp) json_t *d = line_json(lines[2]);

                assert_string_equal(json_string_value(json_object_get(d, "type")), "decision");
                assert_string_equal(json_string_value(json_object_get(d, "request")),
                                    "ExecProcessRequest");
                assert_string_equal(json_string_value(json_object_get(d, "service")),
                                    "grpc.AgentService");
                assert_string_equal(json_string_value(json_object_get(d, "method")), "ExecProcess");
                assert_string_equal(json_string_value(json_object_get(d, "container_id")), "c0ffee");
                assert_string_equal(json_string_value(json_object_get(d, "exec_id")), "shell-7");
                assert_string_equal(json_string_value(json_object_get(d, "decision")), "deny");
                assert_true(json_is_false(json_object_get(d, "forwarded")));
                assert_string_equal(json_string_value(json_object_get(d, "mode")), "enforce");
                assert_string_equal(json_string_value(json_object_get(d, "rule")), "exec-not-listed");
                assert_string_equal(json_string_value(json_object_get(d, "reason")),
                                    "the command is not a listed probe");
                assert_string_equal(json_string_value(json_object_get(d, "policy")), SAMPLE_DIGEST);
                assert_int_equal(json_integer_value(json_object_get(d, "conn")), 1);
                assert_int_equal(json_integer_value(json_object_get(d, "stream")), 3);
                assert_null(json_object_get(d, "truncated"));
        }
        {
                /* Sample 4: audit mode forwards a would-deny; no container id in SetPolicy. */
                _cleanup_(json_decrefp) json_t *d = line_json(lines[5]);

                assert_string_equal(json_string_value(json_object_get(d, "mode")), "audit");
                assert_true(json_is_true(json_object_get(d, "forwarded")));
                assert_string_equal(json_string_value(json_object_get(d, "decision")), "deny");
                assert_true(json_is_null(json_object_get(d, "container_id")));
        }
        {
                /* Sample 5: unknown method, hostile bytes escaped, payload digested. */
                _cleanup_(json_decrefp) json_t *d = line_json(lines[6]);

                assert_true(json_is_null(json_object_get(d, "request")));
                assert_string_equal(json_string_value(json_object_get(d, "method")),
                                    "Exec\"Pro\ncess\x01\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xe2\x82\xac");
                assert_int_equal(audit_sha256_hex("\xff\xff" SAMPLE_SECRET, 9, digest), 0);
                assert_string_equal(json_string_value(json_object_get(d, "request_sha256")), digest);
                assert_int_equal(json_integer_value(json_object_get(d, "request_bytes")), 9);
        }
        {
                /* Sample 6: nothing decoded at all. */
                _cleanup_(json_decrefp) json_t *d = line_json(lines[7]);

                assert_true(json_is_null(json_object_get(d, "service")));
                assert_true(json_is_null(json_object_get(d, "method")));
                assert_true(json_is_null(json_object_get(d, "exec_id")));
                assert_int_equal(audit_sha256_hex("", 0, digest), 0);
                assert_string_equal(json_string_value(json_object_get(d, "request_sha256")), digest);
        }
        {
                _cleanup_(json_decrefp) json_t *s = line_json(lines[n - 1]);

                assert_string_equal(json_string_value(json_object_get(s, "type")), "stop");
        }

        assert_int_equal(verify1(t.log, NULL, &rep, &p), 0);
        assert_int_equal(rep.n_records, n);
        assert_int_equal(rep.first_seq, 0);
        assert_int_equal(rep.last_seq, n - 1);
        assert_true(rep.from_genesis);
        assert_true(rep.clean_stop);
        assert_int_equal(rep.n_files, 1);
        tmp_remove(&t);
}

/* Overlong host strings are cut at their bound, at a character boundary, and named. */
static void test_truncation(void **state)
{
        struct tmp t;
        struct audit_options o;
        struct audit_log *log = NULL;
        char service[600], cid[300], reason[2000];
        Grpc__SignalProcessRequest sig = GRPC__SIGNAL_PROCESS_REQUEST__INIT;
        struct audit_event ev = { .request_name = "SignalProcessRequest", .verdict = VERDICT_DENY,
                                  .rule_id = "signal", .mode = POLICY_MODE_ENFORCE };
        _cleanup_free_ char *buf = NULL;
        char *lines[8];
        const char *v;
        json_t *a;

        (void)state;
        tmp_make(&t);
        /* 127 ASCII bytes then a 3-byte character across the 128-byte bound. */
        memset(service, 'S', sizeof(service));
        memcpy(service + 127, "\xe2\x82\xac", 3);
        memset(cid, 'c', sizeof(cid) - 1);
        cid[sizeof(cid) - 1] = '\0';
        memset(reason, '"', sizeof(reason) - 1); /* every byte escapes to two */
        reason[sizeof(reason) - 1] = '\0';
        sig.container_id = cid;
        sig.exec_id = "e";
        ev.service = service;
        ev.service_len = sizeof(service);
        ev.method = "SignalProcess";
        ev.method_len = 13;
        ev.request = &sig.base;
        ev.reason = reason;

        o = sample_options(t.log, 0);
        assert_int_equal(audit_open(&o, &log), 0);
        assert_int_equal(audit_append(log, &ev), 0);
        audit_close(log);

        buf = slurp(t.log, NULL);
        assert_int_equal(lines_of(buf, lines, 8), 3);
        json_t *j = line_json(lines[1]);
        v = json_string_value(json_object_get(j, "service"));
        assert_int_equal(strlen(v), 127);
        assert_int_equal(strlen(json_string_value(json_object_get(j, "container_id"))), AUDIT_NAME_MAX);
        assert_int_equal(strlen(json_string_value(json_object_get(j, "reason"))), AUDIT_REASON_MAX);
        assert_string_equal(json_string_value(json_object_get(j, "exec_id")), "e");
        a = json_object_get(j, "truncated");
        assert_int_equal(json_array_size(a), 3);
        assert_string_equal(json_string_value(json_array_get(a, 0)), "service");
        assert_string_equal(json_string_value(json_array_get(a, 1)), "container_id");
        assert_string_equal(json_string_value(json_array_get(a, 2)), "reason");
        json_decref(j);
        tmp_remove(&t);
}

/* Every ASCII byte reads back as it was written, runs cut exactly at the bound. */
static void test_escaping(void **state)
{
        struct tmp t;
        struct audit_options o;
        struct audit_log *log = NULL;
        char ascii[128], reason[AUDIT_REASON_MAX + 8];
        struct audit_event ev = { .request_name = "SignalProcessRequest", .verdict = VERDICT_DENY,
                                  .rule_id = "signal", .mode = POLICY_MODE_ENFORCE,
                                  .method = "SignalProcess", .method_len = 13 };
        _cleanup_free_ char *buf = NULL;
        char *lines[8];
        const char *v;
        json_t *j;

        (void)state;
        for (int i = 1; i < 128; i++)
                ascii[i - 1] = (char)i;
        ascii[127] = '\0';
        /* Plain bytes up to one before the bound, then one that escapes, then more. */
        memset(reason, 'r', sizeof(reason) - 1);
        reason[AUDIT_REASON_MAX - 1] = '"';
        reason[sizeof(reason) - 1] = '\0';
        tmp_make(&t);
        o = sample_options(t.log, 0);
        assert_int_equal(audit_open(&o, &log), 0);
        ev.service = ascii;
        ev.service_len = 127;
        ev.reason = "a\\b\x7f\x1f";
        assert_int_equal(audit_append(log, &ev), 0);
        ev.service = "grpc.AgentService";
        ev.service_len = strlen(ev.service);
        ev.reason = reason;
        assert_int_equal(audit_append(log, &ev), 0);
        audit_close(log);

        buf = slurp(t.log, NULL);
        assert_int_equal(lines_of(buf, lines, 8), 4);
        assert_non_null(strstr(lines[1], "\\u007f\\u001f"));
        j = line_json(lines[1]);
        assert_string_equal(json_string_value(json_object_get(j, "service")), ascii);
        assert_string_equal(json_string_value(json_object_get(j, "reason")), "a\\b\x7f\x1f");
        json_decref(j);
        j = line_json(lines[2]);
        v = json_string_value(json_object_get(j, "reason"));
        assert_int_equal(strlen(v), AUDIT_REASON_MAX);
        assert_int_equal(v[AUDIT_REASON_MAX - 1], '"');
        assert_int_equal(v[AUDIT_REASON_MAX - 2], 'r');
        assert_int_equal(json_array_size(json_object_get(j, "truncated")), 1);
        json_decref(j);
        tmp_remove(&t);
}

/* What a caller gets wrong is refused, and nothing is written for it. */
static void test_bad_events(void **state)
{
        struct tmp t;
        struct audit_options o;
        struct audit_log *log = NULL;
        struct audit_event ev = { .verdict = VERDICT_ALLOW, .mode = POLICY_MODE_ENFORCE };
        struct stat before, after;

        (void)state;
        tmp_make(&t);
        o = sample_options(t.log, 0);
        assert_int_equal(audit_open(&o, &log), 0);
        assert_int_equal(stat(t.log, &before), 0);
        ev.verdict = _VERDICT_INVALID;
        assert_int_equal(audit_append(log, &ev), -EINVAL);
        ev.verdict = VERDICT_ALLOW;
        ev.mode = _POLICY_MODE_MAX;
        assert_int_equal(audit_append(log, &ev), -EINVAL);
        ev.mode = POLICY_MODE_ENFORCE;
        ev.payload_len = 3; /* but no payload */
        assert_int_equal(audit_append(log, &ev), -EINVAL);
        assert_int_equal(audit_append(NULL, &ev), -EINVAL);
        assert_int_equal(stat(t.log, &after), 0);
        assert_int_equal(before.st_size, after.st_size);
        audit_close(log);
        tmp_remove(&t);
}

/* Options and files audit_open() refuses, with the exact error. */
static void test_open_errors(void **state)
{
        struct tmp t;
        struct audit_options o;
        struct audit_log *log = NULL, *second = NULL;
        char path[160];

        (void)state;
        tmp_make(&t);
        o = sample_options(t.log, 0);
        o.policy_digest = "09BFCC";
        assert_int_equal(audit_open(&o, &log), -EINVAL);
        o = sample_options(t.log, 0);
        o.tee = "SNP\"";
        assert_int_equal(audit_open(&o, &log), -EINVAL);
        o = sample_options(t.log, 0);
        o.tee = NULL;
        assert_int_equal(audit_open(&o, &log), -EINVAL);
        o = sample_options(t.log, 0);
        o.sync = _AUDIT_SYNC_MAX;
        assert_int_equal(audit_open(&o, &log), -EINVAL);
        assert_int_equal(access(t.log, F_OK), -1); /* nothing created for bad options */

        snprintf(path, sizeof(path), "%s/missing/audit.log", t.dir);
        o = sample_options(path, 0);
        assert_int_equal(audit_open(&o, &log), -ENOENT);

        /* Not a regular file: cannot be rotated or cut back. */
        snprintf(path, sizeof(path), "%s/full.log", t.dir);
        assert_int_equal(symlink("/dev/full", path), 0);
        o = sample_options(path, 0);
        assert_int_equal(audit_open(&o, &log), -EINVAL);

        /* A second writer would fork the chain. */
        o = sample_options(t.log, 0);
        assert_int_equal(audit_open(&o, &log), 0);
        assert_int_equal(audit_open(&o, &second), -EBUSY);
        assert_null(second);
        audit_close(log);
        log = NULL;

        /* A log cut mid-record is evidence: not continued, not repaired. */
        spit(t.log, "{\"v\":1,\"seq\":0", 14);
        assert_int_equal(audit_open(&o, &log), -EBADMSG);
        spit(t.log, "hello\n", 6);
        assert_int_equal(audit_open(&o, &log), -EBADMSG);
        assert_null(log);
        tmp_remove(&t);
}

/* A restart continues the chain with a start record. */
/* audit_stop: the stop record is the head and the last line; nothing after it. */
static void test_stop(void **state)
{
        struct tmp t;
        struct audit_options o;
        struct audit_log *log = NULL;
        _cleanup_free_ char *buf = NULL;
        char *lines[16], head[AUDIT_HASH_HEX + 1], digest[AUDIT_HASH_HEX + 1];
        uint64_t seq;
        size_t n;

        (void)state;
        tmp_make(&t);
        o = sample_options(t.log, 0);
        assert_int_equal(audit_open(&o, &log), 0); /* 0 genesis */
        assert_int_equal(sample_append(log, 0), 0); /* 1 */
        assert_int_equal(audit_stop(log), 0);       /* 2 stop */
        audit_head(log, &seq, head);
        assert_int_equal(seq, 2);
        assert_int_equal(sample_append(log, 1), -EPIPE);
        assert_int_equal(audit_stop(log), -EINVAL);
        assert_int_equal(audit_stop(NULL), -EINVAL);
        audit_close(log); /* writes nothing more */

        buf = slurp(t.log, NULL);
        n = lines_of(buf, lines, 16);
        assert_int_equal(n, 3);
        json_t *j = line_json(lines[2]);
        assert_string_equal(json_string_value(json_object_get(j, "type")), "stop");
        json_decref(j);
        assert_int_equal(audit_sha256_hex(lines[2], strlen(lines[2]) - 1, digest), 0);
        assert_string_equal(head, digest);
        tmp_remove(&t);
}

static void test_restart(void **state)
{
        struct tmp t;
        struct audit_options o;
        struct audit_log *log = NULL;
        struct audit_verify_report rep;
        struct audit_problem p;
        _cleanup_free_ char *buf = NULL;
        char *lines[64], head[AUDIT_HASH_HEX + 1], digest[AUDIT_HASH_HEX + 1];
        uint64_t seq;
        size_t n;

        (void)state;
        tmp_make(&t);
        write_log(t.log, 3, 0); /* 0 genesis, 1-3, 4 stop */
        o = sample_options(t.log, 0);
        o.policy_digest = "none";
        o.sync = AUDIT_SYNC_INTERVAL;
        o.sync_interval_ms = 60000;
        assert_int_equal(audit_open(&o, &log), 0); /* 5 start */
        assert_int_equal(sample_append(log, 0), 0);
        assert_int_equal(audit_sync(log, false), 0);
        assert_int_equal(audit_sync(log, true), 0);
        audit_head(log, &seq, head);
        assert_int_equal(seq, 6);
        audit_close(log); /* 7 stop */

        buf = slurp(t.log, NULL);
        n = lines_of(buf, lines, 64);
        assert_int_equal(n, 8);
        json_t *j = line_json(lines[5]);
        assert_string_equal(json_string_value(json_object_get(j, "type")), "start");
        assert_string_equal(json_string_value(json_object_get(j, "policy")), "none");
        json_decref(j);
        assert_int_equal(audit_sha256_hex(lines[6], (size_t)(lines[7] - lines[6]) - 1, digest), 0);
        assert_string_equal(head, digest);

        assert_int_equal(verify1(t.log, NULL, &rep, &p), 0);
        assert_int_equal(rep.n_records, 8);
        assert_true(rep.clean_stop);
        tmp_remove(&t);
}

/* ---- Tampering ---- */

enum mutation {
        EDIT, EDIT_SEQ, DELETE, SWAP, DUPLICATE, CUT, GARBAGE, LONG_LINE, DROP_GENESIS,
        DROP_LAST, EDIT_LAST, REHASH,
};

struct tamper_case {
        const char *name;
        enum mutation kind;
        size_t line; /* 1-based line the mutation is about */
        size_t keep; /* CUT: bytes of that line kept */
        int expect;  /* audit_verify() without an anchor */
        unsigned long expect_line;
        const char *expect_message;
        int expect_anchored; /* with an anchor at the original last record */
        int expect_closed;   /* requiring a stop record at the end */
};

static const struct tamper_case tamper_cases[] = {
        { "edit a field", EDIT, 4, 0, -EBADMSG, 4, "was changed after it was written", -EBADMSG, -EBADMSG },
        { "edit a seq", EDIT_SEQ, 5, 0, -EBADMSG, 5, "its seq was changed", -EBADMSG, -EBADMSG },
        { "delete a line", DELETE, 5, 0, -EBADMSG, 5, "1 record(s) before this one were removed", -EBADMSG, -EBADMSG },
        { "swap two lines", SWAP, 4, 0, -EBADMSG, 4, "removed or moved", -EBADMSG, -EBADMSG },
        { "repeat a line", DUPLICATE, 6, 0, -EBADMSG, 7, "reordered or repeated", -EBADMSG, -EBADMSG },
        { "cut the last line", CUT, 10, 20, -EBADMSG, 10, "no newline", -EBADMSG, -EBADMSG },
        { "truncate mid-file", CUT, 6, 33, -EBADMSG, 6, "no newline", -EBADMSG, -EBADMSG },
        { "truncate at a line boundary", CUT, 6, 0, 0, 0, NULL, -EBADMSG, -EBADMSG },
        { "not JSON", GARBAGE, 3, 0, -EBADMSG, 3, "not JSON", -EBADMSG, -EBADMSG },
        { "a line longer than any record", LONG_LINE, 7, 0, -EBADMSG, 7, "too long", -EBADMSG, -EBADMSG },
        { "drop the genesis", DROP_GENESIS, 1, 0, -EBADMSG, 1, "not at its genesis", -EBADMSG, -EBADMSG },
        /* What the chain alone cannot see; the anchor can, and the stop record
         * can for records cut off the end (see audit.h). */
        { "drop the last record", DROP_LAST, 10, 0, 0, 0, NULL, -EBADMSG, -EBADMSG },
        { "edit the last record", EDIT_LAST, 10, 0, 0, 0, NULL, -EBADMSG, 0 },
        { "edit and rehash the rest", REHASH, 4, 0, 0, 0, NULL, -EBADMSG, 0 },
};

/* Replace the 64-hex prev of a line (the last field) with the hash of line `before`. */
static void rehash_prev(char *line, const char *before, size_t before_len)
{
        char digest[AUDIT_HASH_HEX + 1];
        char *p = strstr(line, "\"prev\":\"");

        assert_non_null(p);
        assert_int_equal(audit_sha256_hex(before, before_len, digest), 0);
        memcpy(p + 8, digest, AUDIT_HASH_HEX);
}

static void apply_mutation(const struct tamper_case *c, const char *path, char *buf, size_t len)
{
        char *lines[16];
        size_t n = lines_of(buf, lines, 16), order[16], k = 0;
        char *f;

        assert_int_equal(n, 10);
        switch (c->kind) {
        case EDIT:
        case EDIT_LAST:
        case REHASH:
                /* Same length: only the content changes, every line stays in place. */
                f = strstr(lines[c->line - 1], c->kind == EDIT_LAST ? "\"none\"" : "\"deny\"");
                assert_non_null(f);
                memcpy(f, c->kind == EDIT_LAST ? "\"nonf\"" : "\"alow\"", 6);
                if (c->kind == REHASH)
                        for (size_t i = c->line; i < n; i++)
                                rehash_prev(lines[i], lines[i - 1],
                                            (size_t)(lines[i] - lines[i - 1]) - 1);
                spit(path, buf, len);
                return;
        case EDIT_SEQ: {
                char want[32];

                snprintf(want, sizeof(want), "\"seq\":%zu,", c->line - 1);
                f = strstr(lines[c->line - 1], want);
                assert_non_null(f);
                f[6]++; /* one digit up */
                spit(path, buf, len);
                return;
        }
        case CUT:
                if (c->keep > 0) {
                        spit(path, buf, (size_t)(lines[c->line - 1] - buf) + c->keep);
                } else {
                        /* Whole lines: ends after the line before, as a truncation at
                         * a line boundary would leave it. */
                        spit(path, buf, (size_t)(lines[c->line - 1] - buf));
                }
                return;
        case GARBAGE:
                memcpy(lines[c->line - 1], "{\"v\":1,\"seq\":2, oops", 20);
                spit(path, buf, len);
                return;
        case LONG_LINE: {
                /* A line of AUDIT_LINE_MAX bytes before its newline replaces the record. */
                _cleanup_free_ char *out = malloc(len + AUDIT_LINE_MAX + 2);
                size_t before = (size_t)(lines[c->line - 1] - buf);
                size_t after = (size_t)(lines[c->line] - buf);

                assert_non_null(out);
                memcpy(out, buf, before);
                memset(out + before, 'x', AUDIT_LINE_MAX);
                out[before + AUDIT_LINE_MAX] = '\n';
                memcpy(out + before + AUDIT_LINE_MAX + 1, buf + after, len - after);
                spit(path, out, before + AUDIT_LINE_MAX + 1 + len - after);
                return;
        }
        default:
                break;
        }
        for (size_t i = 0; i < n; i++) {
                if ((c->kind == DELETE || c->kind == DROP_GENESIS || c->kind == DROP_LAST) &&
                    i + 1 == c->line)
                        continue;
                if (c->kind == SWAP && i + 1 == c->line)
                        order[k++] = i + 1;
                else if (c->kind == SWAP && i == c->line)
                        order[k++] = i - 1;
                else
                        order[k++] = i;
                if (c->kind == DUPLICATE && i + 1 == c->line)
                        order[k++] = i;
        }
        spit_lines(path, lines, n, order, k);
}

static void test_tampering(void **state)
{
        struct tmp t;
        struct audit_verify_report rep;
        struct audit_problem p;
        struct audit_verify_options anchored = { .have_anchor = true };
        struct audit_verify_options closed = { .closed = true };

        (void)state;
        tmp_make(&t);
        for (size_t i = 0; i < ELEMENTSOF(tamper_cases); i++) {
                const struct tamper_case *c = &tamper_cases[i];
                _cleanup_free_ char *buf = NULL;
                size_t len;
                int r;

                write_log(t.log, 8, 0); /* 10 lines: genesis, 8, stop */
                assert_int_equal(verify1(t.log, NULL, &rep, &p), 0);
                anchored.anchor_seq = rep.last_seq;
                memcpy(anchored.anchor_hash, rep.head, sizeof(rep.head));

                buf = slurp(t.log, &len);
                apply_mutation(c, t.log, buf, len);
                r = verify1(t.log, NULL, &rep, &p);
                if (r != c->expect)
                        fail_msg("%s: verify returned %d, expected %d (%s:%lu: %s)", c->name, r,
                                 c->expect, p.file, p.line, p.message);
                if (c->expect < 0) {
                        if (p.line != c->expect_line || !strstr(p.message, c->expect_message))
                                fail_msg("%s: got %s:%lu: %s", c->name, p.file, p.line, p.message);
                        assert_string_equal(p.file, t.log);
                }
                r = verify1(t.log, &anchored, &rep, &p);
                if (r != c->expect_anchored)
                        fail_msg("%s: anchored verify returned %d (%s:%lu: %s)", c->name, r,
                                 p.file, p.line, p.message);
                r = verify1(t.log, &closed, &rep, &p);
                if (r != c->expect_closed)
                        fail_msg("%s: verify --closed returned %d (%s:%lu: %s)", c->name, r,
                                 p.file, p.line, p.message);
                if (c->expect == 0 && r < 0)
                        assert_non_null(strstr(p.message, "not a stop record"));
                assert_int_equal(unlink(t.log), 0);
        }
        tmp_remove(&t);
}

/* A tail whose older files were deleted verifies with partial; the anchor still works. */
static void test_partial(void **state)
{
        struct tmp t;
        struct audit_verify_report rep;
        struct audit_problem p;
        struct audit_verify_options partial = { .partial = true };
        _cleanup_free_ char *buf = NULL;
        char *lines[16];
        size_t len, n;

        (void)state;
        tmp_make(&t);
        write_log(t.log, 8, 0);
        buf = slurp(t.log, &len);
        n = lines_of(buf, lines, 16);
        spit(t.log, lines[3], len - (size_t)(lines[3] - buf));
        assert_int_equal(verify1(t.log, NULL, &rep, &p), -EBADMSG);
        assert_int_equal(verify1(t.log, &partial, &rep, &p), 0);
        assert_int_equal(rep.first_seq, 3);
        assert_int_equal(rep.last_seq, n - 1);
        assert_false(rep.from_genesis);
        tmp_remove(&t);
}

/* ---- Rotation ---- */

static size_t list_logs(const struct tmp *t, char paths[][320], size_t max)
{
        DIR *d = opendir(t->dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d)) && n < max)
                if (strncmp(de->d_name, "audit.log", 9) == 0)
                        snprintf(paths[n++], 320, "%s/%s", t->dir, de->d_name);
        closedir(d);
        return n;
}

static void test_rotation(void **state)
{
        struct tmp t;
        struct audit_options o;
        struct audit_log *log = NULL;
        struct audit_verify_report rep;
        struct audit_problem p;
        char names[64][320], *paths[65], rotated[160], moved[160];
        size_t n;
        struct stat st;

        (void)state;
        tmp_make(&t);
        write_log(t.log, 40, 3000);
        n = list_logs(&t, names, 64);
        assert_true(n >= 4);
        for (size_t i = 0; i < n; i++) {
                paths[i] = names[i];
                assert_int_equal(stat(paths[i], &st), 0);
                assert_true(st.st_size <= 3000);
                assert_true(st.st_size > 0);
        }
        /* readdir order is arbitrary: the files are ordered by their first seq. */
        assert_int_equal(audit_verify(paths, n, NULL, &rep, &p), 0);
        assert_int_equal(rep.n_records, 42);
        assert_int_equal(rep.n_files, n);
        assert_true(rep.clean_stop);
        /* Reversed, too. */
        for (size_t i = 0; i < n / 2; i++) {
                char *x = paths[i];

                paths[i] = paths[n - 1 - i];
                paths[n - 1 - i] = x;
        }
        assert_int_equal(audit_verify(paths, n, NULL, &rep, &p), 0);

        /* Leaving out a middle file is a gap in the chain. */
        snprintf(rotated, sizeof(rotated), "%s.2", t.log);
        for (size_t i = 0; i < n; i++)
                if (strcmp(paths[i], rotated) == 0)
                        paths[i] = paths[--n];
        assert_int_equal(audit_verify(paths, n, NULL, &rep, &p), -EBADMSG);
        assert_non_null(strstr(p.message, "were removed"));
        assert_int_equal(p.line, 1);

        /* A crash after renaming the live file away: the next open goes on from it. */
        snprintf(moved, sizeof(moved), "%s.%zu", t.log, n + 1);
        assert_int_equal(access(moved, F_OK), -1);
        assert_int_equal(rename(t.log, moved), 0);
        o = sample_options(t.log, 3000);
        assert_int_equal(audit_open(&o, &log), 0);
        for (size_t i = 0; i < 10; i++)
                assert_int_equal(sample_append(log, i), 0);
        audit_close(log);
        n = list_logs(&t, names, 64);
        for (size_t i = 0; i < n; i++)
                paths[i] = names[i];
        assert_int_equal(audit_verify(paths, n, NULL, &rep, &p), 0);
        assert_int_equal(rep.n_records, 42 + 12);

        /* The same file twice is not a chain. */
        paths[n] = paths[0];
        assert_int_equal(audit_verify(paths, n + 1, NULL, &rep, &p), -EBADMSG);
        assert_non_null(strstr(p.message, "the same records twice"));
        tmp_remove(&t);
}

/* Tampering with rotated files: found, and named by file and line. */
static void test_rotation_tampering(void **state)
{
        static const struct {
                const char *name;
                const char *file; /* suffix of the file changed */
                enum { R_EDIT, R_DROP_LAST, R_CUT_LAST, R_SWAP_NAMES, R_DELETE_FILE } kind;
                int expect;
                const char *expect_file; /* suffix */
                unsigned long expect_line; /* 0: the last line of expect_file */
                const char *expect_message;
        } cases[] = {
                { "edit in a rotated file", ".2", R_EDIT, -EBADMSG, ".2", 3, "was changed" },
                { "drop the last record of a rotated file", ".1", R_DROP_LAST, -EBADMSG, ".2", 1,
                  "were removed" },
                { "cut the last line of a rotated file", ".2", R_CUT_LAST, -EBADMSG, ".2", 0,
                  "no newline" },
                { "delete the first file", ".1", R_DELETE_FILE, -EBADMSG, ".2", 1,
                  "not at its genesis" },
                /* Names do not matter: the chain orders the files. */
                { "rename rotated files", ".1", R_SWAP_NAMES, 0, NULL, 0, NULL },
        };
        struct tmp t;
        struct audit_verify_report rep;
        struct audit_problem p;

        (void)state;
        tmp_make(&t);
        for (size_t c = 0; c < ELEMENTSOF(cases); c++) {
                char names[64][320], *paths[64], target[160], other[160], moved[170];
                _cleanup_free_ char *buf = NULL;
                char *lines[64];
                size_t n, len, nl;
                int r;

                write_log(t.log, 40, 3000);
                snprintf(target, sizeof(target), "%s%s", t.log, cases[c].file);
                buf = slurp(target, &len);
                nl = lines_of(buf, lines, 64);
                assert_true(nl >= 4);
                switch (cases[c].kind) {
                case R_EDIT: {
                        char *f = strstr(lines[2], "\"conn\":");

                        assert_non_null(f);
                        f[7] = f[7] == '9' ? '8' : '9';
                        spit(target, buf, len);
                        break;
                }
                case R_DROP_LAST:
                        spit(target, buf, (size_t)(lines[nl - 1] - buf));
                        break;
                case R_CUT_LAST:
                        spit(target, buf, len - 1);
                        break;
                case R_DELETE_FILE:
                        assert_int_equal(unlink(target), 0);
                        break;
                case R_SWAP_NAMES:
                        snprintf(other, sizeof(other), "%s.2", t.log);
                        snprintf(moved, sizeof(moved), "%s.tmp", target);
                        assert_int_equal(rename(target, moved), 0);
                        assert_int_equal(rename(other, target), 0);
                        assert_int_equal(rename(moved, other), 0);
                        break;
                }
                n = list_logs(&t, names, 64);
                for (size_t k = 0; k < n; k++)
                        paths[k] = names[k];
                r = audit_verify(paths, n, NULL, &rep, &p);
                if (r != cases[c].expect)
                        fail_msg("%s: verify returned %d (%s:%lu: %s)", cases[c].name, r, p.file,
                                 p.line, p.message);
                if (r < 0) {
                        char want[160];
                        size_t wl;

                        snprintf(want, sizeof(want), "%s%s", t.log, cases[c].expect_file);
                        if (strcmp(p.file, want) != 0 || !strstr(p.message, cases[c].expect_message))
                                fail_msg("%s: got %s:%lu: %s", cases[c].name, p.file, p.line,
                                         p.message);
                        if (cases[c].expect_line > 0) {
                                assert_int_equal(p.line, cases[c].expect_line);
                        } else {
                                _cleanup_free_ char *b2 = slurp(want, &wl);
                                char *l2[64];

                                assert_int_equal(p.line, lines_of(b2, l2, 64));
                        }
                } else {
                        assert_int_equal(rep.n_records, 42);
                }
                for (size_t k = 0; k < n; k++)
                        assert_int_equal(unlink(paths[k]), 0);
        }
        tmp_remove(&t);
}

/* ---- Writes that fail ---- */

/*
 * A short write (the file size limit cuts the record) fails the record, the
 * partial bytes are cut off again, and the next record links to the last good
 * one: the failed record never becomes anyone's prev.
 */
static void test_short_write(void **state)
{
        struct tmp t;
        struct audit_options o;
        struct audit_log *log = NULL;
        struct audit_verify_report rep;
        struct audit_problem p;
        struct rlimit saved, lim;
        struct stat before, after;
        uint64_t seq;
        char head[AUDIT_HASH_HEX + 1], head2[AUDIT_HASH_HEX + 1];

        (void)state;
        tmp_make(&t);
        o = sample_options(t.log, 0);
        assert_int_equal(audit_open(&o, &log), 0);
        assert_int_equal(sample_append(log, 0), 0);
        assert_int_equal(stat(t.log, &before), 0);
        audit_head(log, &seq, head);

        assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
        signal(SIGXFSZ, SIG_IGN);
        lim = saved;
        lim.rlim_cur = (rlim_t)before.st_size + 50;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        assert_int_equal(sample_append(log, 1), -ENOSPC); /* 50 bytes went in: a short write */
        assert_int_equal(stat(t.log, &after), 0);
        assert_int_equal(after.st_size, before.st_size);
        lim.rlim_cur = (rlim_t)before.st_size;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        assert_int_equal(sample_append(log, 1), -EFBIG); /* nothing went in */
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
        audit_head(log, &seq, head2);
        assert_int_equal(seq, 1);
        assert_string_equal(head, head2);

        assert_int_equal(sample_append(log, 2), 0);
        audit_close(log);
        assert_int_equal(verify1(t.log, NULL, &rep, &p), 0);
        assert_int_equal(rep.n_records, 4);
        tmp_remove(&t);
}

/*
 * A private mount namespace with a small tmpfs: a real full file system and a
 * real read-only one. Needs CAP_SYS_ADMIN (or user namespaces); skipped
 * otherwise.
 */
static bool private_tmpfs(const char *dir, const char *options)
{
        static bool unshared;

        if (!unshared) {
                if (unshare(CLONE_NEWNS) < 0 ||
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        return false;
                unshared = true;
        }
        return mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, options) == 0;
}

/* Fill the file system the log is on with a file at path; returns the bytes written. */
static size_t fill(const char *path)
{
        char block[4096];
        size_t total = 0;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        memset(block, 'f', sizeof(block));
        for (;;) {
                ssize_t n = write(fd, block, sizeof(block));

                if (n <= 0)
                        break;
                total += (size_t)n;
        }
        assert_int_equal(close(fd), 0);
        return total;
}

/*
 * A full file system: the record that does not fit is refused with -ENOSPC,
 * nothing of it stays in the file, and once there is room again the chain
 * goes on from the last good record.
 */
static void test_disk_full(void **state)
{
        struct tmp t;
        struct audit_options o;
        struct audit_log *log = NULL;
        struct audit_verify_report rep;
        struct audit_problem p;
        char filler[128];
        struct stat before, after;
        size_t ok = 0;
        int r = 0;

        (void)state;
        tmp_make(&t);
        if (!private_tmpfs(t.dir, "size=64k")) {
                print_message("SKIPPED: mounting a tmpfs needs CAP_SYS_ADMIN: %s\n", strerror(errno));
                tmp_remove(&t);
                skip();
        }
        o = sample_options(t.log, 0);
        assert_int_equal(audit_open(&o, &log), 0);
        assert_int_equal(sample_append(log, 0), 0);
        snprintf(filler, sizeof(filler), "%s/filler", t.dir);
        assert_true(fill(filler) > 0);

        /* The log's last page may still take a few records; then nothing fits. */
        for (size_t i = 0; i < 1000; i++) {
                r = sample_append(log, i);
                if (r < 0)
                        break;
                ok++;
        }
        assert_int_equal(r, -ENOSPC);
        print_message("full: %zu more records fitted\n", ok);
        /* Still full, still refused, and the file holds only whole records. */
        assert_int_equal(stat(t.log, &before), 0);
        for (size_t i = 0; i < sample_count(); i++)
                assert_int_equal(sample_append(log, i), -ENOSPC);
        assert_int_equal(stat(t.log, &after), 0);
        assert_int_equal(before.st_size, after.st_size);
        assert_int_equal(verify1(t.log, NULL, &rep, &p), 0);
        assert_int_equal(rep.n_records, 2 + ok);

        /* Room again: the chain goes on, nothing lost, nothing half-written. */
        assert_int_equal(unlink(filler), 0);
        for (size_t i = 0; i < 5; i++)
                assert_int_equal(sample_append(log, i), 0);
        log = audit_close(log);
        assert_int_equal(verify1(t.log, &(struct audit_verify_options){ .closed = true }, &rep, &p), 0);
        assert_int_equal(rep.n_records, 2 + ok + 5 + 1);

        /* Read-only: nothing can be appended, so nothing may be served. */
        assert_int_equal(mount(NULL, t.dir, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
        assert_int_equal(audit_open(&o, &log), -EROFS);
        assert_null(log);
        assert_int_equal(umount(t.dir), 0);
        tmp_remove(&t);
}

/*
 * Rotation into a directory that became read-only (immutable): the rename is
 * refused, so is the record; the live file is untouched and once the
 * directory is writable again the chain goes on through the rotation.
 */
static void test_rotation_refused(void **state)
{
        struct tmp t;
        struct audit_options o;
        struct audit_log *log = NULL;
        struct audit_verify_report rep;
        struct audit_problem p;
        char names[64][320], *paths[64];
        struct stat before, after;
        uint64_t seq, seq2;
        char head[AUDIT_HASH_HEX + 1], head2[AUDIT_HASH_HEX + 1];
        int flags, fd, r = 0;
        size_t n, i;

        (void)state;
        tmp_make(&t);
        o = sample_options(t.log, 4000);
        assert_int_equal(audit_open(&o, &log), 0);
        fd = open(t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(ioctl(fd, FS_IOC_GETFLAGS, &flags), 0);
        flags |= FS_IMMUTABLE_FL;
        if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0) {
                print_message("SKIPPED: chattr +i on %s: %s (needs CAP_LINUX_IMMUTABLE and a file "
                              "system with the flag)\n", t.dir, strerror(errno));
                close(fd);
                audit_close(log);
                tmp_remove(&t);
                skip();
        }
        for (i = 0; i < 100; i++) {
                r = sample_append(log, i);
                if (r < 0)
                        break;
        }
        assert_int_equal(r, -EPERM);
        assert_true(i > 0);
        audit_head(log, &seq, head);
        assert_int_equal(stat(t.log, &before), 0);
        assert_int_equal(sample_append(log, i), -EPERM);
        assert_int_equal(stat(t.log, &after), 0);
        assert_int_equal(before.st_size, after.st_size);
        audit_head(log, &seq2, head2);
        assert_int_equal(seq, seq2);
        assert_string_equal(head, head2);

        flags &= ~FS_IMMUTABLE_FL;
        assert_int_equal(ioctl(fd, FS_IOC_SETFLAGS, &flags), 0);
        close(fd);
        for (size_t k = 0; k < 20; k++)
                assert_int_equal(sample_append(log, k), 0);
        audit_close(log);

        n = list_logs(&t, names, 64);
        assert_true(n >= 2);
        for (size_t k = 0; k < n; k++)
                paths[k] = names[k];
        assert_int_equal(audit_verify(paths, n, &(struct audit_verify_options){ .closed = true },
                                      &rep, &p), 0);
        assert_int_equal(rep.n_records, 1 + i + 20 + 1);
        tmp_remove(&t);
}

static void test_parse_time(void **state)
{
        static const struct {
                const char *s;
                int r;
                time_t sec;
                long nsec;
        } cases[] = {
                { "2026-11-22T20:03:36.123456789Z", 0, 1795377816, 123456789 },
                { "2026-11-22T20:03:36Z", 0, 1795377816, 0 },
                { "2026-11-22t20:03:36.5z", 0, 1795377816, 500000000 },
                { "2026-11-22T21:03:36+01:00", 0, 1795377816, 0 },
                { "2026-11-22T19:33:36.000000001-00:30", 0, 1795377816, 1 },
                { "2026-11-22", 0, 1795305600, 0 },
                { "2024-02-29", 0, 1709164800, 0 },
                { "2026-02-29", -EINVAL, 0, 0 },
                { "2026-11-22T20:03:36", -EINVAL, 0, 0 },
                { "2026-11-22T20:03:36.Z", -EINVAL, 0, 0 },
                { "2026-11-22T20:03:36.1234567891Z", -EINVAL, 0, 0 },
                { "2026-11-22T24:00:00Z", -EINVAL, 0, 0 },
                { "2026-13-01", -EINVAL, 0, 0 },
                { "2026-11-22T20:03:36Zjunk", -EINVAL, 0, 0 },
                { "yesterday", -EINVAL, 0, 0 },
                { "", -EINVAL, 0, 0 },
        };

        (void)state;
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct timespec ts = { -1, -1 };
                int r = audit_parse_time(cases[i].s, &ts);

                if (r != cases[i].r)
                        fail_msg("'%s': %d, expected %d", cases[i].s, r, cases[i].r);
                if (r == 0 && (ts.tv_sec != cases[i].sec || ts.tv_nsec != cases[i].nsec))
                        fail_msg("'%s': %lld.%09ld", cases[i].s, (long long)ts.tv_sec, ts.tv_nsec);
        }
}

/*
 * The tests that need a real full file system (a tmpfs mounted in a private
 * mount namespace) and chattr +i run as their own test ("root"): without
 * the privileges they exit 77 and say why.
 */
static int root_tests(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_disk_full),
                cmocka_unit_test(test_rotation_refused),
        };
        char dir[] = "/tmp/audit-probe-XXXXXX";

        if (geteuid() != 0) {
                printf("SKIPPED: needs root (a tmpfs to fill, chattr +i), running as uid %u\n",
                       (unsigned)geteuid());
                return 77;
        }
        if (!mkdtemp(dir))
                return 1;
        if (!private_tmpfs(dir, "size=16k")) {
                printf("SKIPPED: cannot mount a tmpfs in a private mount namespace: %s\n",
                       strerror(errno));
                (void)rmdir(dir);
                return 77;
        }
        (void)umount(dir);
        (void)rmdir(dir);
        return cmocka_run_group_tests_name("audit-root", tests, NULL, NULL);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_records),     cmocka_unit_test(test_truncation),
                cmocka_unit_test(test_escaping),
                cmocka_unit_test(test_bad_events),  cmocka_unit_test(test_open_errors),
                cmocka_unit_test(test_restart),     cmocka_unit_test(test_tampering),
                cmocka_unit_test(test_stop),
                cmocka_unit_test(test_partial),     cmocka_unit_test(test_rotation),
                cmocka_unit_test(test_rotation_tampering),
                cmocka_unit_test(test_short_write), cmocka_unit_test(test_parse_time),
        };

        if (argc > 1 && strcmp(argv[1], "root") == 0)
                return root_tests();
        return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
