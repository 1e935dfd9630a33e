/* SPDX-License-Identifier: Apache-2.0 */
#include "gate_env.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>

#include "agent.pb-c.h"
#include "harness.h"
#include "oci.pb-c.h"
#include "ttrpc.h"

#define MAX_ARGS 32

static const char *env_or(const char *name, const char *fallback)
{
        const char *v = getenv(name);

        return v && *v ? v : fallback;
}

int gate_env_setup(void **state)
{
        struct gate_env *e = calloc(1, sizeof(*e));

        if (!e)
                return -1;
        if (harness_tmpdir("ccgate-int", &e->dir) < 0) {
                free(e);
                return -1;
        }
        snprintf(e->host_sock, sizeof(e->host_sock), "%s/host.sock", e->dir);
        snprintf(e->host_addr, sizeof(e->host_addr), "unix:%s", e->host_sock);
        snprintf(e->agent_sock, sizeof(e->agent_sock), "%s/agent.sock", e->dir);
        snprintf(e->agent_addr, sizeof(e->agent_addr), "unix:%s", e->agent_sock);
        snprintf(e->record, sizeof(e->record), "%s/record", e->dir);
        snprintf(e->audit, sizeof(e->audit), "%s/audit.log", e->dir);
        snprintf(e->gate_log, sizeof(e->gate_log), "%s/ccgate.log", e->dir);
        snprintf(e->stub_log, sizeof(e->stub_log), "%s/stub.log", e->dir);
        *state = e;
        return 0;
}

static void dump_log(const char *what, const char *path)
{
        _cleanup_free_ char *text = NULL;
        ssize_t n = harness_read_file(path, &text);
        const char *start;

        if (n <= 0)
                return;
        /* The tail is what explains a failure; a whole debug log would bury it. */
        start = n > 4000 ? text + n - 4000 : text;
        fprintf(stderr, "---- %s (%s) ----\n%s---- end of %s ----\n", what, path, start, what);
}

static bool audit_check(struct gate_env *e);

int gate_env_teardown(void **state)
{
        struct gate_env *e = *state;
        bool was_started = e->gate > 0, crashed = false, unclean = false, audit_bad = false;
        int status = 0;

        if (was_started) {
                crashed = !harness_alive(e->gate);
                status = harness_stop(&e->gate, SIGTERM);
                unclean = status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        }
        harness_stop(&e->stub, SIGKILL);
        /* Once ccgate has stopped cleanly its log is complete: one record per request. */
        if (was_started && !crashed && !unclean)
                audit_bad = !audit_check(e);

        if (crashed || unclean) {
                if (status >= 0 && WIFSIGNALED(status))
                        fprintf(stderr, "ccgate %s: killed by signal %d\n",
                                crashed ? "died during the test" : "did not stop cleanly",
                                WTERMSIG(status));
                else
                        fprintf(stderr, "ccgate %s: exit status %d\n",
                                crashed ? "died during the test" : "did not stop cleanly",
                                status >= 0 ? WEXITSTATUS(status) : status);
                dump_log("ccgate log", e->gate_log);
                dump_log("stub agent log", e->stub_log);
        }
        if (getenv("CCGATE_TEST_KEEP"))
                fprintf(stderr, "kept %s\n", e->dir);
        else
                harness_rm_rf(e->dir);
        free(e->dir);
        free(e);
        return crashed || unclean || audit_bad ? -1 : 0;
}

static void spawn_with(const char *log, pid_t *pid, char **argv, size_t n, va_list ap)
{
        char *a;

        while ((a = va_arg(ap, char *)) && n < MAX_ARGS - 1)
                argv[n++] = a;
        argv[n] = NULL;
        assert_int_equal(harness_spawn(argv, log, pid), 0);
}

void gate_env_start_stub(struct gate_env *e, ...)
{
        char *argv[MAX_ARGS];
        size_t n = 0;
        va_list ap;

        argv[n++] = (char *)env_or("STUB_AGENT", "./stub_agent");
        argv[n++] = (char *)"--listen";
        argv[n++] = e->agent_addr;
        argv[n++] = (char *)"--record";
        argv[n++] = e->record;
        va_start(ap, e);
        spawn_with(e->stub_log, &e->stub, argv, n, ap);
        va_end(ap);
        assert_int_equal(harness_wait_listening(e->agent_sock, e->stub, HARNESS_WAIT_MS), 0);
}

void gate_env_kill_stub(struct gate_env *e)
{
        int status = harness_stop(&e->stub, SIGKILL);

        assert_true(status >= 0);
}

void gate_env_start_gate(struct gate_env *e, const char *policy, ...)
{
        char *argv[MAX_ARGS], policy_path[PATH_MAX];
        size_t n = 0;
        va_list ap;
        int r;

        if (policy[0] == '/')
                snprintf(policy_path, sizeof(policy_path), "%s", policy);
        else
                snprintf(policy_path, sizeof(policy_path), "%s/%s", env_or("POLICY_DIR", "policies"),
                         policy);
        /* meson test --setup valgrind runs ccgate under tests/valgrind/ccgate-valgrind. */
        if (getenv("CCGATE_WRAPPER") && *getenv("CCGATE_WRAPPER"))
                argv[n++] = getenv("CCGATE_WRAPPER");
        argv[n++] = (char *)env_or("CCGATE", "./ccgate");
        argv[n++] = (char *)"run";
        argv[n++] = (char *)"--listen";
        argv[n++] = e->host_addr;
        argv[n++] = (char *)"--agent";
        argv[n++] = e->agent_addr;
        argv[n++] = (char *)"--policy";
        argv[n++] = policy_path;
        argv[n++] = (char *)"--audit-log";
        argv[n++] = e->audit;
        argv[n++] = (char *)"--tee";
        argv[n++] = (char *)"none";
        va_start(ap, policy);
        spawn_with(e->gate_log, &e->gate, argv, n, ap);
        va_end(ap);
        r = harness_wait_listening(e->host_sock, e->gate, HARNESS_WAIT_MS);
        if (r < 0)
                dump_log("ccgate log", e->gate_log);
        assert_int_equal(r, 0);
}

void gate_env_start(struct gate_env *e)
{
        gate_env_start_stub(e, NULL);
        gate_env_start_gate(e, "integration.yaml", NULL);
}

struct ttrpc_client *gate_env_connect(const struct gate_env *e)
{
        struct ttrpc_client *c = NULL;

        assert_int_equal(ttrpc_client_connect(e->host_addr, &c), 0);
        return c;
}

struct ttrpc_client *gate_env_connect_agent(const struct gate_env *e)
{
        struct ttrpc_client *c = NULL;

        assert_int_equal(ttrpc_client_connect(e->agent_addr, &c), 0);
        return c;
}

void gate_env_barrier(struct ttrpc_client *c)
{
        struct ttrpc_reply r;

        assert_int_equal(ttrpc_client_call(c, AGENT_SERVICE, "GetGuestDetails", NULL, 0, &r), 0);
        assert_int_equal(r.code, 0);
        ttrpc_reply_done(&r);
}

long gate_env_seen(const struct gate_env *e, const char *method, const char *sha)
{
        char name[256];

        snprintf(name, sizeof(name), "%s/%s", AGENT_SERVICE, method);
        return harness_record_count(e->record, name, sha);
}

void gate_env_expect_denied(const struct gate_env *e, struct ttrpc_client *c, const char *service,
                            const char *method, const uint8_t *payload, size_t len,
                            const char *message)
{
        struct ttrpc_reply r;
        long before;

        /* Everything forwarded on c so far is on record before we count. */
        gate_env_barrier(c);
        before = harness_record_lines(e->record);
        assert_int_equal(ttrpc_client_call(c, service, method, payload, len, &r), 0);
        if (r.code != TTRPC_CODE_PERMISSION_DENIED || strcmp(r.message, message) != 0)
                print_error("%s/%s: got %d '%s'\n", service, method, r.code, r.message);
        assert_int_equal(r.code, TTRPC_CODE_PERMISSION_DENIED);
        assert_string_equal(r.message, message);
        assert_int_equal(r.payload_len, 0);
        ttrpc_reply_done(&r);
        /* The barrier's line, and nothing of the denied request. */
        gate_env_barrier(c);
        assert_int_equal(harness_record_lines(e->record), before + 1);
}

size_t pack_read_stream(const char *container_id, const char *exec_id, uint8_t *buf, size_t cap)
{
        Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;

        req.container_id = (char *)container_id;
        req.exec_id = (char *)exec_id;
        req.len = 4096;
        assert_true(grpc__read_stream_request__get_packed_size(&req) <= cap);
        return grpc__read_stream_request__pack(&req, buf);
}

size_t pack_exec_process(const char *container_id, const char *exec_id, uint8_t *buf, size_t cap)
{
        Grpc__ExecProcessRequest req = GRPC__EXEC_PROCESS_REQUEST__INIT;
        Grpc__Process proc = GRPC__PROCESS__INIT;
        char *args[] = { (char *)"/bin/sh", (char *)"-c", (char *)"cat /secrets/key" };
        char *env[] = { (char *)"PASSWORD=hunter2" };

        proc.args = args;
        proc.n_args = ELEMENTSOF(args);
        proc.env = env;
        proc.n_env = ELEMENTSOF(env);
        proc.cwd = (char *)"/";
        req.container_id = (char *)container_id;
        req.exec_id = (char *)exec_id;
        req.process = &proc;
        assert_true(grpc__exec_process_request__get_packed_size(&req) <= cap);
        return grpc__exec_process_request__pack(&req, buf);
}

void read_stream_data(const struct ttrpc_reply *r, char *out, size_t cap)
{
        Grpc__ReadStreamResponse *resp;

        resp = grpc__read_stream_response__unpack(NULL, r->payload_len, r->payload);
        assert_non_null(resp);
        assert_true(resp->data.len < cap);
        if (resp->data.len)
                memcpy(out, resp->data.data, resp->data.len);
        out[resp->data.len] = '\0';
        grpc__read_stream_response__free_unpacked(resp, NULL);
}

size_t make_frame(uint8_t *buf, size_t cap, uint32_t stream_id, uint8_t type, uint8_t flags,
                  const uint8_t *payload, size_t len)
{
        struct ttrpc_header h = {
                .length = (uint32_t)len,
                .stream_id = stream_id,
                .type = type,
                .flags = flags,
        };

        assert_true(cap >= TTRPC_HEADER_SIZE && cap - TTRPC_HEADER_SIZE >= len);
        ttrpc_header_encode(&h, buf);
        if (len > 0)
                memcpy(buf + TTRPC_HEADER_SIZE, payload, len);
        return TTRPC_HEADER_SIZE + len;
}

/* ---- The audit log ---- */

#define AUDIT_MAX_FILES 256

/* One record, as far as the checks need it. */
struct audit_entry {
        long seq;
        long run; /* filled after sorting by seq */
        int64_t conn, stream;
        bool decision, lifecycle_start, stop, outcome, forwarded;
        long decision_seq;   /* outcome: the decision it follows up */
        int outcomes;        /* decision: outcome records that follow it up */
        char verdict[8], rule[64], what[16], why[24];
        bool has_code;
        int64_t code;
};

static int entry_by_seq(const void *a, const void *b)
{
        const struct audit_entry *x = a, *y = b;

        return (x->seq > y->seq) - (x->seq < y->seq);
}

static int entry_by_request(const void *a, const void *b)
{
        const struct audit_entry *x = a, *y = b;

        if (x->decision != y->decision)
                return (int)x->decision - (int)y->decision;
        if (x->run != y->run)
                return (x->run > y->run) - (x->run < y->run);
        if (x->conn != y->conn)
                return (x->conn > y->conn) - (x->conn < y->conn);
        return (x->stream > y->stream) - (x->stream < y->stream);
}

/* The audit log's files: e->audit and e->audit.N, as paths into names. */
static int audit_files(const struct gate_env *e, char names[][PATH_MAX], size_t max, size_t *ret_n)
{
        const char *base = strrchr(e->audit, '/') + 1;
        size_t blen = strlen(base), n = 0;
        char dir[PATH_MAX];
        struct dirent *de;
        DIR *d;

        if (base - 1 - e->audit >= 3800)
                return -ENAMETOOLONG;
        snprintf(dir, sizeof(dir), "%.*s", (int)(base - 1 - e->audit), e->audit);
        d = opendir(dir);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                if (strncmp(de->d_name, base, blen) != 0 ||
                    (de->d_name[blen] != '\0' && de->d_name[blen] != '.'))
                        continue;
                if (n == max) {
                        closedir(d);
                        return -E2BIG;
                }
                if ((size_t)snprintf(names[n], PATH_MAX, "%.3800s/%s", dir, de->d_name) >= PATH_MAX) {
                        closedir(d);
                        return -ENAMETOOLONG;
                }
                n++;
        }
        closedir(d);
        *ret_n = n;
        return 0;
}

static int read_entries(const char *path, struct audit_entry **entries, size_t *n, size_t *cap,
                        struct gate_env_audit *a, char *why, size_t why_len)
{
        _cleanup_free_ char *text = NULL;
        ssize_t len = harness_read_file(path, &text);
        long lineno = 0;

        if (len < 0) {
                snprintf(why, why_len, "%s: %s", path, strerror((int)-len));
                return (int)len;
        }
        if (len > 0 && text[len - 1] != '\n') {
                snprintf(why, why_len, "%s: the last line has no newline", path);
                return -EBADMSG;
        }
        a->files += len > 0;
        for (char *p = text, *nl; p < text + len; p = nl + 1) {
                json_error_t jerr;
                json_t *j;
                const char *type;
                struct audit_entry *x;

                nl = memchr(p, '\n', (size_t)(text + len - p));
                lineno++;
                j = json_loadb(p, (size_t)(nl - p), 0, &jerr);
                type = json_string_value(json_object_get(j, "type"));
                if (!j || !type || !json_is_integer(json_object_get(j, "seq"))) {
                        snprintf(why, why_len, "%s:%ld: not a record", path, lineno);
                        json_decref(j);
                        return -EBADMSG;
                }
                if (*n == *cap) {
                        size_t c = *cap ? 2 * *cap : 1024;
                        struct audit_entry *m = realloc(*entries, c * sizeof(**entries));

                        if (!m) {
                                json_decref(j);
                                return -ENOMEM;
                        }
                        *entries = m;
                        *cap = c;
                }
                x = &(*entries)[(*n)++];
                *x = (struct audit_entry){
                        .seq = (long)json_integer_value(json_object_get(j, "seq")),
                        .decision = strcmp(type, "decision") == 0,
                        .lifecycle_start = strcmp(type, "genesis") == 0 ||
                                           strcmp(type, "start") == 0,
                        .stop = strcmp(type, "stop") == 0,
                        .outcome = strcmp(type, "outcome") == 0,
                        .forwarded = json_is_true(json_object_get(j, "forwarded")),
                        .decision_seq = (long)json_integer_value(json_object_get(j, "decision_seq")),
                        .conn = json_integer_value(json_object_get(j, "conn")),
                        .stream = json_integer_value(json_object_get(j, "stream")),
                        .has_code = json_is_integer(json_object_get(j, "code")),
                        .code = json_integer_value(json_object_get(j, "code")),
                };
                snprintf(x->verdict, sizeof(x->verdict), "%s",
                         json_string_value(json_object_get(j, "decision")) ?: "");
                snprintf(x->rule, sizeof(x->rule), "%s",
                         json_string_value(json_object_get(j, "rule")) ?: "");
                snprintf(x->what, sizeof(x->what), "%s",
                         json_string_value(json_object_get(j, "outcome")) ?: "");
                snprintf(x->why, sizeof(x->why), "%s",
                         json_string_value(json_object_get(j, "why")) ?: "");
                a->records++;
                a->runs += x->lifecycle_start;
                a->stops += x->stop;
                a->outcomes += x->outcome;
                if (x->decision) {
                        const char *d = json_string_value(json_object_get(j, "decision"));

                        a->decisions++;
                        a->allowed += d && strcmp(d, "allow") == 0;
                        a->denied += d && strcmp(d, "deny") == 0;
                        a->forwarded += json_is_true(json_object_get(j, "forwarded"));
                }
                json_decref(j);
        }
        return 0;
}

/*
 * Every record of the audit log in seq order, checked as gate_env_audit_read()
 * says. *ret_entries is malloc'ed.
 */
static int audit_load(const struct gate_env *e, struct gate_env_audit *ret,
                      struct audit_entry **ret_entries, size_t *ret_n, char *why, size_t why_len)
{
        static char names[AUDIT_MAX_FILES][PATH_MAX];
        _cleanup_free_ struct audit_entry *entries = NULL, *by_request = NULL;
        _cleanup_free_ bool *stopped = NULL;
        struct gate_env_audit a = { .max_seq = -1 };
        size_t n_files = 0, n = 0, cap = 0;
        long run = -1;
        int r;

        r = audit_files(e, names, AUDIT_MAX_FILES, &n_files);
        if (r < 0) {
                snprintf(why, why_len, "listing the files of %s: %s", e->audit, strerror(-r));
                return r;
        }
        for (size_t i = 0; i < n_files; i++) {
                r = read_entries(names[i], &entries, &n, &cap, &a, why, why_len);
                if (r < 0)
                        return r;
        }
        if (n == 0) {
                snprintf(why, why_len, "%s: no records", e->audit);
                return -EBADMSG;
        }
        qsort(entries, n, sizeof(*entries), entry_by_seq);
        for (size_t i = 0; i < n; i++) {
                if (entries[i].seq != (long)i) {
                        snprintf(why, why_len, "seq %ld where %zu was expected: a record is %s",
                                 entries[i].seq, i,
                                 i > 0 && entries[i].seq == entries[i - 1].seq ? "repeated"
                                                                              : "missing");
                        return -EBADMSG;
                }
                run += entries[i].lifecycle_start;
                entries[i].run = run;
        }
        a.max_seq = entries[n - 1].seq;

        /* Each outcome follows up one forwarded decision of its run, on its stream. */
        for (size_t i = 0; i < n; i++) {
                struct audit_entry *o = &entries[i], *d;

                if (!o->outcome)
                        continue;
                d = o->decision_seq >= 0 && (size_t)o->decision_seq < i
                            ? &entries[o->decision_seq] : NULL;
                if (!d || !d->decision || !d->forwarded || d->run != o->run ||
                    d->conn != o->conn || d->stream != o->stream) {
                        snprintf(why, why_len, "seq %ld: an outcome record for conn %" PRId64
                                 " stream %" PRId64 " that follows up no forwarded decision of "
                                 "that stream (decision_seq %ld)",
                                 o->seq, o->conn, o->stream, o->decision_seq);
                        return -EBADMSG;
                }
                d->outcomes++;
        }
        /* ...and each forwarded decision of a run that stopped has exactly one. */
        stopped = calloc((size_t)run + 2, sizeof(*stopped));
        if (!stopped)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (entries[i].stop)
                        stopped[entries[i].run + 1] = true;
        for (size_t i = 0; i < n; i++) {
                const struct audit_entry *d = &entries[i];

                if (!d->decision || !d->forwarded)
                        continue;
                if (d->outcomes > 1 || (stopped[d->run + 1] && d->outcomes != 1)) {
                        snprintf(why, why_len, "seq %ld: a forwarded decision (conn %" PRId64
                                 " stream %" PRId64 ") with %d outcome records",
                                 d->seq, d->conn, d->stream, d->outcomes);
                        return -EBADMSG;
                }
        }

        /* One request, one record: no (run, conn, stream) twice among decisions. */
        by_request = malloc(n * sizeof(*by_request));
        if (!by_request)
                return -ENOMEM;
        memcpy(by_request, entries, n * sizeof(*by_request));
        qsort(by_request, n, sizeof(*by_request), entry_by_request);
        for (size_t i = 1; i < n; i++) {
                const struct audit_entry *x = &by_request[i - 1], *y = &by_request[i];

                if (x->decision && y->decision && entry_by_request(x, y) == 0) {
                        snprintf(why, why_len, "seqs %ld and %ld: two decision records for conn "
                                 "%" PRId64 " stream %" PRId64 " of one ccgate run",
                                 x->seq, y->seq, x->conn, x->stream);
                        return -EBADMSG;
                }
        }
        *ret = a;
        *ret_entries = TAKE_PTR(entries);
        *ret_n = n;
        return 0;
}

int gate_env_audit_read(const struct gate_env *e, struct gate_env_audit *ret, char *why,
                        size_t why_len)
{
        _cleanup_free_ struct audit_entry *entries = NULL;
        size_t n;

        return audit_load(e, ret, &entries, &n, why, why_len);
}

int gate_env_audit_requests(const struct gate_env *e, struct gate_env_request **ret,
                            size_t *ret_n, char *why, size_t why_len)
{
        _cleanup_free_ struct audit_entry *entries = NULL;
        _cleanup_free_ struct gate_env_request *reqs = NULL;
        _cleanup_free_ size_t *outcome_of = NULL;
        struct gate_env_audit a;
        size_t n, k = 0;
        int r;

        r = audit_load(e, &a, &entries, &n, why, why_len);
        if (r < 0)
                return r;
        reqs = calloc(n, sizeof(*reqs));
        outcome_of = calloc(n, sizeof(*outcome_of)); /* seq -> its outcome's seq; 0: none */
        if (!reqs || !outcome_of)
                return -ENOMEM;
        for (size_t j = 0; j < n; j++)
                if (entries[j].outcome)
                        outcome_of[entries[j].decision_seq] = j; /* checked by audit_load() */
        for (size_t i = 0; i < n; i++) {
                const struct audit_entry *d = &entries[i];
                struct gate_env_request *q;

                if (!d->decision || d->run != entries[n - 1].run)
                        continue;
                q = &reqs[k++];
                *q = (struct gate_env_request){ .conn = d->conn, .stream = d->stream,
                                                .forwarded = d->forwarded,
                                                .outcomes = d->outcomes };
                snprintf(q->decision, sizeof(q->decision), "%s", d->verdict);
                snprintf(q->rule, sizeof(q->rule), "%s", d->rule);
                if (outcome_of[i] > 0) {
                        const struct audit_entry *o = &entries[outcome_of[i]];

                        snprintf(q->outcome, sizeof(q->outcome), "%s", o->what);
                        snprintf(q->why, sizeof(q->why), "%s", o->why);
                        q->has_code = o->has_code;
                        q->code = o->code;
                }
        }
        *ret = TAKE_PTR(reqs);
        *ret_n = k;
        return 0;
}

const struct gate_env_request *gate_env_request_find(const struct gate_env_request *r, size_t n,
                                                     int64_t conn, int64_t stream)
{
        for (size_t i = 0; i < n; i++)
                if (r[i].conn == conn && r[i].stream == stream)
                        return &r[i];
        return NULL;
}

int gate_env_audit_verify(const struct gate_env *e)
{
        static char names[AUDIT_MAX_FILES][PATH_MAX];
        char *argv[AUDIT_MAX_FILES + 8], out[PATH_MAX];
        size_t n_files = 0, k = 0;
        pid_t pid;
        int r, status;

        r = audit_files(e, names, AUDIT_MAX_FILES, &n_files);
        if (r < 0)
                return r;
        argv[k++] = (char *)env_or("CCGATE", "./ccgate");
        argv[k++] = (char *)"audit";
        argv[k++] = (char *)"verify";
        argv[k++] = (char *)"--closed";
        argv[k++] = (char *)"--quiet";
        for (size_t i = 0; i < n_files; i++)
                argv[k++] = names[i];
        argv[k] = NULL;
        snprintf(out, sizeof(out), "%s/verify.out", e->dir);
        r = harness_spawn(argv, out, &pid);
        if (r < 0)
                return r;
        status = harness_wait_exit(&pid, HARNESS_WAIT_MS);
        if (status != 0)
                dump_log("ccgate audit verify", out);
        return status;
}

void gate_env_expect_audit(struct gate_env *e, long requests, long forwarded)
{
        e->audit_expected = true;
        e->audit_requests = requests;
        e->audit_forwarded = forwarded;
}

/* The teardown's checks; prints what is wrong. */
static bool audit_check(struct gate_env *e)
{
        struct gate_env_audit a;
        char why[512];
        int r;

        if (access(e->audit, F_OK) < 0)
                return true; /* ccgate never opened it */
        r = gate_env_audit_read(e, &a, why, sizeof(why));
        if (r < 0) {
                fprintf(stderr, "audit log: %s\n", why);
                return false;
        }
        r = gate_env_audit_verify(e);
        if (r != 0) {
                fprintf(stderr, "audit log: ccgate audit verify --closed: status %d\n", r);
                return false;
        }
        if (e->audit_expected &&
            (a.decisions != e->audit_requests || a.forwarded != e->audit_forwarded)) {
                fprintf(stderr, "audit log: %ld decision records (%ld forwarded) for %ld requests "
                                "(%ld forwarded)\n",
                        a.decisions, a.forwarded, e->audit_requests, e->audit_forwarded);
                return false;
        }
        return true;
}

