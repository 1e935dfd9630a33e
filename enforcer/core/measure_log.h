/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ccgate's runtime measurement event log: one JSON line per event that was
 * extended into a register (format: measure_event.h), appended and fsynced,
 * and read back by a verifier, who replays the events of one boot into the
 * register value the TEE reports. Library code: files only, no logging.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "measure_event.h"

/* Most events replayed from one file (a log is a few per minute). */
#define MEASURE_REPLAY_MAX (1u << 20)

struct measure_log;

/*
 * Open (or create) the event log at path for this boot (boot: a boot id). The
 * numbering goes on from the file's last event when it is of the same boot,
 * and starts at 0 otherwise (the registers started again). Takes an
 * exclusive flock. Returns 0 and *ret, or -errno: -EBUSY another process holds
 * it, -EBADMSG its last line is not an event (move it aside: it is evidence).
 */
int measure_log_open(const char *path, const char *boot, struct measure_log **ret);

struct measure_log *measure_log_close(struct measure_log *l);
DEFINE_PTR_CLEANUP(struct measure_log, measure_log_close)

/* The number the next event gets. */
uint64_t measure_log_next(const struct measure_log *l);

/*
 * Append the event with number measure_log_next() as one line and fsync.
 * ret_line_sha256 (65 bytes, may be NULL) gets the SHA-256 of the line as
 * written (without '\n'), for the audit record that chains it. Returns 0, or
 * -errno (the file is cut back to its last whole line).
 */
int measure_log_append(struct measure_log *l, const char *reg, const char *operation,
                       const char *content, char ret_line_sha256[AUDIT_HASH_HEX + 1]);

/* This boot's id, from /proc/sys/kernel/random/boot_id. Returns 0 or -errno. */
int measure_boot_id(char ret[MEASURE_BOOT_ID_MAX + 1]);

struct measure_replay {
        enum measure_alg alg;
        uint8_t value[MEASURE_DIGEST_MAX]; /* the register after the events, from zeros */
        char boot[MEASURE_BOOT_ID_MAX + 1];
        char reg[MEASURE_REGISTER_NAME_MAX + 1];
        uint64_t n_events;  /* of that boot */
        uint64_t n_other;   /* events of other boots, skipped */
        bool has_head;      /* the highest audit head the events name */
        uint64_t head_seq;
        char head[AUDIT_HASH_HEX + 1];
        enum measure_op last_op;
        bool stopped;       /* the last event is a Stop */
};

/*
 * Replay the events of one boot (boot NULL: the boot of the file's last
 * event) with alg, from a register of zeros. Every line must be an event; a
 * boot's events must be numbered 0, 1, ... in file order, all into one
 * register. Returns 0 with *ret; -EBADMSG with *problem (file:line and why);
 * -ENOENT when no event is of that boot; other -errno when the file cannot be read.
 */
int measure_replay_file(const char *path, enum measure_alg alg, const char *boot,
                        struct measure_replay *ret, struct audit_problem *problem);
