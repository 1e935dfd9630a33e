/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the audit log's own files share (not for other modules): the open
 * log's state, and building a record line without allocating. audit_record.c
 * encodes records; audit_file.c writes them, syncs, cuts and rotates.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "audit.h"

#define AUDIT_ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define AUDIT_HOOKS_MAX 256u
#define AUDIT_TEE_MAX 32u

/* Outcome events waiting to be encoded, and the bytes of encoded records
 * waiting to be written ahead of the next record. */
#define AUDIT_QUEUE_MAX 256u
#define AUDIT_PENDING_MAX (64u * 1024u)
/* log->buf: the pending records, then the record being built. */
#define AUDIT_BUF_LEN (AUDIT_PENDING_MAX + AUDIT_LINE_MAX + 1)
/* Longest outcome record: its fixed fields, a request name, a why. */
#define AUDIT_OUTCOME_LINE_MAX 1024u

struct audit_queued {
        struct audit_outcome_event ev;
        struct timespec time; /* CLOCK_REALTIME, when it happened */
};

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
        char measure[6 * AUDIT_NAME_MAX + 3];
        bool started; /* the first record is written: closing may add a stop record */

        /* Outcome events not yet encoded, in the order they happened. */
        struct audit_queued queue[AUDIT_QUEUE_MAX];
        size_t n_queued;
        /*
         * buf[0..pend_len) holds records already encoded and chained (head and
         * next_seq include them) but not yet written; the record being built
         * follows them, and one write(2) takes both. AUDIT_BUF_LEN bytes; also
         * read_tail()'s buffer at open.
         */
        char *buf;
        size_t pend_len;
};

/* ---- Records (audit_record.c) ---- */

/* A record line being built in log->buf, without allocating. */
struct line {
        char *p;
        size_t len, cap;
        bool overflow;
};

/* Encode the queued outcome events into the pending records (audit_prepare()). */
int audit_encode_queued(struct audit_log *log);

/* A trusted option (policy digest, tee, hooks) as a JSON string literal into ret. */
int audit_render_option(char *ret, size_t cap, const char *v, size_t max);
bool audit_digest_valid(const char *d);
bool audit_tee_valid(const char *t);

/* genesis, start and stop: build the record and commit it, synced. */
int audit_lifecycle(struct audit_log *log, const char *type);

/* ---- The files (audit_file.c) ---- */

uint64_t audit_now_ns(clockid_t clock);

/*
 * Write the pending records and one finished line l (with its '\n'; NULL: none)
 * in one write(2), durably per the sync policy, then make l the head. On
 * failure the file is cut back to its last whole record and the pending
 * records stay pending.
 */
int audit_commit(struct audit_log *log, const struct line *l, uint64_t seq, bool force_sync);
