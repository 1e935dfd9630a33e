/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime measurement event log: appending events, and replaying one boot's (measure_log.h). */
#include "measure_log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit_read.h"
#include "cleanup.h"
#include "fileio.h"

struct measure_log {
        int fd;
        uint64_t size; /* bytes of whole lines */
        uint64_t next_n;
        char boot[MEASURE_BOOT_ID_MAX + 1];
};

int measure_boot_id(char ret[MEASURE_BOOT_ID_MAX + 1])
{
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len;
        int r;

        r = read_file_bounded("/proc/sys/kernel/random/boot_id", 64, &buf, &len);
        if (r < 0)
                return r;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
                len--;
        if (len == 0 || len > MEASURE_BOOT_ID_MAX || memchr(buf, '\0', len))
                return -EBADMSG;
        memcpy(ret, buf, len);
        ret[len] = '\0';
        return 0;
}

/* The last event of the file, if any: where numbering goes on. */
static int read_last(const char *path, struct measure_logged *ret, bool *ret_found)
{
        _cleanup_(audit_reader_freep) struct audit_reader *rd = NULL;
        const char *line;
        size_t len;
        unsigned long lineno;
        char why[256];
        int r;

        *ret_found = false;
        r = audit_reader_open(path, &rd);
        if (r < 0)
                return r;
        for (;;) {
                r = audit_reader_next(rd, &line, &len, &lineno);
                if (r == 0)
                        return 0;
                if (r < 0)
                        return -EBADMSG; /* cut or overlong: evidence, not ours to repair */
                if (measure_event_parse(line, len, ret, why, sizeof(why)) < 0)
                        return -EBADMSG;
                *ret_found = true;
        }
}

int measure_log_open(const char *path, const char *boot, struct measure_log **ret)
{
        _cleanup_close_ int fd = -1;
        struct measure_logged last;
        struct measure_log *l;
        struct stat st;
        bool found;
        int r;

        if (!path || !*path || !boot || !*boot || strlen(boot) > MEASURE_BOOT_ID_MAX)
                return -EINVAL;
        fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;
        r = read_last(path, &last, &found);
        if (r < 0)
                return r;
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->size = (uint64_t)st.st_size;
        l->next_n = found && strcmp(last.boot, boot) == 0 ? last.n + 1 : 0;
        memcpy(l->boot, boot, strlen(boot) + 1);
        l->fd = TAKE_FD(fd);
        *ret = l;
        return 0;
}

struct measure_log *measure_log_close(struct measure_log *l)
{
        if (l) {
                safe_close(l->fd);
                free(l);
        }
        return NULL;
}

uint64_t measure_log_next(const struct measure_log *l)
{
        return l->next_n;
}

static void now_rfc3339(char *buf, size_t len)
{
        struct timespec ts;
        struct tm tm;

        (void)clock_gettime(CLOCK_REALTIME, &ts);
        (void)gmtime_r(&ts.tv_sec, &tm);
        snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

int measure_log_append(struct measure_log *l, const char *reg, const char *operation,
                       const char *content, char ret_line_sha256[AUDIT_HASH_HEX + 1])
{
        char line[MEASURE_LINE_MAX + 1], t[64], hash[AUDIT_HASH_HEX + 1];
        ssize_t w;
        int n, r;

        if (!l)
                return -EINVAL;
        now_rfc3339(t, sizeof(t));
        n = measure_event_line(l->next_n, l->boot, t, reg, operation, content, line,
                               sizeof(line) - 1);
        if (n < 0)
                return n;
        r = audit_sha256_hex(line, (size_t)n, hash);
        if (r < 0)
                return r;
        line[n++] = '\n';
        w = write(l->fd, line, (size_t)n);
        if (w != n || fsync(l->fd) < 0) {
                r = w < 0 ? -errno : w != n ? -EIO : -errno;
                /* Back to the last whole line, so the next one is still a line. */
                if (ftruncate(l->fd, (off_t)l->size) < 0)
                        return -EIO;
                return r;
        }
        l->size += (uint64_t)n;
        l->next_n++;
        if (ret_line_sha256)
                memcpy(ret_line_sha256, hash, sizeof(hash));
        return 0;
}

static void replay_add(struct measure_replay *rp, const struct measure_logged *e)
{
        if (e->has_audit && (!rp->has_head || e->audit_seq >= rp->head_seq)) {
                rp->has_head = true;
                rp->head_seq = e->audit_seq;
                memcpy(rp->head, e->audit_head, sizeof(rp->head));
        }
        rp->last_op = e->op;
        rp->stopped = e->op == MEASURE_OP_STOP;
        rp->n_events++;
}

/* Which boot to replay: the one given, or that of the last event. */
static int pick_boot(const char *path, const char *boot, char ret[MEASURE_BOOT_ID_MAX + 1],
                     struct audit_problem *p)
{
        struct measure_logged last;
        bool found;
        int r;

        if (boot) {
                if (strlen(boot) > MEASURE_BOOT_ID_MAX)
                        return -EINVAL;
                memcpy(ret, boot, strlen(boot) + 1);
                return 0;
        }
        r = read_last(path, &last, &found);
        if (r == -EBADMSG)
                return 0; /* the full pass below says where */
        if (r < 0) {
                audit_problem_set(p, path, 0, "cannot read the event log: %s", strerror(-r));
                return r;
        }
        if (!found) {
                audit_problem_set(p, path, 0, "the event log has no events");
                return -ENOENT;
        }
        memcpy(ret, last.boot, sizeof(last.boot));
        return 0;
}

int measure_replay_file(const char *path, enum measure_alg alg, const char *boot,
                        struct measure_replay *ret, struct audit_problem *p)
{
        _cleanup_(audit_reader_freep) struct audit_reader *rd = NULL;
        struct measure_replay rp = { .alg = alg };
        struct measure_logged e;
        const char *line;
        size_t len;
        unsigned long lineno = 0;
        char why[256];
        int r;

        if (!path || measure_alg_len(alg) == 0)
                return -EINVAL;
        r = pick_boot(path, boot, rp.boot, p);
        if (r < 0)
                return r;
        r = audit_reader_open(path, &rd);
        if (r < 0) {
                audit_problem_set(p, path, 0, "cannot open the event log: %s", strerror(-r));
                return r;
        }
        for (;;) {
                r = audit_reader_next(rd, &line, &len, &lineno);
                if (r == 0)
                        break;
                if (r < 0 && r != -EBADMSG) {
                        audit_problem_set(p, path, lineno + 1, "cannot read the event log: %s",
                                          strerror(-r));
                        return r == -E2BIG ? -EBADMSG : r;
                }
                if (r == -EBADMSG) {
                        audit_problem_set(p, path, lineno, "the last event is cut (no newline)");
                        return -EBADMSG;
                }
                if (measure_event_parse(line, len, &e, why, sizeof(why)) < 0) {
                        audit_problem_set(p, path, lineno, "not an event: %s", why);
                        return -EBADMSG;
                }
                if (strcmp(e.boot, rp.boot) != 0) {
                        rp.n_other++;
                        continue;
                }
                if (e.n != rp.n_events) {
                        audit_problem_set(p, path, lineno, "event %" PRIu64 " where event %" PRIu64
                                          " of boot %s belongs: events were removed or reordered",
                                          e.n, rp.n_events, rp.boot);
                        return -EBADMSG;
                }
                if (rp.n_events == 0)
                        memcpy(rp.reg, e.reg, sizeof(rp.reg));
                else if (strcmp(rp.reg, e.reg) != 0) {
                        audit_problem_set(p, path, lineno, "event %" PRIu64 " went into %s, the "
                                          "events before it into %s", e.n, e.reg, rp.reg);
                        return -EBADMSG;
                }
                if (rp.n_events >= MEASURE_REPLAY_MAX) {
                        audit_problem_set(p, path, lineno, "more than %u events", MEASURE_REPLAY_MAX);
                        return -EBADMSG;
                }
                r = measure_extend(alg, rp.value, alg == MEASURE_ALG_SHA256 ? e.sha256 : e.sha384);
                if (r < 0)
                        return r;
                replay_add(&rp, &e);
        }
        if (rp.n_events == 0) {
                audit_problem_set(p, path, 0, "no event of boot %s", rp.boot);
                return -ENOENT;
        }
        *ret = rp;
        return 0;
}
