/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The measurer and the TDX RTMR extender against a fixture register tree (a
 * temp directory with rtmrN:sha384 files standing in for the kernel's sysfs
 * attributes): what is written for each event, the order audit head ->
 * extend -> event log -> measure record, when --measure-audit says an event
 * is due, and what a failing extender leaves behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "measure.h"
#include "measure_log.h"
#include "sample.h"

#define BOOT "0c1f4d2e-3333-4a5b-9c9d-000000000003"

struct fixture {
        char dir[64];
        char regs[96];
        char audit[96];
        char events[96];
};

static void fixture_make(struct fixture *f)
{
        const char *base = getenv("TMPDIR");
        uint8_t zero[MEASURE_SHA384_LEN] = { 0 };
        char path[160];
        FILE *fp;

        snprintf(f->dir, sizeof(f->dir), "%s/extend-XXXXXX", base && strlen(base) < 40 ? base : "/tmp");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->regs, sizeof(f->regs), "%s/measurements", f->dir);
        snprintf(f->audit, sizeof(f->audit), "%s/audit.log", f->dir);
        snprintf(f->events, sizeof(f->events), "%s/events.audit.log", f->dir);
        assert_int_equal(mkdir(f->regs, 0755), 0);
        /* What the kernel's tdx_guest exposes: four RTMRs and MRTD (read-only there). */
        for (int i = 0; i < 4; i++) {
                snprintf(path, sizeof(path), "%s/rtmr%d:sha384", f->regs, i);
                fp = fopen(path, "we");
                assert_non_null(fp);
                assert_int_equal(fwrite(zero, 1, sizeof(zero), fp), sizeof(zero));
                fclose(fp);
        }
}

static void rm_tree(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char path[512];
        struct stat st;

        assert_non_null(d);
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if ((size_t)snprintf(path, sizeof(path), "%.200s/%.255s", dir, de->d_name) >=
                    sizeof(path))
                        continue;
                if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                        rm_tree(path);
                else
                        (void)unlink(path);
        }
        closedir(d);
        (void)rmdir(dir);
}

/* The bytes the last write left in the fixture register. */
static void read_reg(const struct fixture *f, int i, uint8_t ret[MEASURE_SHA384_LEN])
{
        char path[160];
        int fd;

        snprintf(path, sizeof(path), "%s/rtmr%d:sha384", f->regs, i);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(pread(fd, ret, MEASURE_SHA384_LEN, 0), MEASURE_SHA384_LEN);
        close(fd);
}

static size_t count_lines(const char *path)
{
        FILE *fp = fopen(path, "re");
        size_t n = 0;
        int c;

        if (!fp)
                return 0;
        while ((c = fgetc(fp)) != EOF)
                n += c == '\n';
        fclose(fp);
        return n;
}

/* The last event line's sha384, parsed back. */
static void last_event(const char *path, struct measure_logged *ret)
{
        char line[MEASURE_LINE_MAX + 2], last[MEASURE_LINE_MAX + 2] = "", why[256];
        FILE *fp = fopen(path, "re");

        assert_non_null(fp);
        while (fgets(line, sizeof(line), fp))
                memcpy(last, line, sizeof(line));
        fclose(fp);
        last[strcspn(last, "\n")] = '\0';
        assert_int_equal(measure_event_parse(last, strlen(last), ret, why, sizeof(why)), 0);
}

static void test_rtmr_open_refusals(void **state)
{
        struct measure_extender e;
        struct fixture f;
        char why[256], path[160];
        (void)state;

        fixture_make(&f);
        assert_int_equal(measure_rtmr_open(f.regs, 4, &e, why, sizeof(why)), -EINVAL);
        assert_non_null(strstr(why, "RTMR 0 to 3"));
        snprintf(path, sizeof(path), "%s/none", f.dir);
        assert_int_equal(measure_rtmr_open(path, 3, &e, why, sizeof(why)), -ENOENT);
        assert_non_null(strstr(why, "no TDX measurement registers"));
        snprintf(path, sizeof(path), "%s/rtmr2:sha384", f.regs);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(measure_rtmr_open(f.regs, 2, &e, why, sizeof(why)), -ENOENT);
        assert_non_null(strstr(why, "rtmr2:sha384 cannot be opened"));
        assert_int_equal(measure_rtmr_open(f.regs, 3, &e, why, sizeof(why)), 0);
        assert_string_equal(e.name, "rtmr:3");
        measure_extender_done(&e);
        rm_tree(f.dir);
}

/*
 * Each event writes exactly its SHA-384 digest to the register; the replay of
 * the event log is the chain of those writes, as the TDX module computes it.
 */
static void test_rtmr_measurer(void **state)
{
        struct audit_options ao;
        struct audit_log *log = NULL;
        struct measure_extender e;
        struct measurer m;
        struct measure_logged ev;
        struct measure_replay rp;
        struct audit_problem p = { 0 };
        uint8_t reg[MEASURE_SHA384_LEN], chain[MEASURE_SHA384_LEN] = { 0 };
        const struct measure_start_info info = { .version = "test", .policy = SAMPLE_DIGEST,
                                                 .mode = "enforce", .hooks = "none",
                                                 .tee = "none", .extender = "rtmr:3" };
        struct fixture f;
        char why[256];
        uint64_t seq;
        char head[AUDIT_HASH_HEX + 1];
        (void)state;

        fixture_make(&f);
        ao = sample_options(f.audit, 0);
        ao.measure = "rtmr:3";
        assert_int_equal(audit_open(&ao, &log), 0);
        assert_int_equal(measure_rtmr_open(f.regs, 3, &e, why, sizeof(why)), 0);
        assert_int_equal(measure_init(&m, &(struct measure_config){ .log_path = f.events, .boot = BOOT,
                                                                     .every = MEASURE_EVERY_RECORDS,
                                                                     .every_n = 2 },
                                      &e),
                         0);
        assert_null(e.ctx); /* the measurer owns it */

        /* Start names the genesis record, the head before it. */
        audit_head(log, &seq, head);
        assert_int_equal(measure_event(&m, log, MEASURE_OP_START, &info, NULL, NULL), 0);
        last_event(f.events, &ev);
        assert_int_equal(ev.audit_seq, seq);
        assert_string_equal(ev.audit_head, head);
        read_reg(&f, 3, reg);
        assert_memory_equal(reg, ev.sha384, MEASURE_SHA384_LEN);
        assert_int_equal(measure_extend(MEASURE_ALG_SHA384, chain, reg), 0);
        /* ... and the audit log chains the event: genesis, measure. */
        assert_int_equal(audit_head_seq(log), 1);

        /* Nothing new (the measure record only): not due. One record: not due either. */
        assert_int_equal(measure_tick(&m, log), 0);
        assert_int_equal(sample_append(log, 0), 0);
        assert_int_equal(measure_tick(&m, log), 0);
        assert_int_equal(sample_append(log, 1), 0);
        assert_int_equal(measure_tick(&m, log), 1);
        last_event(f.events, &ev);
        assert_int_equal(ev.op, MEASURE_OP_AUDIT_HEAD);
        assert_int_equal(ev.audit_seq, 3);
        read_reg(&f, 3, reg);
        assert_memory_equal(reg, ev.sha384, MEASURE_SHA384_LEN);
        assert_int_equal(measure_extend(MEASURE_ALG_SHA384, chain, reg), 0);

        /* Stop names the stop record and adds no record after it. */
        assert_int_equal(audit_stop(log), 0);
        audit_head(log, &seq, head);
        assert_int_equal(measure_event(&m, log, MEASURE_OP_STOP, NULL, NULL, NULL), 0);
        assert_int_equal(audit_head_seq(log), seq);
        last_event(f.events, &ev);
        assert_int_equal(ev.audit_seq, seq);
        assert_string_equal(ev.audit_head, head);
        read_reg(&f, 3, reg);
        assert_memory_equal(reg, ev.sha384, MEASURE_SHA384_LEN);
        assert_int_equal(measure_extend(MEASURE_ALG_SHA384, chain, reg), 0);

        assert_int_equal(measure_replay_file(f.events, MEASURE_ALG_SHA384, NULL, &rp, &p), 0);
        assert_int_equal(rp.n_events, 3);
        assert_memory_equal(rp.value, chain, MEASURE_SHA384_LEN);
        assert_true(rp.stopped);
        assert_int_equal(rp.head_seq, seq);
        /* The other registers were not touched. */
        read_reg(&f, 2, reg);
        assert_memory_equal(reg, (uint8_t[MEASURE_SHA384_LEN]){ 0 }, MEASURE_SHA384_LEN);
        measure_done(&m);
        log = audit_close(log);
        rm_tree(f.dir);
}

static int failing_extend(void *ctx, const struct measure_extend_args *a, const char **why)
{
        (void)a;
        (*(int *)ctx)++;
        *why = "the register refused";
        return -EIO;
}

/* A failed extend: no event line, no measure record, and the measurer stays failed. */
static void test_failing_extender(void **state)
{
        struct audit_log *log = NULL;
        struct measurer m;
        struct fixture f;
        int calls = 0;
        struct measure_extender e = { .name = "rtmr:3", .extend = failing_extend, .ctx = &calls };
        (void)state;

        fixture_make(&f);
        assert_int_equal(audit_open(&(struct audit_options){ .path = f.audit, .policy_digest = "none",
                                                             .tee = "none" },
                                    &log),
                         0);
        assert_int_equal(measure_init(&m, &(struct measure_config){ .log_path = f.events, .boot = BOOT,
                                                                     .every = MEASURE_EVERY_MS,
                                                                     .every_n = 1 },
                                      &e),
                         0);
        assert_int_equal(measure_event(&m, log, MEASURE_OP_AUDIT_HEAD, NULL, NULL, NULL), -EIO);
        assert_true(m.failed);
        assert_non_null(strstr(m.error, "extending rtmr:3 with the AuditHead event failed: "
                                        "the register refused"));
        assert_int_equal(calls, 1);
        assert_int_equal(count_lines(f.events), 0);
        assert_int_equal(audit_head_seq(log), 0);
        measure_done(&m);
        log = audit_close(log);
        rm_tree(f.dir);
}

static void test_every_parse(void **state)
{
        enum measure_every every;
        uint64_t n;
        static const char *const bad[] = { "", "records=", "records=0", "ms=-1", "ms=1x",
                                           "every 5", "records=99999999999", "Stop" };
        (void)state;

        assert_int_equal(measure_every_parse("records=500", &every, &n), 0);
        assert_int_equal(every, MEASURE_EVERY_RECORDS);
        assert_int_equal(n, 500);
        assert_int_equal(measure_every_parse("ms=250", &every, &n), 0);
        assert_int_equal(every, MEASURE_EVERY_MS);
        assert_int_equal(n, 250);
        assert_int_equal(measure_every_parse("stop", &every, &n), 0);
        assert_int_equal(every, MEASURE_EVERY_STOP);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (measure_every_parse(bad[i], &every, &n) != -EINVAL)
                        fail_msg("'%s' was accepted", bad[i]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rtmr_open_refusals),
                cmocka_unit_test(test_rtmr_measurer),
                cmocka_unit_test(test_failing_extender),
                cmocka_unit_test(test_every_parse),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
