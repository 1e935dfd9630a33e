/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runtime measurement events: content and text, the attestation agent's
 * digest (known answers computed with Python's hashlib from the agent's
 * formula), event log lines and what parsing refuses, the event log file, the
 * replay of one boot, and the audit log's measure records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "hex.h"
#include "measure_event.h"
#include "measure_log.h"

#define HEAD_AB "abababababababababababababababababababababababababababababababab"
#define BOOT_A "0c1f4d2e-1111-4a5b-9c9d-000000000001"
#define BOOT_B "0c1f4d2e-2222-4a5b-9c9d-000000000002"

struct tmp {
        char dir[64];
        char path[128];
};

static void tmp_make(struct tmp *t, const char *name)
{
        const char *base = getenv("TMPDIR");

        snprintf(t->dir, sizeof(t->dir), "%s/measure-XXXXXX",
                 base && strlen(base) < 40 ? base : "/tmp");
        assert_non_null(mkdtemp(t->dir));
        snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
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

static void write_file(const char *path, const char *s)
{
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_int_equal(fputs(s, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path)
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
        return buf;
}

static void test_content(void **state)
{
        const struct measure_start_info info = {
                .version = "0.4.0", .policy = "none", .mode = "none", .hooks = "connect_unix",
                .tee = "snp", .extender = "tpm:pcr13",
        };
        char c[MEASURE_CONTENT_MAX + 1];
        (void)state;

        assert_true(measure_content(MEASURE_OP_START, &info, NULL, NULL, 0, HEAD_AB, c, sizeof(c)) > 0);
        assert_string_equal(c, "{\"version\":\"0.4.0\",\"policy\":\"none\",\"mode\":\"none\","
                               "\"hooks\":\"connect_unix\",\"tee\":\"snp\",\"extender\":\"tpm:pcr13\","
                               "\"audit_seq\":0,\"audit_head\":\"" HEAD_AB "\"}");
        assert_true(measure_content(MEASURE_OP_SET_POLICY, NULL, "cd", "audit", 12, HEAD_AB, c,
                                    sizeof(c)) > 0);
        assert_string_equal(c, "{\"policy\":\"cd\",\"mode\":\"audit\",\"audit_seq\":12,"
                               "\"audit_head\":\"" HEAD_AB "\"}");
        assert_int_equal(measure_content(MEASURE_OP_AUDIT_HEAD, NULL, NULL, NULL, 7, HEAD_AB, c,
                                         sizeof(c)),
                         (int)strlen("{\"audit_seq\":7,\"audit_head\":\"" HEAD_AB "\"}"));
        assert_string_equal(c, "{\"audit_seq\":7,\"audit_head\":\"" HEAD_AB "\"}");

        /* Refused: no head, an upper-case head, a Start without its info,
         * SetPolicy without a policy, an unknown operation, no room. */
        assert_int_equal(measure_content(MEASURE_OP_STOP, NULL, NULL, NULL, 1, NULL, c, sizeof(c)),
                         -EINVAL);
        assert_int_equal(measure_content(MEASURE_OP_STOP, NULL, NULL, NULL, 1,
                                         "ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB",
                                         c, sizeof(c)),
                         -EINVAL);
        assert_int_equal(measure_content(MEASURE_OP_START, NULL, NULL, NULL, 1, HEAD_AB, c, sizeof(c)),
                         -EINVAL);
        assert_int_equal(measure_content(MEASURE_OP_SET_POLICY, NULL, NULL, "enforce", 1, HEAD_AB, c,
                                         sizeof(c)),
                         -EINVAL);
        assert_int_equal(measure_content(_MEASURE_OP_MAX, NULL, NULL, NULL, 1, HEAD_AB, c, sizeof(c)),
                         -EINVAL);
        assert_int_equal(measure_content(MEASURE_OP_STOP, NULL, NULL, NULL, 1, HEAD_AB, c, 20),
                         -E2BIG);
}

static void test_text(void **state)
{
        char t[MEASURE_TEXT_MAX + 1];
        (void)state;

        assert_int_equal(measure_text("ccgate", "Stop", "{}", t, sizeof(t)), 14);
        assert_string_equal(t, "ccgate Stop {}");
        /* The agent splits at the first two spaces and refuses newlines. */
        assert_int_equal(measure_text("cc gate", "Stop", "{}", t, sizeof(t)), -EINVAL);
        assert_int_equal(measure_text("ccgate", "St op", "{}", t, sizeof(t)), -EINVAL);
        assert_int_equal(measure_text("ccgate", "", "{}", t, sizeof(t)), -EINVAL);
        assert_int_equal(measure_text("ccgate", "Stop", "{\n}", t, sizeof(t)), -EINVAL);
        assert_int_equal(measure_text("ccgate", "Stop", "{}", t, 10), -E2BIG);
}

/* Known answers: Python's hashlib on le32(0x4141454c) || le32(len) || text, and
 * one extend from zeros (tests/measure/README.md has the one-liner). */
static void test_digest_known_answers(void **state)
{
        const char *text = "ccgate AuditHead {\"audit_seq\":7,\"audit_head\":\"" HEAD_AB "\"}";
        uint8_t d[MEASURE_DIGEST_MAX], reg[MEASURE_DIGEST_MAX] = { 0 };
        char hex[2 * MEASURE_DIGEST_MAX + 1];
        (void)state;

        assert_int_equal(measure_digest(MEASURE_ALG_SHA256, text, strlen(text), d), 0);
        hex_encode(d, 32, hex, sizeof(hex));
        assert_string_equal(hex, "945efb224f40dbd86fdd5c17915b91e5000e62bb9b67c2962a057dd0491d3811");
        assert_int_equal(measure_extend(MEASURE_ALG_SHA256, reg, d), 0);
        hex_encode(reg, 32, hex, sizeof(hex));
        assert_string_equal(hex, "a07f500bf362d1a8840e33e1ad52d356069be242e89044f856980de122f1cfbf");

        memset(reg, 0, sizeof(reg));
        assert_int_equal(measure_digest(MEASURE_ALG_SHA384, text, strlen(text), d), 0);
        hex_encode(d, 48, hex, sizeof(hex));
        assert_string_equal(hex, "6042b633f438ca8dc5ad7e29f761b250771c24b5a2b0320da8fe40220991f7f6"
                                 "ea921528339d52b32f03d003d7c54cb3");
        assert_int_equal(measure_extend(MEASURE_ALG_SHA384, reg, d), 0);
        hex_encode(reg, 48, hex, sizeof(hex));
        assert_string_equal(hex, "7993f5e8d745fe37bd59bdff282cf52bd9c69a48824fe85437a6451004b08ab8"
                                 "890c840a41346f191e882ea296b31333");
        assert_int_equal(measure_digest(_MEASURE_ALG_MAX, text, strlen(text), d), -EINVAL);
}

static void test_line_roundtrip(void **state)
{
        char content[MEASURE_CONTENT_MAX + 1], line[MEASURE_LINE_MAX + 1], why[256];
        struct measure_logged e;
        int n;
        (void)state;

        assert_true(measure_content(MEASURE_OP_SET_POLICY, NULL, "aa11", "enforce", 3, HEAD_AB,
                                    content, sizeof(content)) > 0);
        n = measure_event_line(4, BOOT_A, "2026-12-02T20:00:00.000000000Z", "tpm:pcr13",
                               "SetPolicy", content, line, sizeof(line));
        assert_true(n > 0);
        assert_int_equal(measure_event_parse(line, (size_t)n, &e, why, sizeof(why)), 0);
        assert_int_equal(e.n, 4);
        assert_int_equal(e.op, MEASURE_OP_SET_POLICY);
        assert_string_equal(e.boot, BOOT_A);
        assert_string_equal(e.reg, "tpm:pcr13");
        assert_true(e.has_audit);
        assert_int_equal(e.audit_seq, 3);
        assert_string_equal(e.audit_head, HEAD_AB);
        assert_string_equal(e.policy, "aa11");
        assert_int_equal(strncmp(e.text, "ccgate SetPolicy {", 18), 0);
}

/* Lines a verifier must refuse, each with the reason it gives. */
static void test_line_refused(void **state)
{
        static const struct {
                const char *from, *to, *why;
        } edits[] = {
                { "audit_seq\\\":3", "audit_seq\\\":4", "the digests are not those" },
                { "\"n\":4", "\"n\":-1", "no event number" },
                { "\"v\":1", "\"v\":2", "not a version 1 event" },
                { "\"domain\":\"ccgate\"", "\"domain\":\"other\"", "not a ccgate event" },
                { "\"operation\":\"SetPolicy\"", "\"operation\":\"Reset\"", "unknown operation" },
                { "\"register\":\"tpm:pcr13\",", "", "an event has exactly" },
                { "{\"v\":1,", "{\"v\":1,\"x\":0,", "an event has exactly" },
        };
        char content[MEASURE_CONTENT_MAX + 1], line[MEASURE_LINE_MAX + 1], bad[MEASURE_LINE_MAX + 64];
        char why[256];
        struct measure_logged e;
        (void)state;

        assert_true(measure_content(MEASURE_OP_SET_POLICY, NULL, "aa11", "enforce", 3, HEAD_AB,
                                    content, sizeof(content)) > 0);
        assert_true(measure_event_line(4, BOOT_A, "2026-12-02T20:00:00.000000000Z", "tpm:pcr13",
                                       "SetPolicy", content, line, sizeof(line)) > 0);
        for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
                const char *at = strstr(line, edits[i].from);

                assert_non_null(at);
                snprintf(bad, sizeof(bad), "%.*s%s%s", (int)(at - line), line, edits[i].to,
                         at + strlen(edits[i].from));
                why[0] = '\0';
                assert_int_equal(measure_event_parse(bad, strlen(bad), &e, why, sizeof(why)),
                                 -EBADMSG);
                if (!strstr(why, edits[i].why))
                        fail_msg("edit %zu: \"%s\" does not say \"%s\"", i, why, edits[i].why);
        }
        assert_int_equal(measure_event_parse("{", 1, &e, why, sizeof(why)), -EBADMSG);
        assert_non_null(strstr(why, "not JSON"));
}

/* The same meaning in other bytes is refused: content must be canonical. */
static void test_content_canonical(void **state)
{
        char line[MEASURE_LINE_MAX + 1], why[256];
        struct measure_logged e;
        const char *variants[] = {
                "{\"audit_head\":\"" HEAD_AB "\",\"audit_seq\":1}", /* order */
                "{\"audit_seq\": 1,\"audit_head\":\"" HEAD_AB "\"}", /* space */
                "{\"audit_seq\":1,\"audit_head\":\"" HEAD_AB "\",\"x\":1}", /* extra */
                "{\"audit_seq\":1}",                                  /* no head */
                "[1]",
        };
        (void)state;

        for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
                int n = measure_event_line(0, BOOT_A, "t", "rtmr:3", "AuditHead", variants[i], line,
                                           sizeof(line));

                assert_true(n > 0);
                assert_int_equal(measure_event_parse(line, (size_t)n, &e, why, sizeof(why)),
                                 -EBADMSG);
        }
}

static void append_head(struct measure_log *l, enum measure_op op, uint64_t seq)
{
        char content[MEASURE_CONTENT_MAX + 1], sha[AUDIT_HASH_HEX + 1];

        assert_true(measure_content(op, NULL, NULL, NULL, seq, HEAD_AB, content, sizeof(content)) > 0);
        assert_int_equal(measure_log_append(l, "tpm:pcr13", measure_op_name(op), content, sha), 0);
        assert_int_equal(strlen(sha), AUDIT_HASH_HEX);
}

/* Replay by hand: the same formula, event by event. */
static void replay_count(const char *path, const char *boot, uint64_t n_events)
{
        struct measure_replay rp;
        struct audit_problem p = { 0 };

        assert_int_equal(measure_replay_file(path, MEASURE_ALG_SHA256, boot, &rp, &p), 0);
        assert_int_equal(rp.n_events, n_events);
}

static void test_log_and_replay(void **state)
{
        struct measure_log *l = NULL;
        struct measure_replay rp, rp384;
        struct audit_problem p = { 0 };
        uint8_t reg[MEASURE_DIGEST_MAX] = { 0 }, d[MEASURE_DIGEST_MAX];
        char content[MEASURE_CONTENT_MAX + 1], text[MEASURE_TEXT_MAX + 1];
        struct tmp t;
        (void)state;

        tmp_make(&t, "events.log");
        assert_int_equal(measure_log_open(t.path, BOOT_A, &l), 0);
        assert_int_equal(measure_log_next(l), 0);
        append_head(l, MEASURE_OP_AUDIT_HEAD, 1);
        append_head(l, MEASURE_OP_AUDIT_HEAD, 5);
        /* A second opener would fork the numbering. */
        {
                struct measure_log *l2 = NULL;

                assert_int_equal(measure_log_open(t.path, BOOT_A, &l2), -EBUSY);
        }
        l = measure_log_close(l);
        /* The same boot goes on; another boot starts again at 0. */
        assert_int_equal(measure_log_open(t.path, BOOT_A, &l), 0);
        assert_int_equal(measure_log_next(l), 2);
        append_head(l, MEASURE_OP_STOP, 9);
        l = measure_log_close(l);

        assert_int_equal(measure_replay_file(t.path, MEASURE_ALG_SHA256, NULL, &rp, &p), 0);
        assert_int_equal(rp.n_events, 3);
        assert_int_equal(rp.n_other, 0);
        assert_true(rp.has_head);
        assert_int_equal(rp.head_seq, 9);
        assert_true(rp.stopped);
        assert_string_equal(rp.reg, "tpm:pcr13");
        for (uint64_t seq = 1; seq <= 9; seq += 4) {
                enum measure_op op = seq == 9 ? MEASURE_OP_STOP : MEASURE_OP_AUDIT_HEAD;
                int n;

                assert_true(measure_content(op, NULL, NULL, NULL, seq, HEAD_AB, content,
                                            sizeof(content)) > 0);
                n = measure_text("ccgate", measure_op_name(op), content, text, sizeof(text));
                assert_int_equal(measure_digest(MEASURE_ALG_SHA256, text, (size_t)n, d), 0);
                assert_int_equal(measure_extend(MEASURE_ALG_SHA256, reg, d), 0);
        }
        assert_memory_equal(rp.value, reg, 32);
        assert_int_equal(measure_replay_file(t.path, MEASURE_ALG_SHA384, NULL, &rp384, &p), 0);
        assert_memory_not_equal(rp384.value, rp.value, 32);

        assert_int_equal(measure_log_open(t.path, BOOT_B, &l), 0);
        assert_int_equal(measure_log_next(l), 0);
        append_head(l, MEASURE_OP_AUDIT_HEAD, 12);
        l = measure_log_close(l);
        /* The last boot by default, either by name. */
        replay_count(t.path, NULL, 1);
        replay_count(t.path, BOOT_A, 3);
        replay_count(t.path, BOOT_B, 1);
        assert_int_equal(measure_replay_file(t.path, MEASURE_ALG_SHA256, "nope", &rp, &p), -ENOENT);
        tmp_remove(&t);
}

/* An event removed from the middle, or the file cut mid-line, is named. */
static void test_replay_tampered(void **state)
{
        struct measure_log *l = NULL;
        struct measure_replay rp;
        struct audit_problem p = { 0 };
        _cleanup_free_ char *all = NULL;
        char *second, *third;
        struct tmp t;
        (void)state;

        tmp_make(&t, "events.log");
        assert_int_equal(measure_log_open(t.path, BOOT_A, &l), 0);
        append_head(l, MEASURE_OP_AUDIT_HEAD, 1);
        append_head(l, MEASURE_OP_AUDIT_HEAD, 2);
        append_head(l, MEASURE_OP_AUDIT_HEAD, 3);
        l = measure_log_close(l);
        all = slurp(t.path);
        second = strchr(all, '\n') + 1;
        third = strchr(second, '\n') + 1;
        memmove(second, third, strlen(third) + 1);
        write_file(t.path, all);
        assert_int_equal(measure_replay_file(t.path, MEASURE_ALG_SHA256, NULL, &rp, &p), -EBADMSG);
        assert_int_equal(p.line, 2);
        assert_non_null(strstr(p.message, "event 2 where event 1"));

        all[strlen(all) - 5] = '\0';
        write_file(t.path, all);
        assert_int_equal(measure_replay_file(t.path, MEASURE_ALG_SHA256, BOOT_A, &rp, &p), -EBADMSG);
        assert_int_equal(p.line, 2);
        /* Opening it to go on refuses too: the cut line is evidence. */
        assert_int_equal(measure_log_open(t.path, BOOT_A, &l), -EBADMSG);
        tmp_remove(&t);
}

/* The audit log names the extender and chains each event's digest. */
static void test_audit_measure_record(void **state)
{
        struct audit_log *log = NULL;
        struct audit_verify_report rep;
        struct audit_problem p = { 0 };
        _cleanup_free_ char *text = NULL;
        char *paths[1];
        struct tmp t;
        (void)state;

        tmp_make(&t, "audit.log");
        assert_int_equal(audit_open(&(struct audit_options){ .path = t.path, .policy_digest = "none",
                                                             .tee = "none", .measure = "tpm:pcr13" },
                                    &log),
                         0);
        assert_int_equal(audit_measure(log, &(struct audit_measure_event){
                                                    .n = 0, .operation = "Start", .reg = "tpm:pcr13",
                                                    .event_sha256 = HEAD_AB }),
                         0);
        assert_int_equal(audit_measure(log, &(struct audit_measure_event){
                                                    .n = 1, .operation = "Start", .reg = "tpm:pcr13",
                                                    .event_sha256 = "xyz" }),
                         -EINVAL);
        assert_int_equal(audit_stop(log), 0);
        assert_int_equal(audit_measure(log, &(struct audit_measure_event){
                                                    .n = 1, .operation = "AuditHead",
                                                    .reg = "tpm:pcr13", .event_sha256 = HEAD_AB }),
                         -EPIPE);
        log = audit_close(log);
        text = slurp(t.path);
        assert_non_null(strstr(text, "\"type\":\"genesis\""));
        assert_non_null(strstr(text, ",\"measure\":\"tpm:pcr13\""));
        assert_non_null(strstr(text, "\"type\":\"measure\",\"event\":0,\"operation\":\"Start\","
                                     "\"register\":\"tpm:pcr13\",\"event_sha256\":\"" HEAD_AB "\""));
        paths[0] = t.path;
        assert_int_equal(audit_verify(paths, 1, &(struct audit_verify_options){ .closed = true },
                                      &rep, &p),
                         0);
        assert_int_equal(rep.n_records, 3);
        tmp_remove(&t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_content),
                cmocka_unit_test(test_text),
                cmocka_unit_test(test_digest_known_answers),
                cmocka_unit_test(test_line_roundtrip),
                cmocka_unit_test(test_line_refused),
                cmocka_unit_test(test_content_canonical),
                cmocka_unit_test(test_log_and_replay),
                cmocka_unit_test(test_replay_tampered),
                cmocka_unit_test(test_audit_measure_record),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
