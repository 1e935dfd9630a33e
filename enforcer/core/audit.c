/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit log writer: hash-chained JSON lines, one write(2) per record,
 * fsync per policy, size-based rotation. See audit.h for the record format.
 */

/*
 * OpenSSL 3.0's EVP interface allocates a provider context at every digest
 * init, and audit_append() must not allocate. The SHA256_* functions (deprecated
 * in 3.0, still in every 3.x) hash in a context on the stack. Defined before
 * any header that could pull in OpenSSL's.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "audit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "config.h"
#include "hex.h"

#define AUDIT_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define AUDIT_HOOKS_MAX 256u
#define AUDIT_TEE_MAX 32u

struct audit_log {
        int fd;     /* the live file, O_APPEND, flock'ed */
        int dir_fd; /* its directory: rotation renames and creates relative to it */
        char *base; /* the live file's name in dir_fd */

        enum audit_sync sync;
        uint64_t sync_interval_ns;
        uint64_t rotate_bytes;
        uint64_t next_rotation; /* N of the next PATH.N */
        bool rotation_renamed;  /* renamed away, new live file not created yet */

        uint64_t size;        /* bytes of complete records in the live file */
        bool dirty;           /* a partial record could not be cut off again */
        bool pending;         /* records written since the last fsync */
        uint64_t last_sync_ns; /* CLOCK_MONOTONIC */

        uint64_t next_seq;
        uint64_t head_seq;
        char head[AUDIT_HASH_HEX + 1]; /* hash of the last record's line */

        /* Escaped once at open: the same in every record. */
        char policy[128];
        char tee[AUDIT_TEE_MAX + 3];
        char hooks[6 * AUDIT_HOOKS_MAX + 3];
        bool started; /* the first record is written: closing may add a stop record */

        char *buf; /* AUDIT_LINE_MAX + 1: the record being built; also read_tail()'s buffer */
};

/* ---- Building a line without allocating ---- */

struct line {
        char *p;
        size_t len, cap;
        bool overflow;
};

static void line_raw(struct line *l, const char *s, size_t n)
{
        if (l->overflow || n > l->cap - l->len) {
                l->overflow = true;
                return;
        }
        memcpy(l->p + l->len, s, n);
        l->len += n;
}

static void line_str(struct line *l, const char *s)
{
        line_raw(l, s, strlen(s));
}

static void line_u64(struct line *l, uint64_t v)
{
        char b[24];
        int n = snprintf(b, sizeof(b), "%" PRIu64, v);

        line_raw(l, b, (size_t)n);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];
        size_t len;
        unsigned char lo = 0x80, hi = 0xbf;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                len = 2;
        else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                if (c == 0xe0)
                        lo = 0xa0;
                else if (c == 0xed)
                        hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                if (c == 0xf0)
                        lo = 0x90;
                else if (c == 0xf4)
                        hi = 0x8f;
        } else
                return 0;
        if (n < len || s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i < len; i++)
                if (s[i] < 0x80 || s[i] > 0xbf)
                        return 0;
        return len;
}

/*
 * Append s[0..n) as a JSON string. Host bytes may be anything: control bytes
 * are escaped, bytes that are not UTF-8 become U+FFFD (the JSON must stay
 * valid for every reader), and input past max bytes is cut at a character
 * boundary. Returns true when it was cut.
 */
static bool line_json_string(struct line *l, const char *s, size_t n, size_t max)
{
        const unsigned char *u = (const unsigned char *)s;
        bool cut = false;
        size_t i = 0;

        line_raw(l, "\"", 1);
        while (i < n) {
                size_t k = utf8_seq_len(u + i, n - i);
                size_t step = k ? k : 1;
                char esc[8];

                if (i + step > max) {
                        cut = true;
                        break;
                }
                if (k == 0)
                        line_raw(l, "\\ufffd", 6);
                else if (k > 1)
                        line_raw(l, s + i, k);
                else if (u[i] == '"' || u[i] == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char)u[i];
                        line_raw(l, esc, 2);
                } else if (u[i] == '\n')
                        line_raw(l, "\\n", 2);
                else if (u[i] == '\t')
                        line_raw(l, "\\t", 2);
                else if (u[i] == '\r')
                        line_raw(l, "\\r", 2);
                else if (u[i] < 0x20 || u[i] == 0x7f) {
                        snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
                        line_raw(l, esc, 6);
                } else
                        line_raw(l, s + i, 1);
                i += step;
        }
        line_raw(l, "\"", 1);
        return cut;
}

/* ,"key":"value" or ,"key":null; a NUL-terminated value is read at most max+1 bytes far. */
static bool line_field_cstr(struct line *l, const char *key, const char *v, size_t max)
{
        line_raw(l, ",\"", 2);
        line_str(l, key);
        line_raw(l, "\":", 2);
        if (!v || !*v) {
                line_raw(l, "null", 4);
                return false;
        }
        return line_json_string(l, v, strnlen(v, max + 1), max);
}

static bool line_field_bytes(struct line *l, const char *key, const char *v, size_t n, size_t max)
{
        line_raw(l, ",\"", 2);
        line_str(l, key);
        line_raw(l, "\":", 2);
        if (!v) {
                line_raw(l, "null", 4);
                return false;
        }
        return line_json_string(l, v, n, max);
}

static void line_field_u64(struct line *l, const char *key, uint64_t v)
{
        line_raw(l, ",\"", 2);
        line_str(l, key);
        line_raw(l, "\":", 2);
        line_u64(l, v);
}

/* ---- Small helpers ---- */

static uint64_t now_ns(clockid_t clock)
{
        struct timespec ts;

        (void)clock_gettime(clock, &ts);
        return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* The hot-path digest: the context is on the stack, nothing is allocated. */
static int fast_sha256_hex(const void *buf, size_t len, char ret[AUDIT_HASH_HEX + 1])
{
        unsigned char d[SHA256_DIGEST_LENGTH];
        SHA256_CTX ctx;

        if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, buf, len) != 1 ||
            SHA256_Final(d, &ctx) != 1)
                return -EIO;
        (void)hex_encode(d, sizeof(d), ret, AUDIT_HASH_HEX + 1);
        return 0;
}

int audit_sha256_hex(const void *buf, size_t len, char ret[AUDIT_HASH_HEX + 1])
{
        return fast_sha256_hex(buf, len, ret);
}

static void line_begin(struct audit_log *log, struct line *l, uint64_t seq, const char *type)
{
        struct timespec ts;
        struct tm tm;
        char t[64];

        (void)clock_gettime(CLOCK_REALTIME, &ts);
        (void)gmtime_r(&ts.tv_sec, &tm);
        snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);

        *l = (struct line){ .p = log->buf, .cap = AUDIT_LINE_MAX - 1 /* room for '\n' */ };
        line_str(l, "{\"v\":1,\"seq\":");
        line_u64(l, seq);
        line_str(l, ",\"time\":\"");
        line_str(l, t);
        line_str(l, "\",\"type\":\"");
        line_str(l, type);
        line_raw(l, "\"", 1);
}

static int line_end(struct audit_log *log, struct line *l)
{
        line_str(l, ",\"prev\":\"");
        line_str(l, log->head);
        line_str(l, "\"}");
        if (l->overflow)
                return -ENOBUFS; /* the bounds above make this a programming error */
        l->p[l->len++] = '\n';
        return 0;
}

/* ---- Writing ---- */

static int log_fsync(struct audit_log *log)
{
        if (fsync(log->fd) < 0)
                return -errno;
        log->pending = false;
        log->last_sync_ns = now_ns(CLOCK_MONOTONIC);
        return 0;
}

/*
 * Take a failed record off the end again, so that the file ends with the last
 * good record and the next record's prev is right. When that fails the file
 * may end mid-record: refuse to write until a later cut succeeds.
 */
static void log_cut(struct audit_log *log)
{
        struct stat st;

        if (fstat(log->fd, &st) < 0 || (uint64_t)st.st_size > log->size) {
                if (ftruncate(log->fd, (off_t)log->size) < 0) {
                        log->dirty = true;
                        return;
                }
        }
        log->dirty = false;
}

static int open_live(struct audit_log *log, int flags, int *ret_fd, struct stat *ret_st)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        fd = openat(log->dir_fd, log->base, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY | flags, 0640);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL; /* rotation and cutting need a regular file */
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;
        *ret_fd = TAKE_FD(fd);
        if (ret_st)
                *ret_st = st;
        return 0;
}

/*
 * Move the full live file to PATH.N and start a new one. Done in two steps that
 * can each be retried: a failed create after the rename leaves no live file,
 * and the next record tries to create it again.
 */
static int log_rotate(struct audit_log *log)
{
        char name[PATH_MAX];
        int fd = -1, r;

        if (!log->rotation_renamed) {
                r = log_fsync(log);
                if (r < 0)
                        return r;
                if ((size_t)snprintf(name, sizeof(name), "%s.%" PRIu64, log->base,
                                     log->next_rotation) >= sizeof(name))
                        return -ENAMETOOLONG;
                if (renameat(log->dir_fd, log->base, log->dir_fd, name) < 0)
                        return -errno;
                log->rotation_renamed = true;
                log->next_rotation++;
        }
        r = open_live(log, O_CREAT | O_EXCL, &fd, NULL);
        if (r < 0)
                return r;
        safe_close(log->fd);
        log->fd = fd;
        log->size = 0;
        log->dirty = false;
        log->pending = false;
        log->rotation_renamed = false;
        /* Both directory entries must survive a crash for the chain to be found. */
        if (fsync(log->dir_fd) < 0)
                return -errno;
        return 0;
}

/* Write one finished line (with its '\n') durably, then make it the head. */
static int log_commit(struct audit_log *log, const struct line *l, uint64_t seq, bool force_sync)
{
        char hash[AUDIT_HASH_HEX + 1];
        ssize_t n;
        int r;

        if (log->dirty) {
                log_cut(log);
                if (log->dirty)
                        return -EIO;
        }
        if (log->rotation_renamed ||
            (log->rotate_bytes > 0 && log->size > 0 && log->size + l->len > log->rotate_bytes)) {
                r = log_rotate(log);
                if (r < 0)
                        return r;
        }

        r = fast_sha256_hex(l->p, l->len - 1, hash);
        if (r < 0)
                return r;

        n = write(log->fd, l->p, l->len);
        if (n < 0 || (size_t)n != l->len) {
                /* A short write on a regular file means the space ran out. */
                r = n < 0 ? -errno : -ENOSPC;
                log_cut(log);
                return r;
        }
        log->pending = true;
        if (force_sync || log->sync == AUDIT_SYNC_EVERY ||
            now_ns(CLOCK_MONOTONIC) - log->last_sync_ns >= log->sync_interval_ns) {
                r = log_fsync(log);
                if (r < 0) {
                        log_cut(log);
                        return r;
                }
        }

        log->size += l->len;
        log->head_seq = seq;
        log->next_seq = seq + 1;
        memcpy(log->head, hash, sizeof(hash));
        return 0;
}

static const char *verdict_name(enum verdict v)
{
        switch (v) {
        case VERDICT_ALLOW: return "allow";
        case VERDICT_DENY: return "deny";
        default: return NULL;
        }
}

static const char *mode_name(enum policy_mode m)
{
        switch (m) {
        case POLICY_MODE_ENFORCE: return "enforce";
        case POLICY_MODE_AUDIT: return "audit";
        default: return NULL;
        }
}

/*
 * A top-level string field of the decoded request, by name, whatever its
 * message type. NULL when there is none (or it is empty: proto3 cannot tell).
 */
static const char *message_string(const ProtobufCMessage *m, const char *name)
{
        const ProtobufCFieldDescriptor *f;
        const char *base = (const char *)m;

        if (!m || !m->descriptor || m->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
                return NULL;
        f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
        if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
                return NULL;
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(const void *)(base + f->quantifier_offset) != f->id)
                return NULL;
        return *(char *const *)(const void *)(base + f->offset);
}

int audit_append(struct audit_log *log, const struct audit_event *ev)
{
        const char *decision, *mode, *cut[8];
        char digest[AUDIT_HASH_HEX + 1];
        size_t n_cut = 0;
        struct line l;
        int r;

        if (!log || !ev)
                return -EINVAL;
        if (!log->started)
                return -EPIPE; /* after audit_stop(): the stop record is the last */
        decision = verdict_name(ev->verdict);
        mode = mode_name(ev->mode);
        if (!decision || !mode || (!ev->payload && ev->payload_len > 0))
                return -EINVAL;

        r = fast_sha256_hex(ev->payload ? (const void *)ev->payload : "", ev->payload_len, digest);
        if (r < 0)
                return r;

        line_begin(log, &l, log->next_seq, "decision");
        line_field_u64(&l, "conn", ev->conn_id);
        line_field_u64(&l, "stream", ev->stream_id);
        if (line_field_bytes(&l, "service", ev->service, ev->service_len, AUDIT_NAME_MAX))
                cut[n_cut++] = "service";
        if (line_field_bytes(&l, "method", ev->method, ev->method_len, AUDIT_NAME_MAX))
                cut[n_cut++] = "method";
        if (line_field_cstr(&l, "request", ev->request_name, AUDIT_NAME_MAX))
                cut[n_cut++] = "request";
        if (line_field_cstr(&l, "container_id", message_string(ev->request, "container_id"),
                            AUDIT_NAME_MAX))
                cut[n_cut++] = "container_id";
        if (line_field_cstr(&l, "exec_id", message_string(ev->request, "exec_id"), AUDIT_NAME_MAX))
                cut[n_cut++] = "exec_id";
        line_str(&l, ",\"decision\":\"");
        line_str(&l, decision);
        line_str(&l, ev->forwarded ? "\",\"forwarded\":true" : "\",\"forwarded\":false");
        line_str(&l, ",\"mode\":\"");
        line_str(&l, mode);
        line_raw(&l, "\"", 1);
        if (line_field_cstr(&l, "rule", ev->rule_id, AUDIT_NAME_MAX))
                cut[n_cut++] = "rule";
        if (line_field_cstr(&l, "reason", ev->reason, AUDIT_REASON_MAX))
                cut[n_cut++] = "reason";
        line_str(&l, ",\"policy\":");
        line_str(&l, log->policy);
        line_str(&l, ",\"tee\":");
        line_str(&l, log->tee);
        line_str(&l, ",\"request_sha256\":\"");
        line_str(&l, digest);
        line_raw(&l, "\"", 1);
        line_field_u64(&l, "request_bytes", ev->payload_len);
        if (n_cut > 0) {
                line_str(&l, ",\"truncated\":[");
                for (size_t i = 0; i < n_cut; i++) {
                        if (i > 0)
                                line_raw(&l, ",", 1);
                        line_raw(&l, "\"", 1);
                        line_str(&l, cut[i]);
                        line_raw(&l, "\"", 1);
                }
                line_raw(&l, "]", 1);
        }
        r = line_end(log, &l);
        if (r < 0)
                return r;
        return log_commit(log, &l, log->next_seq, false);
}

/* genesis, start and stop: what is running, not what it decided. */
static int log_lifecycle(struct audit_log *log, const char *type)
{
        struct line l;
        int r;

        line_begin(log, &l, log->next_seq, type);
        line_str(&l, ",\"policy\":");
        line_str(&l, log->policy);
        line_str(&l, ",\"tee\":");
        line_str(&l, log->tee);
        if (strcmp(type, "stop") != 0) {
                line_str(&l, ",\"ccgate_version\":");
                (void)line_json_string(&l, CCGATE_VERSION, strlen(CCGATE_VERSION), AUDIT_NAME_MAX);
                line_str(&l, ",\"hooks\":");
                line_str(&l, log->hooks);
        }
        r = line_end(log, &l);
        if (r < 0)
                return r;
        return log_commit(log, &l, log->next_seq, true);
}

int audit_sync(struct audit_log *log, bool force)
{
        if (!log)
                return -EINVAL;
        if (!log->pending)
                return 0;
        if (!force && now_ns(CLOCK_MONOTONIC) - log->last_sync_ns < log->sync_interval_ns)
                return 0;
        return log_fsync(log);
}

bool audit_pending(const struct audit_log *log)
{
        return log && log->pending;
}

void audit_head(const struct audit_log *log, uint64_t *ret_seq, char ret_hash[AUDIT_HASH_HEX + 1])
{
        *ret_seq = log->head_seq;
        memcpy(ret_hash, log->head, AUDIT_HASH_HEX + 1);
}

/* ---- Opening ---- */

static bool digest_valid(const char *d)
{
        size_t n = strnlen(d, 97);

        return strcmp(d, "none") == 0 || ((n == 64 || n == 96) && hex_is_lower(d, n));
}

static bool tee_valid(const char *t)
{
        size_t n = strnlen(t, AUDIT_TEE_MAX + 1);

        if (n == 0 || n > AUDIT_TEE_MAX)
                return false;
        return strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Render a trusted option into a JSON string literal kept for every record. */
static int render_option(char *ret, size_t cap, const char *v, size_t max)
{
        struct line l = { .p = ret, .cap = cap - 1 };

        if (line_json_string(&l, v, strlen(v), max) || l.overflow)
                return -EINVAL;
        ret[l.len] = '\0';
        return 0;
}

/*
 * Seq and hash of the last line of an open log file. The file must end with a
 * newline and its last line must be a record: anything else is a cut or a
 * foreign file, and continuing it would hide that.
 */
static int read_tail(int fd, uint64_t size, char *buf, uint64_t *ret_seq,
                     char ret_hash[AUDIT_HASH_HEX + 1])
{
        size_t want = size < AUDIT_LINE_MAX + 1 ? (size_t)size : AUDIT_LINE_MAX + 1;
        json_t *j, *seq, *v;
        json_error_t jerr;
        const char *line;
        size_t len;
        ssize_t n;
        int r;

        if (size == 0)
                return -EBADMSG;
        n = pread(fd, buf, want, (off_t)(size - want));
        if (n < 0)
                return -errno;
        if ((size_t)n != want || buf[want - 1] != '\n')
                return -EBADMSG;
        line = memrchr(buf, '\n', want - 1);
        if (line)
                line++;
        else if (want == size)
                line = buf;
        else
                return -EBADMSG; /* longer than any record */
        len = (size_t)(buf + want - 1 - line);

        j = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
        if (!j)
                return -EBADMSG;
        seq = json_object_get(j, "seq");
        v = json_object_get(j, "v");
        r = json_is_integer(seq) && json_integer_value(seq) >= 0 && json_is_integer(v) &&
                            json_integer_value(v) == 1
                    ? 0
                    : -EBADMSG;
        if (r == 0)
                *ret_seq = (uint64_t)json_integer_value(seq);
        json_decref(j);
        if (r < 0)
                return r;
        return audit_sha256_hex(line, len, ret_hash);
}

/* The highest N of the existing PATH.N files (0: none). */
static int scan_rotated(struct audit_log *log, uint64_t *ret_max)
{
        size_t blen = strlen(log->base);
        uint64_t max = 0;
        struct dirent *de;
        DIR *d;
        int fd;

        fd = openat(log->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        while ((de = readdir(d))) {
                const char *s = de->d_name;
                char *end;
                unsigned long long v;

                if (strncmp(s, log->base, blen) != 0 || s[blen] != '.' || s[blen + 1] < '1' ||
                    s[blen + 1] > '9')
                        continue;
                errno = 0;
                v = strtoull(s + blen + 1, &end, 10);
                if (errno == 0 && *end == '\0' && v > max)
                        max = v;
        }
        closedir(d);
        *ret_max = max;
        return 0;
}

static int log_init(struct audit_log *log, const struct audit_options *o)
{
        const char *slash = strrchr(o->path, '/');
        _cleanup_free_ char *dir = NULL;
        int r;

        log->fd = log->dir_fd = -1;
        if (slash) {
                dir = slash == o->path ? strdup("/") : strndup(o->path, (size_t)(slash - o->path));
                log->base = strdup(slash + 1);
        } else {
                dir = strdup(".");
                log->base = strdup(o->path);
        }
        if (!dir || !log->base)
                return -ENOMEM;
        if (!*log->base)
                return -EINVAL;
        log->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (log->dir_fd < 0)
                return -errno;

        log->sync = o->sync;
        log->sync_interval_ns = (uint64_t)o->sync_interval_ms * UINT64_C(1000000);
        log->rotate_bytes = o->rotate_bytes;
        log->last_sync_ns = now_ns(CLOCK_MONOTONIC);
        memcpy(log->head, AUDIT_ZERO_HASH, sizeof(log->head));

        r = render_option(log->policy, sizeof(log->policy), o->policy_digest, 96);
        if (r >= 0)
                r = render_option(log->tee, sizeof(log->tee), o->tee, AUDIT_TEE_MAX);
        if (r >= 0)
                r = render_option(log->hooks, sizeof(log->hooks), o->hooks ? o->hooks : "none",
                                  AUDIT_HOOKS_MAX);
        if (r < 0)
                return r;

        log->buf = malloc(AUDIT_LINE_MAX + 1);
        if (!log->buf)
                return -ENOMEM;
        return 0;
}

/* Where the chain goes on from: the live file, or the newest rotated file. */
static int log_find_head(struct audit_log *log, uint64_t live_size, bool *ret_new)
{
        uint64_t max_rotated = 0, seq = 0;
        char name[PATH_MAX];
        struct stat st;
        int r;

        r = scan_rotated(log, &max_rotated);
        if (r < 0)
                return r;
        log->next_rotation = max_rotated + 1;

        if (live_size > 0)
                r = read_tail(log->fd, live_size, log->buf, &seq, log->head);
        else if (max_rotated > 0) {
                _cleanup_close_ int fd = -1;

                if ((size_t)snprintf(name, sizeof(name), "%s.%" PRIu64, log->base, max_rotated) >=
                    sizeof(name))
                        return -ENAMETOOLONG;
                fd = openat(log->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return -errno;
                if (fstat(fd, &st) < 0)
                        return -errno;
                r = read_tail(fd, (uint64_t)st.st_size, log->buf, &seq, log->head);
        } else {
                *ret_new = true;
                return 0;
        }
        if (r < 0)
                return r;
        if (seq == UINT64_MAX)
                return -EBADMSG;
        log->head_seq = seq;
        log->next_seq = seq + 1;
        *ret_new = false;
        return 0;
}

int audit_open(const struct audit_options *o, struct audit_log **ret)
{
        _cleanup_(audit_closep) struct audit_log *log = NULL;
        struct stat st = { 0 };
        bool fresh = false;
        int r;

        if (!o || !o->path || !*o->path || !o->policy_digest || !o->tee ||
            !digest_valid(o->policy_digest) || !tee_valid(o->tee) ||
            (o->sync != AUDIT_SYNC_EVERY && o->sync != AUDIT_SYNC_INTERVAL))
                return -EINVAL;

        log = calloc(1, sizeof(*log));
        if (!log)
                return -ENOMEM;
        r = log_init(log, o);
        if (r < 0)
                return r;
        r = open_live(log, O_CREAT, &log->fd, &st);
        if (r < 0)
                return r;
        log->size = (uint64_t)st.st_size;
        r = log_find_head(log, log->size, &fresh);
        if (r < 0)
                return r;
        r = log_lifecycle(log, fresh ? "genesis" : "start");
        if (r < 0)
                return r;
        log->started = true;
        *ret = TAKE_PTR(log);
        return 0;
}

int audit_stop(struct audit_log *log)
{
        int r;

        if (!log || !log->started)
                return -EINVAL;
        log->started = false;
        if (log->rotation_renamed)
                return -EIO;
        r = log_lifecycle(log, "stop");
        if (r < 0)
                return r;
        return log->pending ? log_fsync(log) : 0;
}

struct audit_log *audit_close(struct audit_log *log)
{
        if (!log)
                return NULL;
        /* A stop record says the end is the end (not a crash or a cut); best effort. */
        if (log->started)
                (void)audit_stop(log);
        if (log->fd >= 0 && log->pending)
                (void)fsync(log->fd);
        safe_close(log->fd);
        safe_close(log->dir_fd);
        free(log->buf);
        free(log->base);
        free(log);
        return NULL;
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

int audit_set_policy(struct audit_log *log, const char *policy_digest)
{
        char rendered[sizeof(log->policy)];
        int r;

        if (!log || !policy_digest || !digest_valid(policy_digest))
                return -EINVAL;
        r = render_option(rendered, sizeof(rendered), policy_digest, 96);
        if (r < 0)
                return r;
        memcpy(log->policy, rendered, sizeof(rendered));
        return 0;
}
