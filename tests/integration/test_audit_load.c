/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit log under load and when it cannot be written, through a real
 * ccgate and the recording stub agent:
 *   load       50 concurrent clients send 10,000 requests (allowed and denied)
 *              while the log fsyncs every 10 ms and rotates at 128 KiB: every
 *              request has exactly one record, the seqs are contiguous across
 *              the rotated files, and `ccgate audit verify --closed` passes.
 *   disk-full  the log's file system (a small tmpfs) fills up: requests are
 *              denied with audit-unavailable and never reach the agent; with
 *              room again they are served and the chain goes on intact.
 *   read-only  the log's directory becomes immutable, so rotation cannot
 *              rename: the same; and a log on a read-only mount keeps ccgate
 *              from starting at all.
 * disk-full and read-only need root (mounts, chattr +i): without it they exit
 * 77 and say why. Usage: test_audit_load load|disk-full|read-only
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gate_env.h"
#include "harness.h"
#include "ttrpc.h"

#define N_CLIENTS 50
#define PER_CLIENT 200

#define MSG_AUDIT_UNAVAILABLE(name) \
        name " is blocked by policy: audit-unavailable: the audit record could not be written"

/* ---- load ---- */

struct client_job {
        const struct gate_env *e;
        unsigned index;
        long allowed, denied;
        int result;
        char what[256];
};

/* Request i of a client: allowed (GetGuestDetails, ReadStdout) or denied
 * (ExecProcess by the policy, an unknown method by the gate). */
static void *client_main(void *arg)
{
        struct client_job *job = arg;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        uint8_t exec[512], read[256];
        size_t exec_len, read_len;
        char cid[32];

        snprintf(cid, sizeof(cid), "c%u", job->index);
        exec_len = pack_exec_process(cid, "e1", exec, sizeof(exec));
        read_len = pack_read_stream(cid, "e1", read, sizeof(read));
        job->result = ttrpc_client_connect(job->e->host_addr, &c);
        if (job->result < 0) {
                snprintf(job->what, sizeof(job->what), "connect: %s", strerror(-job->result));
                return NULL;
        }
        for (unsigned i = 0; i < PER_CLIENT; i++) {
                static const char *const methods[] = { "GetGuestDetails", "ExecProcess",
                                                       "ReadStdout", "NoSuchMethod" };
                const char *m = methods[(i + job->index) % 4];
                bool allow = m == methods[0] || m == methods[2];
                const uint8_t *payload = m == methods[1] ? exec : m == methods[2] ? read : NULL;
                size_t len = m == methods[1] ? exec_len : m == methods[2] ? read_len : 0;
                struct ttrpc_reply r;
                int k;

                k = ttrpc_client_call(c, AGENT_SERVICE, m, payload, len, &r);
                if (k < 0) {
                        job->result = k;
                        snprintf(job->what, sizeof(job->what), "request %u (%s): %s", i, m,
                                 strerror(-k));
                        return NULL;
                }
                if (r.code != (allow ? 0 : TTRPC_CODE_PERMISSION_DENIED)) {
                        job->result = -EPROTO;
                        snprintf(job->what, sizeof(job->what), "request %u (%s): code %d '%s'", i,
                                 m, r.code, r.message);
                        ttrpc_reply_done(&r);
                        return NULL;
                }
                ttrpc_reply_done(&r);
                if (allow)
                        job->allowed++;
                else
                        job->denied++;
        }
        return NULL;
}

static double seconds_since(const struct timespec *t0)
{
        struct timespec t1;

        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_load(void **state)
{
        struct gate_env *e = *state;
        static struct client_job jobs[N_CLIENTS];
        pthread_t t[N_CLIENTS];
        struct gate_env_audit a;
        struct timespec t0;
        long allowed = 0, denied = 0, failed = 0;
        char why[512];
        double secs;

        gate_env_start_stub(e, NULL);
        gate_env_start_gate(e, "integration.yaml", "--audit-sync", "10", "--audit-rotate", "128K",
                            NULL);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (unsigned i = 0; i < N_CLIENTS; i++) {
                jobs[i] = (struct client_job){ .e = e, .index = i };
                assert_int_equal(pthread_create(&t[i], NULL, client_main, &jobs[i]), 0);
        }
        for (unsigned i = 0; i < N_CLIENTS; i++)
                assert_int_equal(pthread_join(t[i], NULL), 0);
        secs = seconds_since(&t0);
        for (unsigned i = 0; i < N_CLIENTS; i++) {
                if (jobs[i].result < 0) {
                        print_error("client %u: %s\n", i, jobs[i].what);
                        failed++;
                }
                allowed += jobs[i].allowed;
                denied += jobs[i].denied;
        }
        assert_int_equal(failed, 0);
        assert_int_equal(allowed + denied, N_CLIENTS * PER_CLIENT);
        print_message("%d requests (%ld allowed, %ld denied) from %d clients in %.2f s: "
                      "%.0f records/s\n", N_CLIENTS * PER_CLIENT, allowed, denied, N_CLIENTS,
                      secs, (N_CLIENTS * PER_CLIENT) / secs);

        /* Only the allowed reached the agent... */
        assert_int_equal(harness_record_lines(e->record), allowed);
        /* ...and every request has its record already: written before the answer. */
        assert_int_equal(gate_env_audit_read(e, &a, why, sizeof(why)), 0);
        print_message("audit log: %ld records in %ld files\n", a.records, a.files);
        assert_int_equal(a.decisions, N_CLIENTS * PER_CLIENT);
        assert_int_equal(a.allowed, allowed);
        assert_int_equal(a.denied, denied);
        assert_int_equal(a.runs, 1);
        assert_true(a.files > 1); /* it rotated */
        /* At teardown, after ccgate stopped: the same counts, and verify --closed. */
        gate_env_expect_audit(e, N_CLIENTS * PER_CLIENT, allowed);
}

/* ---- When the log cannot be written ---- */

/* Requests of several kinds, allowed and denied by the policy alike. */
static const struct {
        const char *method, *name;
} kinds[] = {
        { "GetGuestDetails", "GuestDetailsRequest" },
        { "ReadStdout", "ReadStreamRequest" },
        { "ExecProcess", "ExecProcessRequest" },
        { "CreateSandbox", "CreateSandboxRequest" },
};

static int call_code(struct ttrpc_client *c, const char *method, char *msg, size_t msg_len)
{
        struct ttrpc_reply r;
        int code;

        assert_int_equal(ttrpc_client_call(c, AGENT_SERVICE, method, NULL, 0, &r), 0);
        code = r.code;
        snprintf(msg, msg_len, "%s", r.message);
        ttrpc_reply_done(&r);
        return code;
}

/*
 * Send allowed requests until one is denied because its record could not be
 * written (a few may still fit, e.g. in the log's last page). Returns how many
 * were served first; fails the test when none is denied within max.
 */
static long until_unavailable(struct ttrpc_client *c, long max)
{
        char msg[512];

        for (long i = 0; i < max; i++) {
                int code = call_code(c, "GetGuestDetails", msg, sizeof(msg));

                if (code == TTRPC_CODE_OK)
                        continue;
                assert_int_equal(code, TTRPC_CODE_PERMISSION_DENIED);
                assert_string_equal(msg, MSG_AUDIT_UNAVAILABLE("GuestDetailsRequest"));
                return i;
        }
        fail_msg("no request was denied in %ld although the log cannot be written", max);
        return -1;
}

/* While the log cannot be written: every kind is denied, and the agent sees none. */
static void expect_all_unavailable(const struct gate_env *e, struct ttrpc_client *c, int rounds)
{
        long before = harness_record_lines(e->record);
        char msg[512], want[256];

        for (int round = 0; round < rounds; round++)
                for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                        assert_int_equal(call_code(c, kinds[k].method, msg, sizeof(msg)),
                                         TTRPC_CODE_PERMISSION_DENIED);
                        snprintf(want, sizeof(want), "%s is blocked by policy: audit-unavailable: "
                                 "the audit record could not be written", kinds[k].name);
                        assert_string_equal(msg, want);
                }
        assert_int_equal(harness_record_lines(e->record), before);
        assert_true(harness_alive(e->gate));
}

/* Stop ccgate cleanly, then the log must verify with --closed and hold `decisions`. */
static void stop_and_check(struct gate_env *e, long decisions, long forwarded)
{
        struct gate_env_audit a;
        char why[512];
        int status = harness_stop(&e->gate, SIGTERM);

        assert_true(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_int_equal(gate_env_audit_verify(e), 0);
        if (gate_env_audit_read(e, &a, why, sizeof(why)) < 0)
                fail_msg("audit log: %s", why);
        assert_int_equal(a.decisions, decisions);
        assert_int_equal(a.forwarded, forwarded);
        assert_int_equal(a.stops, 1);
}

static bool in_private_mounts;

/* Root, and a mount namespace of our own (ccgate inherits it). */
static bool private_mounts(void)
{
        if (in_private_mounts)
                return true;
        if (geteuid() != 0) {
                printf("SKIPPED: needs root (mounting a tmpfs, chattr +i), running as uid %u\n",
                       (unsigned)geteuid());
                return false;
        }
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                printf("SKIPPED: cannot make a private mount namespace: %s\n", strerror(errno));
                return false;
        }
        in_private_mounts = true;
        return true;
}

static void log_dir(struct gate_env *e, char *dir, size_t len)
{
        snprintf(dir, len, "%s/log", e->dir);
        assert_int_equal(mkdir(dir, 0700), 0);
        assert_true((size_t)snprintf(e->audit, sizeof(e->audit), "%s/audit.log", dir) <
                    sizeof(e->audit));
}

/* Whatever happened: the log's directory writable and unmounted, then the usual. */
static int faults_teardown(void **state)
{
        struct gate_env *e = *state;
        char dir[PATH_MAX];
        int fd, flags;

        snprintf(dir, sizeof(dir), "%s/log", e->dir);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL)) {
                        flags &= ~FS_IMMUTABLE_FL;
                        (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
                }
                close(fd);
        }
        harness_stop(&e->gate, SIGTERM);
        (void)umount2(dir, MNT_DETACH);
        return gate_env_teardown(state);
}

static size_t fill(const char *path)
{
        static char block[4096];
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

static void test_disk_full(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        char dir[PATH_MAX], filler[PATH_MAX + 16];
        long served, forwarded;

        log_dir(e, dir, sizeof(dir));
        if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=256k,mode=0700") < 0) {
                print_message("SKIPPED: mounting a tmpfs: %s\n", strerror(errno));
                skip();
        }
        gate_env_start(e);
        c = gate_env_connect(e);
        for (int i = 0; i < 10; i++)
                gate_env_barrier(c);

        snprintf(filler, sizeof(filler), "%s/filler", dir);
        assert_true(fill(filler) > 0);
        served = until_unavailable(c, 200);
        print_message("full: %ld more records fitted, then requests were denied\n", served);
        expect_all_unavailable(e, c, 5);

        /* Room again: served, and recorded. */
        assert_int_equal(unlink(filler), 0);
        for (int i = 0; i < 10; i++)
                gate_env_barrier(c);
        forwarded = harness_record_lines(e->record);
        assert_int_equal(forwarded, 10 + served + 10);
        ttrpc_client_free(TAKE_PTR(c));
        /* Every request with a record reached the agent; the denied ones have none. */
        stop_and_check(e, forwarded, forwarded);
}

static int set_immutable(const char *dir, bool on)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), flags, r = 0;

        if (fd < 0)
                return -errno;
        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
                r = -errno;
        if (r == 0) {
                flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
                if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
                        r = -errno;
        }
        close(fd);
        return r;
}

static void test_read_only(void **state)
{
        struct gate_env *e = *state;
        _cleanup_ttrpc_client_ struct ttrpc_client *c = NULL;
        char dir[PATH_MAX];
        long served, forwarded;
        int r;

        log_dir(e, dir, sizeof(dir));
        gate_env_start_stub(e, NULL);
        gate_env_start_gate(e, "integration.yaml", "--audit-rotate", "8K", NULL);
        c = gate_env_connect(e);
        gate_env_barrier(c);

        /* The live file stays writable; the rename of a rotation is refused. */
        r = set_immutable(dir, true);
        if (r < 0) {
                print_message("SKIPPED: chattr +i %s: %s\n", dir, strerror(-r));
                skip();
        }
        served = until_unavailable(c, 500);
        print_message("read-only directory: %ld more records until the rotation, then requests "
                      "were denied\n", served);
        expect_all_unavailable(e, c, 5);

        assert_int_equal(set_immutable(dir, false), 0);
        for (int i = 0; i < 10; i++)
                gate_env_barrier(c);
        forwarded = harness_record_lines(e->record);
        assert_int_equal(forwarded, 1 + served + 10);
        ttrpc_client_free(TAKE_PTR(c));
        stop_and_check(e, forwarded, forwarded);
}

/* A log that cannot be opened for writing at all: ccgate serves nothing. */
static void test_read_only_at_start(void **state)
{
        struct gate_env *e = *state;
        char dir[PATH_MAX], policy[PATH_MAX], out[PATH_MAX + 16];
        const char *pdir = getenv("POLICY_DIR");
        pid_t pid;
        int status;

        log_dir(e, dir, sizeof(dir));
        assert_int_equal(mount(dir, dir, NULL, MS_BIND, NULL), 0);
        assert_int_equal(mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), 0);
        gate_env_start_stub(e, NULL);
        snprintf(policy, sizeof(policy), "%s/integration.yaml", pdir && *pdir ? pdir : "policies");
        snprintf(out, sizeof(out), "%s/ccgate-ro.log", e->dir);
        {
                char *argv[] = { (char *)(getenv("CCGATE") ? getenv("CCGATE") : "./ccgate"),
                                 (char *)"run", (char *)"--listen", e->host_addr,
                                 (char *)"--agent", e->agent_addr, (char *)"--policy", policy,
                                 (char *)"--audit-log", e->audit, (char *)"--tee", (char *)"none",
                                 NULL };

                assert_int_equal(harness_spawn(argv, out, &pid), 0);
        }
        status = harness_wait_exit(&pid, HARNESS_WAIT_MS);
        assert_true(status >= 0 && WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 1);
        assert_int_equal(access(e->host_sock, F_OK), -1); /* it never listened */
        assert_int_equal(harness_record_lines(e->record), 0);
        {
                _cleanup_free_ char *text = NULL;

                assert_true(harness_read_file(out, &text) > 0);
                assert_non_null(strstr(text, "cannot open the audit log"));
        }
}

int main(int argc, char **argv)
{
        const struct CMUnitTest load[] = {
                cmocka_unit_test_setup_teardown(test_load, gate_env_setup, gate_env_teardown),
        };
        const struct CMUnitTest disk_full[] = {
                cmocka_unit_test_setup_teardown(test_disk_full, gate_env_setup, faults_teardown),
        };
        const struct CMUnitTest read_only[] = {
                cmocka_unit_test_setup_teardown(test_read_only, gate_env_setup, faults_teardown),
                cmocka_unit_test_setup_teardown(test_read_only_at_start, gate_env_setup,
                                                faults_teardown),
        };
        const char *what = argc > 1 ? argv[1] : "";

        /* A client whose connection ccgate closes must not kill the test. */
        signal(SIGPIPE, SIG_IGN);
        if (strcmp(what, "load") == 0)
                return cmocka_run_group_tests_name("audit-load", load, NULL, NULL);
        if (strcmp(what, "disk-full") == 0)
                return private_mounts() ? cmocka_run_group_tests_name("audit-disk-full", disk_full,
                                                                      NULL, NULL)
                                        : 77;
        if (strcmp(what, "read-only") == 0)
                return private_mounts() ? cmocka_run_group_tests_name("audit-read-only", read_only,
                                                                      NULL, NULL)
                                        : 77;
        fprintf(stderr, "usage: test_audit_load load|disk-full|read-only\n");
        return 2;
}
