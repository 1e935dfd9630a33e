/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit log's files: opening and continuing a chain, one write(2) per
 * record, fsync per the options, cutting a failed record off again, and
 * size-based rotation to PATH.N. See audit.h for the format.
 */
#include "audit_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

/* ---- Small helpers ---- */
uint64_t audit_now_ns(clockid_t clock)
{
        struct timespec ts;

        (void)clock_gettime(clock, &ts);
        return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* ---- Writing ---- */
static int log_fsync(struct audit_log *log)
{
        if (fsync(log->fd) < 0)
                return -errno;
        log->pending = false;
        log->last_sync_ns = audit_now_ns(CLOCK_MONOTONIC);
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
int audit_commit(struct audit_log *log, const struct line *l, uint64_t seq, bool force_sync)
{
        size_t total = log->pend_len + (l ? l->len : 0);
        char hash[AUDIT_HASH_HEX + 1];
        ssize_t n;
        int r;

        if (total == 0)
                return 0;
        if (log->dirty) {
                log_cut(log);
                if (log->dirty)
                        return -EIO;
        }
        if (log->rotation_renamed ||
            (log->rotate_bytes > 0 && log->size > 0 && log->size + total > log->rotate_bytes)) {
                r = log_rotate(log);
                if (r < 0)
                        return r;
        }

        if (l) {
                r = audit_sha256_hex(l->p, l->len - 1, hash);
                if (r < 0)
                        return r;
        }

        /* The line is built right after the pending records: one write takes all. */
        n = write(log->fd, log->buf, total);
        if (n < 0 || (size_t)n != total) {
                /* A short write on a regular file means the space ran out. */
                r = n < 0 ? -errno : -ENOSPC;
                log_cut(log);
                return r;
        }
        log->pending = true;
        if (force_sync || log->sync == AUDIT_SYNC_EVERY ||
            audit_now_ns(CLOCK_MONOTONIC) - log->last_sync_ns >= log->sync_interval_ns) {
                r = log_fsync(log);
                if (r < 0) {
                        log_cut(log);
                        return r;
                }
        }

        log->size += total;
        log->pend_len = 0;
        if (l) {
                log->head_seq = seq;
                log->next_seq = seq + 1;
                memcpy(log->head, hash, sizeof(hash));
        }
        return 0;
}

int audit_flush(struct audit_log *log)
{
        int r;

        if (!log)
                return -EINVAL;
        r = audit_encode_queued(log);
        if (r < 0)
                return r;
        return audit_commit(log, NULL, 0, false);
}

uint64_t audit_head_seq(const struct audit_log *log)
{
        return log->head_seq;
}

int audit_sync(struct audit_log *log, bool force)
{
        if (!log)
                return -EINVAL;
        if (!log->pending)
                return 0;
        if (!force && audit_now_ns(CLOCK_MONOTONIC) - log->last_sync_ns < log->sync_interval_ns)
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
        log->last_sync_ns = audit_now_ns(CLOCK_MONOTONIC);
        memcpy(log->head, AUDIT_ZERO_HASH, sizeof(log->head));

        r = audit_render_option(log->policy, sizeof(log->policy), o->policy_digest, 96);
        if (r >= 0)
                r = audit_render_option(log->tee, sizeof(log->tee), o->tee, AUDIT_TEE_MAX);
        if (r >= 0)
                r = audit_render_option(log->hooks, sizeof(log->hooks), o->hooks ? o->hooks : "none",
                                  AUDIT_HOOKS_MAX);
        if (r >= 0)
                r = audit_render_option(log->measure, sizeof(log->measure),
                                        o->measure ? o->measure : "none", AUDIT_NAME_MAX);
        if (r < 0)
                return r;

        /* Mapped, not malloc'ed: its pages cost memory only as records fill them. */
        log->buf = mmap(NULL, AUDIT_BUF_LEN, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (log->buf == MAP_FAILED) {
                log->buf = NULL;
                return -errno;
        }
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
            !audit_digest_valid(o->policy_digest) || !audit_tee_valid(o->tee) ||
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
        r = audit_lifecycle(log, fresh ? "genesis" : "start");
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
        /* Everything that happened is recorded before the record saying it ended. */
        r = audit_encode_queued(log);
        if (r < 0)
                return r;
        r = audit_lifecycle(log, "stop");
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
        if (log->buf)
                (void)munmap(log->buf, AUDIT_BUF_LEN);
        free(log->base);
        free(log);
        return NULL;
}
