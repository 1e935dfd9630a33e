/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit log: one JSON object per line for every decision, hash-chained from
 * a genesis record, so that edits, removals, reordering and cut lines are
 * detectable by `ccgate audit verify`. Library code: no network I/O, no logging.
 *
 * Record format (docs: schemas/audit-record.schema.json). Every record has
 *   "v":1, "seq" (0 for genesis, +1 per record, continued across restarts and
 *   rotations), "time" (RFC 3339 UTC, nanoseconds), "type", and "prev":
 *   the lowercase hex SHA-256 of the previous record's line, exactly the bytes
 *   between the two newlines (the '\n' itself is not hashed); 64 zeros in the
 *   genesis record.
 * Types:
 *   genesis   seq 0 of a new log: policy digest, ccgate version, tee, hooks
 *   start     ccgate (re)opened an existing log: same fields as genesis
 *   decision  one request: conn, stream, service, method, request, container_id,
 *             exec_id, decision, forwarded, mode, rule, reason, policy,
 *             request_sha256, request_bytes, tee, and "truncated" (the names of
 *             host strings that were cut to their bound) when any was
 *   outcome   what became of a forwarded request, one per decision with
 *             "forwarded": true: conn, stream, request, decision_seq (the seq
 *             of that decision), outcome ("answered", "not-forwarded",
 *             "abandoned"), code (the status code the host was sent: the
 *             agent's when answered; null when none was sent or the answer
 *             did not decode) and why (null when answered). "time" is when it
 *             happened; the record is written with the next record, or within
 *             a tick (audit_flush()), and always before the stop record
 *   measure   a runtime measurement event was extended into a TEE register:
 *             event (its number in the event log), operation, register,
 *             event_sha256 (the SHA-256 of its event log line); see
 *             measure_event.h. genesis and start name the extender ("measure")
 *   stop      the log was closed cleanly
 * Nothing of a request is copied but the ids above: env values, file data,
 * stdin data and policy bodies are only in request_sha256.
 *
 * Rotation: when a record would take the live file past rotate_bytes, the live
 * file is renamed to PATH.N (N one more than the highest existing) and the
 * record starts a new PATH; its prev links to the last record of PATH.N.
 * Verification orders files by the seq of their first record, so names do not
 * matter. What a hash chain cannot show on its own: records cut off the END
 * (and an edit of the very last record, or a rewrite of everything after an
 * edit by someone who recomputes the hashes). audit_head() gives the value to
 * publish elsewhere (the daemon's journal, a remote collector); verify checks
 * the chain against it (--anchor SEQ:HASH). A log ccgate closed ends with a
 * stop record, which verify can require (--closed).
 *
 * A struct audit_log is used from one thread; it takes an exclusive flock on
 * the live file so that a second ccgate cannot fork the chain.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <protobuf-c/protobuf-c.h>

#include "cleanup.h"
#include "policy.h"

/* Longest line a record can take; longer lines are not records. */
#define AUDIT_LINE_MAX 16384u
/* Bounds on strings copied into a record (in bytes of input); longer ones are
 * cut at a character boundary and named in the record's "truncated" list. */
#define AUDIT_NAME_MAX 128u   /* service, method, request name, ids, rule id */
#define AUDIT_REASON_MAX 512u /* rule reason */
#define AUDIT_HASH_HEX 64u    /* SHA-256 as lowercase hex, without NUL */

enum audit_sync {
        AUDIT_SYNC_EVERY,    /* fsync each record before audit_append() returns */
        AUDIT_SYNC_INTERVAL, /* fsync when sync_interval_ms passed since the last one */
        _AUDIT_SYNC_MAX,
        _AUDIT_SYNC_INVALID = -22,
};

struct audit_options {
        const char *path;          /* the live log file (a regular file) */
        enum audit_sync sync;
        unsigned sync_interval_ms; /* AUDIT_SYNC_INTERVAL */
        uint64_t rotate_bytes;     /* 0: never rotate */
        const char *policy_digest; /* lowercase hex SHA-256/384 of the policy bytes, or "none" */
        const char *tee;           /* "none", "snp", "tdx": [a-z0-9_-], at most 32 */
        const char *hooks;         /* active eBPF hooks, free text; NULL = "none" */
        const char *measure;       /* the runtime measurement extender, "tpm:pcr13"; NULL = "none" */
};

struct audit_log;

/*
 * Open (or create) the log. A new or empty file starts with a genesis record;
 * an existing one is continued from its last record's seq and hash with a
 * start record. An empty live file next to rotated PATH.N files continues the
 * newest of those. Returns 0 and *ret, or -errno: -EINVAL bad options or not a
 * regular file, -EBUSY another process holds the log, -EBADMSG the last line
 * is cut or not a record (move the file aside: it is evidence), or the error
 * of the first write.
 */
int audit_open(const struct audit_options *o, struct audit_log **ret);

/*
 * Write the outcome records still queued, then the stop record, and fsync; the
 * log stays open for audit_head() but takes no more records. Returns 0, -EINVAL when already stopped, -EIO when a
 * rotation was left half done, or the write's -errno.
 */
int audit_stop(struct audit_log *log);

/* Write a stop record unless audit_stop() did (best effort), fsync and close.
 * NULL is fine. Returns NULL. */
struct audit_log *audit_close(struct audit_log *log);
DEFINE_PTR_CLEANUP(struct audit_log, audit_close)

struct audit_event {
        uint64_t conn_id;
        uint32_t stream_id;
        const char *request_name; /* "ExecProcessRequest"; NULL: the method was unknown */
        /* Raw from the wire: not NUL-terminated, maybe hostile (escaped, bounded). NULL ok. */
        const char *service, *method;
        size_t service_len, method_len;
        const ProtobufCMessage *request; /* decoded; container_id/exec_id taken by name. NULL ok */
        const uint8_t *payload;          /* raw payload: only its SHA-256 is written */
        size_t payload_len;
        enum verdict verdict;
        bool forwarded; /* reached the agent (audit mode, drained reads) */
        const char *rule_id, *reason;
        enum policy_mode mode;
};

/*
 * Append one decision record: one write(2), then fsync per the options. No heap
 * allocation. Returns 0, or -errno when the record is not durably in the log
 * (the caller then denies): the partial record is cut off again and the chain
 * goes on from the last good record. -EIO when an earlier cut failed and the
 * file still holds a partial record; -EPIPE after audit_stop().
 */
int audit_append(struct audit_log *log, const struct audit_event *ev);

enum audit_outcome {
        AUDIT_OUTCOME_ANSWERED,      /* the agent answered */
        AUDIT_OUTCOME_NOT_FORWARDED, /* it never reached the agent */
        AUDIT_OUTCOME_ABANDONED,     /* no answer will come, or none can be delivered */
        _AUDIT_OUTCOME_MAX,
        _AUDIT_OUTCOME_INVALID = -22,
};

struct audit_outcome_event {
        uint64_t conn_id;
        uint32_t stream_id;
        uint64_t decision_seq;    /* the seq of the decision record it follows up */
        const char *request_name; /* static storage (the API table's); NULL ok */
        enum audit_outcome outcome;
        bool has_code;            /* a code was sent to the host */
        int32_t code;             /* ... this one: the agent's when answered */
        const char *why;          /* static storage, [a-z-]; NULL when answered */
};

/*
 * Record what became of a forwarded request. Nothing is written now: the
 * event is queued with the current time, encoded by audit_prepare() or with
 * the next record, and written in the same write(2) as the next record, or by
 * audit_flush(), so the chain keeps the order of events and the request path
 * makes no write of its own. Only when the queue and the encoding buffer are
 * both full is the buffer written here. No heap allocation. Returns 0, -EPIPE
 * after audit_stop(), -EINVAL for a bad event, or the -errno of that write
 * (the event is then not recorded).
 */
int audit_outcome(struct audit_log *log, const struct audit_outcome_event *ev);

/* Encode the queued outcome events now (no write unless the buffer is full), so
 * that the next record does not pay for it; for idle moments. Returns 0 or -errno. */
int audit_prepare(struct audit_log *log);

/*
 * Write what is queued and encoded, then fsync as the options say (with
 * AUDIT_SYNC_EVERY: now). For the periodic timer, so that outcome records of
 * an idle log are on disk within a tick. Returns 0 or -errno (what is queued
 * stays queued, for the next record or flush).
 */
int audit_flush(struct audit_log *log);

struct audit_measure_event {
        uint64_t n;               /* the event's number in the event log */
        const char *operation;    /* "Start", "SetPolicy", "AuditHead" */
        const char *reg;          /* where it was extended: "tpm:pcr13", "rtmr:3", "aa" */
        const char *event_sha256; /* lowercase hex SHA-256 of its event log line */
};

/*
 * Record that a runtime measurement event was extended (a "measure" record),
 * so the chain holds each event's digest. Written with what is pending and
 * fsynced. Returns 0, -EINVAL, -EPIPE after audit_stop(), or the write's -errno.
 */
int audit_measure(struct audit_log *log, const struct audit_measure_event *ev);

/* The seq of the last record (the one audit_append() just wrote). */
uint64_t audit_head_seq(const struct audit_log *log);

/*
 * AUDIT_SYNC_INTERVAL: fsync if records were written and sync_interval_ms has
 * passed since the last fsync; call from a periodic timer so that an idle log
 * is synced too. With force, fsync whatever is pending. Returns 0 or -errno.
 */
int audit_sync(struct audit_log *log, bool force);

/* Whether records were written since the last fsync. */
bool audit_pending(const struct audit_log *log);

/* The last record written: its seq and the hex SHA-256 of its line (an anchor). */
void audit_head(const struct audit_log *log, uint64_t *ret_seq, char ret_hash[AUDIT_HASH_HEX + 1]);

/* Lowercase hex SHA-256 of buf; ret gets AUDIT_HASH_HEX + 1 bytes. No allocation. Returns 0 or -EIO. */
int audit_sha256_hex(const void *buf, size_t len, char ret[AUDIT_HASH_HEX + 1]);

/*
 * Parse an RFC 3339 time ("2026-11-22T20:03:36.123456789Z", any offset, or a
 * bare date meaning its midnight UTC). Returns 0 and *ret (UTC), or -EINVAL.
 */
int audit_parse_time(const char *s, struct timespec *ret);

/* ---- Reading and verifying (audit_verify.c; jansson, not for the hot path) ---- */

/*
 * A bounded line reader: records are at most AUDIT_LINE_MAX bytes, and a
 * damaged file must not make a reader allocate without limit.
 */
struct audit_reader;
int audit_reader_open(const char *path, struct audit_reader **ret);
struct audit_reader *audit_reader_free(struct audit_reader *r);
DEFINE_PTR_CLEANUP(struct audit_reader, audit_reader_free)

/*
 * The next line, without its newline; valid until the next call. Returns 1 and
 * the line with its 1-based number; 0 at the end; -EBADMSG for a last line that
 * has no newline (a cut record: the line is still returned); -E2BIG for a line
 * longer than any record (reading cannot go on); other -errno on read errors.
 */
int audit_reader_next(struct audit_reader *r, const char **ret_line, size_t *ret_len,
                      unsigned long *ret_lineno);

/* What every record has. */
struct audit_record {
        uint64_t seq;
        const char *type; /* static: "genesis", "start", "decision", "outcome" or "stop" */
        char prev[AUDIT_HASH_HEX + 1];
};

struct json_t;

/*
 * Parse one line as a record (JSON object, "v":1, seq, a known type, prev).
 * Returns 0 with the object in *ret (the caller's reference) and *rec, or
 * -EBADMSG with why (e.g. "not JSON: ... (column 17)").
 */
int audit_record_parse(const char *line, size_t len, struct json_t **ret, struct audit_record *rec,
                       char *why, size_t why_len);

/* Where verification stopped, and why. file points into the caller's paths. */
struct audit_problem {
        const char *file;
        unsigned long line; /* 1-based; 0 when not about a line */
        char message[512];
};

struct audit_verify_options {
        bool partial;        /* accept a chain whose first record is not the genesis */
        bool closed;         /* the last record must be a stop record (ccgate closed the log) */
        bool have_anchor;    /* the record with anchor_seq must exist and hash to anchor_hash */
        uint64_t anchor_seq;
        char anchor_hash[AUDIT_HASH_HEX + 1];
};

struct audit_verify_report {
        uint64_t n_records;
        size_t n_files; /* non-empty files */
        uint64_t first_seq, last_seq;
        char head[AUDIT_HASH_HEX + 1]; /* hash of the last record's line */
        bool from_genesis;             /* the chain starts at seq 0 */
        bool clean_stop;               /* the last record is a stop record */
};

/*
 * Put files in chain order by the seq of their first record; empty files go
 * last. order gets n_paths indexes into paths. Returns 0, -EBADMSG (a first
 * line that is not a record, or two files starting at the same seq) with
 * *problem filled, or -errno when a file cannot be read (*problem filled too).
 */
int audit_files_order(char *const *paths, size_t n_paths, size_t *order,
                      struct audit_problem *problem);

/*
 * Verify the hash chain across the given files (any order). Returns 0 with
 * *ret filled; -EBADMSG with *problem naming the first bad record (edited,
 * removed, reordered, cut, not JSON, anchor mismatch, no stop record at the
 * end with o->closed); -EINVAL without paths; other -errno when a file cannot
 * be read (*problem filled).
 */
int audit_verify(char *const *paths, size_t n_paths, const struct audit_verify_options *o,
                 struct audit_verify_report *ret, struct audit_problem *problem);

/*
 * The policy changed (a policy delivered by SetPolicyRequest was accepted):
 * records appended from now on carry this digest (lowercase hex SHA-256/384).
 * Returns 0 or -EINVAL.
 */
int audit_set_policy(struct audit_log *log, const char *policy_digest);
