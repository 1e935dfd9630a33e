/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_client: the host side of the end-to-end benchmarks. A lean blocking
 * ttRPC client (pre-encoded frames, stream ids stamped in place, responses
 * scanned where they lie in the read buffer: no per-call allocation, one
 * send() and usually one recv() per round trip), so that what is timed is the
 * path behind the socket. Every mode that compares paths takes several
 * addresses and alternates between them round by round, so that whatever else
 * the machine does falls on all of them alike.
 *
 * Usage: bench_client SOURCE_ROOT MODE ARGS...
 *   setup ADDR                           the web example's sandbox, pause and
 *                                        nginx containers and liveness probe
 *   latency COUNT ROUNDS ADDR...         small ReadStdout round trips, one at a time
 *   throughput read|write SIZE MS ROUNDS ADDR...
 *                                        ReadStdout answered with / WriteStdin
 *                                        carrying SIZE bytes, one at a time
 *   concurrency CLIENTS MS ROUNDS ADDR...
 *                                        CLIENTS connections (one thread each)
 *                                        doing small ReadStdouts at once
 *   soak ADDR PID TOTAL WINDOW CHECKPOINT...
 *                                        TOTAL requests (small ReadStdout, a
 *                                        denied kubectl exec, GetGuestDetails,
 *                                        CopyFile in turn), WINDOW in flight;
 *                                        /proc/PID/status at each checkpoint
 *   replay FRAMES ADDR...                a pod lifecycle's requests in order, once
 *                                        per path (bench_lifecycle writes FRAMES)
 * Results: one JSON document on stdout. ADDR is a unix socket path.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.pb-c.h"
#include "bench_util.h"
#include "cleanup.h"
#include "ttrpc.h"

#define AGENT_SERVICE "grpc.AgentService"
#define SMALL_READ 64u
#define RECV_TIMEOUT_S 30
#define WARMUP 2000u
#define MAX_ADDRS 8
#define MAX_CLIENTS 256
#define MAX_SAMPLES_PER_THREAD 200000u

static const char *source_root;
/* From the web example: nginx's container id and the liveness probe's exec id. */
static char container_id[256], probe_exec_id[256];

/* ---- a blocking connection ---------------------------------------------- */

struct bconn {
        int fd;
        uint32_t next_sid;
        struct ttrpc_reader rd;
};

struct breply {
        uint32_t stream_id;
        int32_t code;
        uint64_t first; /* the response message's field 1: bytes length, or varint value */
};

static int bconn_open(const char *addr, struct bconn *c)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = RECV_TIMEOUT_S };
        const char *path = strncmp(addr, "unix:", 5) == 0 ? addr + 5 : addr;
        _cleanup_close_ int fd = -1;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* A peer that stops answering fails the run instead of hanging it. */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        *c = (struct bconn){ .fd = TAKE_FD(fd), .next_sid = 1 };
        ttrpc_reader_init(&c->rd);
        return 0;
}

static void bconn_close(struct bconn *c)
{
        safe_close(c->fd);
        ttrpc_reader_done(&c->rd);
        c->fd = -1;
}

/* Send frame (a whole request frame) on the next stream id, stamped in place. */
static int bconn_send(struct bconn *c, uint8_t *frame, size_t len)
{
        uint32_t sid = c->next_sid;

        c->next_sid += 2;
        frame[4] = (uint8_t)(sid >> 24);
        frame[5] = (uint8_t)(sid >> 16);
        frame[6] = (uint8_t)(sid >> 8);
        frame[7] = (uint8_t)sid;
        while (len > 0) {
                ssize_t n = send(c->fd, frame, len, MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                frame += n;
                len -= (size_t)n;
        }
        return 0;
}

static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
        uint64_t v = 0;

        for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
                uint8_t b = *(*p)++;

                v |= (uint64_t)(b & 0x7f) << shift;
                if (!(b & 0x80)) {
                        *ret = v;
                        return true;
                }
        }
        return false;
}

/*
 * Walk the top-level fields of a message; for field number want, give its
 * value (varint) or its bytes (length-delimited). Returns true when found.
 */
static bool pb_field(const uint8_t *p, size_t len, uint32_t want, uint64_t *ret_v,
                     const uint8_t **ret_data)
{
        const uint8_t *end = p + len;
        bool found = false;

        while (p < end) {
                uint64_t key, v;

                if (!varint(&p, end, &key))
                        return false;
                switch (key & 7) {
                case 0:
                        if (!varint(&p, end, &v))
                                return false;
                        if ((key >> 3) == want) {
                                *ret_v = v;
                                *ret_data = NULL;
                                found = true;
                        }
                        break;
                case 2:
                        if (!varint(&p, end, &v) || v > (uint64_t)(end - p))
                                return false;
                        if ((key >> 3) == want) {
                                *ret_v = v;
                                *ret_data = p;
                                found = true;
                        }
                        p += v;
                        break;
                case 1:
                        p += 8;
                        break;
                case 5:
                        p += 4;
                        break;
                default:
                        return false;
                }
        }
        return found && p == end;
}

/* Response{1 status{1 code}, 2 payload}: the code, and the payload's field 1. */
static int parse_response(const struct ttrpc_frame *f, struct breply *r)
{
        const uint8_t *status = NULL, *payload = NULL, *data;
        uint64_t status_len = 0, payload_len = 0, v = 0;

        if (f->header.type != TTRPC_TYPE_RESPONSE)
                return -EBADMSG;
        *r = (struct breply){ .stream_id = f->header.stream_id };
        if (pb_field(f->payload, f->header.length, 1, &status_len, &status) && status &&
            pb_field(status, status_len, 1, &v, &data))
                r->code = (int32_t)v;
        if (pb_field(f->payload, f->header.length, 2, &payload_len, &payload) && payload &&
            pb_field(payload, payload_len, 1, &v, &data))
                r->first = v;
        return 0;
}

static int bconn_recv(struct bconn *c, struct breply *r)
{
        for (;;) {
                struct ttrpc_frame f;
                size_t want, avail;
                uint8_t *p;
                ssize_t n;
                int k;

                k = ttrpc_reader_next(&c->rd, &f);
                if (k > 0)
                        return parse_response(&f, r);
                if (k < 0)
                        return k;
                want = ttrpc_reader_wanted(&c->rd);
                p = ttrpc_reader_space(&c->rd, want > 65536 ? want : 65536, &avail);
                if (!p)
                        return -ENOMEM;
                n = recv(c->fd, p, avail, 0);
                if (n == 0)
                        return -ECONNRESET;
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN ? -ETIMEDOUT : -errno;
                }
                ttrpc_reader_commit(&c->rd, (size_t)n);
        }
}

/* One round trip; the answer must be code want_code with field 1 equal to want_first
 * (UINT64_MAX: any). */
static int bconn_call(struct bconn *c, uint8_t *frame, size_t len, int32_t want_code,
                      uint64_t want_first)
{
        struct breply r;
        int k;

        k = bconn_send(c, frame, len);
        if (k < 0)
                return k;
        k = bconn_recv(c, &r);
        if (k < 0)
                return k;
        if (r.code != want_code || (want_first != UINT64_MAX && r.first != want_first)) {
                fprintf(stderr, "bench_client: unexpected answer: code %" PRId32 ", field 1 = %" PRIu64
                                " (wanted %" PRId32 ", %" PRIu64 ")\n",
                        r.code, r.first, want_code, want_first);
                return -EBADMSG;
        }
        return 0;
}

/* ---- requests ----------------------------------------------------------- */

struct bframe {
        uint8_t *buf;
        size_t len;
        uint64_t want_first; /* what field 1 of the answer must be */
        int32_t want_code;
};

static int frame_read(uint32_t size, struct bframe *ret)
{
        Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;
        uint8_t payload[1024];
        size_t n;

        req.container_id = container_id;
        req.exec_id = container_id; /* kubectl logs: the container's own process */
        req.len = size;
        n = grpc__read_stream_request__pack(&req, payload);
        ret->want_first = size;
        ret->want_code = 0;
        return bench_request_frame(AGENT_SERVICE, "ReadStdout", payload, n, 1, &ret->buf, &ret->len);
}

static int frame_write(uint32_t size, struct bframe *ret)
{
        Grpc__WriteStreamRequest req = GRPC__WRITE_STREAM_REQUEST__INIT;
        _cleanup_free_ uint8_t *data = malloc(size ? size : 1), *payload = NULL;
        size_t n;

        if (!data)
                return -ENOMEM;
        memset(data, 'x', size);
        req.container_id = container_id;
        req.exec_id = probe_exec_id; /* the probe's stdin is the one the policy lets through */
        req.data.data = data;
        req.data.len = size;
        payload = malloc(grpc__write_stream_request__get_packed_size(&req));
        if (!payload)
                return -ENOMEM;
        n = grpc__write_stream_request__pack(&req, payload);
        ret->want_first = size;
        ret->want_code = 0;
        return bench_request_frame(AGENT_SERVICE, "WriteStdin", payload, n, 1, &ret->buf, &ret->len);
}

static int frame_example(const char *file, int32_t want_code, struct bframe *ret)
{
        struct bench_request req;
        int r;

        r = bench_request_load(source_root, "web", file, &req);
        if (r < 0)
                return r;
        r = bench_request_frame(req.method->service, req.method->method, req.payload, req.len, 1,
                                &ret->buf, &ret->len);
        ret->want_code = want_code;
        ret->want_first = UINT64_MAX;
        bench_request_done(&req);
        return r;
}

static int load_ids(void)
{
        struct bench_request create, exec;
        int r;

        r = bench_request_load(source_root, "web", "03-create-nginx.json", &create);
        if (r < 0)
                return r;
        r = bench_request_load(source_root, "web", "04-exec-liveness.json", &exec);
        if (r < 0) {
                bench_request_done(&create);
                return r;
        }
        snprintf(container_id, sizeof(container_id), "%s",
                 ((Grpc__CreateContainerRequest *)create.message)->container_id);
        snprintf(probe_exec_id, sizeof(probe_exec_id), "%s",
                 ((Grpc__ExecProcessRequest *)exec.message)->exec_id);
        bench_request_done(&create);
        bench_request_done(&exec);
        return 0;
}

/* ---- modes -------------------------------------------------------------- */

static int fail(const char *what, int r)
{
        fprintf(stderr, "bench_client: %s: %s\n", what, strerror(r < 0 ? -r : r));
        return 1;
}

static int open_all(char **addrs, size_t n, struct bconn *conns)
{
        for (size_t i = 0; i < n; i++) {
                int r = bconn_open(addrs[i], &conns[i]);

                if (r < 0) {
                        fprintf(stderr, "bench_client: connect %s: %s\n", addrs[i], strerror(-r));
                        return r;
                }
        }
        return 0;
}

static int mode_setup(int argc, char **argv)
{
        static const char *const files[] = { "01-create-sandbox.json", "02-create-pause.json",
                                             "03-create-nginx.json", "04-exec-liveness.json" };
        struct bconn c;
        int r;

        if (argc != 1)
                return 2;
        r = bconn_open(argv[0], &c);
        if (r < 0)
                return fail(argv[0], r);
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                struct bframe f;

                r = frame_example(files[i], 0, &f);
                if (r < 0)
                        return fail(files[i], r);
                r = bconn_call(&c, f.buf, f.len, f.want_code, f.want_first);
                free(f.buf);
                if (r < 0)
                        return fail(files[i], r);
        }
        bconn_close(&c);
        printf("{\"setup\": \"ok\"}\n");
        return 0;
}

static int mode_latency(int argc, char **argv)
{
        struct bconn conns[MAX_ADDRS];
        uint64_t *samples[MAX_ADDRS] = { 0 };
        size_t count, rounds, per_round, n_addrs = (size_t)argc - 2;
        struct bframe f;
        json_t *doc = json_array();
        int r;

        if (argc < 3 || n_addrs > MAX_ADDRS)
                return 2;
        count = strtoul(argv[0], NULL, 10);
        rounds = strtoul(argv[1], NULL, 10);
        if (count == 0 || rounds == 0 || count % rounds)
                return 2;
        per_round = count / rounds;
        if ((r = frame_read(SMALL_READ, &f)) < 0 || (r = open_all(argv + 2, n_addrs, conns)) < 0)
                return fail("latency", r);
        for (size_t a = 0; a < n_addrs; a++) {
                if (!(samples[a] = calloc(count, sizeof(uint64_t))))
                        return fail("latency", -ENOMEM);
                for (size_t i = 0; i < WARMUP; i++)
                        if ((r = bconn_call(&conns[a], f.buf, f.len, 0, SMALL_READ)) < 0)
                                return fail(argv[2 + a], r);
        }
        for (size_t round = 0; round < rounds; round++)
                for (size_t a = 0; a < n_addrs; a++)
                        for (size_t i = round * per_round; i < (round + 1) * per_round; i++) {
                                uint64_t t0 = bench_now_ns();

                                r = bconn_call(&conns[a], f.buf, f.len, 0, SMALL_READ);
                                samples[a][i] = bench_now_ns() - t0;
                                if (r < 0)
                                        return fail(argv[2 + a], r);
                        }
        for (size_t a = 0; a < n_addrs; a++) {
                struct bench_stats st;

                bench_stats_compute(samples[a], count, &st);
                json_array_append_new(doc, json_pack("{s:s, s:o}", "addr", argv[2 + a], "rtt",
                                                     bench_stats_json(&st)));
                bconn_close(&conns[a]);
                free(samples[a]);
        }
        free(f.buf);
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(doc);
        return 0;
}

static int mode_throughput(int argc, char **argv)
{
        struct bconn conns[MAX_ADDRS];
        uint64_t bytes[MAX_ADDRS] = { 0 }, busy_ns[MAX_ADDRS] = { 0 }, calls[MAX_ADDRS] = { 0 };
        size_t n_addrs = (size_t)argc - 4, rounds;
        uint64_t slice_ns;
        uint32_t size;
        bool write;
        struct bframe f;
        json_t *doc = json_array();
        int r;

        if (argc < 5 || n_addrs > MAX_ADDRS)
                return 2;
        write = strcmp(argv[0], "write") == 0;
        if (!write && strcmp(argv[0], "read") != 0)
                return 2;
        size = (uint32_t)strtoul(argv[1], NULL, 10);
        rounds = strtoul(argv[3], NULL, 10);
        if (size == 0 || rounds == 0)
                return 2;
        slice_ns = strtoull(argv[2], NULL, 10) * UINT64_C(1000000) / rounds;
        r = write ? frame_write(size, &f) : frame_read(size, &f);
        if (r < 0 || (r = open_all(argv + 4, n_addrs, conns)) < 0)
                return fail("throughput", r);
        for (size_t a = 0; a < n_addrs; a++)
                for (size_t i = 0; i < 20; i++)
                        if ((r = bconn_call(&conns[a], f.buf, f.len, 0, f.want_first)) < 0)
                                return fail(argv[4 + a], r);
        for (size_t round = 0; round < rounds; round++)
                for (size_t a = 0; a < n_addrs; a++) {
                        uint64_t start = bench_now_ns(), now = start;

                        while (now - start < slice_ns) {
                                r = bconn_call(&conns[a], f.buf, f.len, 0, f.want_first);
                                if (r < 0)
                                        return fail(argv[4 + a], r);
                                calls[a]++;
                                bytes[a] += size;
                                now = bench_now_ns();
                        }
                        busy_ns[a] += now - start;
                }
        for (size_t a = 0; a < n_addrs; a++) {
                double secs = (double)busy_ns[a] / 1e9;

                json_array_append_new(
                        doc, json_pack("{s:s, s:s, s:I, s:I, s:f, s:f, s:f}", "addr", argv[4 + a],
                                       "stream", write ? "WriteStdin" : "ReadStdout", "payload",
                                       (json_int_t)size, "calls", (json_int_t)calls[a], "seconds",
                                       secs, "mib_per_s", (double)bytes[a] / secs / 1048576.0,
                                       "mean_call_us", secs * 1e6 / (double)calls[a]));
                bconn_close(&conns[a]);
        }
        free(f.buf);
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(doc);
        return 0;
}

struct worker {
        pthread_t thread;
        struct bconn conn;
        struct bframe frame; /* its own copy: stream ids are stamped into it */
        pthread_barrier_t *start;
        uint64_t duration_ns;
        uint64_t calls;
        uint64_t *samples;
        size_t n_samples;
        int error;
};

static void *worker_run(void *arg)
{
        struct worker *w = arg;
        uint64_t start, now;

        pthread_barrier_wait(w->start);
        start = now = bench_now_ns();
        while (now - start < w->duration_ns) {
                uint64_t t0 = now;
                int r = bconn_call(&w->conn, w->frame.buf, w->frame.len, 0, SMALL_READ);

                if (r < 0) {
                        w->error = r;
                        break;
                }
                now = bench_now_ns();
                w->calls++;
                if (w->n_samples < MAX_SAMPLES_PER_THREAD)
                        w->samples[w->n_samples++] = now - t0;
        }
        return NULL;
}

/* One round of n workers on their connections; adds to calls and the samples. */
static int concurrency_round(struct worker *w, size_t n, uint64_t duration_ns,
                             uint64_t *ret_elapsed_ns)
{
        pthread_barrier_t start;
        uint64_t t0;
        int r = 0;

        if (pthread_barrier_init(&start, NULL, (unsigned)n + 1) != 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                w[i].start = &start;
                w[i].duration_ns = duration_ns;
                if (pthread_create(&w[i].thread, NULL, worker_run, &w[i]) != 0)
                        abort(); /* a benchmark that cannot start its threads has nothing to say */
        }
        pthread_barrier_wait(&start);
        t0 = bench_now_ns();
        for (size_t i = 0; i < n; i++) {
                pthread_join(w[i].thread, NULL);
                if (w[i].error < 0)
                        r = w[i].error;
        }
        *ret_elapsed_ns += bench_now_ns() - t0;
        pthread_barrier_destroy(&start);
        return r;
}

/* clients workers connected to addr, each with its own copy of frame, warmed up. */
static struct worker *workers_open(const char *addr, size_t clients, const struct bframe *f)
{
        struct worker *w = calloc(clients, sizeof(struct worker));

        if (!w)
                return NULL;
        for (size_t i = 0; i < clients; i++) {
                struct worker *x = &w[i];

                x->samples = malloc(MAX_SAMPLES_PER_THREAD * sizeof(uint64_t));
                x->frame = (struct bframe){ .buf = malloc(f->len), .len = f->len };
                if (!x->samples || !x->frame.buf || bconn_open(addr, &x->conn) < 0)
                        return NULL; /* the process exits on this */
                memcpy(x->frame.buf, f->buf, f->len);
                for (size_t k = 0; k < 50; k++)
                        if (bconn_call(&x->conn, x->frame.buf, x->frame.len, 0, SMALL_READ) < 0)
                                return NULL;
        }
        return w;
}

/* Sum up and free the workers of one address. */
static json_t *workers_report(const char *addr, struct worker *w, size_t clients,
                              uint64_t elapsed_ns)
{
        uint64_t calls = 0, *all;
        size_t n = 0;
        struct bench_stats st;
        json_t *j;

        for (size_t i = 0; i < clients; i++)
                n += w[i].n_samples;
        all = malloc((n ? n : 1) * sizeof(uint64_t));
        if (!all)
                return NULL;
        n = 0;
        for (size_t i = 0; i < clients; i++) {
                calls += w[i].calls;
                memcpy(all + n, w[i].samples, w[i].n_samples * sizeof(uint64_t));
                n += w[i].n_samples;
                bconn_close(&w[i].conn);
                free(w[i].samples);
                free(w[i].frame.buf);
        }
        free(w);
        bench_stats_compute(all, n, &st);
        free(all);
        j = json_pack("{s:s, s:I, s:I, s:f, s:f, s:o}", "addr", addr, "clients",
                      (json_int_t)clients, "calls", (json_int_t)calls, "seconds",
                      (double)elapsed_ns / 1e9, "requests_per_s",
                      (double)calls / ((double)elapsed_ns / 1e9), "rtt", bench_stats_json(&st));
        return j;
}

static int mode_concurrency(int argc, char **argv)
{
        size_t clients, rounds, n_addrs = (size_t)argc - 3;
        uint64_t slice_ns, elapsed[MAX_ADDRS] = { 0 };
        struct worker *w[MAX_ADDRS];
        struct bframe f;
        json_t *doc = json_array();
        int r;

        if (argc < 4 || n_addrs > MAX_ADDRS)
                return 2;
        clients = strtoul(argv[0], NULL, 10);
        rounds = strtoul(argv[2], NULL, 10);
        if (clients == 0 || clients > MAX_CLIENTS || rounds == 0)
                return 2;
        slice_ns = strtoull(argv[1], NULL, 10) * UINT64_C(1000000) / rounds;
        if ((r = frame_read(SMALL_READ, &f)) < 0)
                return fail("concurrency", r);
        for (size_t a = 0; a < n_addrs; a++)
                if (!(w[a] = workers_open(argv[3 + a], clients, &f)))
                        return fail(argv[3 + a], EIO);
        for (size_t round = 0; round < rounds; round++)
                for (size_t a = 0; a < n_addrs; a++)
                        if ((r = concurrency_round(w[a], clients, slice_ns, &elapsed[a])) < 0)
                                return fail(argv[3 + a], r);
        for (size_t a = 0; a < n_addrs; a++) {
                json_t *j = workers_report(argv[3 + a], w[a], clients, elapsed[a]);

                if (!j)
                        return fail("concurrency", ENOMEM);
                json_array_append_new(doc, j);
        }
        free(f.buf);
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(doc);
        return 0;
}

/* VmRSS, VmHWM and RssAnon of pid, in KiB. */
static json_t *proc_memory(long pid, uint64_t requests)
{
        char path[64], line[256];
        long rss = -1, hwm = -1, anon = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%ld/status", pid);
        f = fopen(path, "re");
        if (!f)
                return NULL;
        while (fgets(line, sizeof(line), f)) {
                (void)(sscanf(line, "VmRSS: %ld", &rss) || sscanf(line, "VmHWM: %ld", &hwm) ||
                       sscanf(line, "RssAnon: %ld", &anon));
        }
        fclose(f);
        return json_pack("{s:I, s:I, s:I, s:I}", "requests", (json_int_t)requests, "vm_rss_kib",
                         (json_int_t)rss, "vm_hwm_kib", (json_int_t)hwm, "rss_anon_kib",
                         (json_int_t)anon);
}

static int mode_soak(int argc, char **argv)
{
        struct bframe mix[4];
        struct bconn c;
        uint64_t total, window, sent = 0, got = 0, codes_ok = 0, codes_denied = 0, t0;
        long pid;
        int next_cp = 4, r;
        json_t *samples = json_array(), *doc;

        if (argc < 5)
                return 2;
        pid = strtol(argv[1], NULL, 10);
        total = strtoull(argv[2], NULL, 10);
        window = strtoull(argv[3], NULL, 10);
        if (pid <= 0 || total == 0 || window == 0)
                return 2;
        if ((r = frame_read(SMALL_READ, &mix[0])) < 0 ||
            (r = frame_example("20-kubectl-exec.json", TTRPC_CODE_PERMISSION_DENIED, &mix[1])) < 0 ||
            (r = bench_request_frame(AGENT_SERVICE, "GetGuestDetails", NULL, 0, 1, &mix[2].buf,
                                     &mix[2].len)) < 0 ||
            (r = frame_example("07-copy-resolv-conf.json", 0, &mix[3])) < 0)
                return fail("soak", r);
        if ((r = bconn_open(argv[0], &c)) < 0)
                return fail(argv[0], r);

        json_array_append_new(samples, proc_memory(pid, 0));
        t0 = bench_now_ns();
        while (got < total) {
                struct breply rep;

                while (sent < total && sent - got < window) {
                        struct bframe *f = &mix[sent % ELEMENTSOF(mix)];

                        if ((r = bconn_send(&c, f->buf, f->len)) < 0)
                                return fail("soak send", r);
                        sent++;
                }
                if ((r = bconn_recv(&c, &rep)) < 0)
                        return fail("soak recv", r);
                got++;
                if (rep.code == 0)
                        codes_ok++;
                else if (rep.code == TTRPC_CODE_PERMISSION_DENIED)
                        codes_denied++;
                else
                        return fail("soak: an answer that is neither OK nor denied", EBADMSG);
                if (next_cp < argc && got == strtoull(argv[next_cp], NULL, 10)) {
                        json_array_append_new(samples, proc_memory(pid, got));
                        next_cp++;
                }
        }
        bconn_close(&c);
        /* One request in four is the denied kubectl exec. */
        if (codes_denied != total / 4 + (total % 4 > 1))
                return fail("soak: the denials are not the kubectl execs", EBADMSG);
        doc = json_pack("{s:I, s:f, s:I, s:I, s:o}", "requests", (json_int_t)total, "seconds",
                        (double)(bench_now_ns() - t0) / 1e9, "ok", (json_int_t)codes_ok, "denied",
                        (json_int_t)codes_denied, "samples", samples);
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(doc);
        for (size_t i = 0; i < ELEMENTSOF(mix); i++)
                free(mix[i].buf);
        return 0;
}

/*
 * replay FRAMES ADDR...: a whole pod lifecycle (bench_lifecycle's .frames file:
 * whole request frames) sent in order, one at a time, once on each path (a
 * sandbox is created once per ccgate: tools/bench starts a fresh one for each
 * pass); every answer must be OK.
 */
static int mode_replay(int argc, char **argv)
{
        struct bconn conns[MAX_ADDRS];
        size_t n_addrs = (size_t)argc - 1, n_frames = 0, off = 0;
        struct {
                uint8_t *p;
                size_t len;
        } frames[256];
        _cleanup_free_ char *text = NULL;
        json_t *doc = json_array();
        long len;
        int r;

        if (argc < 2 || n_addrs > MAX_ADDRS)
                return 2;
        if ((len = bench_read_file(argv[0], &text)) < 0)
                return fail(argv[0], (int)len);
        while (off + TTRPC_HEADER_SIZE <= (size_t)len && n_frames < ELEMENTSOF(frames)) {
                struct ttrpc_header h;

                if (ttrpc_header_parse((const uint8_t *)text + off, (size_t)len - off, &h) < 0 ||
                    h.length > (size_t)len - off - TTRPC_HEADER_SIZE)
                        break;
                frames[n_frames].p = (uint8_t *)text + off;
                frames[n_frames++].len = TTRPC_HEADER_SIZE + h.length;
                off += TTRPC_HEADER_SIZE + h.length;
        }
        if (off != (size_t)len || n_frames == 0)
                return fail(argv[0], -EBADMSG);
        if ((r = open_all(argv + 1, n_addrs, conns)) < 0)
                return fail("replay", r);
        for (size_t a = 0; a < n_addrs; a++) {
                uint64_t start = bench_now_ns();

                for (size_t i = 0; i < n_frames; i++)
                        if ((r = bconn_call(&conns[a], frames[i].p, frames[i].len, 0,
                                            UINT64_MAX)) < 0)
                                return fail(argv[1 + a], r);
                json_array_append_new(doc, json_pack("{s:s, s:I, s:I}", "addr", argv[1 + a],
                                                     "requests", (json_int_t)n_frames, "ns",
                                                     (json_int_t)(bench_now_ns() - start)));
                bconn_close(&conns[a]);
        }
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(doc);
        return 0;
}

int main(int argc, char **argv)
{
        static const struct {
                const char *name;
                int (*run)(int argc, char **argv);
        } modes[] = {
                { "setup", mode_setup },           { "latency", mode_latency },
                { "throughput", mode_throughput }, { "concurrency", mode_concurrency },
                { "soak", mode_soak },             { "replay", mode_replay },
        };
        int r;

        if (argc < 3) {
                fprintf(stderr, "usage: %s SOURCE_ROOT setup|latency|throughput|concurrency|soak|replay "
                                "ARGS... (see the source)\n",
                        argv[0]);
                return 2;
        }
        source_root = argv[1];
        r = load_ids();
        if (r < 0)
                return fail("the web example's requests", r);
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (strcmp(argv[2], modes[i].name) == 0) {
                        r = modes[i].run(argc - 3, argv + 3);
                        if (r == 2)
                                fprintf(stderr, "bench_client: bad arguments for %s\n", argv[2]);
                        return r;
                }
        fprintf(stderr, "bench_client: unknown mode %s\n", argv[2]);
        return 2;
}
